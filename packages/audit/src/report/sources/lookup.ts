import { type CloudTrailClient, LookupEventsCommand, type LookupEventsCommandOutput } from '@aws-sdk/client-cloudtrail';
import { invalidInput, ReportError, ReportErrorCode } from '../errors.js';
import { type CloudTrailRecord, parseRecord } from '../record.js';
import { FindingKind, type RecordSource, type SourceItem } from '../types.js';

/** LookupEvents only serves the last 90 days of management events. */
export const LOOKUP_HISTORY_DAYS = 90;
/** LookupEvents allows 2 requests per second per account and region. */
export const LOOKUP_MIN_INTERVAL_MS = 500;
export const LOOKUP_PAGE_SIZE = 50;

export const LOOKUP_ATTRIBUTE_KEYS = ['AccessKeyId', 'Username', 'EventName'] as const;
export type LookupAttributeKeyName = (typeof LOOKUP_ATTRIBUTE_KEYS)[number];

/** LookupEvents accepts exactly one attribute per request. */
export interface LookupAttributeFilter {
  readonly key: LookupAttributeKeyName;
  readonly value: string;
}

export type Sleep = (ms: number) => Promise<void>;
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Spaces requests to stay under LookupEvents' per-account-and-region rate. Share one limiter between all
 * lookups that go to the same account and region.
 */
export class RateLimiter {
  private next = 0;

  constructor(
    private readonly minIntervalMs: number,
    private readonly now: () => number = Date.now,
    private readonly sleep: Sleep = realSleep,
  ) {}

  async wait(): Promise<void> {
    const now = this.now();
    const at = Math.max(now, this.next);
    this.next = at + this.minIntervalMs;
    if (at > now) await this.sleep(at - now);
  }
}

export interface LookupSourceOptions {
  readonly client: Pick<CloudTrailClient, 'send'>;
  readonly attribute: LookupAttributeFilter;
  readonly since: Date;
  readonly until: Date;
  /** Today, for the 90-day check. @default () => new Date() */
  readonly now?: () => Date;
  /** Milliseconds for request pacing; kept apart from `now` so a fixed report time never stalls pacing. @default Date.now */
  readonly clock?: () => number;
  /** @default setTimeout */
  readonly sleep?: Sleep;
  /** @default a limiter of its own at 2 requests/s */
  readonly limiter?: RateLimiter;
  /** Retries of one page after ThrottlingException, with exponential backoff. @default 8 */
  readonly maxRetries?: number;
  /** Jitter source in [0, 1). @default Math.random */
  readonly random?: () => number;
}

export function assertLookupWindow(since: Date, until: Date, now: Date): void {
  const oldest = new Date(now.getTime() - LOOKUP_HISTORY_DAYS * 86_400_000);
  if (since.getTime() < oldest.getTime()) {
    throw invalidInput(
      '--since',
      since.toISOString(),
      `LookupEvents only keeps ${LOOKUP_HISTORY_DAYS} days: expected a time after ${oldest.toISOString()}`,
      'use --source s3 or --source local: the trail log files keep records of any age',
    );
  }
  if (since.getTime() > until.getTime()) {
    throw invalidInput('--since', since.toISOString(), `expected a time before --until ${until.toISOString()}`);
  }
}

function isThrottling(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false;
  const { name, $metadata } = error as { name?: unknown; $metadata?: { httpStatusCode?: unknown } };
  return (
    name === 'ThrottlingException' ||
    name === 'Throttling' ||
    name === 'TooManyRequestsException' ||
    $metadata?.httpStatusCode === 429
  );
}

/**
 * Records from `LookupEvents` for one lookup attribute (the API allows one per request), 50 per page, following
 * NextToken, spaced by the rate limiter and backing off exponentially (with jitter) on ThrottlingException.
 * Each event's `CloudTrailEvent` JSON is parsed as a record; a malformed one is a finding.
 */
export async function* lookupEventsSource(options: LookupSourceOptions): RecordSource {
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? realSleep;
  const limiter = options.limiter ?? new RateLimiter(LOOKUP_MIN_INTERVAL_MS, options.clock ?? Date.now, sleep);
  const maxRetries = options.maxRetries ?? 8;
  const random = options.random ?? Math.random;
  assertLookupWindow(options.since, options.until, now());
  const source = `lookup:${options.attribute.key}=${options.attribute.value}`;

  let token: string | undefined;
  let page = 0;
  do {
    let output: LookupEventsCommandOutput | undefined;
    for (let attempt = 0; output === undefined; attempt += 1) {
      await limiter.wait();
      try {
        output = await options.client.send(
          new LookupEventsCommand({
            LookupAttributes: [{ AttributeKey: options.attribute.key, AttributeValue: options.attribute.value }],
            StartTime: options.since,
            EndTime: options.until,
            MaxResults: LOOKUP_PAGE_SIZE,
            ...(token === undefined ? {} : { NextToken: token }),
          }),
        );
      } catch (error) {
        if (!isThrottling(error)) {
          throw new ReportError(
            ReportErrorCode.SourceFailed,
            `LookupEvents ${options.attribute.key}=${options.attribute.value} failed: ${error instanceof Error ? error.message : String(error)}`,
            {
              cause: error,
              suggestion: 'check --region, --endpoint-url and that the credentials allow cloudtrail:LookupEvents',
            },
          );
        }
        if (attempt >= maxRetries) {
          throw new ReportError(
            ReportErrorCode.Throttled,
            `LookupEvents kept throttling after ${maxRetries} retries (${options.attribute.key}=${options.attribute.value})`,
            { cause: error, suggestion: 'retry later, or read the trail log files with --source s3' },
          );
        }
        const backoff = Math.min(20_000, 500 * 2 ** attempt);
        await sleep(Math.round(backoff * (0.5 + random() / 2)));
      }
    }

    const records: CloudTrailRecord[] = [];
    const events = output.Events ?? [];
    for (let index = 0; index < events.length; index += 1) {
      const item = parseEvent(events[index]?.CloudTrailEvent, source, page * LOOKUP_PAGE_SIZE + index);
      if ('record' in item) records.push(item.record);
      else yield item;
    }
    yield { type: 'records', records, source: `${source}#${page}`, newestFirst: true };
    token = output.NextToken;
    page += 1;
  } while (token !== undefined && token !== '');
}

function parseEvent(raw: string | undefined, source: string, index: number): SourceItem | { record: CloudTrailRecord } {
  if (raw === undefined) {
    return {
      type: 'finding',
      finding: { kind: FindingKind.InvalidRecord, source, index, reason: 'event without CloudTrailEvent' },
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    return {
      type: 'finding',
      finding: {
        kind: FindingKind.InvalidRecord,
        source,
        index,
        reason: `CloudTrailEvent is not JSON: ${error instanceof Error ? error.message : String(error)}`,
      },
    };
  }
  const result = parseRecord(json, { source, index });
  return result.ok ? { record: result.record } : { type: 'finding', finding: result.finding };
}
