import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CloudTrailApiError, EventStore, type LookupResult, Throttle } from '../../src/cloudtrail/lookup.js';
import type { CloudTrailRecord } from '../../src/cloudtrail/types.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const ACCOUNT = '111111111111';

let counter = 0;
function record(overrides: Partial<CloudTrailRecord> & { eventTime: string }): CloudTrailRecord {
  counter++;
  return {
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole',
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/AgentElevated-Ops/jit-01HX`,
      accessKeyId: 'ASIAAGENT00000000001',
      accountId: ACCOUNT,
    },
    eventSource: 'ec2.amazonaws.com',
    eventName: 'DescribeInstances',
    awsRegion: 'us-east-1',
    sourceIPAddress: '127.0.0.1',
    userAgent: 'test',
    requestParameters: null,
    responseElements: null,
    requestID: `req-${counter}`,
    eventID: `evt-${String(counter).padStart(6, '0')}`,
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
    ...overrides,
  };
}

function minutesAgo(minutes: number): string {
  return `${new Date(NOW.getTime() - minutes * 60_000).toISOString().slice(0, 19)}Z`;
}

function lookup(store: EventStore, request: Record<string, unknown>, region = 'us-east-1'): LookupResult {
  return store.lookup({ accountId: ACCOUNT, region, request, now: NOW });
}

function errorOf(run: () => unknown): CloudTrailApiError {
  try {
    run();
  } catch (error) {
    if (error instanceof CloudTrailApiError) return error;
    throw error;
  }
  throw new Error('expected a CloudTrailApiError');
}

describe('LookupEvents limits', () => {
  const store = new EventStore();
  store.add(record({ eventTime: minutesAgo(5) }));

  it('refuses more than one lookup attribute', () => {
    const error = errorOf(() =>
      lookup(store, {
        LookupAttributes: [
          { AttributeKey: 'Username', AttributeValue: 'jit-01HX' },
          { AttributeKey: 'EventName', AttributeValue: 'DescribeInstances' },
        ],
      }),
    );
    expect(error.code).toBe('InvalidLookupAttributesException');
    expect(error.message).toContain('at most one lookup attribute');
  });

  it('refuses an unknown attribute key and names the allowed ones', () => {
    const error = errorOf(() =>
      lookup(store, { LookupAttributes: [{ AttributeKey: 'SourceIp', AttributeValue: 'x' }] }),
    );
    expect(error.code).toBe('InvalidLookupAttributesException');
    expect(error.message).toContain('"SourceIp"');
    expect(error.message).toContain('AccessKeyId');
  });

  it('refuses an empty attribute value', () => {
    expect(
      errorOf(() => lookup(store, { LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: '' }] })).code,
    ).toBe('InvalidLookupAttributesException');
  });

  it.each([0, 51, 2.5, '10'])('refuses MaxResults %j (allowed: 1 to 50)', (maxResults) => {
    expect(errorOf(() => lookup(store, { MaxResults: maxResults })).code).toBe('InvalidMaxResultsException');
  });

  it('refuses a start time after the end time', () => {
    const error = errorOf(() => lookup(store, { StartTime: NOW.getTime() / 1000, EndTime: NOW.getTime() / 1000 - 60 }));
    expect(error.code).toBe('InvalidTimeRangeException');
  });

  it('refuses an event category other than insight', () => {
    expect(errorOf(() => lookup(store, { EventCategory: 'management' })).code).toBe('InvalidEventCategoryException');
  });

  it('refuses a NextToken issued for another query', () => {
    const busy = new EventStore();
    for (let i = 0; i < 3; i++) busy.add(record({ eventTime: minutesAgo(i) }));
    const first = lookup(busy, { MaxResults: 1 });

    const error = errorOf(() =>
      lookup(busy, {
        MaxResults: 1,
        NextToken: first.NextToken,
        LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'DescribeInstances' }],
      }),
    );
    expect(error.code).toBe('InvalidNextTokenException');
    expect(errorOf(() => lookup(busy, { NextToken: 'garbage' })).code).toBe('InvalidNextTokenException');
  });
});

describe('LookupEvents results', () => {
  it('returns management events of the caller account and region, newest first, with CloudTrailEvent as a JSON string', () => {
    const store = new EventStore();
    const older = record({ eventTime: minutesAgo(10) });
    const newer = record({ eventTime: minutesAgo(1) });
    store.add(newer);
    store.add(older);
    store.add(record({ eventTime: minutesAgo(2), recipientAccountId: '222222222222' }));
    store.add(record({ eventTime: minutesAgo(2), awsRegion: 'eu-west-1' }));
    store.add(record({ eventTime: minutesAgo(2), managementEvent: false, eventCategory: 'Data' }));

    const result = lookup(store, {});

    expect(result.Events.map((e) => e.EventId)).toEqual([newer.eventID, older.eventID]);
    expect(result.NextToken).toBeUndefined();
    expect(result.Events[0]).toEqual({
      EventId: newer.eventID,
      EventName: 'DescribeInstances',
      ReadOnly: 'true',
      AccessKeyId: 'ASIAAGENT00000000001',
      EventTime: Math.floor(Date.parse(newer.eventTime) / 1000),
      EventSource: 'ec2.amazonaws.com',
      Username: 'jit-01HX',
      Resources: [],
      CloudTrailEvent: JSON.stringify(newer),
    });
  });

  it('forgets events older than 90 days even when StartTime asks for them', () => {
    const store = new EventStore();
    store.add(record({ eventTime: minutesAgo(91 * 24 * 60) }));
    store.add(record({ eventTime: minutesAgo(89 * 24 * 60) }));

    const result = lookup(store, { StartTime: 0 });

    expect(result.Events).toHaveLength(1);
  });

  it('filters by one attribute: access key, user name (session name), event name, read-only, resource', () => {
    const store = new EventStore();
    const write = record({
      eventTime: minutesAgo(3),
      eventName: 'TerminateInstances',
      readOnly: false,
      resources: [{ type: 'AWS::EC2::Instance', ARN: 'arn:aws:ec2:us-east-1:111111111111:instance/i-1' }],
    });
    const other = record({
      eventTime: minutesAgo(2),
      userIdentity: { type: 'IAMUser', userName: 'alice', accessKeyId: 'AKIAALICE', accountId: ACCOUNT },
    });
    store.add(write);
    store.add(other);
    const ids = (key: string, value: string): string[] =>
      lookup(store, { LookupAttributes: [{ AttributeKey: key, AttributeValue: value }] }).Events.map((e) => e.EventId);

    expect(ids('AccessKeyId', 'AKIAALICE')).toEqual([other.eventID]);
    expect(ids('Username', 'jit-01HX')).toEqual([write.eventID]);
    expect(ids('Username', 'alice')).toEqual([other.eventID]);
    expect(ids('EventName', 'TerminateInstances')).toEqual([write.eventID]);
    expect(ids('ReadOnly', 'false')).toEqual([write.eventID]);
    expect(ids('ResourceType', 'AWS::EC2::Instance')).toEqual([write.eventID]);
    expect(ids('ResourceName', 'arn:aws:ec2:us-east-1:111111111111:instance/i-1')).toEqual([write.eventID]);
    expect(ids('EventId', other.eventID)).toEqual([other.eventID]);
    expect(ids('EventSource', 'sts.amazonaws.com')).toEqual([]);
  });

  it('pages through every matching event exactly once, newest first, whatever the page size and arrival order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 600 }), { minLength: 0, maxLength: 120 }),
        fc.integer({ min: 1, max: 50 }),
        (ages, pageSize) => {
          const store = new EventStore();
          const added = ages.map((age) => record({ eventTime: minutesAgo(age) }));
          for (const item of added) store.add(item);

          const seen: string[] = [];
          let token: string | undefined;
          let pages = 0;
          do {
            const page = lookup(store, { MaxResults: pageSize, ...(token === undefined ? {} : { NextToken: token }) });
            expect(page.Events.length).toBeLessThanOrEqual(pageSize);
            seen.push(...page.Events.map((e) => e.EventId));
            token = page.NextToken;
            pages++;
          } while (token !== undefined && pages < 200);

          const expected = added
            .map((item, index) => ({ item, index }))
            .sort((a, b) => Date.parse(b.item.eventTime) - Date.parse(a.item.eventTime) || b.index - a.index)
            .map(({ item }) => item.eventID);
          expect(seen).toEqual(expected);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('the LookupEvents throttle', () => {
  it('allows two calls per second per key and refuses the third', () => {
    const throttle = new Throttle(2);
    const at = (ms: number): Date => new Date(NOW.getTime() + ms);

    expect(throttle.take('a', at(0))).toBe(true);
    expect(throttle.take('a', at(100))).toBe(true);
    expect(throttle.take('a', at(200))).toBe(false);
    expect(throttle.take('b', at(200))).toBe(true);
    expect(throttle.take('a', at(1000))).toBe(true);
    expect(throttle.take('a', at(1050))).toBe(false);
  });
});
