import type { LookupEventsCommandInput, LookupEventsCommandOutput } from '@aws-sdk/client-cloudtrail';
import { describe, expect, it } from 'vitest';
import {
  collectSessions,
  lookupEventsSource,
  lookupSessionRecords,
  RateLimiter,
  ReportError,
  type SourceItem,
} from '../../src/report/index.js';
import { assumeRole, GRANT_ID, jitSession, SESSION_KEY } from '../fixtures/report/build.js';

// LookupEvents cannot run here (moto does not implement it; the local edge serves it, see the integration
// test); this client answers the way the service does, page by page, so that paging, pacing and backoff run.
type Answer = LookupEventsCommandOutput | Error;

function fakeClient(answer: (input: LookupEventsCommandInput, call: number) => Answer) {
  const inputs: LookupEventsCommandInput[] = [];
  const client = {
    send: async (command: { input: LookupEventsCommandInput }) => {
      inputs.push(command.input);
      const out = answer(command.input, inputs.length);
      if (out instanceof Error) throw out;
      return out;
    },
  };
  return { client: client as never, inputs };
}

function page(records: readonly unknown[], next?: string): LookupEventsCommandOutput {
  return {
    $metadata: {},
    Events: records.map((r) => ({ CloudTrailEvent: typeof r === 'string' ? r : JSON.stringify(r) })),
    ...(next === undefined ? {} : { NextToken: next }),
  };
}

function throttle(): Error {
  return Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
}

function clock(start = Date.parse('2026-03-25T13:00:00Z')) {
  let t = start;
  const sleeps: number[] = [];
  return {
    now: () => new Date(t),
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
    sleeps,
    at: () => t,
  };
}

async function collect(items: AsyncIterable<SourceItem>): Promise<SourceItem[]> {
  const out: SourceItem[] = [];
  for await (const item of items) out.push(item);
  return out;
}

function recordCount(items: readonly SourceItem[]): number {
  return items.reduce((n, i) => n + (i.type === 'records' ? i.records.length : 0), 0);
}

const since = new Date('2026-03-25T11:00:00Z');
const until = new Date('2026-03-25T13:00:00Z');

