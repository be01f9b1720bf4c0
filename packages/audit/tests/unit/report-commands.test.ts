import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type CommandIo, type Report, runReportCommand, runSessionsCommand } from '../../src/report/index.js';
import { GRANT_ID, jitSession, logFile, SESSION_KEY } from '../fixtures/report/build.js';

const NOW = new Date('2026-03-25T13:00:00Z');

function io(): CommandIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    isTTY: false,
    env: {},
    now: () => NOW,
    out: () => out,
    err: () => err,
  };
}

function exportFolder(records: readonly Record<string, unknown>[], extra?: (day: string) => void): string {
  const root = mkdtempSync(join(tmpdir(), 'jit-report-cmd-'));
  const day = join(root, 'AWSLogs', '222222222222', 'CloudTrail', 'ap-southeast-2', '2026', '03', '25');
  mkdirSync(day, { recursive: true });
  writeFileSync(
    join(day, '222222222222_CloudTrail_ap-southeast-2_20260325T1220Z_abc.json.gz'),
    gzipSync(logFile(records)),
  );
  extra?.(day);
  return root;
}

const insideWindow = () => jitSession().filter((r) => r.eventName !== 'ListBuckets');

describe('jit-audit report', () => {
  it('prints help with an example and exits 0', async () => {
    const t = io();

    const code = await runReportCommand(['--help'], t);

    expect(code).toBe(0);
    expect(t.out()).toContain('Examples:');
    expect(t.out()).toContain('jit-audit report --local');
  });

  it('exits 3 when a call falls outside the window, and says why', async () => {
    const t = io();

    const code = await runReportCommand(['--local', exportFolder(jitSession())], t);

    expect(code).toBe(3);
    expect(t.out()).toContain('Needs attention: 1 call(s) outside the requested window');
  });

  it('exits 0 for a clean session', async () => {
    const t = io();

    const code = await runReportCommand(['--local', exportFolder(insideWindow())], t);

    expect(code).toBe(0);
    expect(t.out()).toContain('Verdict: clean');
  });

  it('exits 3 when the self-report differs from CloudTrail', async () => {
    const folder = exportFolder(insideWindow());
    const journal = join(folder, 'journal.jsonl');
    writeFileSync(
      journal,
      `${JSON.stringify({ grantId: GRANT_ID, awsCalls: [{ action: 'ecs:DescribeServices' }] })}\n`,
    );
    const t = io();

    const code = await runReportCommand(['--local', join(folder, 'AWSLogs'), '--self-report', journal, '--json'], t);

    const report = JSON.parse(t.out()) as Report;
    expect(code).toBe(3);
    expect(report.sessions[0]?.selfReport).toMatchObject({ reportedCalls: 1, cloudTrailCalls: 5 });
  });

  it('exits 3 and lists the file when a log file is corrupt, after reading the others', async () => {
    const folder = exportFolder(insideWindow(), (day) =>
      writeFileSync(join(day, 'broken.json.gz'), gzipSync('{"Records":[').subarray(0, 12)),
    );
    const t = io();

    const code = await runReportCommand(['--local', folder, '--format', 'json'], t);

    const report = JSON.parse(t.out()) as Report;
    expect(code).toBe(3);
    expect(report.findings.map((f) => [f.kind, f.source.endsWith('broken.json.gz')])).toEqual([
      ['unreadable-file', true],
    ]);
    expect(report.sessions[0]?.counts.calls).toBe(5);
  });

  it('filters by --session and --since/--until', async () => {
    const t = io();

    const code = await runReportCommand(
      [
        '--local',
        exportFolder(jitSession()),
        '--session',
        `jit-${GRANT_ID}`,
        '--since',
        '2026-03-25T12:02:00Z',
        '--until',
        '2026-03-25T12:10:00Z',
        '--json',
      ],
      t,
    );

    const report = JSON.parse(t.out()) as Report;
    expect(code).toBe(0);
    expect(report.sessions.map((s) => s.counts.calls)).toEqual([4]);
    expect(report.query).toMatchObject({
      session: `jit-${GRANT_ID}`,
      since: '2026-03-25T12:02:00.000Z',
      until: '2026-03-25T12:10:00.000Z',
    });
  });

  it('reads relative times against the injected clock', async () => {
    const t = io();

    await runReportCommand(['--local', exportFolder(jitSession()), '--since', '1h', '--json'], t);

    expect((JSON.parse(t.out()) as Report).query.since).toBe('2026-03-25T12:00:00.000Z');
  });

  it.each([
    [['--local', '.', '--format', 'pdf'], '--format "pdf" is not valid: allowed text, md, html, json'],
    [['--local', '.', '--since', 'yesterday'], '--since "yesterday" is not valid: expected an ISO 8601 time'],
    [
      ['--local', '.', '--since', '2026-03-26', '--until', '2026-03-25'],
      '--since "2026-03-26T00:00:00.000Z" is not valid: expected a time before --until',
    ],
    [['--source', 'local'], '--local "" is not valid: required with --source local'],
    [['--source', 'ftp'], '--source "ftp" is not valid: allowed lookup, s3, local'],
    [['--bucket', 'Bad_Bucket'], '--bucket "Bad_Bucket" is not valid'],
    [
      ['--bucket', 'trail', '--account-id', '12345'],
      '--account-id "12345" is not valid: expected a 12-digit AWS account id',
    ],
    [['--bucket', 'trail', '--organization-id', 'org-1'], '--organization-id "org-1" is not valid'],
    [['--bucket', 'trail', '--region', 'mars-1'], '--region "mars-1" is not valid'],
    [
      ['--lookup-attribute', 'EventId=1'],
      '--lookup-attribute "EventId=1" is not valid: expected Key=Value with Key one of AccessKeyId, Username, EventName',
    ],
    [['--source', 'lookup', '--since', '2025-01-01'], 'LookupEvents only keeps 90 days'],
    [['--local', '/nonexistent/jit'], '--local "/nonexistent/jit" is not valid'],
    [
      ['--local', '.', '--self-report', '/nonexistent/journal.jsonl'],
      '--self-report "/nonexistent/journal.jsonl" is not valid',
    ],
    [['--frobnicate'], "Unknown option '--frobnicate'"],
  ])('exits 2 on bad input %j and names the field, value and what is allowed', async (argv, message) => {
    const t = io();

    const code = await runReportCommand(argv, t);

    expect(code).toBe(2);
    expect(t.err()).toContain(message);
    expect(t.out()).toBe('');
  });

  it('prints bad-input errors as JSON with --json', async () => {
    const t = io();

    const code = await runReportCommand(['--local', '.', '--format', 'pdf', '--json'], t);

    expect(code).toBe(2);
    expect(JSON.parse(t.out())).toMatchObject({ error: { code: 'REPORT_INVALID_INPUT', name: 'ReportError' } });
  });

  it('masks the access key in human output and keeps it in JSON', async () => {
    const folder = exportFolder(jitSession());
    const text = io();
    const json = io();

    await runReportCommand(['--local', folder], text);
    await runReportCommand(['--local', folder, '--json'], json);

    expect(text.out()).not.toContain(SESSION_KEY);
    expect(json.out()).toContain(SESSION_KEY);
  });
});

