import { z } from 'zod';

/**
 * The deployment model, as written in `accounts/`:
 * - `jit.yaml`: organisation-wide settings (region, hub, log archive, approvers, agent, notifications, trail);
 * - `tiers.yaml`: the elevation tiers;
 * - `workloads/<name>.yaml`: one file per workload account.
 * Field names are camelCase; every object is strict so a typo is an error, not a silent default.
 */

const accountId = z.string().regex(/^\d{12}$/, { error: 'must be an AWS account id: exactly 12 digits' });
const accountName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, { error: 'must be lower-case letters, digits and hyphens, starting with a letter' });
const region = z
  .string()
  .regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, { error: 'must be an AWS region such as ap-southeast-2' });
const iamName = z
  .string()
  .regex(/^[\w+=,.@-]{1,64}$/, { error: 'must be 1-64 characters of letters, digits and +=,.@_-' });
const tierName = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, {
  error: 'must be lower-case letters, digits and hyphens (at most 32), starting with a letter',
});
const iamAction = z.string().regex(/^([a-z0-9-]+:[A-Za-z0-9*?]+|\*)$/, {
  error: 'must be an IAM action such as "ec2:DescribeInstances" or "ecs:*"',
});
// An approver principal: an IAM role or user ARN; `*` is allowed in the name part so that
// IAM Identity Center roles (AWSReservedSSO_<set>_<random>) can be named by pattern.
const principalArn = z.string().regex(/^arn:aws:iam::\d{12}:(role|user)\/[\w+=,.@/*-]+$/, {
  error: 'must be an IAM role or user ARN, e.g. arn:aws:iam::444444444444:role/JitApprover',
});
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

export const accountRefSchema = z.strictObject({ id: accountId, name: accountName });

const secretRef = z.union([
  z.strictObject({ file: z.string().min(1) }),
  z.strictObject({ secretId: z.string().min(1) }),
  z.strictObject({ env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, { error: 'must be an environment variable name' }) }),
]);

export const notificationSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({
      kind: z.literal('webhook'),
      url: httpUrl,
      secret: secretRef,
      timeoutMs: z.number().int().min(100).max(30_000).default(5_000),
      retries: z.number().int().min(0).max(5).default(2),
    }),
    z.strictObject({
      kind: z.literal('slack'),
      webhookUrl: secretRef,
      timeoutMs: z.number().int().min(100).max(30_000).default(5_000),
    }),
    z.strictObject({ kind: z.literal('sns'), topicName: iamName }),
  ],
  { error: 'must have kind "webhook", "slack" or "sns"' },
);

export const agentIdentitySchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.literal('iam-user'), userName: iamName }),
    z.strictObject({
      kind: z.literal('roles-anywhere'),
      roleName: iamName,
      certificate: z.strictObject({
        /** The agent certificate's subject CN; the role's trust policy is bound to it. */
        commonName: z.string().min(1).max(64),
        /** PEM CA bundle for the trust anchor, or an ACM Private CA ARN. */
        caBundleFile: z.string().min(1).optional(),
        acmPcaArn: z
          .string()
          .regex(/^arn:aws:acm-pca:/)
          .optional(),
      }),
    }),
  ],
  { error: 'must have kind "iam-user" or "roles-anywhere"' },
);

export const orgFileSchema = z.strictObject({
  region,
  organizationId: z
    .string()
    .regex(/^o-[a-z0-9]{10,32}$/, { error: 'must be an AWS Organizations id such as o-a1b2c3d4e5' })
    .optional(),
  hub: accountRefSchema,
  logArchive: accountRefSchema.extend({
    bucketName: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: 'must be a valid S3 bucket name' })
      .optional(),
    retentionDays: z.number().int().min(1).max(36_500).default(365),
  }),
  management: accountRefSchema.optional(),
  trail: z.strictObject({ name: iamName.default('jit-trail') }).default({ name: 'jit-trail' }),
  approvers: z.strictObject({
    principals: z.array(principalArn).min(1, { error: 'at least one approver principal is required' }),
    /**
     * The tier roles and JitRevoker trust approvers that are IAM users or roles only in sessions
     * signed in with MFA (`aws:MultiFactorAuthPresent`); IAM Identity Center roles
     * (`role/aws-reserved/sso.amazonaws.com/...`) are exempt: their MFA is the identity
     * provider's. Default: required (decision 0008).
     */
    requireMfa: z.boolean({ error: 'must be true or false' }).default(true),
  }),
  agent: agentIdentitySchema,
  notifications: z.array(notificationSchema).default([]),
  /**
   * Roles under this IAM path are the only ones an elevated session may pass to a service;
   * passing any other role is an escalation path (the role may be more privileged).
   */
  passableRolePath: z
    .string()
    .regex(/^\/[\w+=,.@-]+\/$/, { error: 'must be an IAM path such as /jit-workload/' })
    .default('/jit-workload/'),
});

