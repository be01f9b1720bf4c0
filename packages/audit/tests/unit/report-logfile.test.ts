import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { localLogSource, readLogFile, type SourceItem } from '../../src/report/index.js';
import { call, logFile } from '../fixtures/report/build.js';

async function collect(items: AsyncIterable<SourceItem>): Promise<SourceItem[]> {
  const out: SourceItem[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const records = [
  call({
    time: '2026-03-25T12:01:10Z',
    eventSource: 'ec2.amazonaws.com',
    eventName: 'DescribeInstances',
    readOnly: true,
  }),
  call({ time: '2026-03-25T12:01:11Z', eventSource: 'ec2.amazonaws.com', eventName: 'StopInstances', readOnly: false }),
];

function kinds(items: SourceItem[]): string[] {
  return items.map((i) => (i.type === 'finding' ? `finding:${i.finding.kind}` : `records:${i.records.length}`));
}

describe('readLogFile', () => {
  it('reads a delivered {"Records":[...]} file, gzipped', async () => {
    const items = await readLogFile(gzipSync(logFile(records)), 'a.json.gz');

    expect(kinds(items)).toEqual(['records:2']);
  });

  it('reads a bare JSON array, as the Stratus Red Team detonation logs are published', async () => {
    const items = await readLogFile(Buffer.from(JSON.stringify(records)), 'a.json');

    expect(kinds(items)).toEqual(['records:2']);
  });

  it('reads a file of several concatenated gzip members', async () => {
    const bytes = Buffer.concat([gzipSync('{"Records":['), gzipSync(`${JSON.stringify(records[0])}]}`)]);

    const items = await readLogFile(bytes, 'two-members.json.gz');

    expect(kinds(items)).toEqual(['records:1']);
  });

  it('turns a truncated gzip file into an unreadable-file finding', async () => {
    const full = gzipSync(logFile(records));

    const items = await readLogFile(full.subarray(0, full.length - 20), 'cut.json.gz');

    expect(kinds(items)).toEqual(['finding:unreadable-file']);
    expect(items[0]?.type === 'finding' && items[0].finding.reason).toMatch(/gzip/);
  });

  it('turns a .gz name without gzip data into a finding', async () => {
    const items = await readLogFile(Buffer.from(logFile(records)), 'plain.json.gz');

    expect(items[0]?.type === 'finding' && items[0].finding.reason).toContain('not gzip');
  });

  it('turns invalid JSON and a JSON value that is not a log file into invalid-log-file findings', async () => {
    const broken = await readLogFile(Buffer.from('{"Records":[{"eventTime":'), 'broken.json');
    const wrong = await readLogFile(Buffer.from('{"logFiles":[]}'), 'digest.json');

    expect(kinds(broken)).toEqual(['finding:invalid-log-file']);
    expect(kinds(wrong)).toEqual(['finding:invalid-log-file']);
  });

  it('reports a bad record with its index and keeps the good ones', async () => {
    const items = await readLogFile(Buffer.from(logFile([records[0], { eventName: 'x' }, records[1]])), 'mixed.json');

    expect(kinds(items)).toEqual(['finding:invalid-record', 'records:2']);
    expect(items[0]?.type === 'finding' && items[0].finding.index).toBe(1);
  });

  it('refuses a gzip file that inflates beyond the size limit', async () => {
    const bomb = gzipSync(Buffer.alloc(2 * 1024 * 1024, 0x20));

    const items = await readLogFile(bomb, 'bomb.json.gz', { maxBytes: 1024 * 1024 });

    expect(kinds(items)).toEqual(['finding:unreadable-file']);
    expect(items[0]?.type === 'finding' && items[0].finding.reason).toContain('larger than');
  });
});

describe('localLogSource', () => {
  it('walks a bucket export, skips digests, dot-files and the export sidecar, and continues past a corrupt file', async () => {
    const root = mkdtempSync(join(tmpdir(), 'jit-report-local-'));
    const day = join(root, 'AWSLogs', '222222222222', 'CloudTrail', 'ap-southeast-2', '2026', '03', '25');
    const digests = join(root, 'AWSLogs', '222222222222', 'CloudTrail-Digest', 'ap-southeast-2', '2026', '03', '25');
    mkdirSync(day, { recursive: true });
    mkdirSync(digests, { recursive: true });
    writeFileSync(
      join(day, '222222222222_CloudTrail_ap-southeast-2_20260325T1205Z_a.json.gz'),
      gzipSync(logFile([records[0]])),
    );
    writeFileSync(
      join(day, '222222222222_CloudTrail_ap-southeast-2_20260325T1210Z_b.json.gz'),
      Buffer.from('not gzip'),
    );
    writeFileSync(
      join(day, '222222222222_CloudTrail_ap-southeast-2_20260325T1215Z_c.json.gz'),
      gzipSync(logFile([records[1]])),
    );
    writeFileSync(
      join(digests, '222222222222_CloudTrail-Digest_ap-southeast-2_t_ap-southeast-2_20260325T1300Z.json.gz'),
      gzipSync('{}'),
    );
    writeFileSync(join(root, '.export.json'), '{"signatures":{}}');
    // The sidecar `jit-audit export` writes next to the copy (signatures and public keys).
    writeFileSync(join(root, 'jit-audit-export.json'), '{"version":1,"digestSignatures":{}}');
    writeFileSync(join(root, 'README.txt'), 'not a log');

    const items = await collect(localLogSource({ path: root }));

    expect(kinds(items)).toEqual(['records:1', 'finding:unreadable-file', 'records:1']);
  });

  it('follows linked files but not linked folders, so a link loop cannot trap the walk', async () => {
    const root = mkdtempSync(join(tmpdir(), 'jit-report-links-'));
    const store = mkdtempSync(join(tmpdir(), 'jit-report-store-'));
    writeFileSync(join(store, 'real.json'), logFile(records));
    symlinkSync(join(store, 'real.json'), join(root, 'linked.json'));
    symlinkSync(root, join(root, 'loop'));

    const items = await collect(localLogSource({ path: root }));

    expect(kinds(items)).toEqual(['records:2']);
  });

  it('refuses a folder that does not exist with an error naming --local', async () => {
    await expect(collect(localLogSource({ path: '/nonexistent/jit-report' }))).rejects.toThrow(
      /--local "\/nonexistent\/jit-report"/,
    );
  });
});
