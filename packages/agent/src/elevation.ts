import {
  CoreErrorCode,
  DEFAULT_CLOCK_SKEW_SECONDS,
  type ElevatedPayload,
  isAccountId,
  PayloadError,
  parseSecretPayload,
  secretName,
} from '@jit-access/core';
import { type ElevatedCredentials, guardCredentials } from './credentials.js';
import { AgentError, AgentErrorCode } from './errors.js';
import type { SecretReader } from './secretReader.js';

/** An active grant as shown to people and programs: everything but the credentials. */
export interface ActiveElevation {
  readonly status: 'active';
  readonly account: string;
  readonly grantId: string;
  readonly tier: string;
  readonly roleName: string;
  readonly roleArn: string;
  /** The approver's reason (`GrantedFor`). */
  readonly reason: string;
  readonly approver: string;
  readonly region: string;
  readonly sessionName: string;
  readonly grantedAt: string;
  readonly expiration: string;
  readonly effectiveUntil: string;
  /** The earlier of `expiration` and `effectiveUntil`. */
  readonly usableUntil: string;
  /** Whole seconds until `usableUntil`. */
  readonly secondsLeft: number;
}

/**
 * Every state a grant's secret can be in. Only `active` comes with credentials, and those are
 * kept apart (`ElevationRead.credentials`) so that rendering a state can never print them.
 */
export type ElevationState =
  | ActiveElevation
  | { readonly status: 'inactive'; readonly account: string; readonly grantId?: string; readonly note?: string }
  | {
      readonly status: 'revoked';
      readonly account: string;
      readonly revokedAt: string;
      readonly grantId?: string;
      readonly note?: string;
    }
  | {
      readonly status: 'expired';
      readonly account: string;
      readonly grantId?: string;
      readonly expiration?: string;
      readonly message: string;
    }
  | {
      readonly status: 'window-closed';
      readonly account: string;
      readonly grantId?: string;
      readonly effectiveUntil?: string;
      readonly message: string;
    }
  | { readonly status: 'malformed'; readonly account: string; readonly message: string }
  | {
      readonly status: 'wrong-account';
      readonly account: string;
      readonly payloadAccount: string;
      readonly grantId: string;
      readonly message: string;
    }
  | {
      readonly status: 'unreadable';
      readonly account: string;
      readonly code: typeof AgentErrorCode.Unreadable | typeof AgentErrorCode.Identity;
      readonly message: string;
      readonly suggestion?: string;
    };

export type ElevationStatus = ElevationState['status'];

export interface ElevationRead {
  readonly state: ElevationState;
  /** Present only when `state.status` is `active`. */
  readonly credentials?: ElevatedCredentials;
}

export interface ReadElevationOptions {
  /** The workload account id (12 digits). */
  readonly account: string;
  readonly readSecret: SecretReader;
  /** @default new Date() */
  readonly now?: Date;
  /** Margin on every expiry check. @default 30 */
  readonly clockSkewSeconds?: number;
}

/** The error code a non-active state refuses with. */
export const REFUSAL_CODES = {
  inactive: AgentErrorCode.NoGrant,
  revoked: AgentErrorCode.Revoked,
  expired: AgentErrorCode.Expired,
  'window-closed': AgentErrorCode.WindowClosed,
  malformed: AgentErrorCode.Malformed,
  'wrong-account': AgentErrorCode.WrongAccount,
} as const satisfies Record<Exclude<ElevationStatus, 'active' | 'unreadable'>, AgentErrorCode>;

export function assertAccountId(account: string): void {
  if (!isAccountId(account)) {
    throw new AgentError(
      AgentErrorCode.Usage,
      `account "${account}" is not an account id: expected exactly 12 digits`,
      { suggestion: 'pass the workload account id, or a name from accounts/ with --config' },
    );
  }
}

export function validateClockSkew(seconds: number): number {
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 300) {
    throw new AgentError(
      AgentErrorCode.Usage,
      `clock skew ${String(seconds)} is not allowed: expected whole seconds from 0 to 300`,
    );
  }
  return seconds;
}

/**
 * Reads `agent/elevated/<account>` and classifies it. Never throws for what the secret holds or
 * for AWS failures: those are states (and refusals) of their own.
 */
export async function readElevation(options: ReadElevationOptions): Promise<ElevationRead> {
  const { account } = options;
  assertAccountId(account);
  const clockSkewSeconds = validateClockSkew(options.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS);
  const now = options.now ?? new Date();
  let text: string;
  try {
    text = await options.readSecret(secretName(account));
  } catch (error) {
    // A missing region or a bad flag is the caller's mistake, not a state of the secret.
    if (
      error instanceof AgentError &&
      error.code !== AgentErrorCode.Unreadable &&
      error.code !== AgentErrorCode.Identity
    ) {
      throw error;
    }
    const code =
      error instanceof AgentError && error.code === AgentErrorCode.Identity
        ? AgentErrorCode.Identity
        : AgentErrorCode.Unreadable;
    return {
      state: {
        status: 'unreadable',
        account,
        code,
        message: error instanceof Error ? error.message : String(error),
        ...(error instanceof AgentError && error.suggestion ? { suggestion: error.suggestion } : {}),
      },
    };
  }
  return classifySecret(text, { account, now, clockSkewSeconds });
}

