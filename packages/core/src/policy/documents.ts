import type { JitConfig, Tier } from '../config/schema.js';
import { CoreErrorCode, PolicyError } from '../errors.js';
import {
  isIdentityCenterRole,
  MANAGED_POLICY_NAMES,
  SECRET_PREFIX,
  SESSION_PREFIX,
  secretArnPattern,
} from '../naming.js';
import type { PolicyDocument, PolicyStatement } from './types.js';

const VERSION = '2012-10-17' as const;

/**
 * The agent's standing permissions (invariant 1): read its own secrets' current version,
 * look up CloudTrail events, ask who it is. Nothing else.
 */
export function agentBasePolicy(config: JitConfig): PolicyDocument {
  return {
    Version: VERSION,
    Statement: [
      {
        Sid: 'ReadOwnElevatedSecretsCurrentVersionOnly',
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: config.workloadAccounts.map((a) => secretArnPattern(config.region, config.hub.id, a.id)),
        Condition: {
          // A request that names a stage may only name AWSCURRENT (absent means AWSCURRENT)...
          StringEqualsIfExists: { 'secretsmanager:VersionStage': 'AWSCURRENT' },
          // ...and a request by VersionId could reach an unlabelled old version: refused.
          Null: { 'secretsmanager:VersionId': 'true' },
        },
      },
      {
        Sid: 'QueryAuditTrailAndOwnIdentity',
        Effect: 'Allow',
        Action: ['cloudtrail:LookupEvents', 'sts:GetCallerIdentity'],
        Resource: '*',
      },
    ],
  };
}

/**
 * What a tier allows: its actions, and nothing else. The same document is the tier role's
 * permissions boundary (decision 0007), so an inline Allow someone puts on the role (JitRevoker
 * can) never reaches past the tier. Keep it exactly the tier: anything added here widens both.
 */
export function tierPermissionsPolicy(config: JitConfig, tierName: string): PolicyDocument {
  const tier = requireTier(config, tierName);
  return {
    Version: VERSION,
    Statement: [{ Sid: sidFor(`Tier ${tier.name}`), Effect: 'Allow', Action: [...tier.actions], Resource: '*' }],
  };
}

/** The boundary's ARN in one account (or, with `*`, in any account: for conditions). */
export function boundaryPolicyArn(accountId: string | '*'): string {
  return `arn:aws:iam::${accountId}:policy/${MANAGED_POLICY_NAMES.boundary}`;
}

/** Resources of the product itself that no elevated session may change. */
function productIdentityArns(config: JitConfig): string[] {
  const arns = new Set<string>();
  for (const tier of config.tiers) arns.add(`arn:aws:iam::*:role/${tier.roleName}`);
  arns.add('arn:aws:iam::*:policy/Jit*');
  arns.add('arn:aws:iam::*:role/Jit*');
  const agent = config.agent;
  arns.add(
    agent.kind === 'iam-user'
      ? `arn:aws:iam::${config.hub.id}:user/${agent.userName}`
      : `arn:aws:iam::${config.hub.id}:role/${agent.roleName}`,
  );
  for (const p of config.approvers.principals) arns.add(p);
  return [...arns];
}

/**
 * The deny ceiling attached to every elevated role (invariant 3). Explicit denies win over any
 * allow, so no tier, scope or later policy edit can grant these.
 */
