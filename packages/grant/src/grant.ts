import type { AssumeRoleCommandOutput } from '@aws-sdk/client-sts';
import {
  type ElevatedPayload,
  type ElevationRequest,
  type JitConfig,
  type NotificationTarget,
  SESSION_TAG,
  secretName,
  serializeElevatedPayload,
} from '@jit-access/core';
import { type ApproverIdentity, identifyApprover, mfaRefusalHint } from './aws/approver.js';
import { type AwsClients, awsErrorInfo, describeAwsError, isAccessDenied } from './aws/clients.js';
import {
  describeSecret,
  grantIdOfStages,
  META,
  removePreviousStage,
  tagSecret,
  writeSecretAfter,
} from './aws/secretStore.js';
import { GrantError, GrantErrorCode, type GrantWarning, GrantWarningCode } from './errors.js';
import type { GrantEvent } from './notify/event.js';
import { type NotificationOutcome, type NotifyDeps, notifyAll } from './notify/notify.js';
import { type GrantInput, type GrantPlan, planGrant, sessionPolicyFor, tagValue } from './plan.js';
import { type AttachedDeny, denyGrantSessions } from './revoke.js';
import { activeGrant, type GrantMetadata } from './status.js';

export interface GrantOptions extends GrantInput {
  /**
   * Replace an active grant for the account: once the new grant is in place, the replaced one's
   * sessions are denied on the tier roles (as `revoke --grant <old>` does, secret untouched).
   * @default false: refuse
   */
  readonly replace?: boolean | undefined;
  /** The revoker role's name in the workload account (to deny a replaced or losing grant). @default JitRevoker */
  readonly revokerRole?: string | undefined;
  /** The agent's request being approved (shown in the summary; its id is the grant id). */
  readonly request?: ElevationRequest | undefined;
}

/** What the approver is asked to confirm. */
export interface GrantSummary {
  readonly plan: GrantPlan;
  readonly approver: ApproverIdentity;
  readonly secretName: string;
  /** The active grant this one replaces (with --replace). */
  readonly replacing: GrantMetadata | undefined;
  readonly request: ElevationRequest | undefined;
}

export interface GrantDeps {
  readonly config: JitConfig;
  readonly clients: AwsClients;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** Sees the summary before anything changes; false cancels. @default go ahead (--yes) */
  readonly confirm?: (summary: GrantSummary) => Promise<boolean>;
  /** @default config.notifications */
  readonly notifications?: readonly NotificationTarget[];
  /** Overrides for the notifiers (fetch, sleep, env), for tests. */
  readonly notify?: Partial<Pick<NotifyDeps, 'fetch' | 'sleep' | 'env'>>;
  /** Told each step as it starts (the CLI shows it on a terminal). @default ignore */
  readonly progress?: (step: string) => void;
}

/** The grant a `--replace` replaced, and the denies that revoke its issued credentials. */
export interface ReplacedGrant {
  readonly grantId: string;
  /** The tier roles that now deny its sessions. */
  readonly denies: readonly AttachedDeny[];
  /** True when every tier role denies it; false means its credentials still work (see warnings). */
  readonly revoked: boolean;
}

/** The outcome of a grant: everything but the credentials. */
export interface GrantResult {
  readonly grantId: string;
  readonly account: { readonly id: string; readonly name: string };
  readonly tier: string;
  readonly roleArn: string;
  readonly sessionName: string;
  /** The source identity CloudTrail records for the session. */
  readonly sourceIdentity: string;
  /** How CloudTrail records tie to this grant: our source identity, or (fallback) the session name. */
  readonly correlation: 'source-identity' | 'session-name';
  readonly approver: string;
  readonly reason: string;
  readonly scope: readonly string[];
  readonly minutes: number;
  readonly grantedAt: string;
  /** When the window closes (the session policy's end for windows under 15 minutes). */
  readonly effectiveUntil: string;
  /** When STS's credentials expire. */
  readonly expiration: string;
  readonly sessionPolicy: boolean;
  readonly secretName: string;
  readonly secretArn: string;
  /** The active grant this one replaced (with --replace), and whether its credentials were revoked. */
  readonly replaced: ReplacedGrant | undefined;
  readonly previousVersionRemoved: boolean;
  readonly notifications: readonly NotificationOutcome[];
  readonly warnings: readonly GrantWarning[];
}