/** Classifies a secret value already read. Exposed for callers that read the secret themselves. */
export function classifySecret(
  text: string,
  options: { account: string; now?: Date; clockSkewSeconds?: number },
): ElevationRead {
  const { account } = options;
  const now = options.now ?? new Date();
  const clockSkewSeconds = options.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS;
  let parsed: ReturnType<typeof parseSecretPayload>;
  try {
    parsed = parseSecretPayload(text, { now, clockSkewSeconds });
  } catch (error) {
    if (!(error instanceof PayloadError)) throw error;
    return { state: refusedPayload(text, error, account) };
  }
  if (parsed.kind === 'placeholder') {
    const p = parsed.placeholder;
    const extra = { ...(p.grantId ? { grantId: p.grantId } : {}), ...(p.reason ? { note: p.reason } : {}) };
    return {
      state: p.revokedAt
        ? { status: 'revoked', account, revokedAt: p.revokedAt, ...extra }
        : { status: 'inactive', account, ...extra },
    };
  }
  const payload = parsed.payload;
  const roleAccount = payload.RoleArn.split(':')[4];
  if (payload.AccountId !== account || roleAccount !== account) {
    return {
      state: {
        status: 'wrong-account',
        account,
        payloadAccount: payload.AccountId,
        grantId: payload.GrantId,
        message: `the secret for account ${account} holds a grant for account ${payload.AccountId} (role ${payload.RoleArn})`,
      },
    };
  }
  return {
    state: activeView(payload, account, parsed.usableUntil, now),
    credentials: guardCredentials({
      accessKeyId: payload.AccessKeyId,
      secretAccessKey: payload.SecretAccessKey,
      sessionToken: payload.SessionToken,
      expiration: parsed.usableUntil,
    }),
  };
}

function activeView(payload: ElevatedPayload, account: string, usableUntil: Date, now: Date): ActiveElevation {
  return {
    status: 'active',
    account,
    grantId: payload.GrantId,
    tier: payload.Tier,
    roleName: payload.RoleName,
    roleArn: payload.RoleArn,
    reason: payload.GrantedFor,
    approver: payload.Approver,
    region: payload.Region,
    sessionName: payload.SessionName,
    grantedAt: payload.GrantedAt,
    expiration: payload.Expiration,
    effectiveUntil: payload.EffectiveUntil,
    usableUntil: usableUntil.toISOString(),
    secondsLeft: Math.max(0, Math.floor((usableUntil.getTime() - now.getTime()) / 1000)),
  };
}

function refusedPayload(text: string, error: PayloadError, account: string): ElevationState {
  if (error.code === CoreErrorCode.PayloadExpired || error.code === CoreErrorCode.PayloadWindowClosed) {
    // The payload is well-formed but stale: re-read it without the clock to name the grant.
    let payload: ElevatedPayload | undefined;
    try {
      const stale = parseSecretPayload(text, { now: new Date(0), clockSkewSeconds: 0 });
      if (stale.kind === 'active') payload = stale.payload;
    } catch {
      // Only the message is reported then.
    }
    if (error.code === CoreErrorCode.PayloadExpired) {
      return {
        status: 'expired',
        account,
        ...(payload ? { grantId: payload.GrantId, expiration: payload.Expiration } : {}),
        message: error.message,
      };
    }
    return {
      status: 'window-closed',
      account,
      ...(payload ? { grantId: payload.GrantId, effectiveUntil: payload.EffectiveUntil } : {}),
      message: error.message,
    };
  }
  return { status: 'malformed', account, message: error.message };
}

/** The active grant and its credentials, or the refusal as an AgentError with its own code. */
export function requireActive(read: ElevationRead): { state: ActiveElevation; credentials: ElevatedCredentials } {
  const { state, credentials } = read;
  if (state.status === 'active' && credentials) return { state, credentials };
  throw refusalError(state);
}

export function refusalError(state: ElevationState): AgentError {
  const ask = 'ask an approver for a grant: jit-agent request <account> --tier … --minutes … --reason …';
  switch (state.status) {
    case 'active':
      return new AgentError(AgentErrorCode.Malformed, `grant ${state.grantId} is active but has no credentials`);
    case 'inactive':
      return new AgentError(AgentErrorCode.NoGrant, `no active grant for account ${state.account}`, {
        suggestion: ask,
      });
    case 'revoked':
      return new AgentError(
        AgentErrorCode.Revoked,
        `the grant${state.grantId ? ` ${state.grantId}` : ''} for account ${state.account} was revoked at ${state.revokedAt}`,
        { suggestion: ask },
      );
    case 'expired':
      return new AgentError(AgentErrorCode.Expired, `account ${state.account}: ${state.message}`, { suggestion: ask });
    case 'window-closed':
      return new AgentError(AgentErrorCode.WindowClosed, `account ${state.account}: ${state.message}`, {
        suggestion: ask,
      });
    case 'malformed':
      return new AgentError(AgentErrorCode.Malformed, `account ${state.account}: ${state.message}`, {
        suggestion: 'the secret was not written by jit-grant; ask the platform team to check it',
      });
    case 'wrong-account':
      return new AgentError(AgentErrorCode.WrongAccount, state.message, {
        suggestion: 'refusing to use credentials of another account; ask the platform team to check the secret',
      });
    case 'unreadable':
      return new AgentError(state.code, state.message, state.suggestion ? { suggestion: state.suggestion } : {});
  }
}

/** Converts a state's status to the CLI exit code's error code (`undefined` for active). */
export function refusalCode(state: ElevationState): AgentErrorCode | undefined {
  if (state.status === 'active') return undefined;
  if (state.status === 'unreadable') return state.code;
  return REFUSAL_CODES[state.status];
}
