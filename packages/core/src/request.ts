import { z } from 'zod';
import { JitError } from './errors.js';
import { grantIdTime } from './naming.js';

/**
 * An agent's request for elevation (`jit-agent request` writes it, `jit-grant grant --request`
 * approves it). It names exactly what the agent asks for; the approver sees it and approves
 * that, or nothing. Its `id` becomes the grant id, so the request, the grant, the STS session and
 * every CloudTrail record of the session share one key.
 */
export const ELEVATION_REQUEST_KIND = 'jit-elevation-request';
export const ELEVATION_REQUEST_VERSION = 1;
/** A reason becomes a session tag value and a secret tag value: STS allows 256 characters. */
export const REASON_MAX_CHARS = 256;
/** Requests are small; anything larger is refused before parsing. */
export const MAX_REQUEST_BYTES = 16_384;
export const PLAN_MAX_CHARS = 4_096;

export const RequestErrorCode = {
  TooLarge: 'REQUEST_TOO_LARGE',
  NotJson: 'REQUEST_NOT_JSON',
  Invalid: 'REQUEST_INVALID',
  Expired: 'REQUEST_EXPIRED',
  NotYetValid: 'REQUEST_NOT_YET_VALID',
} as const;
export type RequestErrorCode = (typeof RequestErrorCode)[keyof typeof RequestErrorCode];

export class RequestError extends JitError {}

/**
 * C0 and C1 control characters, DEL, and the Unicode line/paragraph separators: anything that
 * could forge a line in a terminal, a log or a CloudTrail viewer. `allowNewlines` permits \n
 * and \t only (for multi-line text such as a plan).
 */
export function isControlCharacter(codePoint: number, allowNewlines = false): boolean {
  if (allowNewlines && (codePoint === 0x0a || codePoint === 0x09)) return false;
  return codePoint <= 0x1f || (codePoint >= 0x7f && codePoint <= 0x9f) || codePoint === 0x2028 || codePoint === 0x2029;
}

export function hasControlCharacter(text: string, allowNewlines = false): boolean {
  for (const ch of text) {
    if (isControlCharacter(ch.codePointAt(0) ?? 0, allowNewlines)) return true;
  }
  return false;
}

/** Why `reason` is unusable as a grant reason, or undefined when it is fine. */
export function reasonProblem(reason: string): string | undefined {
  if (reason.trim().length === 0) return 'is required: say why the elevation is needed';
  if (hasControlCharacter(reason)) return 'must be printable: no newlines, tabs or other control characters';
  if ([...reason].length > REASON_MAX_CHARS) {
    return `is ${[...reason].length} characters; at most ${REASON_MAX_CHARS} are allowed (it becomes a session tag)`;
  }
  return undefined;
}

const isoTime = z.iso.datetime({ offset: true, error: 'must be an ISO-8601 date-time such as 2026-03-25T13:30:00Z' });
const reason = z.string().superRefine((value, ctx) => {
  const problem = reasonProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const elevationRequestSchema = z.strictObject({
  kind: z.literal(ELEVATION_REQUEST_KIND),
  version: z.literal(ELEVATION_REQUEST_VERSION),
  id: z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, { error: 'must be a ULID (26 characters, Crockford base32)' }),
  createdAt: isoTime,
  expiresAt: isoTime,
  /** A workload account id (12 digits) or its name from `accounts/`. */
  account: z.string().regex(/^(\d{12}|[a-z][a-z0-9-]{0,62})$/, {
    error: 'must be a 12-digit account id or an account name',
  }),
  tier: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, { error: 'must be a tier name such as "ops"' }),
  minutes: z.number().int({ error: 'must be a whole number of minutes' }).min(1).max(720),
  reason,
  /** What the agent intends to do, for the approver to read. */
  plan: z
    .string()
    .max(PLAN_MAX_CHARS)
    .refine((v) => !hasControlCharacter(v, true), {
      error: 'must be printable text (newlines and tabs allowed)',
    })
    .optional(),
  agent: z.strictObject({
    arn: z.string().regex(/^arn:aws[\w-]*:(iam|sts)::\d{12}:[\w+=,.@/:-]{1,512}$/, {
      error: "must be the agent's IAM or STS ARN",
    }),
  }),
});

