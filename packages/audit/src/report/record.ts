import { z } from 'zod';
import type { Finding } from './types.js';

// CloudTrail adds fields over time (eventVersion 1.05 → 1.11 added tlsDetails, sessionCredentialFromConsole,
// edgeDeviceDetails, ...): every object is loose so that a new field never turns a real record into a finding.
// Only the fields the report reads are typed.

const isoTime = z.string().refine((value) => !Number.isNaN(Date.parse(value)), {
  message: 'expected an ISO 8601 time such as 2026-03-25T12:00:00Z',
});

const readOnlyFlag = z
  .union([z.boolean(), z.enum(['true', 'false'])])
  .transform((value) => value === true || value === 'true');

const sessionIssuerSchema = z.looseObject({
  type: z.string().optional(),
  principalId: z.string().optional(),
  arn: z.string().optional(),
  accountId: z.string().optional(),
  userName: z.string().optional(),
});

const sessionContextSchema = z.looseObject({
  sessionIssuer: sessionIssuerSchema.nullish(),
  attributes: z
    .looseObject({
      creationDate: z.string().optional(),
      mfaAuthenticated: z.union([z.string(), z.boolean()]).optional(),
    })
    .nullish(),
  sourceIdentity: z.string().nullish(),
});

const userIdentitySchema = z.looseObject({
  type: z.string().optional(),
  principalId: z.string().optional(),
  arn: z.string().optional(),
  accountId: z.string().optional(),
  accessKeyId: z.string().optional(),
  userName: z.string().optional(),
  sessionContext: sessionContextSchema.nullish(),
  invokedBy: z.string().optional(),
});

const resourceSchema = z.looseObject({
  ARN: z.string().optional(),
  accountId: z.string().optional(),
  type: z.string().optional(),
});

const objectOrNull = z.record(z.string(), z.unknown()).nullish();

export const cloudTrailRecordSchema = z.looseObject({
  eventVersion: z.string().optional(),
  userIdentity: userIdentitySchema,
  eventTime: isoTime,
  eventSource: z.string().min(1),
  eventName: z.string().min(1),
  awsRegion: z.string().optional(),
  sourceIPAddress: z.string().optional(),
  userAgent: z.string().optional(),
  errorCode: z.string().nullish(),
  errorMessage: z.string().nullish(),
  requestParameters: objectOrNull,
  responseElements: objectOrNull,
  requestID: z.string().nullish(),
  eventID: z.string().optional(),
  readOnly: readOnlyFlag.nullish(),
  resources: z.array(resourceSchema).nullish(),
  eventType: z.string().optional(),
  managementEvent: z.boolean().optional(),
  recipientAccountId: z.string().optional(),
  sharedEventID: z.string().optional(),
});

export type CloudTrailRecord = z.infer<typeof cloudTrailRecordSchema>;
export type CloudTrailUserIdentity = CloudTrailRecord['userIdentity'];

export type ParseRecordResult = { ok: true; record: CloudTrailRecord } | { ok: false; finding: Finding };

/** Where a record came from, for findings: a file path, an S3 URI, `lookup:<attribute>`. */
export interface RecordOrigin {
  readonly source: string;
  /** Position of the record inside its file (0-based) or page. */
  readonly index?: number;
}

// Keys whose values are credentials or secrets. CloudTrail itself writes `sessionToken` into AssumeRole's
// responseElements (the Invictus IR corpus carries real, expired ones); nothing downstream may ever see them.
const SECRET_KEY =
  /^(secretaccesskey|sessiontoken|secretkey|x-amz-security-token|secretstring|secretbinary|privatekey)$/i;
const MAX_DEPTH = 64;

/**
 * A copy of `value` without secret-bearing keys, sharing every untouched subtree with the input so that the
 * common case (nothing to strip) allocates nothing. Subtrees deeper than MAX_DEPTH are dropped: no real record
 * nests that deep, and unbounded recursion on hostile input would overflow the stack.
 */
export function stripSecrets(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[nested too deep]';
  if (Array.isArray(value)) {
    let changed: unknown[] | undefined;
    for (let i = 0; i < value.length; i += 1) {
      const item: unknown = value[i];
      const next = stripSecrets(item, depth + 1);
      if (next !== item && changed === undefined) changed = value.slice(0, i);
      if (changed !== undefined) changed.push(next);
    }
    return changed ?? value;
  }
  const input = value as Record<string, unknown>;
  let changed: Record<string, unknown> | undefined;
  const keys = Object.keys(input);
  for (let i = 0; i < keys.length; i += 1) {
    const key = keys[i] as string;
    const item = input[key];
    const drop = SECRET_KEY.test(key);
    const next = drop ? undefined : stripSecrets(item, depth + 1);
    if ((drop || next !== item) && changed === undefined) {
      changed = {};
      for (const earlier of keys.slice(0, i)) changed[earlier] = input[earlier];
    }
    if (changed !== undefined && !drop) changed[key] = next;
  }
  return changed ?? input;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.length === 0 ? '(record)' : issue.path.map(String).join('.');
  return `${path}: ${issue.message}`;
}

/**
 * Validates one CloudTrail record from untrusted input. Returns the typed record (secrets stripped) or a
 * finding that names the fields that were missing or of the wrong type. Never throws.
 */
export function parseRecord(input: unknown, origin: RecordOrigin = { source: 'input' }): ParseRecordResult {
  try {
    const result = cloudTrailRecordSchema.safeParse(stripSecrets(input));
    if (result.success) return { ok: true, record: result.data };
    const reasons = result.error.issues.slice(0, 5).map(describeIssue);
    const more = result.error.issues.length > 5 ? ` (+${result.error.issues.length - 5} more)` : '';
    return {
      ok: false,
      finding: {
        kind: 'invalid-record',
        source: origin.source,
        ...(origin.index === undefined ? {} : { index: origin.index }),
        reason: `not a CloudTrail record: ${reasons.join('; ')}${more}`,
      },
    };
  } catch (error) {
    // Exotic input (getters that throw, proxies) must not crash a run over thousands of files.
    return {
      ok: false,
      finding: {
        kind: 'invalid-record',
        source: origin.source,
        ...(origin.index === undefined ? {} : { index: origin.index }),
        reason: `not a CloudTrail record: ${error instanceof Error ? error.message : String(error)}`,
      },
    };
  }
}
