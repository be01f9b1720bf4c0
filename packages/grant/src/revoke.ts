import {
  findAccount,
  isGrantId,
  type JitConfig,
  type NotificationTarget,
  type PolicyDocument,
  parseRevokePolicyName,
  placeholderSecretString,
  REVOKER_ROLE_NAME,
  reasonProblem,
  revokeAllPolicyName,
  revokeAllSessionsPolicy,
  revokeGrantPolicy,
  revokeGrantPolicyName,
  roleArn,
  secretName,
  sessionNameFor,
  type WorkloadAccount,
} from '@jit-access/core';
import { type ApproverIdentity, identifyApprover, mfaRefusalHint } from './aws/approver.js';
import { type AwsClients, type AwsCredentials, describeAwsError, isAccessDenied, isNotFound } from './aws/clients.js';
import { describeSecret, META, removePreviousStage, tagSecret, writeSecretAfter } from './aws/secretStore.js';
import { GrantError, GrantErrorCode, type GrantWarning, GrantWarningCode } from './errors.js';
import type { GrantEvent } from './notify/event.js';
import { type NotificationOutcome, type NotifyDeps, notifyAll } from './notify/notify.js';
import { tagValue } from './plan.js';
import { grantMetadataFromTags, heldGrant } from './status.js';

/** Sessions on a role can last at most this long when the role says nothing else (IAM's maximum). */
const MAX_SESSION_SECONDS = 43_200;

export interface RevokeOptions {
  readonly account: string;
  /** Revoke this grant (deny its source identity / session). @default the grant in the secret's metadata */
  readonly grantId?: string | undefined;
  /** Deny every session of the account's tier roles issued before now. @default false */
  readonly allSessions?: boolean | undefined;
  readonly reason?: string | undefined;
  /** The revoker role's name in the workload account. @default JitRevoker */
  readonly revokerRole?: string | undefined;
}

export interface RevokeDeps {
  readonly config: JitConfig;
  readonly clients: AwsClients;
  readonly now?: () => Date;
  readonly notifications?: readonly NotificationTarget[];
  readonly notify?: Partial<Pick<NotifyDeps, 'fetch' | 'sleep' | 'env'>>;
  /** Told each step as it starts. @default ignore */
  readonly progress?: (step: string) => void;
}

export interface AttachedDeny {
  readonly roleArn: string;
  readonly policyName: string;
}

export interface RevokeResult {
  readonly account: { readonly id: string; readonly name: string };
  readonly grantId: string | undefined;
  readonly allSessions: boolean;
  readonly revokedAt: string;
  readonly approver: string;
  readonly secretName: string;
  /**
   * The grant the secret holds when it is not the one revoked (a grant that replaced it): the
   * secret and its metadata were left to it. undefined: the placeholder was put back.
   */
  readonly leftInPlace: string | undefined;
  /** AWSPREVIOUS was taken off the revoked value (false when the secret was left in place). */
  readonly previousVersionRemoved: boolean;
  readonly denies: readonly AttachedDeny[];
  readonly notifications: readonly NotificationOutcome[];
  readonly warnings: readonly GrantWarning[];
}

/**
 * The deny that revokes one grant. Issued STS credentials cannot be recalled; an explicit deny on
 * the role stops every request they sign. It matches the grant's source identity and, for
 * grants whose approver session already carried a source identity, its role session name
 * (aws:userid is `<role id>:<session name>` for an assumed role).
 */
export function revokeGrantDocument(grantId: string): PolicyDocument {
  const sessionName = sessionNameFor(grantId);
  const bySourceIdentity = revokeGrantPolicy(sessionName);
  return {
    Version: bySourceIdentity.Version,
    Statement: [
      ...bySourceIdentity.Statement,
      {
        Sid: 'RevokeOneGrantBySessionName',
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { StringLike: { 'aws:userid': `*:${sessionName}` } },
      },
    ],
  };
}

function requireAccount(config: JitConfig, account: string): WorkloadAccount {
  const found = findAccount(config, account);
  if (!found) {
    throw new GrantError(
      GrantErrorCode.InvalidInput,
      `account: unknown account "${account}"; known accounts: ${config.workloadAccounts.map((a) => `${a.name} (${a.id})`).join(', ')}`,
      { field: 'account' },
    );
  }
  return found;
}

