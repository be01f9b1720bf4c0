import {
  findAccount,
  findTier,
  isGrantId,
  type JitConfig,
  newGrantId,
  type PolicyDocument,
  PolicyError,
  reasonProblem,
  roleArn,
  sessionNameFor,
  type Tier,
  WINDOW_LIMITS,
  type WorkloadAccount,
  windowSessionPolicy,
} from '@jit-access/core';
import { GrantError, GrantErrorCode } from './errors.js';

/** What the approver asked for, as given (CLI options or an agent's request). */
export interface GrantInput {
  /** Workload account id or name. */
  readonly account: string;
  readonly tier: string;
  /** @default the tier's default window */
  readonly minutes?: number | undefined;
  readonly reason?: string | undefined;
  /** Resource ARNs the session is narrowed to (a session policy). @default no narrowing */
  readonly scope?: readonly string[] | undefined;
  /** Set when approving an agent's request: its id becomes the grant id. @default a new ULID */
  readonly grantId?: string | undefined;
}

/** A validated grant, ready to execute: everything decided before any AWS call. */
export interface GrantPlan {
  readonly grantId: string;
  readonly account: WorkloadAccount;
  readonly tier: Tier;
  readonly roleArn: string;
  /** `jit-<grantId>`: the role session name and the source identity. */
  readonly sessionName: string;
  readonly minutes: number;
  /** AssumeRole's DurationSeconds: the window, but never under STS's 900-second minimum. */
  readonly durationSeconds: number;
  readonly reason: string;
  readonly scope: readonly string[];
  /** Why a session policy is needed, if it is: the window is under 15 minutes, or a scope was given. */
  readonly sessionPolicyReason: 'window' | 'scope' | 'window+scope' | undefined;
}

const NO_REASON = '(no reason given)';

// arn:partition:service:region:account:resource. The account part, when it names one, must be
// the target account: a scope can only narrow what the tier role can reach in its own account.
const ARN =
  /^arn:(aws|aws-cn|aws-us-gov):([a-z0-9][a-z0-9-]{0,62}):([a-z0-9-]*|\*):(\d{12}|\*|):([\x21-\x7e]{1,1024})$/;
const MAX_SCOPE_ARNS = 20;

