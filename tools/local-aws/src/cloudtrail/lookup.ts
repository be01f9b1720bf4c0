import { createHash } from 'node:crypto';
import type { CloudTrailRecord } from './types.js';

/** A CloudTrail API error: `code` is the exception name the SDKs map to a class. */
export class CloudTrailApiError extends Error {
  readonly code: string;
  readonly status: number;

  constructor(code: string, message: string, status = 400) {
    super(message);
    this.name = 'CloudTrailApiError';
    this.code = code;
    this.status = status;
  }
}

export const LOOKUP_ATTRIBUTE_KEYS = [
  'EventId',
  'EventName',
  'ReadOnly',
  'Username',
  'ResourceType',
  'ResourceName',
  'EventSource',
  'AccessKeyId',
] as const;
export type LookupAttributeKey = (typeof LOOKUP_ATTRIBUTE_KEYS)[number];

/** Event history keeps 90 days. */
export const LOOKUP_WINDOW_MS = 90 * 24 * 3600 * 1000;
export const MAX_RESULTS = 50;
const MAX_ATTRIBUTE_VALUE = 2000;

/** One event as `LookupEvents` returns it. */
export interface LookupEvent {
  EventId: string;
  EventName: string;
  ReadOnly: 'true' | 'false';
  AccessKeyId?: string;
  /** Epoch seconds (the JSON protocol's timestamp format). */
  EventTime: number;
  EventSource: string;
  Username?: string;
  Resources: { ResourceType: string; ResourceName: string }[];
  /** The whole record as a JSON string. */
  CloudTrailEvent: string;
}

export interface LookupResult {
  Events: LookupEvent[];
  NextToken?: string;
}

interface Stored {
  seq: number;
  timeMs: number;
  record: CloudTrailRecord;
}

/** What `LookupEvents` shows as `Username`: the user name, or the session name of a role session. */
export function usernameOf(record: CloudTrailRecord): string | undefined {
  const identity = record.userIdentity;
  if (identity.userName !== undefined) return identity.userName;
  if (identity.type === 'AssumedRole' && identity.arn !== undefined)
    return identity.arn.slice(identity.arn.lastIndexOf('/') + 1);
  return undefined;
}

function matches(record: CloudTrailRecord, key: LookupAttributeKey, value: string): boolean {
  switch (key) {
    case 'EventId':
      return record.eventID === value;
    case 'EventName':
      return record.eventName === value;
    case 'ReadOnly':
      return String(record.readOnly) === value;
    case 'Username':
      return usernameOf(record) === value;
    case 'ResourceType':
      return (record.resources ?? []).some((resource) => resource.type === value);
    case 'ResourceName':
      return (record.resources ?? []).some((resource) => resource.ARN === value);
    case 'EventSource':
      return record.eventSource === value;
    case 'AccessKeyId':
      return record.userIdentity.accessKeyId === value;
  }
}

/** JSON-protocol timestamps: epoch seconds (possibly fractional); ISO strings are accepted too. */
function timeOf(field: string, value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  const ms = typeof value === 'number' ? value * 1000 : typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw new CloudTrailApiError(
      'InvalidTimeRangeException',
      `${field}: ${JSON.stringify(value)} is not a timestamp; allowed: epoch seconds or an ISO 8601 time`,
    );
  }
  return ms;
}

interface LookupInput {
  accountId: string;
  region: string;
  request: Record<string, unknown>;
  now: Date;
}

interface Token {
  q: string;
  t: number;
  s: number;
}

/**
 * The event history behind `LookupEvents`: management events of the last 90 days, per account and
 * region, newest first, with the real API's limits (one lookup attribute, at most 50 per page,
 * `NextToken` bound to the query that issued it).
 */
export class EventStore {
  readonly #events: Stored[] = [];
  #seq = 0;

  add(record: CloudTrailRecord): void {
    const timeMs = Date.parse(record.eventTime);
    this.#events.push({ seq: this.#seq++, timeMs: Number.isNaN(timeMs) ? 0 : timeMs, record });
  }

  all(): CloudTrailRecord[] {
    return this.#events.map((event) => event.record);
  }

  lookup(input: LookupInput): LookupResult {
    const { request } = input;
    const attributes = request.LookupAttributes ?? [];
    if (!Array.isArray(attributes)) {
      throw new CloudTrailApiError('InvalidLookupAttributesException', 'LookupAttributes must be a list');
    }
    if (attributes.length > 1) {
      throw new CloudTrailApiError(
        'InvalidLookupAttributesException',
        `LookupAttributes: got ${attributes.length} attributes; allowed: at most one lookup attribute per request`,
      );
    }
    let filter: { key: LookupAttributeKey; value: string } | undefined;
    const attribute: unknown = attributes[0];
    if (attribute !== undefined) {
      const { AttributeKey: key, AttributeValue: value } = (attribute ?? {}) as Record<string, unknown>;
      if (typeof key !== 'string' || !(LOOKUP_ATTRIBUTE_KEYS as readonly string[]).includes(key)) {
        throw new CloudTrailApiError(
          'InvalidLookupAttributesException',
          `AttributeKey: got ${JSON.stringify(key)}; allowed: ${LOOKUP_ATTRIBUTE_KEYS.join(', ')}`,
        );
      }
      if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ATTRIBUTE_VALUE) {
        throw new CloudTrailApiError(
          'InvalidLookupAttributesException',
          `AttributeValue: got ${JSON.stringify(value)}; allowed: a string of 1 to ${MAX_ATTRIBUTE_VALUE} characters`,
        );
      }
      filter = { key: key as LookupAttributeKey, value };
    }

