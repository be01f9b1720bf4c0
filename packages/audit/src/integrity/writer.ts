import { gzipSync } from 'node:zlib';
import { type BuildDigestInput, buildDigest, type DigestLogFileInput, SIGNATURE_ALGORITHM } from './digest.js';
import { IntegrityError, IntegrityErrorCode } from './errors.js';
import { cloudTrailDigestKey, cloudTrailLogKey, formatIsoSeconds } from './keys.js';
import { sha256Hex, signDigest } from './signing.js';

/**
 * One-call helpers that produce S3 objects exactly as CloudTrail delivers them: a gzip body, its key and
 * the user metadata to store with it. The local environment's edge uses them to deliver log and digest
 * files; tests use them to build scenarios.
 */

export interface TrailLocation {
  readonly prefix?: string | undefined;
  readonly organizationId?: string | undefined;
  readonly accountId: string;
  /** The region whose events are logged (the digest's source region). */
  readonly region: string;
  readonly trailName: string;
  readonly homeRegion: string;
}

export interface LogFileObject {
  readonly bucket: string;
  readonly key: string;
  /** The uncompressed JSON text (`{"Records":[…]}`). */
  readonly text: string;
  readonly body: Buffer;
  /** Hex SHA-256 of `text` (UTF-8): what the digest lists. */
  readonly hashValue: string;
  readonly oldestEventTime: string;
  readonly newestEventTime: string;
}

export interface CreateLogFileInput {
  readonly bucket: string;
  readonly trail: Omit<TrailLocation, 'trailName' | 'homeRegion'>;
  /** Delivery time (goes into the key). */
  readonly time: Date;
  readonly uniqueId: string;
  /** CloudTrail records; each needs an `eventTime`. */
  readonly records: readonly { readonly eventTime: string }[];
}

export function createLogFile(input: CreateLogFileInput): LogFileObject {
  const key = cloudTrailLogKey({ ...input.trail, time: input.time, uniqueId: input.uniqueId });
  if (input.records.length === 0) {
    throw new IntegrityError(
      IntegrityErrorCode.InvalidOption,
      'records: got an empty list; allowed: at least one record',
    );
  }
  const times = input.records.map((record, index) => {
    const parsed = Date.parse(record.eventTime);
    if (Number.isNaN(parsed)) {
      throw new IntegrityError(
        IntegrityErrorCode.InvalidOption,
        `records[${index}].eventTime: got ${JSON.stringify(record.eventTime)}; allowed: an ISO 8601 UTC timestamp`,
      );
    }
    return parsed;
  });
  const text = JSON.stringify({ Records: input.records });
  return {
    bucket: input.bucket,
    key,
    text,
    body: gzipSync(Buffer.from(text, 'utf8')),
    hashValue: sha256Hex(text),
    oldestEventTime: formatIsoSeconds(new Date(Math.min(...times))),
    newestEventTime: formatIsoSeconds(new Date(Math.max(...times))),
  };
}

export interface DigestFileObject {
  readonly bucket: string;
  readonly key: string;
  readonly text: string;
  readonly body: Buffer;
  /** Hex signature; also in `metadata.signature`. */
  readonly signature: string;
  /** Hex SHA-256 of `text`: the next digest's `previousDigestHashValue`. */
  readonly hashValue: string;
  /** S3 user metadata to store with the object (`x-amz-meta-…`). */
  readonly metadata: Readonly<Record<string, string>>;
  readonly digestStartTime: string;
  readonly digestEndTime: string;
}

export interface CreateDigestFileInput {
  readonly bucket: string;
  readonly trail: TrailLocation;
  readonly digestStartTime: Date;
  readonly digestEndTime: Date;
  readonly logFiles: readonly (LogFileObject | DigestLogFileInput)[];
  /** The digest this one follows; absent when a chain starts. */
  readonly previous?: Pick<DigestFileObject, 'bucket' | 'key' | 'signature' | 'hashValue'> | undefined;
  readonly signingKey: { readonly privateKeyPem: string; readonly fingerprint: string };
  /** Makes a backfill digest (`_backfill` key suffix and `backfill-generation-timestamp` metadata). */
  readonly backfill?: { readonly generatedAt: Date } | undefined;
}

function toDigestLogFile(log: LogFileObject | DigestLogFileInput): DigestLogFileInput {
  if ('bucket' in log) {
    return {
      s3Bucket: log.bucket,
      s3Object: log.key,
      hashValue: log.hashValue,
      oldestEventTime: log.oldestEventTime,
      newestEventTime: log.newestEventTime,
    };
  }
  return log;
}

/** Builds, signs and gzips a digest; returns the object to put in S3. */
export function createDigestFile(input: CreateDigestFileInput): DigestFileObject {
  const key = cloudTrailDigestKey({
    ...input.trail,
    endTime: input.digestEndTime,
    backfill: input.backfill !== undefined,
  });
  const digestEndTime = formatIsoSeconds(input.digestEndTime);
  const digestStartTime = formatIsoSeconds(input.digestStartTime);
  const build: BuildDigestInput = {
    awsAccountId: input.trail.accountId,
    digestStartTime,
    digestEndTime,
    digestS3Bucket: input.bucket,
    digestS3Object: key,
    logFiles: input.logFiles.map(toDigestLogFile),
    previous:
      input.previous === undefined
        ? undefined
        : {
            digestS3Bucket: input.previous.bucket,
            digestS3Object: input.previous.key,
            signature: input.previous.signature,
            hashValue: input.previous.hashValue,
          },
    publicKeyFingerprint: input.signingKey.fingerprint,
    digestSignatureAlgorithm: SIGNATURE_ALGORITHM,
  };
  const text = buildDigest(build);
  const signature = signDigest({
    digestText: text,
    digestEndTime,
    bucket: input.bucket,
    key,
    previousSignature: input.previous?.signature,
    privateKeyPem: input.signingKey.privateKeyPem,
  });
  const metadata: Record<string, string> = { signature, 'signature-algorithm': SIGNATURE_ALGORITHM };
  if (input.backfill !== undefined) {
    metadata['backfill-generation-timestamp'] = formatIsoSeconds(input.backfill.generatedAt);
  }
  return {
    bucket: input.bucket,
    key,
    text,
    body: gzipSync(Buffer.from(text, 'utf8')),
    signature,
    hashValue: sha256Hex(text),
    metadata,
    digestStartTime,
    digestEndTime,
  };
}
