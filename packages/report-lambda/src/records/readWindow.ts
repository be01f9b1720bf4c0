import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  type ElevatedSession,
  type Finding,
  FindingKind,
  MAX_FINDINGS,
  parseCloudTrailLogKey,
  SessionCorrelator,
  trailLogKeys,
} from '@jit-access/audit';
import { messageOf } from '../errors.js';
import { consumeLogFile } from './logStream.js';
import { relevanceFilter } from './relevance.js';

export interface ReadWindowOptions {
  readonly client: Pick<S3Client, 'send'>;
  readonly bucket: string;
  readonly prefix?: string | undefined;
  readonly organizationId?: string | undefined;
  readonly accountIds?: readonly string[] | undefined;
  readonly regions?: readonly string[] | undefined;
  /** Calls in [since, until] are correlated. */
  readonly since: Date;
  readonly until: Date;
  /** Files delivered up to this long after `until` are read, for records CloudTrail delivered late. */
  readonly lateDeliveryMs: number;
  readonly tierRoles?: readonly string[] | undefined;
  /** Files streamed at once. @default 4 */
  readonly concurrency?: number | undefined;
  readonly maxFindings?: number | undefined;
  readonly maxBytesPerFile?: number | undefined;
}

/** One account and region whose log files were read: the integrity check expects digests for each. */
export interface LogScope {
  readonly accountId: string;
  readonly region: string;
  readonly organizationId: string | undefined;
  readonly prefix: string | undefined;
}

export interface WindowRead {
  readonly sessions: ElevatedSession[];
  /** At most `maxFindings`; `findingCount` says how many there were. */
  readonly findings: Finding[];
  readonly findingCount: number;
  readonly records: number;
  readonly relevantRecords: number;
  readonly files: number;
  readonly bytes: number;
  /** Every key read, so the integrity check can tell which of them no digest covers. */
  readonly logKeys: readonly string[];
  readonly scopes: readonly LogScope[];
}

const MINUTE = 60_000;

/**
 * Reads the trail's log files that can hold records of [since, until] (chosen by the delivery time in
 * their keys, not whole day folders) and correlates the relevant records into elevated sessions. Files are
 * streamed, `concurrency` at a time; memory grows with the calls of elevated sessions, not with the window.
 * Listing errors throw (nothing can be reported); a file that cannot be read is a finding.
 */
export async function readWindow(options: ReadWindowOptions): Promise<WindowRead> {
  const filter = relevanceFilter(options.tierRoles ?? []);
  const correlator = new SessionCorrelator({ since: options.since, until: options.until });
  const maxFindings = options.maxFindings ?? MAX_FINDINGS;
  const findings: Finding[] = [];
  let findingCount = 0;
  let records = 0;
  let relevantRecords = 0;
  let files = 0;
  let bytes = 0;
  const logKeys: string[] = [];
  const scopes = new Map<string, LogScope>();
  // Delivery times in keys are cut to the minute.
  const firstDelivery = Math.floor(options.since.getTime() / MINUTE) * MINUTE;
  const lastDelivery = options.until.getTime() + options.lateDeliveryMs;

  const sink = {
    record: (record: Parameters<SessionCorrelator['add']>[0]) => correlator.add(record),
    finding: (finding: Finding) => {
      findingCount += 1;
      if (findings.length < maxFindings) findings.push(finding);
    },
  };

  const keys = trailLogKeys({
    client: options.client,
    bucket: options.bucket,
    since: options.since,
    until: new Date(lastDelivery),
    ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
    ...(options.organizationId === undefined ? {} : { organizationId: options.organizationId }),
    ...(options.accountIds === undefined ? {} : { accountIds: options.accountIds }),
    ...(options.regions === undefined ? {} : { regions: options.regions }),
  });
  const nextKey = async (): Promise<string | undefined> => {
    // An async generator queues concurrent next() calls: the workers share one listing.
    for (;;) {
      const next = await keys.next();
      if (next.done === true) return undefined;
      const parsed = parseCloudTrailLogKey(next.value);
      if (parsed !== undefined) {
        const time = parsed.time.getTime();
        if (time < firstDelivery || time > lastDelivery) continue;
        const id = `${parsed.prefix ?? ''}\u0000${parsed.organizationId ?? ''}\u0000${parsed.accountId}\u0000${parsed.region}`;
        if (!scopes.has(id)) {
          scopes.set(id, {
            accountId: parsed.accountId,
            region: parsed.region,
            organizationId: parsed.organizationId,
            prefix: parsed.prefix,
          });
        }
      }
      return next.value;
    }
  };

  const worker = async (): Promise<void> => {
    for (;;) {
      const key = await nextKey();
      if (key === undefined) return;
      const source = `s3://${options.bucket}/${key}`;
      logKeys.push(key);
      files += 1;
      let body: AsyncIterable<Uint8Array>;
      try {
        const object = await options.client.send(new GetObjectCommand({ Bucket: options.bucket, Key: key }));
        if (object.Body === undefined) {
          sink.finding({ kind: FindingKind.UnreadableFile, source, reason: 'cannot fetch: empty body' });
          continue;
        }
        body = object.Body as AsyncIterable<Uint8Array>;
      } catch (error) {
        sink.finding({ kind: FindingKind.UnreadableFile, source, reason: `cannot fetch: ${messageOf(error)}` });
        continue;
      }
      const stats = await consumeLogFile(body, source, sink, {
        filter,
        ...(options.maxBytesPerFile === undefined ? {} : { maxBytes: options.maxBytesPerFile }),
      });
      records += stats.records;
      relevantRecords += stats.relevant;
      bytes += stats.bytes;
    }
  };

  const concurrency = Math.max(1, Math.min(16, options.concurrency ?? 4));
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (findingCount > findings.length) {
    findings.push({
      kind: FindingKind.InvalidRecord,
      source: 'report',
      reason: `${findingCount - findings.length} more findings not listed`,
    });
  }
  logKeys.sort();
  return {
    sessions: correlator.sessions(),
    findings,
    findingCount,
    records,
    relevantRecords,
    files,
    bytes,
    logKeys,
    scopes: [...scopes.values()],
  };
}