export const minutesSchema = z.strictObject({
  min: z.number().int(),
  default: z.number().int(),
  max: z.number().int(),
});

export const tierSchema = z.strictObject({
  roleName: iamName,
  description: z.string().min(1).max(256),
  minutes: minutesSchema,
  /** `all` or a list of workload account names or ids that may use this tier. */
  accounts: z.union([z.literal('all'), z.array(z.string().min(1)).min(1)]).default('all'),
  actions: z.array(iamAction).min(1, { error: 'a tier needs at least one action' }),
  /** Require --reason when granting this tier. Default: required. */
  reasonRequired: z.boolean().default(true),
});

export const tiersFileSchema = z.strictObject({
  tiers: z.record(tierName, tierSchema).refine((tiers) => Object.keys(tiers).length > 0, {
    error: 'at least one tier is required',
  }),
});

export const workloadFileSchema = z.strictObject({
  id: accountId,
  name: accountName,
  description: z.string().max(256).optional(),
  tiers: z.array(tierName).min(1, { error: 'a workload account needs at least one tier' }),
});

export type OrgFile = z.infer<typeof orgFileSchema>;
export type TiersFile = z.infer<typeof tiersFileSchema>;
export type WorkloadFile = z.infer<typeof workloadFileSchema>;
export type NotificationTarget = z.infer<typeof notificationSchema>;
export type AgentIdentity = z.infer<typeof agentIdentitySchema>;
export type SecretRef = z.infer<typeof secretRef>;

export interface AccountRef {
  readonly id: string;
  readonly name: string;
}

export interface Tier {
  readonly name: string;
  readonly roleName: string;
  readonly description: string;
  readonly minutes: { readonly min: number; readonly default: number; readonly max: number };
  /** Account ids that may use this tier (resolved from names; `all` expands to every workload account). */
  readonly accountIds: readonly string[];
  readonly actions: readonly string[];
  readonly reasonRequired: boolean;
}

export interface WorkloadAccount {
  readonly id: string;
  readonly name: string;
  readonly description?: string;
  readonly tiers: readonly string[];
}

/** The validated, cross-checked model every package uses. */
export interface JitConfig {
  readonly region: string;
  readonly organizationId?: string;
  readonly hub: AccountRef;
  readonly logArchive: AccountRef & { readonly bucketName: string; readonly retentionDays: number };
  readonly management?: AccountRef;
  readonly trail: { readonly name: string };
  readonly approvers: {
    readonly principals: readonly string[];
    /** Approvers that are not IAM Identity Center roles must have signed in with MFA (decision 0008). */
    readonly requireMfa: boolean;
  };
  readonly agent: AgentIdentity;
  readonly notifications: readonly NotificationTarget[];
  readonly passableRolePath: string;
  readonly tiers: readonly Tier[];
  readonly workloadAccounts: readonly WorkloadAccount[];
}

/** STS limits that bound every tier's window (BRIEF §7). */
export const WINDOW_LIMITS = {
  /** Shorter windows are not useful and session policies cannot be finer than the clock skew. */
  minMinutes: 5,
  /** Role chaining (an SSO session assuming the tier role) caps sessions at one hour. */
  maxMinutes: 60,
  /** AssumeRole's minimum; shorter windows are enforced with an aws:CurrentTime session policy. */
  stsMinimumSeconds: 900,
} as const;
