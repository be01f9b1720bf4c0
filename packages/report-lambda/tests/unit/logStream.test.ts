import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type CloudTrailRecord, type Finding, readLogFile } from '@jit-access/audit';
import { describe, expect, it } from 'vitest';
import { consumeLogFile, type LogFileStats } from '../../src/records/logStream.js';
import { type RelevanceFilter, relevanceFilter } from '../../src/records/relevance.js';
import { callRecord, grantRecord, SECRET_ACCESS_KEY, SESSION_TOKEN, serviceRoleRecord } from '../helpers/records.js';

const T0 = new Date('2026-03-02T10:00:00Z');
const ACCOUNT = '111111111111';
const everything: RelevanceFilter = { mayMatter: () => true, matters: () => true };

async function* chunks(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function consume(
  bytes: Uint8Array,
  source = 's3://bucket/AWSLogs/111111111111/CloudTrail/ap-southeast-2/2026/03/02/file.json.gz',
  options: { filter?: RelevanceFilter; size?: number; maxBytes?: number } = {},
): Promise<{ records: CloudTrailRecord[]; findings: Finding[]; stats: LogFileStats }> {
  const records: CloudTrailRecord[] = [];
  const findings: Finding[] = [];
  const stats = await consumeLogFile(
    chunks(bytes, options.size ?? 1024),
    source,
    { record: (r) => records.push(r), finding: (f) => findings.push(f) },
    {
      filter: options.filter ?? relevanceFilter(),
      ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
    },
  );
  return { records, findings, stats };
}

type AnyItem = { type: string; record?: CloudTrailRecord; records?: readonly CloudTrailRecord[] };

/** The records the audit library's readLogFile finds (a list of batches, or an async iterable of items). */
async function auditRecords(result: unknown): Promise<CloudTrailRecord[]> {
  const resolved = await result;
  const items: AnyItem[] = [];
  if (Array.isArray(resolved)) items.push(...(resolved as AnyItem[]));
  else for await (const item of resolved as AsyncIterable<AnyItem>) items.push(item);
  return items.flatMap((item) => [...(item.records ?? []), ...(item.record === undefined ? [] : [item.record])]);
}

function logFile(records: readonly unknown[]): Buffer {
  return gzipSync(Buffer.from(JSON.stringify({ Records: records })));
}

const session = [
  grantRecord({
    grantId: '01JGRANT0000000000000000AA',
    accountId: ACCOUNT,
    time: T0,
    accessKeyId: 'ASIAJITSESSION000001',
  }),
  callRecord({
    grantId: '01JGRANT0000000000000000AA',
    accountId: ACCOUNT,
    accessKeyId: 'ASIAJITSESSION000001',
    time: new Date(T0.getTime() + 60_000),
  }),
];

describe('consumeLogFile', () => {
  it('hands on the records of a session and counts, but does not parse, the traffic around them', async () => {
    const noise = Array.from({ length: 50 }, (_, i) => serviceRoleRecord(ACCOUNT, T0, i));
    const { records, findings, stats } = await consume(
      logFile([...noise.slice(0, 25), ...session, ...noise.slice(25)]),
      undefined,
      { size: 97 },
    );
    expect(findings).toEqual([]);
    expect(records.map((r) => r.eventName)).toEqual(['AssumeRole', 'DescribeInstances']);
    expect(stats).toMatchObject({ records: 52, relevant: 2, complete: true });
  });

  it('strips credentials from the AssumeRole response before anyone sees the record', async () => {
    const { records } = await consume(logFile(session));
    const text = JSON.stringify(records);
    expect(text).not.toContain(SECRET_ACCESS_KEY);
    expect(text).not.toContain(SESSION_TOKEN);
  });

  it('reads an uncompressed .json log file too', async () => {
    const { records, findings } = await consume(
      Buffer.from(JSON.stringify({ Records: session })),
      's3://b/k/file.json',
    );
    expect(findings).toEqual([]);
    expect(records).toHaveLength(2);
  });

  it('turns a .gz file that is not gzip into a finding', async () => {
    const { records, findings, stats } = await consume(Buffer.from(JSON.stringify({ Records: session })));
    expect(records).toEqual([]);
    expect(stats.complete).toBe(false);
    expect(findings).toEqual([
      expect.objectContaining({ kind: 'unreadable-file', reason: 'named .gz but not gzip data (no gzip magic bytes)' }),
    ]);
  });

  it('keeps the records before a truncation and reports the truncated gzip stream', async () => {
    const full = logFile([...session, ...Array.from({ length: 400 }, (_, i) => serviceRoleRecord(ACCOUNT, T0, i))]);
    const { records, findings, stats } = await consume(full.subarray(0, Math.floor(full.length * 0.8)), undefined, {
      size: 64,
    });
    expect(records).toHaveLength(2);
    expect(stats.complete).toBe(false);
    expect(findings).toEqual([
      expect.objectContaining({
        kind: 'unreadable-file',
        reason: expect.stringMatching(/^gzip: unexpected end of file \(\d+ records read before\)$/),
      }),
    ]);
  });

  it('reports a gzip file whose JSON is not a log file', async () => {
    const { findings } = await consume(gzipSync(Buffer.from('{"Events":[]}')));
    expect(findings).toEqual([
      expect.objectContaining({ kind: 'invalid-log-file', reason: expect.stringContaining('no "Records" array') }),
    ]);
  });

  it('reports an empty object body', async () => {
    const { findings } = await consume(new Uint8Array());
    expect(findings).toEqual([expect.objectContaining({ kind: 'invalid-log-file', reason: 'empty file' })]);
  });

  it('reports a broken record that names a jit session and keeps the others', async () => {
    const text = `{"Records":[${JSON.stringify(session[0])},{"eventName":"jit-broken",},${JSON.stringify(session[1])}]}`;
    const { records, findings } = await consume(gzipSync(Buffer.from(text)));
    expect(records).toHaveLength(2);
    expect(findings).toEqual([
      expect.objectContaining({ kind: 'invalid-record', index: 1, reason: expect.stringMatching(/^invalid JSON/) }),
    ]);
  });

  it('stops reading a file that inflates beyond the limit', async () => {
    const { findings } = await consume(
      logFile(Array.from({ length: 200 }, (_, i) => serviceRoleRecord(ACCOUNT, T0, i))),
      undefined,
      { maxBytes: 10_000 },
    );
    expect(findings).toEqual([
      expect.objectContaining({
        kind: 'unreadable-file',
        reason: 'larger than 10000 bytes once decompressed: not read further',
      }),
    ]);
  });

  it('decodes characters split between chunks', async () => {
    const grant = grantRecord({
      grantId: '01JGRANT0000000000000000AB',
      accountId: ACCOUNT,
      time: T0,
      accessKeyId: 'ASIAJITSESSION000002',
      reason: 'Neustart des Dienstes — ✓ 🚀',
    });
    const { records } = await consume(logFile([grant]), undefined, { size: 1 });
    expect(records[0]?.requestParameters?.tags).toContainEqual({
      key: 'jit:reason',
      value: 'Neustart des Dienstes — ✓ 🚀',
    });
  });

  // Real delivered files: invictus-ir/aws_dataset (MIT), ../shared/fixtures/cloudtrail/invictus-ir.
  it('reads the same records as the audit library from 55 real CloudTrail log files', async () => {
    const dir = join(import.meta.dirname, '../../../../../shared/fixtures/cloudtrail/invictus-ir');
    const files = (await readdir(dir)).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(50);
    let total = 0;
    for (const name of files) {
      const bytes = gzipSync(await readFile(join(dir, name)));
      const expected = await auditRecords(readLogFile(bytes, name));
      const ours = await consume(bytes, `${name}.gz`, { filter: everything, size: 4096 });
      expect(ours.findings).toEqual([]);
      expect(ours.records).toEqual(expected);
      total += ours.records.length;
      // None of them is a jit session: the default filter parses nothing.
      expect((await consume(bytes, `${name}.gz`)).stats.relevant).toBe(0);
    }
    expect(total).toBeGreaterThan(2500);
  });
});
