import { randomBytes } from 'node:crypto';
import { type ElevatedPayload, placeholderSecretString, serializeElevatedPayload } from '@jit-access/core';
import type { SecretReader } from '../../src/secretReader.js';

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
  return {
    SchemaVersion: 1,
    ...fakeCredentials(),
    Expiration: new Date(at.getTime() + Math.max(15, minutes) * 60_000).toISOString(),
    GrantedFor: 'restart the api service',
    GrantedAt: at.toISOString(),
    RoleName: 'AgentElevated-Ops',
    GrantId: GRANT_ID,
    AccountId: account,
    RoleArn: `arn:aws:iam::${account}:role/AgentElevated-Ops`,
    Tier: 'ops',
    SessionName: `jit-${GRANT_ID}`,
    SourceIdentity: `jit-${GRANT_ID}`,
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

/** A reader over an in-memory hub: secret name → current value. Counts reads. */
export function memoryHub(initial: Record<string, string> = {}): {
  secrets: Map<string, string>;
  reads: string[];
  readSecret: SecretReader;
} {
  const secrets = new Map(Object.entries(initial));
  const reads: string[] = [];
  return {
    secrets,
    reads,
    readSecret: async (id) => {
      reads.push(id);
      const value = secrets.get(id);
      if (value === undefined) throw new Error(`ResourceNotFoundException: ${id}`);
      return value;
    },
  };
}

/** Asserts that none of the credential values appear in any of the texts. */
export function leaks(
  texts: readonly string[],
  p: Pick<ElevatedPayload, 'SecretAccessKey' | 'SessionToken'>,
): string[] {
  return texts.filter((t) => t.includes(p.SecretAccessKey) || t.includes(p.SessionToken));
}
