import { IntegrityError, IntegrityErrorCode } from './errors.js';
import { inflateFirstGzipMember } from './gzip.js';
import { formatIsoSeconds } from './keys.js';

/**
 * CloudTrail digest documents: building them (for the local environment's edge and for tests) and
 * decoding them (for the verifier). Field names and order follow the digests CloudTrail delivers
 * ("CloudTrail digest file structure" in the CloudTrail user guide).
 */

export const SIGNATURE_ALGORITHM = 'SHA256withRSA';
export const HASH_ALGORITHM = 'SHA-256';

export interface DigestLogFileInput {
  readonly s3Bucket: string;
  readonly s3Object: string;
  /** Hex SHA-256 of the log file's UNCOMPRESSED bytes. */
  readonly hashValue: string;
  readonly oldestEventTime: Date | string;
  readonly newestEventTime: Date | string;
}

export interface PreviousDigestInput {
  readonly digestS3Bucket: string;
  readonly digestS3Object: string;
  /** Hex signature of the previous digest (its `signature` metadata). */
  readonly signature: string;
  /** Hex SHA-256 of the previous digest's uncompressed bytes. */
  readonly hashValue?: string | undefined;
}

export interface BuildDigestInput {
  readonly awsAccountId: string;
  readonly digestStartTime: Date | string;
  readonly digestEndTime: Date | string;
  readonly digestS3Bucket: string;
  readonly digestS3Object: string;
  /** @default the newest `newestEventTime` of the log files, or null when there are none */
  readonly newestEventTime?: Date | string | undefined;
  /** @default the oldest `oldestEventTime` of the log files, or null when there are none */
  readonly oldestEventTime?: Date | string | undefined;
  readonly logFiles: readonly DigestLogFileInput[];
  /** Absent for the first digest of a chain (after logging or validation was (re)started). */
  readonly previous?: PreviousDigestInput | undefined;
  readonly publicKeyFingerprint: string;
  readonly digestSignatureAlgorithm: typeof SIGNATURE_ALGORITHM;
}

/** A decoded digest, as the verifier needs it. Times stay strings: they are part of what is signed. */
export interface DigestDocument {
  readonly awsAccountId: string | undefined;
  readonly digestStartTime: string;
  readonly digestEndTime: string;
  readonly digestS3Bucket: string;
  readonly digestS3Object: string;
  readonly digestPublicKeyFingerprint: string;
  readonly digestSignatureAlgorithm: string | undefined;
  readonly previousDigestS3Bucket: string | null;
  readonly previousDigestS3Object: string | null;
  readonly previousDigestHashValue: string | null;
  readonly previousDigestHashAlgorithm: string | null;
  readonly previousDigestSignature: string | null;
  readonly logFiles: readonly DigestLogFile[];
}

export interface DigestLogFile {
  readonly s3Bucket: string;
  readonly s3Object: string;
  readonly hashValue: string;
  readonly hashAlgorithm: string | undefined;
}

const HEX_SHA256 = /^[0-9a-f]{64}$/;
const HEX = /^(?:[0-9a-fA-F]{2})+$/;

function isoTime(field: string, value: Date | string): string {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) {
      throw new IntegrityError(
        IntegrityErrorCode.InvalidOption,
        `${field}: expected a valid date, got an invalid Date`,
      );
    }
    return formatIsoSeconds(value);
  }
  if (
    typeof value !== 'string' ||
    !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(value) ||
    Number.isNaN(Date.parse(value))
  ) {
    throw new IntegrityError(
      IntegrityErrorCode.InvalidOption,
      `${field}: got ${JSON.stringify(value)}; allowed: a Date or a UTC timestamp like 2024-03-01T05:00:31Z`,
    );
  }
  return value;
}

function requireText(field: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw new IntegrityError(
      IntegrityErrorCode.InvalidOption,
      `${field}: got ${JSON.stringify(value)}; allowed: a non-empty string`,
    );
  }
  return value;
}

function requireHash(field: string, value: unknown): string {
  if (typeof value !== 'string' || !HEX_SHA256.test(value)) {
    throw new IntegrityError(
      IntegrityErrorCode.InvalidOption,
      `${field}: got ${JSON.stringify(value)}; allowed: 64 lowercase hex digits (a SHA-256)`,
    );
  }
  return value;
}

/**
 * The digest's JSON text in CloudTrail's format. Sign exactly these bytes (UTF-8) with `signDigest` and
 * store them gzipped: the signature covers the SHA-256 of the uncompressed text.
 */
