import { randomBytes } from 'node:crypto';
import { type ElevatedPayload, placeholderSecretString, serializeElevatedPayload } from '@jit-access/core';
import type { SecretReader } from '../../src/secretReader.js';
import { type CallerIdentity, type CredentialVerifier, createCredentialVerifier } from '../../src/verifyIdentity.js';

export const ACCOUNT = '222222222222';
export const OTHER_ACCOUNT = '111111111111';
export const GRANT_ID = '01JQ7ZJ7Q2W8Y3K4M5N6P7R8S9';
export const T0 = new Date('2026-03-25T13:00:00Z');

/** Fresh, distinctive fake credentials: easy to find if they ever leak into output. */
export function fakeCredentials(): { AccessKeyId: string; SecretAccessKey: string; SessionToken: string } {
  return {
    AccessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
    SecretAccessKey: `secret/${randomBytes(18).toString('base64url')}`,
    SessionToken: `token+${randomBytes(96).toString('base64url')}`,
  };
}

/** An active payload granted at `at` for `minutes` (window) with STS's 15-minute minimum. */
export function payload(
  overrides: Partial<ElevatedPayload> = {},
  options: { at?: Date; minutes?: number; account?: string } = {},
): ElevatedPayload {
  const at = options.at ?? T0;
  const account = options.account ?? ACCOUNT;
  const minutes = options.minutes ?? 15;
  // A grant's session is always named after it (jit-grant's AssumeRole), unless a test says otherwise.
  const grantId = overrides.GrantId ?? GRANT_ID;
  return {
    SchemaVersion: 1,
    ...fakeCredentials(),
    Expiration: new Date(at.getTime() + Math.max(15, minutes) * 60_000).toISOString(),
    GrantedFor: 'restart the api service',
    GrantedAt: at.toISOString(),
    RoleName: 'AgentElevated-Ops',
    GrantId: grantId,
    AccountId: account,
    RoleArn: `arn:aws:iam::${account}:role/AgentElevated-Ops`,
    Tier: 'ops',
    SessionName: `jit-${grantId}`,
    SourceIdentity: `jit-${grantId}`,
    Approver: 'arn:aws:iam::444444444444:user/jit-approver',
    EffectiveUntil: new Date(at.getTime() + minutes * 60_000).toISOString(),
    Region: 'ap-southeast-2',
    ...overrides,
  };
}

export function secretText(p: ElevatedPayload): string {
  return serializeElevatedPayload(p);
}

export const placeholder = (details: Parameters<typeof placeholderSecretString>[0] = {}) =>
  placeholderSecretString(details);

/**
 * A reader over an in-memory hub: secret name → current value. Counts reads. Its
 * `verifyCredentials` is the real verifier over an in-memory STS that knows every payload the hub
 * has handed out as genuine (what AssumeRole would have issued); `sessions` lets a test register
 * credentials as someone else's, and `stsCalls` counts the lookups.
 */
export function memoryHub(initial: Record<string, string> = {}): {
  secrets: Map<string, string>;
  reads: string[];
  sessions: Map<string, CallerIdentity>;
  stsCalls: string[];
  readSecret: SecretReader;
  verifyCredentials: CredentialVerifier;
} {
  const secrets = new Map(Object.entries(initial));
  const reads: string[] = [];
  const sessions = new Map<string, CallerIdentity>();
  const stsCalls: string[] = [];
  const verifyCredentials = createCredentialVerifier(async (credentials) => {
    stsCalls.push(credentials.accessKeyId);
    const known = sessions.get(credentials.accessKeyId);
    if (!known)
      throw Object.assign(new Error('The security token included in the request is invalid.'), {
        name: 'InvalidClientTokenId',
      });
    return known;
  });
  return {
    secrets,
    reads,
    sessions,
    stsCalls,
    readSecret: async (id) => {
      reads.push(id);
      const value = secrets.get(id);
      if (value === undefined) throw new Error(`ResourceNotFoundException: ${id}`);
      const p = activePayload(value);
      if (p && !sessions.has(p.AccessKeyId)) {
        sessions.set(p.AccessKeyId, {
          account: p.AccountId,
          arn: `arn:aws:sts::${p.AccountId}:assumed-role/${p.RoleName}/${p.SessionName}`,
        });
      }
      return value;
    },
    verifyCredentials,
  };
}

function activePayload(text: string): ElevatedPayload | undefined {
  try {
    const value = JSON.parse(text) as Partial<ElevatedPayload>;
    return typeof value.AccessKeyId === 'string' && typeof value.AccountId === 'string'
      ? (value as ElevatedPayload)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Asserts that none of the credential values appear in any of the texts. */
export function leaks(
  texts: readonly string[],
  p: Pick<ElevatedPayload, 'SecretAccessKey' | 'SessionToken'>,
): string[] {
  return texts.filter((t) => t.includes(p.SecretAccessKey) || t.includes(p.SessionToken));
}