function tierRoleArns(config: JitConfig, account: WorkloadAccount): { roleName: string; arn: string }[] {
  return account.tiers.flatMap((name) => {
    const tier = config.tiers.find((t) => t.name === name);
    return tier ? [{ roleName: tier.roleName, arn: roleArn(account.id, tier.roleName) }] : [];
  });
}

/** What attaching one deny to an account's tier roles achieved. */
export interface DenyOutcome {
  readonly policyName: string;
  /** The roles that now carry the deny. */
  readonly denies: readonly AttachedDeny[];
  /** One line per role (or for the revoker role) where it could not be attached, with why. */
  readonly failures: readonly string[];
}

/**
 * Attaches `document` as the inline policy `policyName` to every tier role of the account, acting
 * as the revoker role there. Never throws for AWS refusals: the caller decides what an incomplete
 * revocation means, from `failures`.
 */
async function attachDeny(
  deps: { readonly config: JitConfig; readonly clients: AwsClients },
  account: WorkloadAccount,
  approver: ApproverIdentity,
  revokerRole: string | undefined,
  policyName: string,
  document: PolicyDocument,
): Promise<DenyOutcome> {
  const denies: AttachedDeny[] = [];
  const failures: string[] = [];
  try {
    const iam = await revokerIam(deps, account, approver, revokerRole);
    const { PutRolePolicyCommand } = await import('@aws-sdk/client-iam');
    try {
      for (const role of tierRoleArns(deps.config, account)) {
        try {
          await iam.send(
            new PutRolePolicyCommand({
              RoleName: role.roleName,
              PolicyName: policyName,
              PolicyDocument: JSON.stringify(document),
            }),
          );
          denies.push({ roleArn: role.arn, policyName });
        } catch (error) {
          const full = /LimitExceeded/.test(String((error as Error).name));
          failures.push(
            `${role.arn}: ${describeAwsError('iam:PutRolePolicy', error)}${full ? ' (the role is full of old revocation denies: run jit-grant revoke --clear)' : ''}`,
          );
        }
      }
    } finally {
      iam.destroy();
    }
  } catch (error) {
    failures.push(error instanceof GrantError ? error.message : String(error));
  }
  return { policyName, denies, failures };
}

/**
 * Denies one grant's sessions on the account's tier roles (`JitRevoke-<grantId>-<time>`, by source
 * identity and by session name), without touching the secret: for `grant --replace` (the replaced
 * grant) and for a grant that lost a race (its own session).
 */
export async function denyGrantSessions(
  deps: { readonly config: JitConfig; readonly clients: AwsClients },
  account: WorkloadAccount,
  approver: ApproverIdentity,
  grantId: string,
  at: Date,
  revokerRole?: string | undefined,
): Promise<DenyOutcome> {
  return attachDeny(
    deps,
    account,
    approver,
    revokerRole,
    revokeGrantPolicyName(grantId, at),
    revokeGrantDocument(grantId),
  );
}

/** Attempts at the placeholder's compare-and-swap before giving up on a secret that keeps changing. */
const PLACEHOLDER_ATTEMPTS = 3;

/**
 * Revokes: the placeholder goes back into the secret (AWSPREVIOUS removed), then a deny is
 * attached to the account's tier roles, for one grant or for every session issued before now.
 * Emptying the secret alone revokes nothing: credentials already read keep working until the
 * deny is in place, and the result says which denies are.
 *
 * Revoking one grant while the secret holds another (a grant that replaced it) denies the named
 * grant only and leaves the secret, and its metadata, to the grant it holds (`leftInPlace`). The
 * placeholder is written with a compare-and-swap on the version that was checked, so a grant that
 * lands meanwhile is seen, and left in place, rather than overwritten.
 */
