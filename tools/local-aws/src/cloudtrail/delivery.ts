import { createHash, randomInt } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { buildDigest, cloudTrailDigestKey, cloudTrailLogKey, signDigest } from '@jit-access/audit';
import { isoSeconds } from './record.js';
import type { CloudTrailRecord } from './types.js';

/** Where delivered objects go: the log-archive bucket in moto, written with admin credentials. */
export interface ObjectWriter {
  put(key: string, body: Buffer, metadata: Record<string, string>): Promise<void>;
}

export interface SigningKey {
  privateKeyPem: string;
  fingerprint: string;
}

export interface DeliveryOptions {
  bucket: string;
  prefix: string | undefined;
  organizationId: string | undefined;
  trailName: string;
  homeRegion: string;
  writer: ObjectWriter;
  signingKey: SigningKey;
  now: () => Date;
  /** When logging started (the first digest of each chain starts here). */
  startedAt: Date;
}

export interface DeliveredLogFile {
  accountId: string;
  region: string;
  bucket: string;
  key: string;
  records: number;
  /** Hex SHA-256 of the uncompressed JSON. */
  hashValue: string;
  oldestEventTime: string;
  newestEventTime: string;
}

export interface DeliveredDigest {
  accountId: string;
  region: string;
  bucket: string;
  key: string;
  digestStartTime: string;
  digestEndTime: string;
  logFiles: number;
  /** Hex signature, as stored in the object's `signature` metadata. */
  signature: string;
  /** True for the first digest of a chain (no previous digest). */
  chainStart: boolean;
}

export interface DeliveryReport {
  logFiles: DeliveredLogFile[];
  digests: DeliveredDigest[];
  /** Delivery failures (the bucket is missing, moto is down); undelivered work is kept for the next run. */
  errors: string[];
}

interface Chain {
  key: string;
  endTime: Date;
  signature: string;
  hashValue: string;
}

interface Scope {
  accountId: string;
  region: string;
  pending: CloudTrailRecord[];
  /** Log files delivered since this scope's last digest. */
  delivered: DeliveredLogFile[];
  chain: Chain | undefined;
  /** Start of this scope's next chain. */
  chainStartAt: Date;
}

/** Who owns a trail's logging switch: the organization trail, or one account's own trail. */
export type LoggingOwner = string;
const ORGANIZATION_OWNER = 'organization';

interface LoggingState {
  logging: boolean;
  changedAt: Date;
}