export function denyCeilingPolicy(config: JitConfig): PolicyDocument {
  const bucket = config.logArchive.bucketName;
  const statements: PolicyStatement[] = [
    {
      Sid: 'NeverDestructive',
      Effect: 'Deny',
      Action: [
        'ec2:TerminateInstances',
        'ec2:DeleteVpc',
        'ec2:DeleteSubnet',
        'rds:DeleteDBInstance',
        'rds:DeleteDBCluster',
        'organizations:*',
        'account:*',
      ],
      Resource: '*',
    },
    {
      Sid: 'NeverTouchAuditTrail',
      Effect: 'Deny',
      Action: [
        'cloudtrail:Add*',
        'cloudtrail:Cancel*',
        'cloudtrail:Create*',
        'cloudtrail:Delete*',
        'cloudtrail:Deregister*',
        'cloudtrail:Disable*',
        'cloudtrail:Enable*',
        'cloudtrail:Put*',
        'cloudtrail:Register*',
        'cloudtrail:Remove*',
        'cloudtrail:Restore*',
        'cloudtrail:Start*',
        'cloudtrail:Stop*',
        'cloudtrail:Update*',
        'config:Delete*',
        'config:Stop*',
        'config:Put*',
        'guardduty:Delete*',
        'guardduty:Disassociate*',
        'guardduty:Update*',
        'guardduty:Stop*',
        'securityhub:Disable*',
        'securityhub:Delete*',
        'access-analyzer:Delete*',
        's3:BypassGovernanceRetention',
        's3:PutBucketObjectLockConfiguration',
        'logs:DeleteLogGroup',
        'cloudwatch:DeleteAlarms',
        'cloudwatch:DisableAlarmActions',
      ],
      Resource: '*',
    },
    {
      Sid: 'NeverTouchLogArchive',
      Effect: 'Deny',
      Action: 's3:*',
      Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
    },
    {
      Sid: 'NeverChangeJitIdentities',
      Effect: 'Deny',
      NotAction: ['iam:Get*', 'iam:List*'],
      Resource: productIdentityArns(config),
    },
    {
      Sid: 'NeverTouchAgentSecretsOrKeys',
      Effect: 'Deny',
      Action: 'secretsmanager:*',
      Resource: `arn:aws:secretsmanager:*:*:secret:${SECRET_PREFIX}*`,
    },
    {
      Sid: 'NeverTouchJitKeys',
      Effect: 'Deny',
      Action: 'kms:*',
      Resource: '*',
      Condition: { 'ForAnyValue:StringLike': { 'kms:ResourceAliases': 'alias/jit-*' } },
    },
    {
      Sid: 'NeverEscalateThroughIdentity',
      Effect: 'Deny',
      Action: [
        'iam:AddClientIDToOpenIDConnectProvider',
        'iam:AddUserToGroup',
        'iam:AttachGroupPolicy',
        'iam:CreateAccessKey',
        'iam:CreateLoginProfile',
        'iam:CreateOpenIDConnectProvider',
        'iam:CreatePolicyVersion',
        'iam:CreateSAMLProvider',
        'iam:CreateServiceSpecificCredential',
        'iam:DeactivateMFADevice',
        'iam:DeleteRolePermissionsBoundary',
        'iam:DeleteUserPermissionsBoundary',
        'iam:PutGroupPolicy',
        'iam:SetDefaultPolicyVersion',
        'iam:UpdateAssumeRolePolicy',
        'iam:UpdateLoginProfile',
        'iam:UpdateOpenIDConnectProviderThumbprint',
        'iam:UpdateSAMLProvider',
        'iam:UploadSSHPublicKey',
        'iam:UploadSigningCertificate',
        'iam:UpdateAccessKey',
        'sts:AssumeRole',
        'sts:AssumeRoot',
        'sts:AssumeRoleWithSAML',
        'sts:AssumeRoleWithWebIdentity',
        'sts:GetFederationToken',
        'rolesanywhere:Create*',
        'rolesanywhere:Update*',
        'rolesanywhere:Put*',
        'rolesanywhere:Enable*',
        'rolesanywhere:Import*',
        'sso:Attach*',
        'sso:Create*',
        'sso:Put*',
        'sso:Provision*',
        'sso:Update*',
        'identitystore:Create*',
        'identitystore:Update*',
        'ecs:ExecuteCommand',
        'ec2-instance-connect:SendSSHPublicKey',
        'ec2-instance-connect:SendSerialConsoleSSHPublicKey',
      ],
      Resource: '*',
    },
    {
      // Users and roles the security tier creates or changes must carry the boundary, which
      // repeats this ceiling: whatever they are given, they cannot exceed it.
      Sid: 'NeverPrincipalsWithoutBoundary',
      Effect: 'Deny',
      Action: [
        'iam:AttachRolePolicy',
        'iam:AttachUserPolicy',
        'iam:CreateRole',
        'iam:CreateUser',
        'iam:DeleteRolePolicy',
        'iam:DeleteUserPolicy',
        'iam:DetachRolePolicy',
        'iam:DetachUserPolicy',
        'iam:PutRolePermissionsBoundary',
        'iam:PutUserPermissionsBoundary',
      ],
      Resource: '*',
      Condition: { ArnNotLike: { 'iam:PermissionsBoundary': boundaryPolicyArn('*') } },
    },
    {
      // A role is a credential that outlives the grant, and IAM cannot inspect the trust policy it
      // is created with: roles may only be created on the passable path, and may only be given
      // managed policies the platform team keeps on that path (never inline policies, never
      // AWS-managed ones such as AdministratorAccess).
      Sid: 'NeverBackdoorPrincipals',
      Effect: 'Deny',
      Action: ['iam:CreateRole'],
      NotResource: `arn:aws:iam::*:role${config.passableRolePath}*`,
    },
    {
      Sid: 'NeverInlinePolicies',
      Effect: 'Deny',
      Action: ['iam:PutRolePolicy', 'iam:PutUserPolicy', 'iam:PutGroupPolicy'],
      Resource: '*',
    },
    {
      Sid: 'OnlyPlatformManagedPolicies',
      Effect: 'Deny',
      Action: ['iam:AttachRolePolicy', 'iam:AttachUserPolicy'],
      Resource: '*',
      Condition: { ArnNotLike: { 'iam:PolicyARN': `arn:aws:iam::*:policy${config.passableRolePath}*` } },
    },
    {
      Sid: 'NeverAuthorPlatformPolicies',
      Effect: 'Deny',
      Action: ['iam:CreatePolicy', 'iam:DeletePolicy', 'iam:TagPolicy', 'iam:UntagPolicy'],
      Resource: `arn:aws:iam::*:policy${config.passableRolePath}*`,
    },
    {
      // Resource policies grant access to principals outside the grant (often outside the account)
      // and outlive it: persistence and exfiltration paths (Stratus Red Team).
      Sid: 'NeverGrantOutsideAccess',
      Effect: 'Deny',
      Action: [
        's3:PutBucketPolicy',
        's3:PutBucketAcl',
        's3:PutObjectAcl',
        's3:PutAccessPointPolicy',
        's3:PutBucketPublicAccessBlock',
        's3:PutAccountPublicAccessBlock',
        'ecr:SetRepositoryPolicy',
        'lambda:AddPermission',
        'lambda:AddLayerVersionPermission',
        'kms:PutKeyPolicy',
        'sns:AddPermission',
        'sqs:AddPermission',
        'secretsmanager:PutResourcePolicy',
        'logs:PutResourcePolicy',
        'ec2:ModifySnapshotAttribute',
        'ec2:ModifyImageAttribute',
        'rds:ModifyDBSnapshotAttribute',
        'rds:ModifyDBClusterSnapshotAttribute',
      ],
      Resource: '*',
    },
    {
      // The CDK deployment role (admin) runs whatever is in the bootstrap assets bucket.
      Sid: 'NeverTouchDeploymentAssets',
      Effect: 'Deny',
      Action: ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion'],
      Resource: 'arn:aws:s3:::cdk-*-assets-*/*',
    },
    {
      // Passing a role to a service runs code with that role's permissions: only roles on the
      // passable path (created with the boundary) may be passed.
      Sid: 'NeverPassPrivilegedRoles',
      Effect: 'Deny',
      Action: 'iam:PassRole',
      NotResource: `arn:aws:iam::*:role${config.passableRolePath}*`,
    },
    {
      // Running commands on an instance yields its instance-profile credentials: only instances
      // tagged as safe for it (jit:exec-allowed = true) may be targeted.
      Sid: 'NeverExecOnUntaggedInstances',
      Effect: 'Deny',
      Action: ['ssm:SendCommand', 'ssm:StartSession'],
      Resource: ['arn:aws:ec2:*:*:instance/*', 'arn:aws:ssm:*:*:managed-instance/*'],
      Condition: { StringNotEquals: { 'aws:ResourceTag/jit:exec-allowed': 'true' } },
    },
    {
      // The tag above is the gate: no elevated session may set or remove it.
      Sid: 'NeverTagForExec',
      Effect: 'Deny',
      Action: ['ec2:CreateTags', 'ec2:DeleteTags', 'ssm:AddTagsToResource', 'ssm:RemoveTagsFromResource'],
      Resource: '*',
      Condition: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['jit:exec-allowed'] } },
    },
  ];
  return { Version: VERSION, Statement: statements };
}