export async function revoke(options: RevokeOptions, deps: RevokeDeps): Promise<RevokeResult> {
  const clock = deps.now ?? (() => new Date());
  const account = requireAccount(deps.config, options.account);
  if (options.grantId !== undefined && options.allSessions) {
    throw new GrantError(GrantErrorCode.InvalidInput, '--grant and --all-sessions: give one or the other', {
      field: '--grant',
    });
  }
  if (options.grantId !== undefined && !isGrantId(options.grantId)) {
    throw new GrantError(
      GrantErrorCode.InvalidInput,
      `--grant: "${options.grantId}" is not a grant id (a 26-character ULID, upper case)`,
      { field: '--grant' },
    );
  }
  if (options.reason !== undefined) {
    const problem = reasonProblem(options.reason);
    if (problem) throw new GrantError(GrantErrorCode.InvalidInput, `--reason: ${problem}`, { field: '--reason' });
  }

  const progress = deps.progress ?? (() => {});
  progress('checking who you are and the current grant');
  const approver = await identifyApprover(deps.clients);
  const name = secretName(account.id);
  const before = await describeSecret(deps.clients, name);
  const meta = grantMetadataFromTags(before.tags);
  const allSessions = options.allSessions === true;
  const grantId = allSessions ? undefined : (options.grantId ?? heldGrant(before)?.grantId ?? meta?.grantId);
  if (!allSessions && grantId === undefined) {
    throw new GrantError(
      GrantErrorCode.InvalidInput,
      `no grant is recorded for account ${account.name} (${account.id}), so there is no grant to revoke by id`,
      { field: '--grant', suggestion: 'pass --grant <id>, or --all-sessions to deny every session issued before now' },
    );
  }

  const revokedAt = clock();
  const placeholder = placeholderSecretString({
    revokedAt,
    ...(options.reason === undefined ? {} : { reason: options.reason }),
    ...(grantId === undefined ? {} : { grantId }),
  });
  let leftInPlace: string | undefined;
  try {
    let info = before;
    for (let attempt = 1; ; attempt++) {
      // With --all-sessions everything issued before now is denied: the placeholder goes in
      // whatever the secret holds.
      const holder = allSessions ? undefined : heldGrant(info)?.grantId;
      if (holder !== undefined && holder !== grantId) {
        leftInPlace = holder;
        break;
      }
      progress(`writing the placeholder into ${name}`);
      const write = await writeSecretAfter(deps.clients, name, placeholder, { after: info.currentVersionId });
      if (write.written) break;
      if (attempt === PLACEHOLDER_ATTEMPTS) {
        throw new GrantError(
          GrantErrorCode.AwsRefused,
          `${name} changed under every one of ${PLACEHOLDER_ATTEMPTS} attempts to put the placeholder back: nothing was revoked`,
          { suggestion: 'see who else is writing it (jit-grant status), then run the same revoke again' },
        );
      }
      info = await describeSecret(deps.clients, name);
    }
  } catch (error) {
    if (error instanceof GrantError) throw error;
    throw new GrantError(
      GrantErrorCode.AwsRefused,
      `${describeAwsError(`secretsmanager:PutSecretValue ${name}`, error)}: nothing was revoked`,
      { cause: error },
    );
  }

  const warnings: GrantWarning[] = [];
  let previousVersionRemoved = false;
  if (leftInPlace === undefined) {
    try {
      await removePreviousStage(deps.clients, name);
      previousVersionRemoved = true;
    } catch (error) {
      warnings.push({
        code: GrantWarningCode.PreviousVersionReadable,
        message: `the placeholder is in place, but the revoked credentials are still readable as AWSPREVIOUS: ${describeAwsError('secretsmanager:UpdateSecretVersionStage', error)}`,
        suggestion: `remove it: aws secretsmanager update-secret-version-stage --secret-id ${name} --version-stage AWSPREVIOUS --remove-from-version-id <id>`,
      });
    }
    try {
      await tagSecret(deps.clients, name, {
        [META.state]: 'revoked',
        [META.revokedAt]: revokedAt.toISOString(),
        [META.revokedBy]: tagValue(approver.arn),
        [META.previous]: previousVersionRemoved ? 'removed' : 'readable',
      });
    } catch (error) {
      warnings.push({
        code: GrantWarningCode.MetadataNotRecorded,
        message: `the revocation's metadata was not recorded, so status may still show the grant: ${describeAwsError('secretsmanager:TagResource', error)}`,
      });
    }
  }

  const policyName = grantId === undefined ? revokeAllPolicyName(revokedAt) : revokeGrantPolicyName(grantId, revokedAt);
  const document = grantId === undefined ? revokeAllSessionsPolicy(revokedAt) : revokeGrantDocument(grantId);
  progress(`attaching ${policyName} to the tier roles in ${account.id}`);
  const { denies, failures } = await attachDeny(deps, account, approver, options.revokerRole, policyName, document);
  if (failures.length > 0) {
    const target = grantId === undefined ? 'sessions issued before now' : `grant ${grantId}`;
    const secretState =
      leftInPlace === undefined
        ? `the placeholder is back in ${name}, so no new reads get credentials`
        : `${name} holds grant ${leftInPlace}, left in place`;
    throw new GrantError(
      GrantErrorCode.RevocationIncomplete,
      `${secretState}, but credentials already issued for ${target} are NOT revoked on: ${failures.join('; ')}${
        denies.length > 0 ? `. Denies in place: ${denies.map((d) => d.roleArn).join(', ')}` : ''
      }`,
      { suggestion: `fix the cause and run the same revoke again (it is safe to repeat)` },
    );
  }

  const event: GrantEvent = {
    kind: 'jit-grant-event',
    version: 1,
    event: 'revoked',
    grantId,
    account: { id: account.id, name: account.name },
    secretName: name,
    approver: approver.arn,
    at: revokedAt.toISOString(),
    ...(options.reason === undefined ? {} : { reason: options.reason }),
    ...(meta?.tier === undefined || leftInPlace !== undefined ? {} : { tier: meta.tier }),
    allSessions,
  };
  const notifications = await notifyAll(deps.notifications ?? deps.config.notifications, event, {
    config: deps.config,
    clients: deps.clients,
    now: clock,
    ...deps.notify,
  });
  for (const failed of notifications.filter((n) => !n.ok)) {
    warnings.push({
      code: GrantWarningCode.NotificationFailed,
      message: `the revocation is in place, but notifying ${failed.target} failed: ${failed.error ?? 'unknown error'}`,
    });
  }
  return {
    account: { id: account.id, name: account.name },
    grantId,
    allSessions,
    revokedAt: revokedAt.toISOString(),
    approver: approver.arn,
    secretName: name,
    leftInPlace,
    previousVersionRemoved,
    denies,
    notifications,
    warnings,
  };
}

