import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareSelfReport, parseSelfReport, parseSelfReportLine, type SessionCall } from '../../src/report/index.js';

function calls(...actions: string[]): SessionCall[] {
  return actions.map((action, i) => ({
    time: `2026-03-25T12:0${i}:00Z`,
    epochMs: Date.parse('2026-03-25T12:00:00Z') + i * 60_000,
    action,
    eventSource: `${action.split(':')[0]}.amazonaws.com`,
    eventName: action.split(':')[1] ?? '',
    resources: [],
    outcome: 'success',
    write: false,
  }));
}

describe('parseSelfReport', () => {
  it('reads journal lines with commands and their AWS calls', () => {
    const text = [
      JSON.stringify({
        grantId: 'G1',
        time: '2026-03-25T12:01:00Z',
        account: '222222222222',
        command: ['aws', 'ecs', 'describe-services'],
        exitCode: 0,
        awsCalls: [{ action: 'ecs:DescribeServices', time: '2026-03-25T12:01:10Z' }],
      }),
      '',
      JSON.stringify({ grantId: 'G1', command: ['./restart.sh'], exitCode: 0 }),
    ].join('\n');

    const report = parseSelfReport(text, 'journal.jsonl');

    expect(report.findings).toEqual([]);
    expect(report.entries).toEqual([
      {
        line: 1,
        grantId: 'G1',
        time: '2026-03-25T12:01:00Z',
        account: '222222222222',
        command: ['aws', 'ecs', 'describe-services'],
        exitCode: 0,
        calls: [{ action: 'ecs:DescribeServices', time: '2026-03-25T12:01:10Z' }],
        hasCallDetail: true,
      },
      { line: 3, grantId: 'G1', command: ['./restart.sh'], exitCode: 0, calls: [], hasCallDetail: false },
    ]);
  });

  it('reads the simpler one-action-per-line form', () => {
    const report = parseSelfReport(
      '{"action":"s3:ListBuckets"}\r\n{"action":"ec2:DescribeInstances","time":"2026-03-25T12:00:00Z"}\n',
    );

    expect(report.entries.map((e) => e.calls)).toEqual([
      [{ action: 's3:ListBuckets' }],
      [{ action: 'ec2:DescribeInstances', time: '2026-03-25T12:00:00Z' }],
    ]);
  });

  it('turns lines that are not JSON, not objects, or without an action into findings with their line numbers', () => {
    const report = parseSelfReport(
      ['not json', '[1,2]', '{"hello":1}', '{"action":42}', '{"action":"s3:ListBuckets"}'].join('\n'),
      'j',
    );

    expect(report.findings.map((f) => f.index)).toEqual([1, 2, 3, 4]);
    expect(report.findings.every((f) => f.kind === 'invalid-self-report-line' && f.source === 'j')).toBe(true);
    expect(report.entries).toHaveLength(1);
  });

  it('refuses an action that is not in service:Action form and names it', () => {
    const { entry, findings } = parseSelfReportLine(
      '{"awsCalls":[{"action":"DescribeInstances"},{"action":"ec2:DescribeInstances"}]}',
      7,
    );

    expect(entry?.calls).toEqual([{ action: 'ec2:DescribeInstances' }]);
    expect(findings[0]?.reason).toContain('"DescribeInstances"');
    expect(findings[0]?.index).toBe(7);
  });

  it('never throws on arbitrary text and accounts for every non-blank line', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string(), fc.json(), fc.constant('{"action":"ec2:X"}')), { maxLength: 20 }),
        (lines) => {
          const text = lines.join('\n');
          const report = parseSelfReport(text);
          const nonBlank = text.split(/\r?\n/).filter((l) => l.trim() !== '').length;
          const linesSeen = new Set([...report.entries.map((e) => e.line), ...report.findings.map((f) => f.index)]);
          expect(linesSeen.size).toBe(nonBlank);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never throws on arbitrary JSON objects per line', () => {
    fc.assert(
      fc.property(fc.array(fc.object({ maxDepth: 3 }), { maxLength: 10 }), (objects) => {
        const report = parseSelfReport(objects.map((o) => JSON.stringify(o)).join('\n'));
        expect(report.entries.length + report.findings.length).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 300 },
    );
  });
});

describe('compareSelfReport', () => {
  it('reports the discrepancies both ways, per action and count', () => {
    const cloudTrail = calls(
      'ecs:DescribeServices',
      'ecs:UpdateService',
      'iam:CreateUser',
      'ecs:DescribeServices',
      's3:ListBuckets',
    );
    const journal = parseSelfReport(
      [
        '{"grantId":"G","awsCalls":[{"action":"ecs:DescribeServices"},{"action":"ecs:UpdateService"}]}',
        '{"grantId":"G","awsCalls":[{"action":"logs:GetLogEvents"}]}',
        '{"grantId":"G","action":"ECS:describeservices"}',
      ].join('\n'),
    ).entries;

    const result = compareSelfReport(cloudTrail, journal);

    expect(result).toMatchObject({
      entries: 3,
      reportedCalls: 4,
      cloudTrailCalls: 5,
      matchedCalls: 3,
      discrepancy: true,
    });
    expect(result.unreported).toEqual([
      { action: 'iam:CreateUser', cloudTrail: 1, reported: 0 },
      { action: 's3:ListBuckets', cloudTrail: 1, reported: 0 },
    ]);
    expect(result.unconfirmed).toEqual([{ action: 'logs:GetLogEvents', cloudTrail: 0, reported: 1 }]);
  });

  it('finds no discrepancy when the journal lists exactly what CloudTrail shows', () => {
    const result = compareSelfReport(
      calls('s3:ListBuckets', 'ec2:DescribeInstances'),
      parseSelfReport('{"action":"ec2:DescribeInstances"}\n{"action":"s3:ListBuckets"}').entries,
    );

    expect(result.discrepancy).toBe(false);
    expect(result.matchedCalls).toBe(2);
  });
});