export type ElevationRequest = z.infer<typeof elevationRequestSchema>;

/**
 * Parses an elevation request read from a file or stdin. Untrusted input: anything malformed,
 * oversized, expired or dated in the future is a RequestError naming the field.
 */
/** How far a request id's ULID time may be from its createdAt. */
export const MAX_ID_SKEW_MS = 5 * 60_000;

export function parseElevationRequest(
  text: unknown,
  now: Date,
  options: { clockSkewSeconds?: number } = {},
): ElevationRequest {
  if (typeof text !== 'string') {
    throw new RequestError(
      RequestErrorCode.Invalid,
      `request must be text, got ${text === null ? 'null' : typeof text}`,
    );
  }
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_REQUEST_BYTES) {
    throw new RequestError(
      RequestErrorCode.TooLarge,
      `request is ${bytes} bytes; at most ${MAX_REQUEST_BYTES} are allowed`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new RequestError(RequestErrorCode.NotJson, `request is not JSON (${bytes} bytes)`, {
      suggestion: 'pass the file that `jit-agent request` wrote, unchanged',
    });
  }
  const parsed = elevationRequestSchema.safeParse(data);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${describe(issue)}`);
    throw new RequestError(RequestErrorCode.Invalid, `request is not valid: ${fields.join('; ')}`);
  }
  const request = parsed.data;
  const skewMs = (options.clockSkewSeconds ?? 30) * 1000;
  const created = Date.parse(request.createdAt);
  const expires = Date.parse(request.expiresAt);
  if (expires <= created) {
    throw new RequestError(
      RequestErrorCode.Invalid,
      `request is not valid: expiresAt (${request.expiresAt}) must be after createdAt (${request.createdAt})`,
    );
  }
  // The id becomes the grant id, which dates the grant (and the ULID's own clock is the agent's):
  // an id whose time disagrees with createdAt is forged or broken.
  const idTime = grantIdTime(request.id).getTime();
  if (Math.abs(idTime - created) > MAX_ID_SKEW_MS) {
    throw new RequestError(
      RequestErrorCode.Invalid,
      `request is not valid: id ${request.id} was made at ${new Date(idTime).toISOString()}, but createdAt is ${request.createdAt}; they must agree within ${MAX_ID_SKEW_MS / 60_000} minutes`,
    );
  }
  if (created - skewMs > now.getTime()) {
    throw new RequestError(
      RequestErrorCode.NotYetValid,
      `request ${request.id} is dated in the future (createdAt ${request.createdAt}, now ${now.toISOString()})`,
      { suggestion: "check the clocks of the agent's host and of this machine" },
    );
  }
  if (expires <= now.getTime()) {
    throw new RequestError(
      RequestErrorCode.Expired,
      `request ${request.id} expired at ${request.expiresAt}; it cannot be approved any more`,
      { suggestion: 'ask the agent for a new request' },
    );
  }
  return request;
}

/** Validates a request and returns its JSON text (what `jit-agent request` writes). */
export function serializeElevationRequest(request: ElevationRequest): string {
  const result = elevationRequestSchema.safeParse(request);
  if (!result.success) {
    const fields = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${describe(issue)}`);
    throw new RequestError(RequestErrorCode.Invalid, `request is not valid: ${fields.join('; ')}`);
  }
  return `${JSON.stringify(result.data, null, 2)}\n`;
}

function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field(s) ${issue.keys.join(', ')}`;
  if (issue.code === 'invalid_type') return `expected ${issue.expected}`;
  if (issue.code === 'invalid_value') return `must be ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}`;
  return issue.message.replace(/^Invalid input: /, '');
}
