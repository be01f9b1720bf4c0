/**
 * Data for the report function's benchmark: a log-archive bucket held in memory that answers the S3
 * calls the function makes (ListObjectsV2 with prefix, delimiter and continuation, GetObject as a stream,
 * conditional PutObject), filled with an organization's window of CloudTrail: service-role traffic with
 * a few elevated sessions in it, in gzip log files listed by signed, chained digests.
 */
import { Readable } from 'node:stream';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  createDigestFile,
  createDigestKeyPair,
  createLogFile,
  type DigestFileObject,
  type DigestKeyPair,
  type LogFileObject,
} from '@jit-access/audit';

interface StoredObject {
  readonly body: Uint8Array;
  readonly metadata: Record<string, string>;
}

const CHUNK = 64 * 1024;

/** S3 in memory, with an optional latency per request (real S3 answers a GET in about 20 ms). */
export class MemoryBucket {
  readonly objects = new Map<string, StoredObject>();
  requests = 0;

  constructor(
    readonly name: string,
    private readonly latencyMs = 0,
  ) {}

  put(key: string, body: Uint8Array, metadata: Record<string, string> = {}): void {
    this.objects.set(key, { body, metadata });
  }

  /** Total size of the objects under a prefix. */
  bytes(prefix = ''): number {
    let total = 0;
    for (const [key, object] of this.objects) if (key.startsWith(prefix)) total += object.body.length;
    return total;
  }

  private async wait(): Promise<void> {
    this.requests += 1;
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
  }

  /** The `send` of an S3 client for this bucket. */
  readonly client = {
    send: async (command: unknown): Promise<unknown> => {
      await this.wait();
      if (command instanceof ListObjectsV2Command) return this.list(command.input);
      if (command instanceof GetObjectCommand) {
        const object = this.objects.get(command.input.Key ?? '');
        if (object === undefined)
          throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
        const chunks: Uint8Array[] = [];
        for (let i = 0; i < object.body.length; i += CHUNK) chunks.push(object.body.subarray(i, i + CHUNK));
        const body = Object.assign(Readable.from(chunks), {
          transformToByteArray: async () => object.body,
        });
        return { Body: body, Metadata: object.metadata };
      }
      if (command instanceof PutObjectCommand) {
        const key = command.input.Key ?? '';
        if (command.input.IfNoneMatch === '*' && this.objects.has(key)) {
          throw Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), {
            name: 'PreconditionFailed',
            $metadata: { httpStatusCode: 412 },
          });
        }
        const body = command.input.Body;
        const bytes = typeof body === 'string' ? Buffer.from(body) : (body as Uint8Array);
        this.objects.set(key, { body: bytes, metadata: { ...(command.input.Metadata ?? {}) } });
        return {};
      }
      throw new Error(`the benchmark bucket does not implement ${(command as object).constructor.name}`);
    },
  } as unknown as S3Client;

  private list(input: ListObjectsV2Command['input']): ListObjectsV2CommandOutput {
    const prefix = input.Prefix ?? '';
    const after = input.ContinuationToken ?? input.StartAfter ?? '';
    const keys = [...this.objects.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
    const contents: { Key: string; LastModified: Date; Size: number }[] = [];
    const prefixes = new Set<string>();
    let last = '';
    for (const key of keys) {
      if (contents.length + prefixes.size >= (input.MaxKeys ?? 1000)) break;
      last = key;
      const rest = key.slice(prefix.length);
      const cut = input.Delimiter === undefined ? -1 : rest.indexOf(input.Delimiter);
      if (cut >= 0) prefixes.add(prefix + rest.slice(0, cut + 1));
      else contents.push({ Key: key, LastModified: new Date(), Size: this.objects.get(key)?.body.length ?? 0 });
    }
    const truncated = last !== '' && keys[keys.length - 1] !== last;
    return {
      Contents: contents,
      CommonPrefixes: [...prefixes].map((p) => ({ Prefix: p })),
      IsTruncated: truncated,
      ...(truncated ? { NextContinuationToken: last } : {}),
      $metadata: {},
    };
  }
}

export interface WindowData {
  readonly bucket: MemoryBucket;
  readonly keyPair: DigestKeyPair;
  readonly since: Date;
  readonly until: Date;
  readonly records: number;
  readonly sessions: number;
  readonly logFiles: number;
  readonly accounts: readonly string[];
  readonly region: string;
}

export interface WindowDataOptions {
  /** Records in the window. @default 100_000 */
  readonly records?: number;
  /** Records per log file (CloudTrail writes a few hundred to a few thousand). @default 1000 */
  readonly recordsPerFile?: number;
  /** Elevated sessions among them. @default 20 */
  readonly sessions?: number;
  /** Calls per elevated session. @default 50 */
  readonly callsPerSession?: number;
  /** Member accounts of the organization. @default 4 */
  readonly accounts?: number;
  readonly latencyMs?: number;
}