/**
 * The permissions boundary that every user or role created by an elevated session must carry:
 * allows anything, minus the same ceiling. Effective permissions are the intersection.
 */
export function securityBoundaryPolicy(config: JitConfig): PolicyDocument {
  return {
    Version: VERSION,
    Statement: [
      { Sid: 'AllowWithinCeiling', Effect: 'Allow', Action: '*', Resource: '*' },
      ...denyCeilingPolicy(config).Statement,
    ],
  };
}

/** The condition that approvers who are IAM users or roles add when `approvers.requireMfa` is on. */
export const MFA_CONDITION = { Bool: { 'aws:MultiFactorAuthPresent': 'true' } } as const;

type Conditions = NonNullable<PolicyStatement['Condition']>;

/**
 * The trust statement(s) letting approvers do `actions` under `conditions` (an `ArnLike` on
 * `aws:PrincipalArn` is added). With `approvers.requireMfa`, two statements: IAM Identity Center
 * roles as they are (their MFA is the identity provider's, and IAM never marks their sessions
 * with `aws:MultiFactorAuthPresent`, so requiring it would lock them out), and every other
 * approver with `Bool aws:MultiFactorAuthPresent = true`. Bool fails when the key is absent
 * (long-term access keys), so only sessions made with MFA pass. Without it, one statement.
 */
