import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { ReportError, ReportErrorCode } from '../errors.js';
import { FindingKind, type RecordSource, type SourceItem } from '../types.js';
import { DEFAULT_MAX_LOG_FILE_BYTES, readLogFile } from './logFile.js';

export interface S3SourceOptions {
  readonly client: Pick<S3Client, 'send'>;
  readonly bucket: string;
  /** The trail's S3 key prefix, without the trailing slash. @default no prefix */
  readonly prefix?: string;
  /** Accounts to read. @default every account found under `AWSLogs/` (both layouts) */
  readonly accountIds?: readonly string[];
  /** Organization trail layout `AWSLogs/<o-id>/<acct>/`. @default discovered: every `o-…` folder is searched */
  readonly organizationId?: string;
  /** Regions to read. @default every region folder found */
  readonly regions?: readonly string[];
  /** The window: only day folders that can hold records of [since, until] are listed. */
  readonly since: Date;
  readonly until: Date;
  /** Log files fetched ahead while earlier ones are parsed. @default 4 */
  readonly concurrency?: number;
  readonly maxBytes?: number;
}

const ACCOUNT_FOLDER = /^\d{12}$/;
const ORG_FOLDER = /^o-[a-z0-9]{10,32}$/;
const DAY_MS = 86_400_000;

function joinKey(...parts: string[]): string {
  return parts.filter((part) => part !== '').join('/');
}

/**
 * The UTC day folders to list. CloudTrail files a record under the day it delivers the file, typically
 * 5–15 minutes after the call, so a record near midnight sits in the next day's folder: one extra day after
 * `until` is listed and the records are filtered by eventTime afterwards.
 */
export function dayPrefixes(since: Date, until: Date): string[] {
  const days: string[] = [];
  const first = Date.UTC(since.getUTCFullYear(), since.getUTCMonth(), since.getUTCDate());
  const last = until.getTime() + DAY_MS;
  for (let t = first; t <= last; t += DAY_MS) {
    const d = new Date(t);
    days.push(
      `${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${String(d.getUTCDate()).padStart(2, '0')}`,
    );
  }
  return days;
}

async function listFolders(client: Pick<S3Client, 'send'>, bucket: string, prefix: string): Promise<string[]> {
  const folders: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        Delimiter: '/',
        ...(token === undefined ? {} : { ContinuationToken: token }),
      }),
    );
    for (const common of page.CommonPrefixes ?? []) {
      const name = common.Prefix?.slice(prefix.length).replace(/\/$/, '');
      if (name !== undefined && name !== '') folders.push(name);
    }
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return folders;
}

async function* listKeys(client: Pick<S3Client, 'send'>, bucket: string, prefix: string): AsyncGenerator<string> {
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ...(token === undefined ? {} : { ContinuationToken: token }),
      }),
    );
    for (const object of page.Contents ?? []) {
      if (object.Key !== undefined && /\.json(\.gz)?$/.test(object.Key)) yield object.Key;
    }
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
}

/** The `<acct>/` folders to read, as key prefixes ending with the account id. */
async function accountRoots(options: S3SourceOptions): Promise<string[]> {
  const base = joinKey(options.prefix ?? '', 'AWSLogs');
  if (options.organizationId !== undefined) {
    const orgBase = joinKey(base, options.organizationId);
    const accounts = options.accountIds ?? (await listFolders(options.client, options.bucket, `${orgBase}/`));
    return accounts.filter((a) => ACCOUNT_FOLDER.test(a)).map((a) => joinKey(orgBase, a));
  }
  const top = await listFolders(options.client, options.bucket, `${base}/`);
  const roots: string[] = [];
  for (const folder of top) {
    if (ACCOUNT_FOLDER.test(folder)) {
      if (options.accountIds === undefined || options.accountIds.includes(folder)) roots.push(joinKey(base, folder));
    } else if (ORG_FOLDER.test(folder)) {
      const orgBase = joinKey(base, folder);
      for (const account of await listFolders(options.client, options.bucket, `${orgBase}/`)) {
        if (!ACCOUNT_FOLDER.test(account)) continue;
        if (options.accountIds === undefined || options.accountIds.includes(account)) {
          roots.push(joinKey(orgBase, account));
        }
      }
    }
  }
  return roots;
}

/** Every log-file key under the trail's layout whose day folder can hold records of the window, in order. */
export async function* trailLogKeys(options: S3SourceOptions): AsyncGenerator<string> {
  const days = dayPrefixes(options.since, options.until);
  for (const root of await accountRoots(options)) {
    const cloudTrail = joinKey(root, 'CloudTrail');
    const regions = options.regions ?? (await listFolders(options.client, options.bucket, `${cloudTrail}/`));
    for (const region of regions) {
      for (const day of days) {
        yield* listKeys(options.client, options.bucket, `${joinKey(cloudTrail, region, day)}/`);
      }
    }
  }
}

type Fetched = { key: string; bytes: Uint8Array } | { key: string; error: string };

async function fetchObject(client: Pick<S3Client, 'send'>, bucket: string, key: string): Promise<Fetched> {
  try {
    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (object.Body === undefined) return { key, error: 'empty body' };
    return { key, bytes: await object.Body.transformToByteArray() };
  } catch (error) {
    return { key, error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Records from the trail's log files in S3, per-account (`AWSLogs/<acct>/CloudTrail/<region>/YYYY/MM/DD/`) or
 * organization (`AWSLogs/<o-id>/<acct>/…`) layout, listed by day for the window. Up to `concurrency` objects
 * are downloaded ahead, and records are yielded in key order; only those files are in memory at once.
 * Listing errors (no such bucket, access denied) are fatal; a file that cannot be fetched or parsed is a finding.
 */
export async function* s3LogSource(options: S3SourceOptions): RecordSource {
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_LOG_FILE_BYTES;
  const uri = (key: string) => `s3://${options.bucket}/${key}`;
  const pending: Promise<Fetched>[] = [];
  const keys = trailLogKeys(options);
  let exhausted = false;

  const fill = async () => {
    while (!exhausted && pending.length < concurrency) {
      let next: IteratorResult<string>;
      try {
        next = await keys.next();
      } catch (error) {
        throw new ReportError(
          ReportErrorCode.SourceFailed,
          `cannot list s3://${options.bucket}/${options.prefix ?? ''}: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error, suggestion: 'check --bucket, --prefix, --endpoint-url and the credentials in use' },
        );
      }
      if (next.done === true) {
        exhausted = true;
        break;
      }
      pending.push(fetchObject(options.client, options.bucket, next.value));
    }
  };

  await fill();
  while (pending.length > 0) {
    const fetched = await (pending.shift() as Promise<Fetched>);
    await fill();
    if ('error' in fetched) {
      const item: SourceItem = {
        type: 'finding',
        finding: {
          kind: FindingKind.UnreadableFile,
          source: uri(fetched.key),
          reason: `cannot fetch: ${fetched.error}`,
        },
      };
      yield item;
      continue;
    }
    for (const item of await readLogFile(fetched.bytes, uri(fetched.key), { maxBytes })) yield item;
  }
}
