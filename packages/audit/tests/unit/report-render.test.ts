import { describe, expect, it } from 'vitest';
import {
  buildReport,
  type CloudTrailRecord,
  findSessions,
  parseRecord,
  parseSelfReport,
  REPORT_FORMATS,
  type Report,
  renderHtml,
  renderJson,
  renderMarkdown,
  renderReport,
  renderSessionListText,
  renderText,
} from '../../src/report/index.js';
import { call, GRANT_ID, jitSession, SECRET_ACCESS_KEY, SESSION_KEY, SESSION_TOKEN } from '../fixtures/report/build.js';

function records(raw: readonly Record<string, unknown>[]): CloudTrailRecord[] {
  return raw.map((r) => {
    const result = parseRecord(r);
    if (!result.ok) throw new Error(result.finding.reason);
    return result.record;
  });
}

function build(raw: readonly Record<string, unknown>[], journal?: string): Report {
  return buildReport({
    sessions: findSessions(records(raw)),
    query: { source: 'local test', since: '2026-03-25T00:00:00.000Z' },
    input: { records: raw.length, files: 1 },
    generatedAt: new Date('2026-03-25T13:00:00Z'),
    ...(journal === undefined ? {} : { selfReport: parseSelfReport(journal, 'journal.jsonl') }),
  });
}

const JOURNAL = ['ecs:DescribeServices', 'ecs:UpdateService', 'ecs:DescribeServices', 'cloudwatch:GetMetricData']
  .map((action) => JSON.stringify({ grantId: GRANT_ID, action }))
  .join('\n');

const hostile = call({
  time: '2026-03-25T12:04:00Z',
  eventSource: 'ec2.amazonaws.com',
  eventName: '<script>alert("name")</script>',
  readOnly: true,
  errorCode: 'Client.InvalidParameterValue',
  errorMessage: '<img src=x onerror=alert(1)> | **bold** [link](http://evil) \u001b[2J\u001b[31mred',
  requestParameters: { instanceId: '"><svg onload=alert(2)>' },
});

describe('renderText', () => {
  it('lays out the session like the article’s report, with the evidence behind each line', () => {
    const text = renderText(build(jitSession(), JOURNAL));

    expect(text).toContain(`━━ grant ${GRANT_ID} — AgentElevated-Ops in 222222222222`);
    expect(text).toContain('Account:       222222222222');
    expect(text).toContain('Tier:          ops');
    expect(text).toContain('Approver:      alice@example.com (jit:approver tag)');
    expect(text).toContain('AssumeRole by: arn:aws:iam::111111111111:user/alice');
    expect(text).toContain('Reason:        restart ECS service after deployment');
    expect(text).toContain('Requested:     2026-03-25 12:00:00Z → 2026-03-25 12:15:00Z (15 min, end from jit:until)');
    expect(text).toMatch(/12:03:00Z\s+iam:CreateUser\s+backdoor\s+DENIED AccessDenied/);
    expect(text).toMatch(/12:02:11Z\s+ecs:UpdateService\s+prod-cluster, api\s+ok, write/);
    expect(text).toMatch(/12:16:30Z\s+s3:ListBuckets\s+-\s+ok, AFTER WINDOW/);
    expect(text).toContain('Denied attempts (1):');
    expect(text).toContain('Resources modified (1):');
    expect(text).toContain('s3:ListBuckets  after the window closed at 2026-03-25 12:15:00Z (+1 min 30 s)');
    expect(text).toContain('the agent reported 4 calls, CloudTrail shows 6 (3 match) — DIFFERS');
    expect(text).toContain('reported, not in CloudTrail: cloudwatch:GetMetricData (reported 1, CloudTrail 0)');
    expect(text).toContain('Verdict: NEEDS ATTENTION');
  });

  it('masks access key ids, also inside error messages', () => {
    const raw = [
      ...jitSession(),
      call({
        time: '2026-03-25T12:04:00Z',
        eventSource: 'sts.amazonaws.com',
        eventName: 'GetSessionToken',
        readOnly: true,
        errorCode: 'AccessDenied',
        errorMessage: `key ${SESSION_KEY} may not`,
      }),
    ];

    const text = renderText(build(raw));

    expect(text).not.toContain(SESSION_KEY);
    expect(text).toContain('ASIA…0001');
  });

  it('drops terminal control sequences carried by records', () => {
    const text = renderText(build([...jitSession(), hostile]));

    expect(text).not.toContain('\u001b');
  });

  it('colours only when asked', () => {
    expect(renderText(build(jitSession()), { color: true })).toContain('\u001b[31m');
    expect(renderText(build(jitSession()))).not.toContain('\u001b[');
  });
});

