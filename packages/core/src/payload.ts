import { z } from 'zod';
import { CoreErrorCode, PayloadError } from './errors.js';

/** Secrets Manager's limit on a secret value. */
export const MAX_SECRET_BYTES = 65_536;
export const PAYLOAD_SCHEMA_VERSION = 1;
/** Default margin on every expiry check, for clocks that disagree. */
export const DEFAULT_CLOCK_SKEW_SECONDS = 30;

const isoTime = z.iso.datetime({ offset: true, error: 'must be an ISO-8601 date-time such as 2026-03-25T13:30:00Z' });

/**
 * The secret value while a grant is active (v1). The first seven fields are the article's, so
 * its agent script (jq + `date -d`) keeps working; the rest let the agent and auditors tie the
 * credentials to a grant without asking anyone.
 */
export const elevatedPayloadSchema = z.strictObject({
  SchemaVersion: z.literal(PAYLOAD_SCHEMA_VERSION),
  AccessKeyId: z.string().regex(/^[A-Z0-9]{16,128}$/, { error: 'must be an AWS access key id' }),
  SecretAccessKey: z.string().min(16).max(128),
  SessionToken: z.string().min(16).max(8192),
  Expiration: isoTime,
  GrantedFor: z.string().min(1).max(256),
  GrantedAt: isoTime,
  RoleName: z.string().min(1).max(64),
  GrantId: z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, { error: 'must be a ULID' }),
  AccountId: z.string().regex(/^\d{12}$/, { error: 'must be a 12-digit account id' }),
  RoleArn: z.string().regex(/^arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, { error: 'must be an IAM role ARN' }),
  Tier: z.string().min(1).max(32),
  SessionName: z.string().regex(/^jit-[\w+=,.@-]{1,60}$/, { error: 'must be a jit- session name' }),
  SourceIdentity: z.string().min(2).max(64),
  Approver: z.string().min(1).max(2048),
  EffectiveUntil: isoTime,
  Region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, { error: 'must be an AWS region' }),
});

export const placeholderPayloadSchema = z.strictObject({
  status: z.literal('inactive'),
  revokedAt: isoTime.optional(),
  reason: z.string().max(256).optional(),
  grantId: z.string().max(64).optional(),
});

export type ElevatedPayload = z.infer<typeof elevatedPayloadSchema>;
export type PlaceholderPayload = z.infer<typeof placeholderPayloadSchema>;

export type SecretState =
  | { readonly kind: 'active'; readonly payload: ElevatedPayload; readonly usableUntil: Date }
  | { readonly kind: 'placeholder'; readonly placeholder: PlaceholderPayload };

export function placeholderSecretString(details: { revokedAt?: Date; reason?: string; grantId?: string } = {}): string {
  const value: PlaceholderPayload = {
    status: 'inactive',
    ...(details.revokedAt ? { revokedAt: details.revokedAt.toISOString() } : {}),
    ...(details.reason ? { reason: details.reason } : {}),
    ...(details.grantId ? { grantId: details.grantId } : {}),
  };
  return JSON.stringify(value);
}

export function serializeElevatedPayload(payload: ElevatedPayload): string {
  const text = JSON.stringify(elevatedPayloadSchema.parse(payload));
  if (Buffer.byteLength(text) > MAX_SECRET_BYTES) {
    throw new PayloadError(
      CoreErrorCode.PayloadTooLarge,
      `payload is ${Buffer.byteLength(text)} bytes; Secrets Manager allows ${MAX_SECRET_BYTES}`,
    );
  }
  return text;
}

/** The earlier of STS's expiry and the grant's window: when the credentials stop being usable. */
export function usableUntil(payload: Pick<ElevatedPayload, 'Expiration' | 'EffectiveUntil'>): Date {
  return new Date(Math.min(Date.parse(payload.Expiration), Date.parse(payload.EffectiveUntil)));
}

/**
 * Parses a secret value read from Secrets Manager. Untrusted input: anything malformed, oversized,
 * expired or past its window is a PayloadError (and only ever a PayloadError).
 */
export function parseSecretPayload(
  text: unknown,
  options: { now?: Date; clockSkewSeconds?: number } = {},
): SecretState {
  if (typeof text !== 'string') {
    throw new PayloadError(
      CoreErrorCode.PayloadInvalid,
      `secret value must be a string, got ${text === null ? 'null' : typeof text}`,
    );
  }
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_SECRET_BYTES) {
    throw new PayloadError(
      CoreErrorCode.PayloadTooLarge,
      `secret value is ${bytes} bytes; at most ${MAX_SECRET_BYTES} are allowed`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    // The text may hold credentials: never echo it.
    throw new PayloadError(CoreErrorCode.PayloadNotJson, `secret value is not JSON (${bytes} bytes)`);
  }
  if (data !== null && typeof data === 'object' && !Array.isArray(data) && 'status' in data) {
    const placeholder = placeholderPayloadSchema.safeParse(data);
    if (!placeholder.success) throw invalid(placeholder.error);
    return { kind: 'placeholder', placeholder: placeholder.data };
  }
  const parsed = elevatedPayloadSchema.safeParse(data);
  if (!parsed.success) throw invalid(parsed.error);
  const payload = parsed.data;
  const now = options.now ?? new Date();
  const skewMs = (options.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS) * 1000;
  if (Date.parse(payload.Expiration) - skewMs <= now.getTime()) {
    throw new PayloadError(
      CoreErrorCode.PayloadExpired,
      `credentials of grant ${payload.GrantId} expired at ${payload.Expiration}`,
      {
        suggestion: 'ask an approver for a new grant',
      },
    );
  }
  if (Date.parse(payload.EffectiveUntil) - skewMs <= now.getTime()) {
    throw new PayloadError(
      CoreErrorCode.PayloadWindowClosed,
      `the window of grant ${payload.GrantId} closed at ${payload.EffectiveUntil}`,
      {
        suggestion: 'ask an approver for a new grant',
      },
    );
  }
  return { kind: 'active', payload, usableUntil: usableUntil(payload) };
}

// Only field names and rule messages: never the values, which may be credentials.
function invalid(error: z.ZodError): PayloadError {
  const fields = error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${describe(i)}`);
  return new PayloadError(CoreErrorCode.PayloadInvalid, `secret value is not a valid payload: ${fields.join('; ')}`);
}

function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field(s) ${issue.keys.join(', ')}`;
  if (issue.code === 'invalid_type') return `expected ${issue.expected}`;
  return issue.message.replace(/^Invalid input: /, '');
}