/**
 * Approves an elevation: validates it against the tier (before any AWS call), asks for
 * confirmation, assumes the tier role as the approver with `jit-<grantId>` as session name and
 * source identity, writes the credentials to the account's secret in the hub, takes AWSPREVIOUS
 * off the old value, records metadata for `status`, revokes the grant it replaced (--replace),
 * and notifies.
 *
 * Two approvers granting the same account at once both pass the "no active grant" check. The
 * write is therefore a compare-and-swap on the secret version that was checked (writeSecretAfter):
 * the second to write loses, denies its own just-issued session and throws ActiveGrant, so exactly
 * one grant is in place and no other credentials work.
 *
 * Throws a GrantError when nothing was granted. Returns warnings when the grant is in place but a
 * later step failed.
 */
export async function grant(options: GrantOptions, deps: GrantDeps): Promise<GrantResult> {
  const clock = deps.now ?? (() => new Date());
  let plan: GrantPlan;
  try {
    plan = planGrant(deps.config, options, clock());
  } catch (error) {
    // An agent's request that the configuration does not allow is refused as a request.
    if (options.request && error instanceof GrantError && error.code === GrantErrorCode.InvalidInput) {
      throw new GrantError(GrantErrorCode.RequestRefused, `--request ${options.request.id}: ${error.message}`, {
        field: '--request',
        cause: error,
        ...(error.suggestion === undefined ? {} : { suggestion: error.suggestion }),
      });
    }
    throw error;
  }
  const name = secretName(plan.account.id);

  const progress = deps.progress ?? (() => {});
  progress('checking who you are and the current grant');
  const approver = await identifyApprover(deps.clients);
  const before = await describeSecret(deps.clients, name);
  const active = activeGrant(before, clock());
  if (active && !options.replace) {
    throw new GrantError(
      GrantErrorCode.ActiveGrant,
      `account ${plan.account.name} (${plan.account.id}) has an active grant ${active.grantId ?? '?'} ${
        active.until === undefined
          ? '(its metadata is not recorded yet: it was written moments ago, or its tags failed)'
          : `(${active.tier ?? '?'}, by ${active.approver ?? '?'}) until ${active.until}`
      }`,
      { suggestion: 'pass --replace to replace it, or revoke it first: jit-grant revoke <account>' },
    );
  }
  if (active?.grantId !== undefined && active.grantId === plan.grantId) {
    throw new GrantError(
      GrantErrorCode.RequestRefused,
      `grant ${plan.grantId} is already active: a request is approved once`,
      { field: '--request' },
    );
  }

  if (deps.confirm) {
    const confirmed = await deps.confirm({
      plan,
      approver,
      secretName: name,
      replacing: active,
      request: options.request,
    });
    if (!confirmed) {
      throw new GrantError(GrantErrorCode.Cancelled, 'not confirmed: nothing was granted');
    }
  }

  const start = clock();
  const effectiveUntil = new Date(start.getTime() + plan.minutes * 60_000);
  progress(`assuming ${plan.roleArn}`);
  const assumed = await assumeTierRole(
    deps.clients,
    plan,
    approver,
    effectiveUntil,
    mfaRefusalHint(deps.config, approver.arn),
  );
  const warnings: GrantWarning[] = [];
  if (assumed.correlation === 'session-name') {
    warnings.push({
      code: GrantWarningCode.SourceIdentityInherited,
      message: `your session already carries a source identity${assumed.sourceIdentity === plan.sessionName ? '' : ` (${assumed.sourceIdentity})`}, so AssumeRole could not set ${plan.sessionName}: CloudTrail correlation falls back to the role session name ${plan.sessionName}`,
      suggestion: 'sign in with a session that has no source identity to get source-identity correlation',
    });
  }

  const expiration = assumed.expiration.toISOString();
  const grantedAt = start.toISOString();
  let written: boolean;
  // The credentials exist only inside this block; on any failure below they are dropped with it.
  {
    const payload: ElevatedPayload = {
      SchemaVersion: 1,
      AccessKeyId: assumed.accessKeyId,
      SecretAccessKey: assumed.secretAccessKey,
      SessionToken: assumed.sessionToken,
      Expiration: expiration,
      GrantedFor: plan.reason,
      GrantedAt: grantedAt,
      RoleName: plan.tier.roleName,
      GrantId: plan.grantId,
      AccountId: plan.account.id,
      RoleArn: plan.roleArn,
      Tier: plan.tier.name,
      SessionName: plan.sessionName,
      SourceIdentity: assumed.sourceIdentity,
      Approver: approver.arn,
      EffectiveUntil: effectiveUntil.toISOString(),
      Region: deps.config.region,
    };
    let text: string;
    try {
      text = serializeElevatedPayload(payload);
    } catch (error) {
      throw new GrantError(
        GrantErrorCode.SecretNotWritten,
        `the role was assumed but STS's answer does not make a valid payload, so nothing was written and the credentials were discarded: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    progress(`writing ${name}`);
    try {
      written = (
        await writeSecretAfter(deps.clients, name, text, { after: before.currentVersionId, grantId: plan.grantId })
      ).written;
    } catch (error) {
      const changed = await secretChanged(deps.clients, name, before.currentVersionId);
      throw new GrantError(
        GrantErrorCode.SecretNotWritten,
        `${plan.roleArn} was assumed, but ${describeAwsError(`secretsmanager:PutSecretValue ${name}`, error)}. ${
          changed === false
            ? 'Nothing was written (the current version is unchanged) and the issued credentials were discarded'
            : 'The write may have reached Secrets Manager; the issued credentials were discarded here'
        }; they were never shown and expire at ${expiration}.`,
        {
          suggestion:
            changed === false
              ? isAccessDenied(error)
                ? 'your approver role needs secretsmanager:PutSecretValue on the secret'
                : 'try again'
              : `run: jit-grant revoke ${plan.account.name} --grant ${plan.grantId}`,
          cause: error,
        },
      );
    }
  }
  if (!written) {
    throw await lostRace(deps, plan, approver, expiration, options.revokerRole, clock, progress);
  }

  let previousVersionRemoved = false;
  progress('removing the previous version (AWSPREVIOUS)');
  try {
    await removePreviousStage(deps.clients, name);
    previousVersionRemoved = true;
  } catch (error) {
    warnings.push({
      code: GrantWarningCode.PreviousVersionReadable,
      message: `the grant is in place, but the previous secret version still has AWSPREVIOUS, so its old value stays readable: ${describeAwsError('secretsmanager:UpdateSecretVersionStage', error)}`,
      suggestion: `remove it: aws secretsmanager update-secret-version-stage --secret-id ${name} --version-stage AWSPREVIOUS --remove-from-version-id <id from describe-secret>`,
    });
  }

  const metadata: Record<string, string> = {
    [META.state]: 'active',
    [META.grant]: plan.grantId,
    [META.tier]: plan.tier.name,
    [META.approver]: tagValue(approver.arn),
    [META.reason]: tagValue(plan.reason),
    [META.grantedAt]: grantedAt,
    [META.until]: effectiveUntil.toISOString(),
    [META.expiration]: expiration,
    [META.correlation]: assumed.correlation,
    [META.previous]: previousVersionRemoved ? 'removed' : 'readable',
    [META.revokedAt]: '',
    [META.revokedBy]: '',
  };
  try {
    await tagSecret(deps.clients, name, metadata);
  } catch (error) {
    warnings.push({
      code: GrantWarningCode.MetadataNotRecorded,
      message: `the grant is in place, but its metadata was not recorded, so status cannot show it: ${describeAwsError('secretsmanager:TagResource', error)}`,
      suggestion: 'your approver role needs secretsmanager:TagResource on the secret',
    });
  }

  let replaced: ReplacedGrant | undefined;
  if (active) {
    if (active.grantId === undefined) {
      warnings.push({
        code: GrantWarningCode.ReplacedGrantNotRevoked,
        message: `the new grant ${plan.grantId} is in place, but the grant it replaced has no recorded id, so its credentials could not be denied by grant and stay usable until they expire (${active.expiration ?? 'unknown'})`,
        suggestion: `deny every older session: jit-grant revoke ${plan.account.name} --all-sessions (this stops the new grant too: grant again after it)`,
      });
    } else {
      progress(`revoking the replaced grant ${active.grantId}`);
      const outcome = await denyGrantSessions(
        deps,
        plan.account,
        approver,
        active.grantId,
        clock(),
        options.revokerRole,
      );
      replaced = { grantId: active.grantId, denies: outcome.denies, revoked: outcome.failures.length === 0 };
      if (outcome.failures.length > 0) {
        warnings.push({
          code: GrantWarningCode.ReplacedGrantNotRevoked,
          message: `the new grant ${plan.grantId} is in place, but the replaced grant ${active.grantId} is NOT revoked: its credentials stay usable${
            active.expiration === undefined ? '' : ` until ${active.expiration}`
          }; the deny failed: ${outcome.failures.join('; ')}${
            outcome.denies.length > 0 ? `. Denied on: ${outcome.denies.map((d) => d.roleArn).join(', ')}` : ''
          }`,
          suggestion: `fix the cause, then run: jit-grant revoke ${plan.account.name} --grant ${active.grantId} (it leaves the secret, which holds ${plan.grantId}, in place)`,
        });
      }
    }
  }

  const event: GrantEvent = {
    kind: 'jit-grant-event',
    version: 1,
    event: 'granted',
    grantId: plan.grantId,
    account: { id: plan.account.id, name: plan.account.name },
    secretName: name,
    approver: approver.arn,
    at: grantedAt,
    tier: plan.tier.name,
    roleArn: plan.roleArn,
    reason: plan.reason,
    effectiveUntil: effectiveUntil.toISOString(),
    expiration,
    ...(plan.scope.length > 0 ? { scope: plan.scope } : {}),
  };
  progress('notifying');
  const notifications = await notifyAll(deps.notifications ?? deps.config.notifications, event, {
    config: deps.config,
    clients: deps.clients,
    now: clock,
    ...deps.notify,
  });
  for (const failed of notifications.filter((n) => !n.ok)) {
    warnings.push({
      code: GrantWarningCode.NotificationFailed,
      message: `the grant is in place, but notifying ${failed.target} failed: ${failed.error ?? 'unknown error'}`,
      suggestion: 'tell the agent operator, or run the agent with `jit-agent wait`',
    });
  }

  return {
    grantId: plan.grantId,
    account: { id: plan.account.id, name: plan.account.name },
    tier: plan.tier.name,
    roleArn: plan.roleArn,
    sessionName: plan.sessionName,
    sourceIdentity: assumed.sourceIdentity,
    correlation: assumed.correlation,
    approver: approver.arn,
    reason: plan.reason,
    scope: plan.scope,
    minutes: plan.minutes,
    grantedAt,
    effectiveUntil: effectiveUntil.toISOString(),
    expiration,
    sessionPolicy: plan.sessionPolicyReason !== undefined,
    secretName: name,
    secretArn: before.arn,
    replaced,
    previousVersionRemoved,
    notifications,
    warnings,
  };
}

async function secretChanged(
  clients: AwsClients,
  name: string,
  before: string | undefined,
): Promise<boolean | undefined> {
  try {
    return (await describeSecret(clients, name)).currentVersionId !== before;
  } catch {
    return undefined;
  }
}

/**
 * Another write created the successor of the version this grant checked: this grant's payload was
 * never written. Its session is denied anyway (by source identity and session name, like
 * `revoke --grant`), and the error says who won. Two approvals of the same request share the
 * grant id and so the source identity: then nothing is denied, which would revoke the other too.
 */
async function lostRace(
  deps: GrantDeps,
  plan: GrantPlan,
  approver: ApproverIdentity,
  expiration: string,
  revokerRole: string | undefined,
  clock: () => Date,
  progress: (step: string) => void,
): Promise<GrantError> {
  const name = secretName(plan.account.id);
  let winner: string | undefined;
  try {
    winner = grantIdOfStages((await describeSecret(deps.clients, name)).currentStages);
  } catch {
    winner = undefined;
  }
  if (winner === plan.grantId) {
    return new GrantError(
      GrantErrorCode.RequestRefused,
      `grant ${plan.grantId} was approved by someone else at the same time and is in place in ${name}: a request is approved once. Nothing was written here; the credentials issued here were discarded (never shown; they expire at ${expiration})`,
      { field: '--request', suggestion: `see jit-grant status ${plan.account.name}` },
    );
  }
  const who = winner === undefined ? 'another write (a revocation, or a grant by other means)' : `grant ${winner}`;
  progress(`denying this grant's session ${plan.sessionName}`);
  const outcome = await denyGrantSessions(deps, plan.account, approver, plan.grantId, clock(), revokerRole);
  if (outcome.failures.length > 0) {
    return new GrantError(
      GrantErrorCode.RevocationIncomplete,
      `${who} was written to ${name} after this grant checked it, so grant ${plan.grantId} was not written (the agent cannot get its credentials). But its session ${plan.sessionName} could NOT be denied, so its credentials (never shown or stored) stay valid until ${expiration}; the deny failed: ${outcome.failures.join('; ')}`,
      {
        suggestion: `run: jit-grant revoke ${plan.account.name} --grant ${plan.grantId}${
          winner === undefined ? '' : ` (it leaves the secret, which holds grant ${winner}, in place)`
        }`,
      },
    );
  }
  return new GrantError(
    GrantErrorCode.ActiveGrant,
    `${who} was written to ${name} after this grant checked it: grant ${plan.grantId} was not written, and its just-issued session ${plan.sessionName} is denied (${outcome.policyName} on ${outcome.denies.map((d) => d.roleArn).join(', ')})`,
    {
      suggestion: `see jit-grant status ${plan.account.name}; pass --replace to replace the grant in place, or revoke it first`,
    },
  );
}

interface AssumedRole {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
  readonly sourceIdentity: string;
  readonly correlation: 'source-identity' | 'session-name';
}

async function assumeTierRole(
  clients: AwsClients,
  plan: GrantPlan,
  approver: ApproverIdentity,
  effectiveUntil: Date,
  mfaHint: string | undefined,
): Promise<AssumedRole> {
  const { AssumeRoleCommand } = await import('@aws-sdk/client-sts');
  const policy = sessionPolicyFor(plan, effectiveUntil);
  const tags = [
    { Key: SESSION_TAG.grant, Value: plan.grantId },
    { Key: SESSION_TAG.tier, Value: plan.tier.name },
    { Key: SESSION_TAG.approver, Value: tagValue(approver.arn) },
    { Key: SESSION_TAG.reason, Value: tagValue(plan.reason) },
    { Key: SESSION_TAG.until, Value: effectiveUntil.toISOString() },
  ];
  const sts = await clients.sts();
  const assume = (withSourceIdentity: boolean): Promise<AssumeRoleCommandOutput> =>
    sts.send(
      new AssumeRoleCommand({
        RoleArn: plan.roleArn,
        RoleSessionName: plan.sessionName,
        ...(withSourceIdentity ? { SourceIdentity: plan.sessionName } : {}),
        DurationSeconds: plan.durationSeconds,
        Tags: tags,
        ...(policy === undefined ? {} : { Policy: JSON.stringify(policy) }),
      }),
    );

  let out: AssumeRoleCommandOutput;
  let inherited = false;
  try {
    out = await assume(true);
  } catch (error) {
    // A session that already carries a source identity cannot set another one; STS refuses.
    // Only then is a second attempt without SourceIdentity made, and the fallback reported.
    if (isAccessDenied(error) && /source.?identity/i.test(awsErrorInfo(error).message)) {
      try {
        out = await assume(false);
        inherited = true;
      } catch (retryError) {
        throw assumeError(plan, retryError, mfaHint);
      }
    } else {
      throw assumeError(plan, error, mfaHint);
    }
  }
  const c = out.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
    throw new GrantError(GrantErrorCode.AwsRefused, `sts:AssumeRole ${plan.roleArn} returned no credentials`);
  }
  if (out.SourceIdentity !== undefined && out.SourceIdentity !== plan.sessionName) inherited = true;
  return {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    sessionToken: c.SessionToken,
    expiration: c.Expiration,
    sourceIdentity: inherited ? (out.SourceIdentity ?? plan.sessionName) : plan.sessionName,
    correlation: inherited ? 'session-name' : 'source-identity',
  };
}

function assumeError(plan: GrantPlan, error: unknown, mfaHint: string | undefined): GrantError {
  const info = awsErrorInfo(error);
  if (info.name === 'PackedPolicyTooLarge' || /packed/i.test(info.message)) {
    return new GrantError(
      GrantErrorCode.SessionPolicyTooLarge,
      `STS refused the session policy and tags as too large: ${info.message.split('\n')[0]}`,
      { field: '--scope', suggestion: 'pass fewer --scope ARNs, use wildcards, or shorten --reason', cause: error },
    );
  }
  return new GrantError(GrantErrorCode.AwsRefused, `${describeAwsError(`sts:AssumeRole ${plan.roleArn}`, error)}`, {
    ...(isAccessDenied(error)
      ? {
          suggestion: `your identity must be an approver (accounts/jit.yaml approvers.principals) allowed by the role's trust policy in ${plan.account.id}${mfaHint === undefined ? '' : `; ${mfaHint}`}`,
        }
      : {}),
    cause: error,
  });
}
