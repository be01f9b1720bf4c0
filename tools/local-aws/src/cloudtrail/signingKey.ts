import { createPublicKey } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDigestKeyPair, publicKeyFingerprint } from '@jit-access/audit';
import { LocalAwsError, LocalAwsErrorCode } from '../errors.js';

export const SIGNING_KEY_FILE = 'cloudtrail-digest-key.json';

/** The local trail's digest signing key, as `ListPublicKeys` and the digest writer need it. */
export interface LocalSigningKey {
  privateKeyPem: string;
  /** DER PKCS#1 RSAPublicKey. */
  publicKeyDer: Buffer;
  fingerprint: string;
  validityStart: Date;
  validityEnd: Date;
}

// Real CloudTrail rotates its keys; the local key is valid for ten years so that a long-lived state
// directory keeps validating. ListPublicKeys reports exactly this window.
const VALIDITY_MS = 10 * 365 * 24 * 3600 * 1000;

/**
 * Loads the RSA-2048 key from `<stateDir>/cloudtrail-digest-key.json`, creating it (mode 0600) on
 * first use, so that digests written before a restart still validate after it.
 */
export function loadOrCreateSigningKey(stateDir: string, now: Date): LocalSigningKey {
  const file = join(stateDir, SIGNING_KEY_FILE);
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw stateError(file, error);
  }
  if (text !== undefined) return fromStored(file, text);

  const pair = createDigestKeyPair();
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify({ createdAt: now.toISOString(), privateKeyPem: pair.privateKeyPem })}\n`, {
    mode: 0o600,
  });
  renameSync(temp, file);
  return {
    privateKeyPem: pair.privateKeyPem,
    publicKeyDer: pair.publicKeyDer,
    fingerprint: pair.fingerprint,
    validityStart: now,
    validityEnd: new Date(now.getTime() + VALIDITY_MS),
  };
}

function fromStored(file: string, text: string): LocalSigningKey {
  try {
    const stored = JSON.parse(text) as { createdAt?: unknown; privateKeyPem?: unknown };
    if (typeof stored.createdAt !== 'string' || typeof stored.privateKeyPem !== 'string') {
      throw new Error('expected {"createdAt": "<ISO time>", "privateKeyPem": "<PEM>"}');
    }
    const createdAt = new Date(stored.createdAt);
    if (Number.isNaN(createdAt.getTime()))
      throw new Error(`createdAt ${JSON.stringify(stored.createdAt)} is not a time`);
    const publicKeyDer = createPublicKey(stored.privateKeyPem).export({ type: 'pkcs1', format: 'der' });
    return {
      privateKeyPem: stored.privateKeyPem,
      publicKeyDer,
      fingerprint: publicKeyFingerprint(publicKeyDer),
      validityStart: createdAt,
      validityEnd: new Date(createdAt.getTime() + VALIDITY_MS),
    };
  } catch (error) {
    throw stateError(file, error);
  }
}

function stateError(file: string, cause: unknown): LocalAwsError {
  return new LocalAwsError(
    LocalAwsErrorCode.StateInvalid,
    `the CloudTrail signing key file ${file} cannot be read: ${cause instanceof Error ? cause.message : String(cause)}`,
    {
      suggestion: `delete ${file} to create a new key (digests signed with the old key will no longer validate)`,
      cause,
    },
  );
}
