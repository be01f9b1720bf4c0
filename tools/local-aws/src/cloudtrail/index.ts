import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { EdgeExchange, EdgePlugin } from '../edge/types.js';
import { LocalAwsError, LocalAwsErrorCode } from '../errors.js';
import { createCloudTrailHandler, FLUSH_PATH, type TrailSettings, trailArn } from './api.js';
import { Delivery, type DeliveryReport, type ObjectWriter } from './delivery.js';
import { type CredentialsFor, IdentityStore } from './identity.js';
import { EventStore, Throttle } from './lookup.js';
import { buildRecords, isRecordable } from './record.js';
import { loadOrCreateSigningKey } from './signingKey.js';
import type { AssumedRoleIdentity, CloudTrailRecord } from './types.js';

export interface CloudTrailPluginOptions {
  /** moto's endpoint (`http://127.0.0.1:<port>`): delivery and IAM reads go there directly, unrecorded. */
  motoEndpoint: string;
  /** Credentials of an administrator of each account (IAM reads; S3 writes in the log-archive account). */
  credentialsFor: CredentialsFor;
  logArchive: { accountId: string; bucket: string; prefix?: string };
  /** Set for an organization trail: keys become `AWSLogs/<o-id>/<account>/...`. */
  organizationId?: string;
  /** Owner of the organization trail (its ARN's account). @default accounts[0] */
  managementAccountId?: string;
  trailName: string;
  homeRegion: string;
  /** Accounts whose IAM users are looked up and which get digests from the start. */
  accounts: string[];
  /** How often log files and digests are delivered. @default 60000 */
  cadenceMs?: number;
  /** Answer more than 2 LookupEvents calls per second per account and region with ThrottlingException. @default false */
  lookupThrottle?: boolean;
  /** Record S3 object-level calls as data events (like a trail with S3 data event selectors). @default true */
  dataEvents?: boolean;
  /** The account of calls whose access key is unknown (moto's default account). @default '123456789012' */
  defaultAccountId?: string;
  /** @default () => new Date() */
  now?: () => Date;
  /** Keeps the signing key and the learned sessions across restarts. */
  stateDir: string;
}

export interface FlushOptions {
  /** Deliver as of this time instead of the clock's; not before the previous delivery. */
  readonly at?: Date;
}

export interface LocalCloudTrail {
  /** Give this to the edge. */
  plugin: EdgePlugin;
  /**
   * Delivers what was recorded (log files, then a digest per account and region) now, or as of `at`: a
   * time not before the previous delivery (tests simulate the passing of delivery periods with it).
   */
  flush(options?: FlushOptions): Promise<DeliveryReport>;
  /** Every record so far, oldest first (data events included). */
  records(): CloudTrailRecord[];
  /** Tells the recorder about a session the edge started without an AssumeRole passing through it. */
  learnSession(session: AssumedRoleIdentity): void;
  /** The trail's ARN as an account sees it. */
  trailArn(accountId: string): string;
  /** DER PKCS#1 public key and fingerprint of the digest signing key. */
  publicKey(): { der: Buffer; fingerprint: string };
  /** Stops the cadence, delivers what is left and saves state. */
  stop(): Promise<void>;
}

const ACCOUNT_ID = /^\d{12}$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;
const TRAIL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]$/;
const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;

function invalid(field: string, value: unknown, allowed: string): LocalAwsError {
  return new LocalAwsError(
    LocalAwsErrorCode.UsageInvalid,
    `CloudTrail plugin option ${field}: got ${JSON.stringify(value)}; allowed: ${allowed}`,
  );
}

function validate(options: CloudTrailPluginOptions): void {
  if (!Array.isArray(options.accounts) || options.accounts.length === 0) {
    throw invalid('accounts', options.accounts, 'a non-empty list of 12-digit account ids');
  }
  for (const account of [...options.accounts, options.logArchive.accountId]) {
    if (!ACCOUNT_ID.test(account)) throw invalid('accounts', account, 'a 12-digit account id');
  }
  if (options.managementAccountId !== undefined && !ACCOUNT_ID.test(options.managementAccountId)) {
    throw invalid('managementAccountId', options.managementAccountId, 'a 12-digit account id');
  }
  if (!REGION.test(options.homeRegion))
    throw invalid('homeRegion', options.homeRegion, 'a region code such as us-east-1');
  if (!TRAIL_NAME.test(options.trailName)) {
    throw invalid(
      'trailName',
      options.trailName,
      "3-128 letters, digits, '.', '_' or '-', starting and ending with a letter or digit",
    );
  }
  if (options.organizationId !== undefined && !ORGANIZATION_ID.test(options.organizationId)) {
    throw invalid('organizationId', options.organizationId, "'o-' and 10-32 lowercase letters or digits");
  }
  if (options.logArchive.bucket === '') throw invalid('logArchive.bucket', options.logArchive.bucket, 'a bucket name');
  const prefix = options.logArchive.prefix;
  if (prefix !== undefined && (prefix === '' || prefix.startsWith('/') || prefix.endsWith('/'))) {
    throw invalid('logArchive.prefix', prefix, "a key prefix without leading or trailing '/'");
  }
  const cadence = options.cadenceMs;
  if (cadence !== undefined && (!Number.isInteger(cadence) || cadence < 1000)) {
    throw invalid('cadenceMs', cadence, 'an integer of at least 1000 (milliseconds)');
  }
}

