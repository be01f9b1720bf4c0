// jit-audit report --source lookup through the real AWS SDK client and its JSON 1.1 wire protocol. moto has
// no LookupEvents, so a loopback server answers the way CloudTrail does: one attribute per request, 50 events
// per page with NextToken, ThrottlingException when asked too fast.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Report, runReportCommand } from '../../src/report/index.js';
import { call, GRANT_ID, jitSession, SESSION_KEY } from '../fixtures/report/build.js';

interface LookupRequest {
  LookupAttributes?: { AttributeKey: string; AttributeValue: string }[];
  MaxResults?: number;
  NextToken?: string;
  StartTime?: number;
}

const requests: { target: string; body: LookupRequest }[] = [];
let server: Server;
let endpoint = '';

// 60 calls of the session: two pages for its access key.
const [grant, ...firstCalls] = jitSession();
const manyCalls = [
  ...firstCalls,
  ...Array.from({ length: 54 }, (_, i) =>
    call({
      time: `2026-03-25T12:10:${String(i).padStart(2, '0')}Z`,
      eventSource: 'ecs.amazonaws.com',
      eventName: 'DescribeTasks',
      readOnly: true,
    }),
  ),
];

function events(records: readonly Record<string, unknown>[]) {
  return records.map((r) => ({
    EventId: r.eventID,
    EventName: r.eventName,
    EventTime: Date.parse(String(r.eventTime)) / 1000,
    EventSource: r.eventSource,
    CloudTrailEvent: JSON.stringify(r),
  }));
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID = 'testing';
  process.env.AWS_SECRET_ACCESS_KEY = 'testing';
  let throttledOnce = false;
  server = createServer(async (req, res) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const request = JSON.parse(await body(req)) as LookupRequest;
    requests.push({ target, body: request });
    const reply = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'r' });
      res.end(JSON.stringify(payload));
    };
    if (!throttledOnce) {
      throttledOnce = true;
      reply(400, { __type: 'ThrottlingException', message: 'Rate exceeded' });
      return;
    }
    const attribute = request.LookupAttributes?.[0];
    if (attribute?.AttributeKey === 'EventName' && attribute.AttributeValue === 'AssumeRole') {
      reply(200, { Events: events([grant as Record<string, unknown>]) });
      return;
    }
    if (attribute?.AttributeKey === 'AccessKeyId' && attribute.AttributeValue === SESSION_KEY) {
      const start = request.NextToken === undefined ? 0 : Number(request.NextToken);
      const page = manyCalls.slice(start, start + 50);
      reply(200, { Events: events(page), ...(start + 50 < manyCalls.length ? { NextToken: String(start + 50) } : {}) });
      return;
    }
    reply(200, { Events: [] });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('jit-audit report --source lookup', () => {
  it('finds the grant, pages through its key’s calls and rides out a ThrottlingException', async () => {
    let out = '';
    const code = await runReportCommand(
      [
        '--source',
        'lookup',
        '--endpoint-url',
        endpoint,
        '--region',
        'ap-southeast-2',
        '--since',
        '2026-03-25T11:00:00Z',
        '--until',
        '2026-03-25T13:00:00Z',
        '--json',
      ],
      {
        stdout: { write: (s: string) => (out += s) },
        stderr: { write: () => true },
        env: {},
        now: () => new Date('2026-03-25T13:00:00Z'),
      },
    );

    const report = JSON.parse(out) as Report;
    expect(code).toBe(3);
    expect(report.sessions.map((s) => [s.grantId, s.counts.calls, s.counts.denied, s.counts.outsideWindow])).toEqual([
      [GRANT_ID, 60, 1, 1],
    ]);
    expect(requests.every((r) => r.target.endsWith('.LookupEvents'))).toBe(true);
    expect(requests.map((r) => [r.body.LookupAttributes, r.body.MaxResults, r.body.NextToken])).toEqual([
      [[{ AttributeKey: 'EventName', AttributeValue: 'AssumeRole' }], 50, undefined],
      [[{ AttributeKey: 'EventName', AttributeValue: 'AssumeRole' }], 50, undefined],
      [[{ AttributeKey: 'AccessKeyId', AttributeValue: SESSION_KEY }], 50, undefined],
      [[{ AttributeKey: 'AccessKeyId', AttributeValue: SESSION_KEY }], 50, '50'],
    ]);
    expect(requests[0]?.body.StartTime).toBe(Date.parse('2026-03-25T11:00:00Z') / 1000);
  });
});
