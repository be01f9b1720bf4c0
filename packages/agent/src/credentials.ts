import { inspect } from 'node:util';

/** What the AWS SDK v3 calls an `AwsCredentialIdentity`; declared here to keep @smithy/types out of the API. */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

/** An AWS SDK v3 credential provider (`AwsCredentialIdentityProvider`). */
export type CredentialProvider = (options?: { forceRefresh?: boolean }) => Promise<AwsCredentials>;

/** Elevated credentials read from a grant's secret. Kept in memory only; never serialised. */
export interface ElevatedCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  /** The earlier of STS's `Expiration` and the grant's `EffectiveUntil`. */
  readonly expiration: Date;
}

const REDACTED = '[redacted]';

/**
 * Wraps credentials so that an accidental `JSON.stringify`, `console.log` or template string shows
 * `[redacted]` instead of the secret: a second line of defence behind "never print them".
 */
export function guardCredentials(credentials: ElevatedCredentials): ElevatedCredentials {
  const safe = { accessKeyId: credentials.accessKeyId, expiration: credentials.expiration.toISOString() };
  const view = { ...safe, secretAccessKey: REDACTED, sessionToken: REDACTED };
  const guarded = { ...credentials };
  Object.defineProperties(guarded, {
    toJSON: { value: () => view, enumerable: false },
    toString: { value: () => `[ElevatedCredentials ${credentials.accessKeyId}]`, enumerable: false },
    [inspect.custom]: { value: () => view, enumerable: false },
  });
  return guarded;
}

/**
 * The values that must never appear in output: the secret key and the session token (and the key
 * id), plus the common encodings of the two secrets (hex, base64 and base64url of their first whole
 * 3-byte groups, reversed) that a command might print them in. A guard against accidents, not a
 * seal: a command that holds the credentials can always encode them some other way.
 */
export function secretValues(credentials: AwsCredentials): string[] {
  const secrets = [credentials.secretAccessKey, credentials.sessionToken].filter(
    (v): v is string => typeof v === 'string' && v.length >= 8,
  );
  const encoded = secrets.flatMap((value) => {
    const aligned = Buffer.from(value.slice(0, value.length - (value.length % 3)));
    return [
      Buffer.from(value).toString('hex'),
      aligned.toString('base64'),
      aligned.toString('base64url'),
      [...value].reverse().join(''),
    ];
  });
  const keyId =
    typeof credentials.accessKeyId === 'string' && credentials.accessKeyId.length >= 8 ? [credentials.accessKeyId] : [];
  // Longest first, so that a longer encoding is replaced before a value it contains.
  return [...new Set([...secrets, ...keyId, ...encoded])].sort((a, b) => b.length - a.length);
}

/** Replaces every occurrence of the credentials' values in `text`. */
export function redact(text: string, values: readonly string[]): string {
  let out = text;
  for (const value of values) {
    if (value.length === 0) continue;
    out = out.split(value).join(REDACTED);
  }
  return out;
}