const ORG = 'o-bench000001';
const REGION = 'eu-west-1';
const START = new Date('2026-03-02T10:00:00Z');

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function serviceCall(accountId: string, ms: number, i: number): Record<string, unknown> {
  return {
    eventVersion: '1.08',
    userIdentity: {
      type: 'AssumedRole',
      principalId: 'AROABENCH:orders-function',
      arn: `arn:aws:sts::${accountId}:assumed-role/orders-function-role/orders-function`,
      accountId,
      accessKeyId: `ASIABENCH${String(i % 1_000_000).padStart(11, '0')}`,
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: 'AROABENCH',
          arn: `arn:aws:iam::${accountId}:role/orders-function-role`,
          accountId,
          userName: 'orders-function-role',
        },
        attributes: { creationDate: iso(ms - 60_000), mfaAuthenticated: 'false' },
      },
    },
    eventTime: iso(ms),
    eventSource: 'dynamodb.amazonaws.com',
    eventName: i % 3 === 0 ? 'PutItem' : 'GetItem',
    awsRegion: REGION,
    sourceIPAddress: 'lambda.amazonaws.com',
    userAgent: 'aws-sdk-js/3.0.0 os/linux lang/js md/nodejs#20.11.0 api/dynamodb#3.0.0',
    requestParameters: { tableName: 'orders', key: { id: { S: `order-${i}` } } },
    responseElements: null,
    requestID: `REQ${i}`,
    eventID: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    readOnly: i % 3 !== 0,
    resources: [
      { accountId, type: 'AWS::DynamoDB::Table', ARN: `arn:aws:dynamodb:${REGION}:${accountId}:table/orders` },
    ],
    eventType: 'AwsApiCall',
    managementEvent: false,
    recipientAccountId: accountId,
    eventCategory: 'Data',
  };
}

function grantEvent(accountId: string, grantId: string, ms: number, key: string): Record<string, unknown> {
  return {
    eventVersion: '1.08',
    userIdentity: {
      type: 'IAMUser',
      principalId: 'AIDABENCH',
      arn: 'arn:aws:iam::444444444444:user/jit-approver',
      accountId: '444444444444',
      accessKeyId: 'AKIABENCHAPPROVER001',
      userName: 'jit-approver',
    },
    eventTime: iso(ms),
    eventSource: 'sts.amazonaws.com',
    eventName: 'AssumeRole',
    awsRegion: REGION,
    sourceIPAddress: '203.0.113.10',
    userAgent: 'jit-grant/0.1.0',
    requestParameters: {
      roleArn: `arn:aws:iam::${accountId}:role/AgentElevated-Ops`,
      roleSessionName: `jit-${grantId}`,
      sourceIdentity: `jit-${grantId}`,
      durationSeconds: 900,
      tags: [
        { key: 'jit:grant', value: grantId },
        { key: 'jit:tier', value: 'ops' },
        { key: 'jit:approver', value: 'alice@example.com' },
        { key: 'jit:reason', value: 'benchmark' },
        { key: 'jit:until', value: iso(ms + 15 * 60_000) },
      ],
    },
    responseElements: {
      credentials: { accessKeyId: key, expiration: iso(ms + 15 * 60_000) },
      sourceIdentity: `jit-${grantId}`,
    },
    requestID: `GRANT${grantId}`,
    eventID: `11111111-0000-4000-8000-${grantId.slice(-12)}`,
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: accountId,
  };
}

function sessionCall(accountId: string, grantId: string, key: string, ms: number, i: number): Record<string, unknown> {
  const call = serviceCall(accountId, ms, i);
  return {
    ...call,
    userIdentity: {
      type: 'AssumedRole',
      principalId: `AROAOPS:jit-${grantId}`,
      arn: `arn:aws:sts::${accountId}:assumed-role/AgentElevated-Ops/jit-${grantId}`,
      accountId,
      accessKeyId: key,
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: 'AROAOPS',
          arn: `arn:aws:iam::${accountId}:role/AgentElevated-Ops`,
          accountId,
          userName: 'AgentElevated-Ops',
        },
        attributes: { creationDate: iso(ms), mfaAuthenticated: 'false' },
        sourceIdentity: `jit-${grantId}`,
      },
    },
    eventSource: 'ecs.amazonaws.com',
    eventName: i % 10 === 0 ? 'UpdateService' : 'DescribeServices',
    ...(i % 25 === 0 ? { errorCode: 'AccessDeniedException', errorMessage: 'not authorized' } : {}),
  };
}