export function buildDigest(input: BuildDigestInput): string {
  if (input.digestSignatureAlgorithm !== SIGNATURE_ALGORITHM) {
    throw new IntegrityError(
      IntegrityErrorCode.InvalidOption,
      `digestSignatureAlgorithm: got ${JSON.stringify(input.digestSignatureAlgorithm)}; allowed: ${SIGNATURE_ALGORITHM}`,
    );
  }
  const logFiles = input.logFiles.map((log, index) => ({
    s3Bucket: requireText(`logFiles[${index}].s3Bucket`, log.s3Bucket),
    s3Object: requireText(`logFiles[${index}].s3Object`, log.s3Object),
    hashValue: requireHash(`logFiles[${index}].hashValue`, log.hashValue),
    hashAlgorithm: HASH_ALGORITHM,
    newestEventTime: isoTime(`logFiles[${index}].newestEventTime`, log.newestEventTime),
    oldestEventTime: isoTime(`logFiles[${index}].oldestEventTime`, log.oldestEventTime),
  }));
  const newest =
    input.newestEventTime === undefined
      ? logFiles.reduce<string | null>(
          (acc, log) => (acc === null || log.newestEventTime > acc ? log.newestEventTime : acc),
          null,
        )
      : isoTime('newestEventTime', input.newestEventTime);
  const oldest =
    input.oldestEventTime === undefined
      ? logFiles.reduce<string | null>(
          (acc, log) => (acc === null || log.oldestEventTime < acc ? log.oldestEventTime : acc),
          null,
        )
      : isoTime('oldestEventTime', input.oldestEventTime);
  const previous = input.previous;
  if (previous !== undefined && !HEX.test(previous.signature)) {
    throw new IntegrityError(
      IntegrityErrorCode.InvalidOption,
      `previous.signature: got ${JSON.stringify(previous.signature)}; allowed: an even number of hex digits`,
    );
  }
  const document = {
    awsAccountId: requireText('awsAccountId', input.awsAccountId),
    digestStartTime: isoTime('digestStartTime', input.digestStartTime),
    digestEndTime: isoTime('digestEndTime', input.digestEndTime),
    digestS3Bucket: requireText('digestS3Bucket', input.digestS3Bucket),
    digestS3Object: requireText('digestS3Object', input.digestS3Object),
    digestPublicKeyFingerprint: requireText('publicKeyFingerprint', input.publicKeyFingerprint),
    digestSignatureAlgorithm: SIGNATURE_ALGORITHM,
    newestEventTime: newest,
    oldestEventTime: oldest,
    previousDigestS3Bucket:
      previous === undefined ? null : requireText('previous.digestS3Bucket', previous.digestS3Bucket),
    previousDigestS3Object:
      previous === undefined ? null : requireText('previous.digestS3Object', previous.digestS3Object),
    previousDigestHashValue:
      previous?.hashValue === undefined ? null : requireHash('previous.hashValue', previous.hashValue),
    previousDigestHashAlgorithm: previous?.hashValue === undefined ? null : HASH_ALGORITHM,
    previousDigestSignature: previous === undefined ? null : previous.signature,
    logFiles,
  };
  return JSON.stringify(document);
}

/** Why a digest could not be decoded; mirrors where the AWS CLI would give up. */
export type DigestDecodeFailure =
  /** Not a gzip stream, a cut stream, or a CRC mismatch (`INVALID: invalid format` in the CLI). */
  | 'gzip'
  /** Not UTF-8, not JSON, or not a JSON object (`INVALID: invalid format`). */
  | 'json'
  /** One of the fields the CLI requires is absent (`INVALID: invalid format`). */
  | 'missing-field'
  /** A field has a type no genuine digest has (our check; the CLI would fail later on the signature). */
  | 'field-type';

export interface DecodedDigest {
  /** The first gzip member's uncompressed bytes: what the signature's hash covers. */
  readonly inflated: Buffer;
  readonly document: DigestDocument;
  /** Bytes after the first gzip member (ignored by the CLI; reported by us). */
  readonly trailingBytes: number;
}

export type DigestDecodeResult =
  | { readonly ok: true; readonly value: DecodedDigest }
  | { readonly ok: false; readonly failure: DigestDecodeFailure; readonly detail: string };

/** The fields `validate-logs` requires before it looks at a digest (its `required_digest_keys`). */
export const REQUIRED_DIGEST_FIELDS = [
  'digestPublicKeyFingerprint',
  'digestS3Bucket',
  'digestS3Object',
  'previousDigestSignature',
  'digestEndTime',
  'digestStartTime',
] as const;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function optionalString(value: unknown): value is string | null | undefined {
  return value === undefined || value === null || typeof value === 'string';
}