// What CloudTrail's key layout can hold; anything else would fail every delivery after it.
const DELIVERABLE_REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;
const DELIVERABLE_ACCOUNT = /^\d{12}$/;

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function uniqueId(): string {
  let out = '';
  for (let i = 0; i < 16; i++) out += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return out;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function floorToSecond(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

/**
 * CloudTrail delivery for the local trail: per account and region, gzip log files of the records
 * collected since the last run, then a digest listing them, signed and chained to the previous
 * digest. A digest is written for every account and region even when no log file was delivered,
 * as CloudTrail does.
 */
export class Delivery {
  readonly #options: DeliveryOptions;
  readonly #scopes = new Map<string, Scope>();
  readonly #logging = new Map<LoggingOwner, LoggingState>();
  #tail: Promise<unknown> = Promise.resolve();
  latestDeliveryTime: Date | undefined;
  latestDigestDeliveryTime: Date | undefined;
  latestDeliveryAttemptTime: Date | undefined;
  latestDeliveryError: string | undefined;

  constructor(options: DeliveryOptions) {
    this.#options = options;
  }

  ownerOf(accountId: string): LoggingOwner {
    return this.#options.organizationId === undefined ? accountId : ORGANIZATION_OWNER;
  }

  isLogging(accountId: string): boolean {
    return this.#logging.get(this.ownerOf(accountId))?.logging ?? true;
  }

  loggingChangedAt(accountId: string): Date {
    return this.#logging.get(this.ownerOf(accountId))?.changedAt ?? this.#options.startedAt;
  }

  /** Stops delivery for an account's trail (or the organization trail); a final digest closes each chain. */
  stopLogging(accountId: string, at: Date): void {
    const owner = this.ownerOf(accountId);
    if (!this.isLogging(accountId)) return;
    this.#logging.set(owner, { logging: false, changedAt: at });
  }

  /** Starts delivery again: each affected account and region begins a new digest chain. */
  startLogging(accountId: string, at: Date): void {
    const owner = this.ownerOf(accountId);
    if (this.isLogging(accountId)) return;
    this.#logging.set(owner, { logging: true, changedAt: at });
    for (const scope of this.#scopes.values()) {
      if (this.ownerOf(scope.accountId) === owner) {
        scope.chain = undefined;
        scope.chainStartAt = at;
      }
    }
  }

  /** Makes sure an account and region get digests from now on. */
  addScope(accountId: string, region: string): Scope {
    const id = `${accountId}/${region}`;
    let scope = this.#scopes.get(id);
    if (scope === undefined) {
      scope = {
        accountId,
        region,
        pending: [],
        delivered: [],
        chain: undefined,
        chainStartAt: this.#options.startedAt,
      };
      this.#scopes.set(id, scope);
    }
    return scope;
  }

  /** Records that cannot be placed in CloudTrail's key layout (a client signed with a made-up region). */
  undeliverable = 0;

  /** Queues a record for the next delivery, unless its trail was stopped before the event. */
  enqueue(record: CloudTrailRecord): void {
    const accountId = record.recipientAccountId;
    if (!DELIVERABLE_REGION.test(record.awsRegion) || !DELIVERABLE_ACCOUNT.test(accountId)) {
      this.undeliverable++;
      return;
    }
    const state = this.#logging.get(this.ownerOf(accountId));
    if (state !== undefined && !state.logging && record.eventTime > isoSeconds(state.changedAt)) return;
    this.addScope(accountId, record.awsRegion).pending.push(record);
  }

  /**
   * Runs one delivery after any run in progress, so a flush always covers what was queued before it.
   * `at` delivers as of a later time than the clock's (tests simulate hours of hourly digests without
   * waiting); it must not be earlier than the previous delivery. Deliveries never go back in time: after
   * one `at` a later time, the next ones happen at that time until the clock catches up.
   */
  deliver(options: { at?: Date } = {}): Promise<DeliveryReport> {
    const run = this.#tail.then(() => this.#deliverOnce(options.at));
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #deliverOnce(at: Date | undefined): Promise<DeliveryReport> {
    const previous = this.latestDeliveryAttemptTime;
    if (at !== undefined && (Number.isNaN(at.getTime()) || (previous !== undefined && at < previous))) {
      throw new RangeError(
        `delivery time ${Number.isNaN(at.getTime()) ? 'Invalid Date' : at.toISOString()} is not valid: allowed is a time not before the previous delivery (${previous?.toISOString() ?? 'none'})`,
      );
    }
    const clock = this.#options.now();
    const now = new Date(Math.max(at?.getTime() ?? clock.getTime(), previous?.getTime() ?? Number.NEGATIVE_INFINITY));
    const report: DeliveryReport = { logFiles: [], digests: [], errors: [] };
    this.latestDeliveryAttemptTime = now;

    for (const scope of this.#scopes.values()) {
      if (scope.pending.length === 0) continue;
      const records = scope.pending;
      scope.pending = [];
      try {
        const log = await this.#writeLogFile(scope, records, now);
        scope.delivered.push(log);
        report.logFiles.push(log);
      } catch (error) {
        scope.pending = [...records, ...scope.pending];
        report.errors.push(`log file for ${scope.accountId}/${scope.region}: ${describe(error)}`);
      }
    }

    for (const scope of this.#scopes.values()) {
      const open = this.isLogging(scope.accountId);
      // A stopped trail gets one last digest (closing the chain), then none until it starts again.
      if (!open && scope.chain === undefined && scope.delivered.length === 0) continue;
      try {
        const digest = await this.#writeDigest(scope, now);
        report.digests.push(digest);
        if (!open) {
          scope.chain = undefined;
          scope.chainStartAt = now;
        }
      } catch (error) {
        report.errors.push(`digest for ${scope.accountId}/${scope.region}: ${describe(error)}`);
      }
    }

    if (report.logFiles.length > 0) this.latestDeliveryTime = now;
    if (report.digests.length > 0) this.latestDigestDeliveryTime = now;
    this.latestDeliveryError = report.errors[0];
    return report;
  }

  async #writeLogFile(scope: Scope, records: CloudTrailRecord[], now: Date): Promise<DeliveredLogFile> {
    const sorted = [...records].sort((a, b) => (a.eventTime < b.eventTime ? -1 : a.eventTime > b.eventTime ? 1 : 0));
    const key = cloudTrailLogKey({
      prefix: this.#options.prefix,
      organizationId: this.#options.organizationId,
      accountId: scope.accountId,
      region: scope.region,
      time: now,
      uniqueId: uniqueId(),
    });
    // The digest hashes these exact bytes; the JSON is never re-serialised after this point.
    const text = JSON.stringify({ Records: sorted });
    await this.#options.writer.put(key, gzipSync(Buffer.from(text, 'utf8')), {});
    return {
      accountId: scope.accountId,
      region: scope.region,
      bucket: this.#options.bucket,
      key,
      records: sorted.length,
      hashValue: sha256Hex(text),
      oldestEventTime: sorted[0]?.eventTime ?? isoSeconds(now),
      newestEventTime: sorted[sorted.length - 1]?.eventTime ?? isoSeconds(now),
    };
  }

  async #writeDigest(scope: Scope, now: Date): Promise<DeliveredDigest> {
    const previous = scope.chain;
    // Digest keys carry the end time to the second: two digests of one chain must not share it.
    const floor = floorToSecond(now);
    const endTime =
      previous !== undefined && floor.getTime() <= previous.endTime.getTime()
        ? new Date(previous.endTime.getTime() + 1000)
        : floor;
    const startTime = previous?.endTime ?? floorToSecond(scope.chainStartAt);
    const key = cloudTrailDigestKey({
      prefix: this.#options.prefix,
      organizationId: this.#options.organizationId,
      accountId: scope.accountId,
      region: scope.region,
      trailName: this.#options.trailName,
      homeRegion: this.#options.homeRegion,
      endTime,
    });
    const logFiles = scope.delivered;
    const text = buildDigest({
      awsAccountId: scope.accountId,
      digestStartTime: startTime,
      digestEndTime: endTime,
      digestS3Bucket: this.#options.bucket,
      digestS3Object: key,
      logFiles: logFiles.map((log) => ({
        s3Bucket: log.bucket,
        s3Object: log.key,
        hashValue: log.hashValue,
        oldestEventTime: log.oldestEventTime,
        newestEventTime: log.newestEventTime,
      })),
      previous:
        previous === undefined
          ? undefined
          : {
              digestS3Bucket: this.#options.bucket,
              digestS3Object: previous.key,
              signature: previous.signature,
              hashValue: previous.hashValue,
            },
      publicKeyFingerprint: this.#options.signingKey.fingerprint,
      digestSignatureAlgorithm: 'SHA256withRSA',
    });
    const signature = signDigest({
      digestText: text,
      digestEndTime: endTime,
      bucket: this.#options.bucket,
      key,
      previousSignature: previous?.signature,
      privateKeyPem: this.#options.signingKey.privateKeyPem,
    });
    await this.#options.writer.put(key, gzipSync(Buffer.from(text, 'utf8')), {
      signature,
      'signature-algorithm': 'SHA256withRSA',
    });
    scope.chain = { key, endTime, signature, hashValue: sha256Hex(text) };
    scope.delivered = [];
    return {
      accountId: scope.accountId,
      region: scope.region,
      bucket: this.#options.bucket,
      key,
      digestStartTime: isoSeconds(startTime),
      digestEndTime: isoSeconds(endTime),
      logFiles: logFiles.length,
      signature,
      chainStart: previous === undefined,
    };
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