/** An IAM client acting as the revoker role in the workload account. */
async function revokerIam(
  deps: { readonly config: JitConfig; readonly clients: AwsClients },
  account: WorkloadAccount,
  approver: ApproverIdentity,
  revokerRole: string | undefined,
) {
  const { AssumeRoleCommand } = await import('@aws-sdk/client-sts');
  const { clients } = deps;
  const arn = roleArn(account.id, revokerRole ?? REVOKER_ROLE_NAME);
  const sts = await clients.sts();
  let credentials: AwsCredentials;
  try {
    const out = await sts.send(
      new AssumeRoleCommand({
        RoleArn: arn,
        RoleSessionName: `revoker-${
          approver.userId
            .split(':')
            .pop()
            ?.replace(/[^\w+=,.@-]/g, '') ?? 'approver'
        }`.slice(0, 64),
        DurationSeconds: 900,
      }),
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error('AssumeRole returned no credentials');
    credentials = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
  } catch (error) {
    // Callers report the message only (a revocation goes on with the next account): the hint goes in it.
    const hint = isAccessDenied(error) ? mfaRefusalHint(deps.config, approver.arn) : undefined;
    throw new GrantError(
      GrantErrorCode.RevocationIncomplete,
      `${describeAwsError(`sts:AssumeRole ${arn}`, error)}${hint === undefined ? '' : ` (${hint})`}`,
      { cause: error },
    );
  }
  return clients.iamWith(credentials);
}

export interface RevocationDeny {
  readonly account: { readonly id: string; readonly name: string };
  readonly roleArn: string;
  readonly policyName: string;
  readonly kind: 'grant' | 'all-sessions';
  /** The grant it revokes, or for all-sessions the time before which sessions are denied. */
  readonly target: string;
  /** When every credential it targets has expired (issue time plus the role's maximum session). */
  readonly targetsExpireAt: string;
  /** True once `targetsExpireAt` has passed: the deny no longer stops anything and may be removed. */
  readonly clearable: boolean;
}

export interface RevocationListing {
  readonly denies: readonly RevocationDeny[];
  /** Roles that could not be read (missing role, access denied), with why. */
  readonly errors: readonly string[];
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** The creation time inside a ULID (its first 10 characters, milliseconds since the epoch). */
export function ulidTime(id: string): Date {
  let ms = 0;
  for (const ch of id.slice(0, 10)) ms = ms * 32 + CROCKFORD.indexOf(ch);
  return new Date(ms);
}

/** Lists the revocation denies on the tier roles of one account, or of every account. */
export async function listRevocations(
  deps: { config: JitConfig; clients: AwsClients; now?: () => Date; revokerRole?: string | undefined },
  account?: string,
): Promise<RevocationListing> {
  const now = (deps.now ?? (() => new Date()))();
  const accounts = account === undefined ? deps.config.workloadAccounts : [requireAccount(deps.config, account)];
  const approver = await identifyApprover(deps.clients);
  const { ListRolePoliciesCommand, GetRoleCommand } = await import('@aws-sdk/client-iam');
  const denies: RevocationDeny[] = [];
  const errors: string[] = [];
  for (const a of accounts) {
    let iam: Awaited<ReturnType<typeof revokerIam>>;
    try {
      iam = await revokerIam(deps, a, approver, deps.revokerRole);
    } catch (error) {
      errors.push(`${a.name} (${a.id}): ${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    for (const role of tierRoleArns(deps.config, a)) {
      try {
        const names: string[] = [];
        let marker: string | undefined;
        do {
          const page = await iam.send(
            new ListRolePoliciesCommand({ RoleName: role.roleName, ...(marker ? { Marker: marker } : {}) }),
          );
          names.push(...(page.PolicyNames ?? []));
          marker = page.IsTruncated ? page.Marker : undefined;
        } while (marker);
        const ours = names.filter((n) => n.startsWith('JitRevoke-') || n.startsWith('JitRevokeAll-'));
        if (ours.length === 0) continue;
        const roleInfo = await iam.send(new GetRoleCommand({ RoleName: role.roleName }));
        const maxSessionMs = (roleInfo.Role?.MaxSessionDuration ?? MAX_SESSION_SECONDS) * 1000;
        for (const policyName of ours) {
          const parsed = parseRevokePolicyName(policyName);
          const all = parsed !== undefined && parsed.grantId === undefined ? parsed.revokedAt : undefined;
          const grantId =
            parsed?.grantId ??
            (policyName.startsWith('JitRevoke-') ? policyName.slice('JitRevoke-'.length) : undefined);
          // Sessions the deny targets were issued before it was written and live at most the role's
          // MaxSessionDuration. A deny whose name we cannot date is kept forever: clearing it could
          // un-revoke something. (The grant id's own time is never used: the agent chose it.)
          const expireAt = parsed ? new Date(parsed.revokedAt.getTime() + maxSessionMs) : undefined;
          denies.push({
            account: { id: a.id, name: a.name },
            roleArn: role.arn,
            policyName,
            kind: all ? 'all-sessions' : 'grant',
            target: all ? all.toISOString() : (grantId ?? policyName),
            targetsExpireAt: expireAt?.toISOString() ?? 'unknown',
            clearable: expireAt !== undefined && expireAt.getTime() < now.getTime(),
          });
        }
      } catch (error) {
        errors.push(
          `${role.arn}: ${isNotFound(error) ? 'the role does not exist' : describeAwsError('iam:ListRolePolicies', error)}`,
        );
      }
    }
    iam.destroy();
  }
  return { denies, errors };
}

/** Removes the revocation denies whose targeted credentials have all expired. */
export async function clearRevocations(
  deps: { config: JitConfig; clients: AwsClients; now?: () => Date; revokerRole?: string | undefined },
  account?: string,
): Promise<{
  readonly cleared: readonly RevocationDeny[];
  readonly kept: readonly RevocationDeny[];
  readonly errors: readonly string[];
}> {
  const listing = await listRevocations(deps, account);
  const approver = await identifyApprover(deps.clients);
  const { DeleteRolePolicyCommand } = await import('@aws-sdk/client-iam');
  const cleared: RevocationDeny[] = [];
  const errors = [...listing.errors];
  const byAccount = new Map<string, RevocationDeny[]>();
  for (const d of listing.denies.filter((x) => x.clearable)) {
    byAccount.set(d.account.id, [...(byAccount.get(d.account.id) ?? []), d]);
  }
  for (const [accountId, denies] of byAccount) {
    const a = requireAccount(deps.config, accountId);
    const iam = await revokerIam(deps, a, approver, deps.revokerRole);
    for (const d of denies) {
      try {
        await iam.send(
          new DeleteRolePolicyCommand({ RoleName: d.roleArn.split('/').pop() ?? '', PolicyName: d.policyName }),
        );
        cleared.push(d);
      } catch (error) {
        errors.push(`${d.roleArn} ${d.policyName}: ${describeAwsError('iam:DeleteRolePolicy', error)}`);
      }
    }
    iam.destroy();
  }
  return { cleared, kept: listing.denies.filter((d) => !cleared.includes(d)), errors };
}
