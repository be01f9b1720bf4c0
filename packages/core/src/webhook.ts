import { createHmac, timingSafeEqual } from 'node:crypto';
import { JitError } from './errors.js';

/**
 * Signed webhooks between jit-grant (sender) and an agent's listener (receiver). The signature is
 * HMAC-SHA256 with a shared secret over `<timestamp>.<raw body>`, the timestamp in Unix seconds.
 * Binding the timestamp into the MAC lets the receiver refuse replays older than its tolerance.
 */
export const WEBHOOK_SIGNATURE_HEADER = 'x-jit-signature';
export const WEBHOOK_TIMESTAMP_HEADER = 'x-jit-timestamp';
export const WEBHOOK_SIGNATURE_PREFIX = 'sha256=';
export const DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 300;

export const WebhookErrorCode = {
  SecretMissing: 'WEBHOOK_SECRET_MISSING',
  SignatureMissing: 'WEBHOOK_SIGNATURE_MISSING',
  SignatureInvalid: 'WEBHOOK_SIGNATURE_INVALID',
  TimestampInvalid: 'WEBHOOK_TIMESTAMP_INVALID',
  TimestampOutOfTolerance: 'WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE',
} as const;
export type WebhookErrorCode = (typeof WebhookErrorCode)[keyof typeof WebhookErrorCode];

export class WebhookError extends JitError {}

export interface WebhookSignature {
  /** Unix seconds, as sent in X-Jit-Timestamp. */
  readonly timestamp: string;
  /** `sha256=<hex>`, as sent in X-Jit-Signature. */
  readonly signature: string;
  /** Both headers, ready to send. */
  readonly headers: Readonly<Record<string, string>>;
}

type Bytes = string | Uint8Array;

function mac(secret: Bytes, timestamp: string, body: Bytes): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest();
}

function requireSecret(secret: Bytes): void {
  if (secret.length === 0) {
    throw new WebhookError(WebhookErrorCode.SecretMissing, 'the webhook secret is empty', {
      suggestion: 'configure a shared secret of at least 32 random bytes',
    });
  }
}

/** Signs `body` (the exact bytes that will be sent) at `at`. */
export function signWebhook(body: Bytes, secret: Bytes, at: Date = new Date()): WebhookSignature {
  requireSecret(secret);
  const timestamp = String(Math.floor(at.getTime() / 1000));
  const signature = `${WEBHOOK_SIGNATURE_PREFIX}${mac(secret, timestamp, body).toString('hex')}`;
  return {
    timestamp,
    signature,
    headers: { [WEBHOOK_SIGNATURE_HEADER]: signature, [WEBHOOK_TIMESTAMP_HEADER]: timestamp },
  };
}

export interface VerifyWebhookInput {
  /** The raw request body, byte for byte (never a re-serialised parse of it). */
  readonly body: Bytes;
  readonly signature: string | undefined;
  readonly timestamp: string | undefined;
  readonly secret: Bytes;
  readonly now?: Date;
  /** How far the timestamp may be from `now`, either way. @default 300 */
  readonly toleranceSeconds?: number;
}

/** Throws a WebhookError unless the signature is valid and the timestamp within tolerance. */
export function verifyWebhook(input: VerifyWebhookInput): void {
  requireSecret(input.secret);
  const { signature, timestamp } = input;
  if (signature === undefined || signature === '' || timestamp === undefined || timestamp === '') {
    throw new WebhookError(
      WebhookErrorCode.SignatureMissing,
      `the request has no ${signature ? WEBHOOK_TIMESTAMP_HEADER : WEBHOOK_SIGNATURE_HEADER} header`,
    );
  }
  if (!/^\d{1,12}$/.test(timestamp)) {
    throw new WebhookError(
      WebhookErrorCode.TimestampInvalid,
      `${WEBHOOK_TIMESTAMP_HEADER} must be Unix seconds (digits only), got ${JSON.stringify(timestamp.slice(0, 40))}`,
    );
  }
  const tolerance = input.toleranceSeconds ?? DEFAULT_WEBHOOK_TOLERANCE_SECONDS;
  const now = Math.floor((input.now ?? new Date()).getTime() / 1000);
  const age = now - Number(timestamp);
  if (Math.abs(age) > tolerance) {
    throw new WebhookError(
      WebhookErrorCode.TimestampOutOfTolerance,
      `${WEBHOOK_TIMESTAMP_HEADER} is ${Math.abs(age)} s ${age >= 0 ? 'old' : 'in the future'}; at most ${tolerance} s is allowed`,
      { suggestion: 'check both clocks; a replayed delivery is refused on purpose' },
    );
  }
  const match = /^sha256=([0-9a-f]{64})$/.exec(signature);
  const expected = mac(input.secret, timestamp, input.body);
  // timingSafeEqual needs equal lengths; a malformed header compares against zeros so the
  // refusal takes the same path (and time) as a wrong one.
  const given = match?.[1] === undefined ? Buffer.alloc(expected.length) : Buffer.from(match[1], 'hex');
  if (!timingSafeEqual(given, expected) || match === null) {
    throw new WebhookError(WebhookErrorCode.SignatureInvalid, `${WEBHOOK_SIGNATURE_HEADER} does not match the body`, {
      suggestion: 'sender and receiver must share the same secret, and the body must be verified unchanged',
    });
  }
}