describe('jit-audit sessions', () => {
  it('lists the sessions found', async () => {
    const t = io();

    const code = await runSessionsCommand(['--local', exportFolder(insideWindow()), '--since', '2026-03-25'], t);

    expect(code).toBe(0);
    expect(t.out()).toContain('1 elevated session, 5 calls');
    expect(t.out()).toMatch(new RegExp(`${GRANT_ID}\\s+222222222222\\s+AgentElevated-Ops\\s+ops`));
  });

  it('lists sessions as JSON', async () => {
    const t = io();

    await runSessionsCommand(['--local', exportFolder(jitSession()), '--json'], t);

    const body = JSON.parse(t.out()) as {
      reportVersion: number;
      sessions: { grantId: string; calls: number; outsideWindow: number }[];
    };
    expect(body.reportVersion).toBe(1);
    expect(body.sessions).toEqual([expect.objectContaining({ grantId: GRANT_ID, calls: 6, outsideWindow: 1 })]);
  });

  it('refuses --format md, which only the report has', async () => {
    const t = io();

    expect(await runSessionsCommand(['--local', '.', '--format', 'md'], t)).toBe(2);
    expect(t.err()).toContain('allowed text, json');
  });

  it('prints help', async () => {
    const t = io();

    expect(await runSessionsCommand(['--help'], t)).toBe(0);
    expect(t.out()).toContain('jit-audit sessions --since');
  });
});