/** One hour of an organization's trail (two digests per account), `records` records in all. */
export function buildWindow(options: WindowDataOptions = {}): WindowData {
  const total = options.records ?? 100_000;
  const perFile = options.recordsPerFile ?? 1000;
  const sessionCount = options.sessions ?? 20;
  const callsPerSession = options.callsPerSession ?? 50;
  const accounts = Array.from({ length: options.accounts ?? 4 }, (_, i) => String(111111111111 * (i + 1)).slice(0, 12));
  const bucket = new MemoryBucket('bench-log-archive', options.latencyMs ?? 0);
  const keyPair = createDigestKeyPair();
  const fileCount = Math.max(accounts.length, Math.ceil(total / perFile));
  const spanMs = 60 * 60_000;

  // Session records, assigned to the files of their account by time.
  const extra = new Map<number, Record<string, unknown>[]>();
  let sessionRecords = 0;
  for (let s = 0; s < sessionCount; s += 1) {
    const accountIndex = s % accounts.length;
    const accountId = accounts[accountIndex] as string;
    const grantId = `01JBENCH${String(s).padStart(18, '0')}`;
    const key = `ASIAJITBENCH${String(s).padStart(8, '0')}`;
    const start = START.getTime() + Math.floor(((s + 0.5) / sessionCount) * (spanMs - 20 * 60_000));
    const records = [grantEvent(accountId, grantId, start, key)];
    for (let c = 0; c < callsPerSession; c += 1)
      records.push(sessionCall(accountId, grantId, key, start + 1000 + c * 5000, c));
    const fileOfTime = (ms: number) => {
      const slot = Math.min(
        Math.floor(((ms - START.getTime()) / spanMs) * (fileCount / accounts.length)),
        fileCount / accounts.length - 1,
      );
      return Math.floor(slot) * accounts.length + accountIndex;
    };
    for (const record of records) {
      const file = fileOfTime(Date.parse(record.eventTime as string));
      extra.set(file, [...(extra.get(file) ?? []), record]);
      sessionRecords += 1;
    }
  }

  const pending = new Map<string, LogFileObject[]>();
  const previous = new Map<string, DigestFileObject>();
  const digestAt = (accountId: string, end: Date) => {
    const logs = pending.get(accountId) ?? [];
    const before = previous.get(accountId);
    const digest = createDigestFile({
      bucket: bucket.name,
      trail: { organizationId: ORG, accountId, region: REGION, trailName: 'jit-org-trail', homeRegion: REGION },
      digestStartTime: before === undefined ? START : new Date(Date.parse(before.digestEndTime)),
      digestEndTime: end,
      logFiles: logs,
      previous: before,
      signingKey: keyPair,
    });
    bucket.put(digest.key, digest.body, { ...digest.metadata });
    previous.set(accountId, digest);
    pending.set(accountId, []);
  };

  let written = 0;
  for (let f = 0; f < fileCount; f += 1) {
    const accountId = accounts[f % accounts.length] as string;
    const slot = Math.floor(f / accounts.length);
    const slotStart = START.getTime() + (slot / (fileCount / accounts.length)) * spanMs;
    const session = extra.get(f) ?? [];
    const noise = Math.max(0, Math.min(perFile, total - sessionRecords - written) - 0);
    const records: Record<string, unknown>[] = [];
    for (let i = 0; i < noise; i += 1) records.push(serviceCall(accountId, slotStart + i * 10, written + i));
    written += noise;
    records.push(...session);
    if (records.length === 0) records.push(serviceCall(accountId, slotStart, written));
    const delivered = new Date(Math.max(...records.map((r) => Date.parse(r.eventTime as string))) + 5 * 60_000);
    const log = createLogFile({
      bucket: bucket.name,
      trail: { organizationId: ORG, accountId, region: REGION },
      time: delivered,
      uniqueId: `B${String(f).padStart(15, '0')}`,
      records: records as { eventTime: string }[],
    });
    bucket.put(log.key, log.body);
    pending.set(accountId, [...(pending.get(accountId) ?? []), log]);
    // A digest every half hour of the window, and one at the end.
    if (slot === Math.floor(fileCount / accounts.length / 2) - 1)
      digestAt(accountId, new Date(START.getTime() + spanMs / 2 + 10 * 60_000));
  }
  for (const accountId of accounts) digestAt(accountId, new Date(START.getTime() + spanMs + 20 * 60_000));

  return {
    bucket,
    keyPair,
    since: new Date(START.getTime() - 5 * 60_000),
    until: new Date(START.getTime() + spanMs + 10 * 60_000),
    records: written + sessionRecords,
    sessions: sessionCount,
    logFiles: fileCount,
    accounts,
    region: REGION,
  };
}