export function approverTrustStatements(
  config: JitConfig,
  statement: { readonly sid: string; readonly action: string | readonly string[]; readonly conditions: Conditions },
): PolicyStatement[] {
  const make = (sid: string, principals: readonly string[], extra: Conditions = {}): PolicyStatement => ({
    Sid: sid,
    Effect: 'Allow',
    Principal: { AWS: accountsOf(principals).map((id) => `arn:aws:iam::${id}:root`) },
    Action: typeof statement.action === 'string' ? statement.action : [...statement.action],
    Condition: { ArnLike: { 'aws:PrincipalArn': [...principals] }, ...statement.conditions, ...extra },
  });
  const all = config.approvers.principals;
  if (!config.approvers.requireMfa) return [make(statement.sid, all)];
  const identityCenter = all.filter(isIdentityCenterRole);
  const others = all.filter((p) => !isIdentityCenterRole(p));
  return [
    ...(identityCenter.length > 0 ? [make(`${statement.sid}ViaIdentityCenter`, identityCenter)] : []),
    ...(others.length > 0 ? [make(`${statement.sid}WithMfa`, others, MFA_CONDITION)] : []),
  ];
}

/**
 * Trust policy of every elevated role: only approvers, only with a `jit-` source identity, and
 * only `jit:` session tags; with `approvers.requireMfa`, approvers that are not IAM Identity
 * Center roles only from sessions made with MFA. The principal is the hub account, narrowed by
 * aws:PrincipalArn so that patterns (IAM Identity Center roles) work.
 */
