// jit-audit report against the trail's S3 layout, on moto_server (the local AWS emulator).
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { gzipSync } from 'node:zlib';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  collectSessions,
  type Report,
  runReportCommand,
  runSessionsCommand,
  s3LogSource,
  trailLogKeys,
} from '../../src/report/index.js';
import { assumeRole, call, GRANT_ID, jitSession, logFile } from '../fixtures/report/build.js';

const BUCKET = 'org-trail-logs';
const ORG = 'o-abc123def4';
const ORG_GRANT = '01JQ9ORGTRA1LGRANT00000000';
let moto: ChildProcess | undefined;
let endpoint = '';
let s3: S3Client;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

async function waitForHttp(url: string, deadline: number): Promise<void> {
  for (;;) {
    try {
      await fetch(url);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function put(key: string, body: Uint8Array | string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
}

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID = 'testing';
  process.env.AWS_SECRET_ACCESS_KEY = 'testing';
  process.env.AWS_REGION = 'us-east-1';
  const port = await freePort();
  endpoint = `http://127.0.0.1:${port}`;
  moto = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  await waitForHttp(`${endpoint}/moto-api/`, Date.now() + 60_000);
  s3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));

  const account = 'AWSLogs/222222222222/CloudTrail/ap-southeast-2';
  const [grant, ...calls] = jitSession();
  await put(
    `${account}/2026/03/25/222222222222_CloudTrail_ap-southeast-2_20260325T1205Z_a.json.gz`,
    gzipSync(logFile([grant, ...calls.slice(0, 3)])),
  );
  await put(
    `${account}/2026/03/25/222222222222_CloudTrail_ap-southeast-2_20260325T1220Z_b.json.gz`,
    gzipSync(logFile(calls.slice(3))),
  );
  await put(
    `${account}/2026/03/25/222222222222_CloudTrail_ap-southeast-2_20260325T1225Z_c.json.gz`,
    gzipSync(logFile(calls)).subarray(0, 30),
  );
  // Outside the window: must not even be listed.
  await put(
    `${account}/2026/03/20/222222222222_CloudTrail_ap-southeast-2_20260320T0900Z_d.json.gz`,
    gzipSync(
      logFile([
        assumeRole({
          time: '2026-03-20T09:00:00Z',
          grantId: '01JQ0LDGRANT00000000000000',
          accessKeyId: 'ASIAOLDGRANT00000001',
        }),
      ]),
    ),
  );
  // Digests live beside CloudTrail/, not under it.
  await put(
    'AWSLogs/222222222222/CloudTrail-Digest/ap-southeast-2/2026/03/25/222222222222_CloudTrail-Digest_ap-southeast-2_t_ap-southeast-2_20260325T1300Z.json.gz',
    gzipSync('{}'),
  );

  // Organization layout, another account; a record of 23:58 delivered in the next day's folder.
  const org = `AWSLogs/${ORG}/333333333333/CloudTrail/us-east-1`;
  await put(
    `${org}/2026/03/26/333333333333_CloudTrail_us-east-1_20260326T0005Z_e.json.gz`,
    gzipSync(
      logFile([
        assumeRole({
          time: '2026-03-25T23:50:00Z',
          grantId: ORG_GRANT,
          accessKeyId: 'ASIAORGSESSION000001',
          tags: { 'jit:grant': ORG_GRANT, 'jit:until': '2026-03-26T00:05:00Z' },
        }),
        call({
          time: '2026-03-25T23:58:00Z',
          eventSource: 'ec2.amazonaws.com',
          eventName: 'DescribeInstances',
          readOnly: true,
          accessKeyId: 'ASIAORGSESSION000001',
          sessionName: `jit-${ORG_GRANT}`,
          sourceIdentity: `jit-${ORG_GRANT}`,
        }),
      ]),
    ),
  );
}, 90_000);

afterAll(() => {
  if (moto?.pid !== undefined) process.kill(moto.pid);
});

const since = new Date('2026-03-25T00:00:00Z');
const until = new Date('2026-03-25T23:59:59Z');

describe('the S3 source', () => {
  it('lists only the window’s day folders (plus one for delivery lag) in both layouts', async () => {
    const keys: string[] = [];
    for await (const key of trailLogKeys({ client: s3, bucket: BUCKET, since, until })) keys.push(key);

    expect(keys.map((k) => k.slice(k.lastIndexOf('_') + 1))).toEqual([
      'a.json.gz',
      'b.json.gz',
      'c.json.gz',
      'e.json.gz',
    ]);
  });

  it('reads one account of the organization trail only', async () => {
    const result = await collectSessions(
      s3LogSource({ client: s3, bucket: BUCKET, organizationId: ORG, accountIds: ['333333333333'], since, until }),
      { since, until },
    );

    expect(result.sessions.map((s) => [s.id, s.calls.length])).toEqual([[ORG_GRANT, 1]]);
    expect(result.findings).toEqual([]);
  });
});

describe('jit-audit report --source s3', () => {
  it('builds the report from the bucket and lists the truncated file as a finding', async () => {
    let out = '';
    const code = await runReportCommand(
      [
        '--bucket',
        BUCKET,
        '--endpoint-url',
        endpoint,
        '--since',
        '2026-03-25',
        '--until',
        '2026-03-25T23:59:59Z',
        '--json',
      ],
      { stdout: { write: (s: string) => (out += s) }, stderr: { write: () => true }, env: {} },
    );

    const report = JSON.parse(out) as Report;
    expect(code).toBe(3);
    expect(report.sessions.map((s) => [s.grantId, s.counts.calls, s.counts.denied, s.counts.outsideWindow])).toEqual([
      [GRANT_ID, 6, 1, 1],
      [ORG_GRANT, 1, 0, 0],
    ]);
    expect(report.findings.map((f) => [f.kind, f.source.endsWith('c.json.gz')])).toEqual([['unreadable-file', true]]);
    expect(report.input.files).toBe(3);
  });

  it('lists sessions for one account', async () => {
    let out = '';
    const code = await runSessionsCommand(
      [
        '--bucket',
        BUCKET,
        '--endpoint-url',
        endpoint,
        '--account-id',
        '333333333333',
        '--since',
        '2026-03-25',
        '--until',
        '2026-03-25T23:59:59Z',
      ],
      { stdout: { write: (s: string) => (out += s) }, stderr: { write: () => true }, env: {} },
    );

    expect(code).toBe(0);
    expect(out).toContain(ORG_GRANT);
    expect(out).not.toContain(GRANT_ID);
  });

  it('fails with exit code 1 when the bucket does not exist', async () => {
    let err = '';
    const code = await runReportCommand(
      ['--bucket', 'no-such-bucket', '--endpoint-url', endpoint, '--since', '2026-03-25'],
      {
        stdout: { write: () => true },
        stderr: { write: (s: string) => (err += s) },
        env: {},
      },
    );

    expect(code).toBe(1);
    expect(err).toContain('cannot list s3://no-such-bucket/');
  });
});