describe('renderHtml', () => {
  it('escapes a malicious eventName, errorMessage and resource', () => {
    const html = renderHtml(build([...jitSession(), hostile]));

    expect(html).not.toMatch(/<script|<img|<svg/i);
    expect(html).toContain('&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('&quot;&gt;&lt;svg onload=alert(2)&gt;');
  });

  it('is one self-contained page: inline styles, no scripts, no remote resources', () => {
    const html = renderHtml(build(jitSession(), JOURNAL));

    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<meta charset="utf-8">');
    expect(html).not.toMatch(/<script|<link|<style|src=|https?:\/\//i);
    expect(html).toContain('Needs attention:');
    expect(html).toContain('not in CloudTrail');
  });
});

describe('renderMarkdown', () => {
  it('escapes markup so a record cannot break the table or inject HTML', () => {
    const md = renderMarkdown(build([...jitSession(), hostile]));

    const row = md.split('\n').find((line) => line.includes('alert(1)')) ?? '';
    // Every < is backslash-escaped, so no renderer sees a tag.
    expect(md).not.toMatch(/(^|[^\\])<(script|img|svg)/);
    expect(md).toContain('\\<script\\>');
    expect(row).toContain('\\| \\*\\*bold\\*\\* \\[link\\]');
    expect(md).not.toContain('\u001b');
  });

  it('has a table row per call', () => {
    const md = renderMarkdown(build(jitSession()));

    const rows = md.split('\n').filter((line) => /^\| \d+ \|/.test(line));
    expect(rows).toHaveLength(6);
  });
});

describe('renderJson', () => {
  it('has a stable schema with reportVersion 1 and unmasked access key ids', () => {
    const json = JSON.parse(renderJson(build(jitSession(), JOURNAL))) as Report;

    expect(json.reportVersion).toBe(1);
    expect(Object.keys(json)).toEqual([
      'reportVersion',
      'generatedAt',
      'mode',
      'query',
      'input',
      'totals',
      'findings',
      'unmatchedSelfReport',
      'sessions',
      'attention',
    ]);
    expect(json.sessions[0]?.accessKeyIds).toEqual([SESSION_KEY]);
    expect(json.totals).toMatchObject({ sessions: 1, calls: 6, denied: 1, writes: 1, outsideWindow: 1 });
  });
});

describe('every renderer', () => {
  it.each(REPORT_FORMATS)('never prints the secret key or session token a record carried (%s)', (format) => {
    const out = renderReport(build(jitSession({ withSecrets: true }), JOURNAL), format);

    expect(out).not.toContain(SECRET_ACCESS_KEY);
    expect(out).not.toContain(SESSION_TOKEN);
    expect(out).not.toMatch(/sessionToken|secretAccessKey/i);
  });

  it('lists sessions one per line for jit-audit sessions', () => {
    const text = renderSessionListText(build(jitSession()));

    expect(text).toMatch(
      new RegExp(
        `${GRANT_ID}\\s+222222222222\\s+AgentElevated-Ops\\s+ops\\s+2026-03-25 12:00:00Z\\s+6\\s+1\\s+1\\s+1\\s+ATTENTION`,
      ),
    );
  });
});