export function elevatedRoleTrustPolicy(config: JitConfig): PolicyDocument {
  const approvers = [...config.approvers.principals];
  return {
    Version: VERSION,
    Statement: [
      ...approverTrustStatements(config, {
        sid: 'ApproversAssumeWithJitSourceIdentity',
        action: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
        conditions: { StringLike: { 'sts:SourceIdentity': `${SESSION_PREFIX}*` } },
      }),
      {
        // Session tags are only ever set within an AssumeRole, which the statement(s) above gate
        // (MFA included): no MFA condition needed here.
        Sid: 'ApproversTagJitSessions',
        Effect: 'Allow',
        Principal: { AWS: approverAccounts(config).map((id) => `arn:aws:iam::${id}:root`) },
        Action: 'sts:TagSession',
        Condition: {
          ArnLike: { 'aws:PrincipalArn': approvers },
          'ForAllValues:StringLike': { 'aws:TagKeys': ['jit:*'] },
        },
      },
    ],
  };
}

function accountsOf(principals: readonly string[]): string[] {
  return [...new Set(principals.map((arn) => arn.split(':')[4] ?? ''))];
}

export function approverAccounts(config: JitConfig): string[] {
  return accountsOf(config.approvers.principals);
}

/** Revokes one grant: every request from a session with its source identity is denied. */
export function revokeGrantPolicy(sourceIdentity: string): PolicyDocument {
  return {
    Version: VERSION,
    Statement: [
      {
        Sid: 'RevokeOneGrant',
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { StringEquals: { 'aws:SourceIdentity': sourceIdentity } },
      },
    ],
  };
}

/** Revokes every session whose credentials were issued before `before`. */
export function revokeAllSessionsPolicy(before: Date): PolicyDocument {
  return {
    Version: VERSION,
    Statement: [
      {
        Sid: 'RevokeSessionsIssuedBefore',
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { DateLessThan: { 'aws:TokenIssueTime': before.toISOString() } },
      },
    ],
  };
}

/** STS packs session policies and tags into 2,048 characters; we refuse plain JSON above that. */
export const SESSION_POLICY_MAX_CHARS = 2048;

/**
 * A session policy passed with AssumeRole: allows (within the role's own permissions) only until
 * `until`, and, with `scope`, only on those resources. Needed because STS cannot issue
 * credentials for less than 15 minutes.
 */
export function windowSessionPolicy(options: { until: Date; scope?: readonly string[] }): PolicyDocument {
  const scope = options.scope && options.scope.length > 0 ? [...options.scope] : '*';
  const policy: PolicyDocument = {
    Version: VERSION,
    Statement: [
      {
        Sid: 'OnlyWithinWindow',
        Effect: 'Allow',
        Action: '*',
        Resource: scope,
        Condition: { DateLessThan: { 'aws:CurrentTime': options.until.toISOString() } },
      },
    ],
  };
  const size = JSON.stringify(policy).length;
  if (size > SESSION_POLICY_MAX_CHARS) {
    throw new PolicyError(
      CoreErrorCode.PolicyTooLarge,
      `the session policy is ${size} characters; STS allows ${SESSION_POLICY_MAX_CHARS} (packed with the session tags)`,
      { suggestion: 'pass fewer --scope ARNs, or use wildcards in them' },
    );
  }
  return policy;
}

function requireTier(config: JitConfig, tierName: string): Tier {
  const tier = config.tiers.find((t) => t.name === tierName);
  if (!tier) {
    throw new PolicyError(
      CoreErrorCode.NameInvalid,
      `unknown tier "${tierName}"; defined tiers: ${config.tiers.map((t) => t.name).join(', ')}`,
    );
  }
  return tier;
}

function sidFor(text: string): string {
  return text
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]?.toUpperCase() + w.slice(1))
    .join('');
}