function s3Writer(options: CloudTrailPluginOptions): { writer: ObjectWriter; close: () => void } {
  const { accountId, bucket } = options.logArchive;
  const credentialsFor = options.credentialsFor;
  const client = new S3Client({
    endpoint: options.motoEndpoint,
    region: options.homeRegion,
    forcePathStyle: true,
    credentials: async () => credentialsFor(accountId),
    maxAttempts: 2,
  });
  return {
    writer: {
      async put(key, body, metadata) {
        await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: body,
            Metadata: metadata,
            ContentType: 'application/x-gzip',
            // Object Lock buckets refuse writes without an integrity header.
            ContentMD5: createHash('md5').update(body).digest('base64'),
          }),
        );
      },
    },
    close: () => client.destroy(),
  };
}

/**
 * The local environment's CloudTrail: an edge plugin that records every call as a CloudTrail record,
 * delivers log files and signed digests to the log-archive bucket, and answers the CloudTrail API
 * for the local trail. See README.md next to this file for what differs from real CloudTrail.
 */
export function createCloudTrailPlugin(options: CloudTrailPluginOptions): LocalCloudTrail {
  validate(options);
  const now = options.now ?? (() => new Date());
  const startedAt = now();
  const accounts = [...new Set(options.accounts)];
  const settings: TrailSettings = {
    trailName: options.trailName,
    homeRegion: options.homeRegion,
    bucket: options.logArchive.bucket,
    prefix: options.logArchive.prefix,
    organizationId: options.organizationId,
    managementAccountId: options.managementAccountId ?? (accounts[0] as string),
    defaultAccountId: options.defaultAccountId ?? '123456789012',
    dataEvents: options.dataEvents ?? true,
  };
  const signingKey = loadOrCreateSigningKey(options.stateDir, startedAt);
  const identity = new IdentityStore({
    motoEndpoint: options.motoEndpoint,
    credentialsFor: options.credentialsFor,
    accounts: () => accounts,
    now,
    sessionsFile: join(options.stateDir, 'cloudtrail-sessions.json'),
  });
  const store = new EventStore();
  const { writer, close: closeWriter } = s3Writer(options);
  const delivery = new Delivery({
    bucket: settings.bucket,
    prefix: settings.prefix,
    organizationId: settings.organizationId,
    trailName: settings.trailName,
    homeRegion: settings.homeRegion,
    writer,
    signingKey,
    now,
    startedAt,
  });
  for (const account of accounts) delivery.addScope(account, settings.homeRegion);
  const bucketOwners = new Map<string, string>([[settings.bucket, options.logArchive.accountId]]);
  // Exchanges are recorded one at a time, in the order the edge saw them: a session's first call
  // must not be resolved before the AssumeRole that created it has been learned.
  let recording: Promise<void> = Promise.resolve();

  const record = async (x: EdgeExchange): Promise<void> => {
    if (!isRecordable(x)) return;
    const caller = await identity.resolve(x.call.accessKeyId);
    const built = buildRecords(x, {
      caller,
      defaultAccountId: settings.defaultAccountId,
      bucketOwner: (bucket) => bucketOwners.get(bucket),
    });
    if (built.session !== undefined) identity.learnSession(built.session);
    for (const item of built.records) {
      if (
        item.eventSource === 's3.amazonaws.com' &&
        item.eventName === 'CreateBucket' &&
        item.errorCode === undefined
      ) {
        const bucket = item.requestParameters?.bucketName;
        if (typeof bucket === 'string') bucketOwners.set(bucket, item.recipientAccountId);
      }
      store.add(item);
      if (item.managementEvent || settings.dataEvents) delivery.enqueue(item);
    }
  };

  const flush = async (flushOptions: FlushOptions = {}): Promise<DeliveryReport> => {
    // Exchanges already observed are recorded before the delivery they belong to.
    await recording;
    let report: DeliveryReport;
    try {
      report = await delivery.deliver(flushOptions.at === undefined ? {} : { at: flushOptions.at });
    } catch (error) {
      if (error instanceof RangeError) {
        throw new LocalAwsError(LocalAwsErrorCode.UsageInvalid, `CloudTrail flush: ${error.message}`, {
          suggestion: 'flush at the previous delivery time or later',
        });
      }
      throw error;
    }
    identity.save();
    return report;
  };

  const timer = setInterval(() => {
    void flush().catch(() => undefined);
  }, options.cadenceMs ?? 60_000);
  timer.unref();

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      clearInterval(timer);
      try {
        await flush();
      } finally {
        identity.close();
        closeWriter();
      }
    })();
    return stopped;
  };

  const plugin: EdgePlugin = {
    name: 'cloudtrail',
    handle: createCloudTrailHandler({
      settings,
      store,
      delivery,
      identity,
      signingKey,
      throttle: options.lookupThrottle === true ? new Throttle(2) : undefined,
      now,
      motoEndpoint: options.motoEndpoint,
      flush,
    }),
    observe: (x) => {
      const pending = recording.then(() => record(x));
      recording = pending.catch(() => undefined);
      return pending;
    },
    stop,
  };

  return {
    plugin,
    flush,
    records: () => store.all(),
    learnSession: (session) => identity.learnSession(session),
    trailArn: (accountId) => trailArn(settings, accountId),
    publicKey: () => ({ der: signingKey.publicKeyDer, fingerprint: signingKey.fingerprint }),
    stop,
  };
}

export type { DeliveredDigest, DeliveredLogFile, DeliveryReport } from './delivery.js';
export type { CredentialsFor } from './identity.js';
export type {
  AdminCredentials,
  AssumedRoleIdentity,
  CloudTrailRecord,
  CloudTrailResource,
  IamUserIdentity,
  SessionTag,
  UserIdentity,
} from './types.js';
export { FLUSH_PATH };