function invalid(field: string, message: string, suggestion?: string): GrantError {
  return new GrantError(GrantErrorCode.InvalidInput, `${field}: ${message}`, {
    field,
    ...(suggestion === undefined ? {} : { suggestion }),
  });
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Checks one scope ARN; returns a problem or undefined. */
export function scopeArnProblem(arn: string, accountId: string): string | undefined {
  const match = ARN.exec(arn);
  if (!match) {
    return `${show(arn)} is not a resource ARN: expected arn:aws:<service>:<region>:<account>:<resource>, e.g. arn:aws:s3:::my-bucket/*`;
  }
  if (/["\\]/.test(arn)) return `${show(arn)} contains a quote or backslash`;
  const account = match[4];
  if (account !== undefined && /^\d{12}$/.test(account) && account !== accountId) {
    return `${show(arn)} names account ${account}, but the grant is for account ${accountId}`;
  }
  return undefined;
}

/**
 * Validates a grant against the configuration. Pure: no AWS call, no clock but `now`.
 * Throws a GrantError naming the field, the value given and what is allowed.
 */
export function planGrant(config: JitConfig, input: GrantInput, now: Date): GrantPlan {
  const account = findAccount(config, input.account);
  if (!account) {
    const known = config.workloadAccounts.map((a) => `${a.name} (${a.id})`).join(', ');
    throw invalid('account', `unknown account ${show(input.account)}; known accounts: ${known}`);
  }
  const tier = findTier(config, input.tier);
  if (!tier) {
    throw invalid(
      '--tier',
      `unknown tier ${show(input.tier)}; defined tiers: ${config.tiers.map((t) => t.name).join(', ')}`,
    );
  }
  if (!account.tiers.includes(tier.name) || !tier.accountIds.includes(account.id)) {
    const allowed = account.tiers.filter((t) => findTier(config, t)?.accountIds.includes(account.id));
    throw invalid(
      '--tier',
      `tier "${tier.name}" is not allowed for account ${account.name} (${account.id}); allowed there: ${allowed.join(', ') || 'none'}`,
    );
  }

  const minutes = input.minutes ?? tier.minutes.default;
  if (!Number.isSafeInteger(minutes) || minutes < tier.minutes.min || minutes > tier.minutes.max) {
    const range =
      tier.minutes.min === tier.minutes.max
        ? `exactly ${tier.minutes.min}`
        : `${tier.minutes.min} to ${tier.minutes.max}`;
    throw invalid('--minutes', `${show(minutes)} is not allowed for tier "${tier.name}": ${range} minutes`);
  }

  let reason = input.reason ?? '';
  if (reason.trim() === '' && !tier.reasonRequired) {
    reason = NO_REASON;
  } else {
    const problem = reasonProblem(reason);
    if (problem) {
      throw invalid('--reason', `${problem}${reason.trim() === '' ? '' : ` (got ${show(reason)})`}`);
    }
    reason = reason.trim();
  }

  const scope = [...(input.scope ?? [])];
  if (scope.length > MAX_SCOPE_ARNS) {
    throw invalid('--scope', `${scope.length} ARNs given; at most ${MAX_SCOPE_ARNS} fit in a session policy`);
  }
  for (const arn of scope) {
    const problem = scopeArnProblem(arn, account.id);
    if (problem) throw invalid('--scope', problem);
  }
  if (new Set(scope).size !== scope.length) throw invalid('--scope', 'the same ARN is given twice');

  let grantId: string;
  if (input.grantId === undefined) {
    grantId = newGrantId(now);
  } else if (isGrantId(input.grantId)) {
    grantId = input.grantId;
  } else {
    throw invalid('grant id', `${show(input.grantId)} is not a ULID (26 characters, Crockford base32, upper case)`);
  }

  const windowSeconds = minutes * 60;
  const shortWindow = windowSeconds < WINDOW_LIMITS.stsMinimumSeconds;
  const plan: GrantPlan = {
    grantId,
    account,
    tier,
    roleArn: roleArn(account.id, tier.roleName),
    sessionName: sessionNameFor(grantId),
    minutes,
    durationSeconds: Math.max(WINDOW_LIMITS.stsMinimumSeconds, windowSeconds),
    reason,
    scope,
    sessionPolicyReason:
      shortWindow && scope.length > 0
        ? 'window+scope'
        : shortWindow
          ? 'window'
          : scope.length > 0
            ? 'scope'
            : undefined,
  };
  // Built once here so that an oversized policy is refused before any AWS call; the length
  // does not depend on the window's end, which is fixed-width ISO text.
  sessionPolicyFor(plan, new Date(now.getTime() + windowSeconds * 1000));
  return plan;
}

/** The session policy a plan needs, ending at `until`; undefined when none is needed. */
export function sessionPolicyFor(plan: GrantPlan, until: Date): PolicyDocument | undefined {
  if (plan.sessionPolicyReason === undefined) return undefined;
  try {
    return windowSessionPolicy({ until, ...(plan.scope.length > 0 ? { scope: plan.scope } : {}) });
  } catch (error) {
    if (error instanceof PolicyError) {
      throw new GrantError(GrantErrorCode.SessionPolicyTooLarge, error.message, {
        field: '--scope',
        cause: error,
        ...(error.suggestion === undefined ? {} : { suggestion: error.suggestion }),
      });
    }
    throw error;
  }
}

// STS and Secrets Manager tag values: letters, digits, spaces and _ . : / = + - @, at most 256.
const TAG_UNSAFE = /[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu;

/** `text` made acceptable as a session or secret tag value (the full text stays in the payload). */
export function tagValue(text: string): string {
  return [...text.replace(TAG_UNSAFE, '_')].slice(0, 256).join('');
}
