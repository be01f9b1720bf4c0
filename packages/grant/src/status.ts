import { findAccount, type JitConfig, secretName } from '@jit-access/core';
import type { AwsClients } from './aws/clients.js';
import { describeSecret, grantIdOfStages, META, type SecretInfo } from './aws/secretStore.js';
import { GrantError, GrantErrorCode } from './errors.js';

/** A grant as its secret's tags describe it: metadata only, never the credentials. */
export interface GrantMetadata {
  readonly state: 'active' | 'revoked';
  readonly grantId: string | undefined;
  readonly tier: string | undefined;
  readonly approver: string | undefined;
  readonly reason: string | undefined;
  readonly grantedAt: string | undefined;
  /** When the window closes (EffectiveUntil). */
  readonly until: string | undefined;
  /** When STS's credentials expire. */
  readonly expiration: string | undefined;
  readonly correlation: 'source-identity' | 'session-name' | undefined;
  readonly revokedAt: string | undefined;
}

export function grantMetadataFromTags(tags: Readonly<Record<string, string>>): GrantMetadata | undefined {
  const state = tags[META.state];
  if (state !== 'active' && state !== 'revoked') return undefined;
  const correlation = tags[META.correlation];
  // An empty value means "not set": tags are merged, so a new grant blanks what revoke wrote.
  const get = (key: string): string | undefined => {
    const value = tags[key];
    return value === undefined || value === '' ? undefined : value;
  };
  return {
    state,
    grantId: get(META.grant),
    tier: get(META.tier),
    approver: get(META.approver),
    reason: get(META.reason),
    grantedAt: get(META.grantedAt),
    until: get(META.until),
    expiration: get(META.expiration),
    correlation: correlation === 'source-identity' || correlation === 'session-name' ? correlation : undefined,
    revokedAt: get(META.revokedAt),
  };
}

/** True while the metadata says a grant is active and its window has not closed. */
export function isActive(meta: GrantMetadata | undefined, now: Date): meta is GrantMetadata {
  if (meta?.state !== 'active' || meta.until === undefined) return false;
  const until = Date.parse(meta.until);
  return Number.isFinite(until) && until > now.getTime();
}

/**
 * The grant whose payload the secret's current value holds, told from its metadata alone (the
 * approver never reads the value). A payload written by jit-grant carries the label
 * `jit-grant-<grantId>`, written with the value itself. The tags are written just after it: tags
 * describing another grant lag behind (or failed), and the grant is then returned as active with
 * an unknown window, so that a check refuses or replaces it rather than overwrite it unseen. A
 * value without the label (a placeholder, or a grant by an older jit-grant) is known by its tags
 * only. undefined: the placeholder, or no grant.
 */
export function heldGrant(info: Pick<SecretInfo, 'currentStages' | 'tags'>): GrantMetadata | undefined {
  const meta = grantMetadataFromTags(info.tags);
  const labelled = grantIdOfStages(info.currentStages);
  if (labelled === undefined) return meta?.state === 'active' ? meta : undefined;
  if (meta?.grantId === labelled) return meta;
  return {
    state: 'active',
    grantId: labelled,
    tier: undefined,
    approver: undefined,
    reason: undefined,
    grantedAt: undefined,
    until: undefined,
    expiration: undefined,
    correlation: undefined,
    revokedAt: undefined,
  };
}

/**
 * The grant in force in the secret now: held, active by its metadata, and within its window (or
 * with a window not recorded yet: see heldGrant). undefined when a new grant may go in.
 */
export function activeGrant(info: Pick<SecretInfo, 'currentStages' | 'tags'>, now: Date): GrantMetadata | undefined {
  const held = heldGrant(info);
  if (held === undefined) return undefined;
  if (held.state === 'active' && held.until === undefined && held.grantId !== undefined) return held;
  return isActive(held, now) ? held : undefined;
}

export type AccountState = 'active' | 'expired' | 'revoked' | 'none';

export interface AccountStatus {
  readonly account: { readonly id: string; readonly name: string };
  readonly secretName: string;
  readonly state: AccountState;
  readonly grant: GrantMetadata | undefined;
  /** Whole minutes left in the window (rounded down); 0 unless active. */
  readonly minutesLeft: number;
  /** An old version still carries AWSPREVIOUS: its value (old credentials) is readable. */
  readonly previousVersionReadable: boolean;
  /** Set when the secret could not be described (missing, access denied). */
  readonly error?: string;
}

/**
 * Per account: is a grant active, for which tier, by whom, why, and for how long. Reads only the
 * secrets' metadata (DescribeSecret); never GetSecretValue.
 */
export async function grantStatus(
  deps: { config: JitConfig; clients: AwsClients; now?: () => Date },
  account?: string,
): Promise<AccountStatus[]> {
  const { config, clients } = deps;
  const accounts =
    account === undefined
      ? config.workloadAccounts
      : [
          findAccount(config, account) ??
            (() => {
              throw new GrantError(
                GrantErrorCode.InvalidInput,
                `account: unknown account "${account}"; known accounts: ${config.workloadAccounts.map((a) => `${a.name} (${a.id})`).join(', ')}`,
                { field: 'account' },
              );
            })(),
        ];
  const now = (deps.now ?? (() => new Date()))();
  return Promise.all(
    accounts.map(async (a): Promise<AccountStatus> => {
      const name = secretName(a.id);
      const base = { account: { id: a.id, name: a.name }, secretName: name };
      try {
        const info = await describeSecret(clients, name);
        const grant = grantMetadataFromTags(info.tags);
        const active = isActive(grant, now);
        const state: AccountState =
          grant === undefined ? 'none' : grant.state === 'revoked' ? 'revoked' : active ? 'active' : 'expired';
        const minutesLeft =
          active && grant.until ? Math.max(0, Math.floor((Date.parse(grant.until) - now.getTime()) / 60_000)) : 0;
        return { ...base, state, grant, minutesLeft, previousVersionReadable: info.previousVersionId !== undefined };
      } catch (error) {
        // Without credentials no account can be read: that is the command's error, not a row's.
        if (!(error instanceof GrantError) || error.code === GrantErrorCode.ApproverCredentials) throw error;
        return {
          ...base,
          state: 'none',
          grant: undefined,
          minutesLeft: 0,
          previousVersionReadable: false,
          error: error.message,
        };
      }
    }),
  );
}