/** Decodes the uncompressed digest text. Never throws on bad input. */
export function decodeDigestText(inflated: Buffer, trailingBytes = 0): DigestDecodeResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(inflated));
  } catch (error) {
    return { ok: false, failure: 'json', detail: error instanceof Error ? error.message : String(error) };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, failure: 'json', detail: 'the digest is not a JSON object' };
  }
  const record = parsed as Record<string, unknown>;
  for (const field of REQUIRED_DIGEST_FIELDS) {
    if (!Object.hasOwn(record, field)) {
      return { ok: false, failure: 'missing-field', detail: `the digest has no ${field}` };
    }
  }
  const stringFields = [
    'digestPublicKeyFingerprint',
    'digestS3Bucket',
    'digestS3Object',
    'digestEndTime',
    'digestStartTime',
  ] as const;
  for (const field of stringFields) {
    if (typeof record[field] !== 'string') {
      return {
        ok: false,
        failure: 'field-type',
        detail: `${field} is ${JSON.stringify(record[field])}; expected a string`,
      };
    }
  }
  const nullableFields = [
    'previousDigestSignature',
    'previousDigestS3Bucket',
    'previousDigestS3Object',
    'previousDigestHashValue',
    'previousDigestHashAlgorithm',
    'awsAccountId',
    'digestSignatureAlgorithm',
  ] as const;
  for (const field of nullableFields) {
    if (!optionalString(record[field])) {
      return {
        ok: false,
        failure: 'field-type',
        detail: `${field} is ${JSON.stringify(record[field])}; expected a string or null`,
      };
    }
  }
  const rawLogs = record.logFiles;
  if (!Array.isArray(rawLogs)) {
    return { ok: false, failure: 'field-type', detail: 'logFiles is not an array' };
  }
  const logFiles: DigestLogFile[] = [];
  for (const [index, log] of rawLogs.entries()) {
    if (typeof log !== 'object' || log === null || Array.isArray(log)) {
      return { ok: false, failure: 'field-type', detail: `logFiles[${index}] is not an object` };
    }
    const entry = log as Record<string, unknown>;
    const { s3Bucket, s3Object, hashValue, hashAlgorithm } = entry;
    if (typeof s3Bucket !== 'string' || typeof s3Object !== 'string' || typeof hashValue !== 'string') {
      return {
        ok: false,
        failure: 'field-type',
        detail: `logFiles[${index}] needs string s3Bucket, s3Object and hashValue`,
      };
    }
    if (hashAlgorithm !== undefined && typeof hashAlgorithm !== 'string') {
      return { ok: false, failure: 'field-type', detail: `logFiles[${index}].hashAlgorithm is not a string` };
    }
    logFiles.push({ s3Bucket, s3Object, hashValue, hashAlgorithm });
  }
  const text = (field: string): string => record[field] as string;
  const nullable = (field: string): string | null => (record[field] as string | null | undefined) ?? null;
  return {
    ok: true,
    value: {
      inflated,
      trailingBytes,
      document: {
        awsAccountId: (record.awsAccountId as string | null | undefined) ?? undefined,
        digestStartTime: text('digestStartTime'),
        digestEndTime: text('digestEndTime'),
        digestS3Bucket: text('digestS3Bucket'),
        digestS3Object: text('digestS3Object'),
        digestPublicKeyFingerprint: text('digestPublicKeyFingerprint'),
        digestSignatureAlgorithm: (record.digestSignatureAlgorithm as string | null | undefined) ?? undefined,
        previousDigestS3Bucket: nullable('previousDigestS3Bucket'),
        previousDigestS3Object: nullable('previousDigestS3Object'),
        previousDigestHashValue: nullable('previousDigestHashValue'),
        previousDigestHashAlgorithm: nullable('previousDigestHashAlgorithm'),
        previousDigestSignature: nullable('previousDigestSignature'),
        logFiles,
      },
    },
  };
}

/**
 * Decodes a digest object as stored in S3 (gzip). Never throws on bad input: the result says what is
 * wrong, in the CLI's terms. Like the CLI, only the first gzip member counts and a cut stream is an error.
 */
export function decodeDigest(body: Uint8Array): DigestDecodeResult {
  const member = inflateFirstGzipMember(body);
  if (member.status === 'error') return { ok: false, failure: 'gzip', detail: member.error ?? 'invalid gzip data' };
  if (member.status === 'truncated') {
    return { ok: false, failure: 'gzip', detail: 'incomplete or truncated gzip stream' };
  }
  return decodeDigestText(member.data, member.trailingBytes);
}

/** Like `decodeDigest`, but throws an `IntegrityError` (code INTEGRITY_INVALID_DIGEST) on bad input. */
export function parseDigest(body: Uint8Array): DecodedDigest {
  const result = decodeDigest(body);
  if (!result.ok) {
    throw new IntegrityError(IntegrityErrorCode.InvalidDigest, `digest: ${result.failure} problem: ${result.detail}`, {
      suggestion: 'A digest CloudTrail delivered is gzip-compressed JSON; this one was altered or is not a digest.',
    });
  }
  return result.value;
}