describe('lookupEventsSource', () => {
  it('asks for one attribute, 50 per page, and follows NextToken to the end', async () => {
    const records = jitSession().slice(1);
    const { client, inputs } = fakeClient((input) =>
      input.NextToken === undefined ? page(records.slice(0, 4), 't1') : page(records.slice(4)),
    );
    const c = clock();

    const items = await collect(
      lookupEventsSource({
        client,
        attribute: { key: 'AccessKeyId', value: SESSION_KEY },
        since,
        until,
        now: c.now,
        clock: c.at,
        sleep: c.sleep,
      }),
    );

    expect(recordCount(items)).toBe(6);
    expect(inputs).toEqual([
      {
        LookupAttributes: [{ AttributeKey: 'AccessKeyId', AttributeValue: SESSION_KEY }],
        StartTime: since,
        EndTime: until,
        MaxResults: 50,
      },
      {
        LookupAttributes: [{ AttributeKey: 'AccessKeyId', AttributeValue: SESSION_KEY }],
        StartTime: since,
        EndTime: until,
        MaxResults: 50,
        NextToken: 't1',
      },
    ]);
  });

  it('spaces requests to 2 per second', async () => {
    const { client } = fakeClient((input) =>
      input.NextToken === undefined ? page([], 'a') : input.NextToken === 'a' ? page([], 'b') : page([]),
    );
    const c = clock();

    await collect(
      lookupEventsSource({
        client,
        attribute: { key: 'Username', value: 'jit-x' },
        since,
        until,
        now: c.now,
        clock: c.at,
        sleep: c.sleep,
      }),
    );

    expect(c.sleeps).toEqual([500, 500]);
  });

  it('backs off exponentially on ThrottlingException and then carries on', async () => {
    const { client, inputs } = fakeClient((_input, n) => (n <= 3 ? throttle() : page(jitSession().slice(1, 2))));
    const c = clock();

    const items = await collect(
      lookupEventsSource({
        client,
        attribute: { key: 'Username', value: 'jit-x' },
        since,
        until,
        now: c.now,
        clock: c.at,
        sleep: c.sleep,
        random: () => 0,
      }),
    );

    expect(recordCount(items)).toBe(1);
    expect(inputs).toHaveLength(4);
    // Backoff 500·2^n, halved by zero jitter (250, 500, 1000); the limiter adds a wait (250) only where a
    // backoff was shorter than its 500 ms spacing.
    expect(c.sleeps).toEqual([250, 250, 500, 1000]);
  });

  it('gives up with a Throttled error after the last retry', async () => {
    const { client } = fakeClient(() => throttle());
    const c = clock();

    const run = collect(
      lookupEventsSource({
        client,
        attribute: { key: 'Username', value: 'x' },
        since,
        until,
        now: c.now,
        clock: c.at,
        sleep: c.sleep,
        maxRetries: 2,
      }),
    );

    await expect(run).rejects.toMatchObject({ code: 'REPORT_THROTTLED' });
  });

  it('fails with SourceFailed on other errors', async () => {
    const { client } = fakeClient(() => Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
    const c = clock();

    const run = collect(
      lookupEventsSource({
        client,
        attribute: { key: 'Username', value: 'x' },
        since,
        until,
        now: c.now,
        clock: c.at,
        sleep: c.sleep,
      }),
    );

    await expect(run).rejects.toBeInstanceOf(ReportError);
    await expect(run).rejects.toMatchObject({ code: 'REPORT_SOURCE_FAILED' });
  });

  it('turns an event whose CloudTrailEvent is not JSON into a finding and keeps going', async () => {
    const { client } = fakeClient(() => page(['{"eventTime":', jitSession()[1]]));
    const c = clock();

    const items = await collect(
      lookupEventsSource({
        client,
        attribute: { key: 'Username', value: 'x' },
        since,
        until,
        now: c.now,
        clock: c.at,
        sleep: c.sleep,
      }),
    );

    expect(items.map((i) => (i.type === 'records' ? i.records.length : i.type))).toEqual(['finding', 1]);
  });

  it('refuses a window older than 90 days before sending anything', async () => {
    const { client, inputs } = fakeClient(() => page([]));
    const c = clock();

    const run = collect(
      lookupEventsSource({
        client,
        attribute: { key: 'Username', value: 'x' },
        since: new Date('2025-12-01T00:00:00Z'),
        until,
        now: c.now,
        clock: c.at,
        sleep: c.sleep,
      }),
    );

    await expect(run).rejects.toThrow(/LookupEvents only keeps 90 days/);
    expect(inputs).toEqual([]);
  });
});

describe('RateLimiter', () => {
  it('lets the first request through at once', async () => {
    const c = clock();
    const limiter = new RateLimiter(500, () => c.at(), c.sleep);

    await limiter.wait();

    expect(c.sleeps).toEqual([]);
  });
});

describe('lookupSessionRecords', () => {
  const other = assumeRole({
    time: '2026-03-25T12:10:00Z',
    grantId: 'x',
    roleSessionName: 'ci-deploy',
    sourceIdentity: 'ci',
    tags: {},
    accessKeyId: 'ASIANOTAJITGRANT0001',
  });
  const [grant, ...calls] = jitSession();

  function service() {
    return fakeClient((input) => {
      const attribute = input.LookupAttributes?.[0];
      if (attribute?.AttributeKey === 'EventName') return page([grant, other]);
      if (attribute?.AttributeKey === 'AccessKeyId' && attribute.AttributeValue === SESSION_KEY) return page(calls);
      if (attribute?.AttributeKey === 'Username') return page(calls.slice(0, 2));
      return page([]);
    });
  }

  it('finds the grants among AssumeRole events, then reads the calls of each key a jit grant returned', async () => {
    const { client, inputs } = service();
    const c = clock();

    const result = await collectSessions(
      lookupSessionRecords({ clients: [client], since, until, now: c.now, clock: c.at, sleep: c.sleep }),
    );

    expect(inputs.map((i) => i.LookupAttributes?.[0])).toEqual([
      { AttributeKey: 'EventName', AttributeValue: 'AssumeRole' },
      { AttributeKey: 'AccessKeyId', AttributeValue: SESSION_KEY },
    ]);
    expect(result.sessions.map((s) => [s.id, s.calls.length, s.grants.length])).toEqual([[GRANT_ID, 6, 1]]);
  });

  it('also asks by user name for a named session and counts events returned twice once', async () => {
    const { client, inputs } = service();
    const c = clock();

    const result = await collectSessions(
      lookupSessionRecords({
        clients: [client],
        since,
        until,
        session: GRANT_ID,
        now: c.now,
        clock: c.at,
        sleep: c.sleep,
      }),
      { session: GRANT_ID },
    );

    expect(inputs.map((i) => i.LookupAttributes?.[0]?.AttributeValue)).toEqual([
      'AssumeRole',
      `jit-${GRANT_ID}`,
      SESSION_KEY,
    ]);
    expect(result.sessions[0]?.calls).toHaveLength(6);
  });

  it('uses exactly the attributes it is given', async () => {
    const { client, inputs } = service();
    const c = clock();

    await collect(
      lookupSessionRecords({
        clients: [client],
        since,
        until,
        attributes: [{ key: 'Username', value: 'jit-x' }],
        now: c.now,
        clock: c.at,
        sleep: c.sleep,
      }),
    );

    expect(inputs.map((i) => i.LookupAttributes)).toEqual([[{ AttributeKey: 'Username', AttributeValue: 'jit-x' }]]);
  });

  it('reads every AssumeRole key in all-assumed-roles mode', async () => {
    const { client, inputs } = service();
    const c = clock();

    await collect(
      lookupSessionRecords({
        clients: [client],
        since,
        until,
        mode: 'all-assumed-roles',
        now: c.now,
        clock: c.at,
        sleep: c.sleep,
      }),
    );

    expect(inputs.map((i) => i.LookupAttributes?.[0]?.AttributeValue)).toEqual([
      'AssumeRole',
      'ASIAJITSESSIONKEY0001',
      'ASIANOTAJITGRANT0001',
    ]);
  });
});