    const maxResults = request.MaxResults ?? MAX_RESULTS;
    if (typeof maxResults !== 'number' || !Number.isInteger(maxResults) || maxResults < 1 || maxResults > MAX_RESULTS) {
      throw new CloudTrailApiError(
        'InvalidMaxResultsException',
        `MaxResults: got ${JSON.stringify(maxResults)}; allowed: an integer from 1 to ${MAX_RESULTS}`,
      );
    }

    const category = request.EventCategory;
    if (category !== undefined && category !== 'insight') {
      throw new CloudTrailApiError(
        'InvalidEventCategoryException',
        `EventCategory: got ${JSON.stringify(category)}; allowed: insight`,
      );
    }

    const nowMs = input.now.getTime();
    const start = timeOf('StartTime', request.StartTime);
    const end = timeOf('EndTime', request.EndTime);
    if (start !== undefined && end !== undefined && start > end) {
      throw new CloudTrailApiError(
        'InvalidTimeRangeException',
        `StartTime ${new Date(start).toISOString()} is after EndTime ${new Date(end).toISOString()}; the start must not be after the end`,
      );
    }
    const from = Math.max(start ?? nowMs - LOOKUP_WINDOW_MS, nowMs - LOOKUP_WINDOW_MS);
    const to = end ?? nowMs;

    const queryId = createHash('sha256')
      .update(
        JSON.stringify([input.accountId, input.region, filter ?? null, start ?? null, end ?? null, category ?? null]),
      )
      .digest('base64url')
      .slice(0, 16);
    const cursor = request.NextToken === undefined ? undefined : decodeToken(request.NextToken, queryId);

    // Insight events are never generated locally.
    if (category === 'insight') return { Events: [] };

    const selected = this.#events.filter((event) => {
      const record = event.record;
      return (
        record.recipientAccountId === input.accountId &&
        record.awsRegion === input.region &&
        record.managementEvent &&
        event.timeMs >= from &&
        event.timeMs <= to &&
        (filter === undefined || matches(record, filter.key, filter.value)) &&
        (cursor === undefined || isAfter(event, cursor))
      );
    });
    selected.sort(compareNewestFirst);
    const page = selected.slice(0, maxResults);
    const more = selected.length > maxResults;
    const last = page[page.length - 1];
    return {
      Events: page.map((event) => toLookupEvent(event.record)),
      ...(more && last !== undefined ? { NextToken: encodeToken({ q: queryId, t: last.timeMs, s: last.seq }) } : {}),
    };
  }
}

function compareNewestFirst(a: Stored, b: Stored): number {
  return b.timeMs - a.timeMs || b.seq - a.seq;
}

/** True when `event` comes after the cursor in newest-first order. */
function isAfter(event: Stored, cursor: Token): boolean {
  return event.timeMs < cursor.t || (event.timeMs === cursor.t && event.seq < cursor.s);
}

function encodeToken(token: Token): string {
  return Buffer.from(JSON.stringify(token), 'utf8').toString('base64url');
}

function decodeToken(value: unknown, queryId: string): Token {
  const invalid = new CloudTrailApiError(
    'InvalidNextTokenException',
    'NextToken: not a token this query issued; pass the NextToken of the previous page unchanged, with the same parameters',
  );
  if (typeof value !== 'string' || value.length > 1024) throw invalid;
  let token: unknown;
  try {
    token = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  const t = token as Partial<Token> | null;
  if (typeof t !== 'object' || t === null || t.q !== queryId || typeof t.t !== 'number' || typeof t.s !== 'number') {
    throw invalid;
  }
  return { q: t.q, t: t.t, s: t.s };
}

export function toLookupEvent(record: CloudTrailRecord): LookupEvent {
  const username = usernameOf(record);
  const accessKeyId = record.userIdentity.accessKeyId;
  return {
    EventId: record.eventID,
    EventName: record.eventName,
    ReadOnly: record.readOnly ? 'true' : 'false',
    ...(accessKeyId === undefined ? {} : { AccessKeyId: accessKeyId }),
    EventTime: Math.floor(Date.parse(record.eventTime) / 1000),
    EventSource: record.eventSource,
    ...(username === undefined ? {} : { Username: username }),
    Resources: (record.resources ?? []).map((resource) => ({
      ResourceType: resource.type,
      ResourceName: resource.ARN,
    })),
    CloudTrailEvent: JSON.stringify(record),
  };
}

/** At most `perSecond` calls per key in any one-second window (LookupEvents: 2 per account and region). */
export class Throttle {
  readonly #calls = new Map<string, number[]>();
  readonly #perSecond: number;

  constructor(perSecond: number) {
    this.#perSecond = perSecond;
  }

  take(key: string, now: Date): boolean {
    const nowMs = now.getTime();
    const recent = (this.#calls.get(key) ?? []).filter((at) => nowMs - at < 1000);
    if (recent.length >= this.#perSecond) {
      this.#calls.set(key, recent);
      return false;
    }
    recent.push(nowMs);
    this.#calls.set(key, recent);
    return true;
  }
}
