import { describe, expect, it } from 'vitest';
import {
  buildReport,
  type CloudTrailRecord,
  findSessions,
  parseRecord,
  parseSelfReport,
  type Report,
} from '../../src/report/index.js';
import { assumeRole, call, GRANT_ID, jitSession } from '../fixtures/report/build.js';

const NOW = new Date('2026-03-25T13:00:00Z');
const OTHER_GRANT = '01JQ900000000000000000000Z';

function records(raw: readonly Record<string, unknown>[]): CloudTrailRecord[] {
  return raw.map((r) => {
    const result = parseRecord(r);
    if (!result.ok) throw new Error(result.finding.reason);
    return result.record;
  });
}

function report(raw: readonly Record<string, unknown>[], journal?: string, session?: string): Report {
  return buildReport({
    sessions: findSessions(records(raw), session === undefined ? {} : { session }),
    query: { source: 'test', ...(session === undefined ? {} : { session }) },
    generatedAt: NOW,
    ...(journal === undefined ? {} : { selfReport: parseSelfReport(journal, 'journal.jsonl') }),
  });
}

// What the agent says it did: four calls. CloudTrail shows six.
const JOURNAL = [
  JSON.stringify({
    grantId: GRANT_ID,
    command: ['aws', 'ecs', 'describe-services'],
    exitCode: 0,
    awsCalls: [{ action: 'ecs:DescribeServices' }],
  }),
  JSON.stringify({
    grantId: GRANT_ID,
    command: ['aws', 'ecs', 'update-service'],
    exitCode: 0,
    awsCalls: [{ action: 'ecs:UpdateService' }],
  }),
  JSON.stringify({
    grantId: GRANT_ID,
    command: ['aws', 'ecs', 'describe-services'],
    exitCode: 0,
    awsCalls: [{ action: 'ecs:DescribeServices' }],
  }),
  JSON.stringify({
    grantId: GRANT_ID,
    command: ['aws', 'cloudwatch', 'get-metric-data'],
    exitCode: 0,
    awsCalls: [{ action: 'cloudwatch:GetMetricData' }],
  }),
].join('\n');

describe('buildReport', () => {
  it('reports the grant, its window, every call, the denied one, the write and the call after the window', () => {
    const [session] = report(jitSession()).sessions;

    expect(session).toMatchObject({
      grantId: GRANT_ID,
      accountId: '222222222222',
      roleName: 'AgentElevated-Ops',
      tier: 'ops',
      approver: 'alice@example.com',
      reason: 'restart ECS service after deployment',
      grantedAt: '2026-03-25T12:00:00Z',
      requestedWindow: {
        start: '2026-03-25T12:00:00Z',
        end: '2026-03-25T12:15:00Z',
        endSource: 'jit:until',
        seconds: 900,
      },
      actualWindow: { firstCall: '2026-03-25T12:01:10Z', lastCall: '2026-03-25T12:16:30Z', seconds: 920 },
      counts: { calls: 6, success: 5, denied: 1, throttled: 0, errors: 0, writes: 1, outsideWindow: 1 },
      resourcesModified: [
        { time: '2026-03-25T12:02:11Z', action: 'ecs:UpdateService', resources: ['prod-cluster', 'api'] },
      ],
    });
    expect(session?.calls.filter((c) => c.outcome === 'denied').map((c) => [c.action, c.errorCode])).toEqual([
      ['iam:CreateUser', 'AccessDenied'],
    ]);
    expect(session?.calls.filter((c) => c.outsideWindow !== undefined).map((c) => [c.action, c.outsideWindow])).toEqual(
      [['s3:ListBuckets', 'after']],
    );
    expect(session?.attention).toEqual(['1 call outside the requested window']);
  });

  it('compares the self-report both ways: "the agent reported 4 calls, CloudTrail shows 6"', () => {
    const built = report(jitSession(), JOURNAL);
    const self = built.sessions[0]?.selfReport;

    expect(self).toMatchObject({ reportedCalls: 4, cloudTrailCalls: 6, matchedCalls: 3, discrepancy: true });
    expect(self?.unreported.map((a) => a.action)).toEqual(['iam:CreateUser', 'logs:GetLogEvents', 's3:ListBuckets']);
    expect(self?.unconfirmed.map((a) => a.action)).toEqual(['cloudwatch:GetMetricData']);
    expect(built.sessions[0]?.attention).toContain('the agent reported 4 calls, CloudTrail shows 6');
  });

  it('is clean when every call is inside the window and the self-report matches', () => {
    const raw = jitSession().filter((r) => r.eventName !== 'ListBuckets');
    const journal = [
      'ecs:DescribeServices',
      'ecs:UpdateService',
      'iam:CreateUser',
      'ecs:DescribeServices',
      'logs:GetLogEvents',
    ]
      .map((action) => JSON.stringify({ action }))
      .join('\n');

    const built = report(raw, journal);

    expect(built.attention).toEqual([]);
    expect(built.sessions[0]?.selfReport?.discrepancy).toBe(false);
  });

  it('takes the window end from STS expiration without jit:until, and from durationSeconds without either', () => {
    const noUntil = assumeRole({
      time: '2026-03-25T12:00:00Z',
      tags: { 'jit:grant': GRANT_ID },
      expiration: '2026-03-25T12:30:00Z',
    });
    const noExpiry = assumeRole({
      time: '2026-03-25T12:00:00Z',
      grantId: OTHER_GRANT,
      accessKeyId: 'ASIASECONDGRANT00001',
      tags: {},
      durationSeconds: 1200,
    });
    (noExpiry.responseElements as { credentials: Record<string, unknown> }).credentials.expiration = undefined;

    const built = report([noUntil, noExpiry]);

    expect(built.sessions.map((s) => [s.id, s.requestedWindow?.end, s.requestedWindow?.endSource])).toEqual([
      [GRANT_ID, '2026-03-25T12:30:00Z', 'expiration'],
      [OTHER_GRANT, '2026-03-25T12:20:00Z', 'durationSeconds'],
    ]);
  });

  it('notes a jit:until tag that is not a time and falls back to the credentials', () => {
    const grant = assumeRole({ time: '2026-03-25T12:00:00Z', tags: { 'jit:grant': GRANT_ID, 'jit:until': 'soon' } });

    const [session] = report([grant]).sessions;

    expect(session?.requestedWindow?.endSource).toBe('expiration');
    expect(session?.notes.join(' ')).toContain('"soon"');
  });

  it('flags a grant the agent reported but CloudTrail shows nothing of', () => {
    const journal = `${JOURNAL}\n${JSON.stringify({ grantId: `jit-${OTHER_GRANT}`, awsCalls: [{ action: 's3:GetObject' }] })}`;

    const built = report(jitSession(), journal);

    expect(built.unmatchedSelfReport).toEqual([{ grantId: OTHER_GRANT, lines: [5], reportedCalls: 1 }]);
    expect(built.attention.join(' ')).toContain('1 grant(s) in the self-report with no session in CloudTrail');
  });

  it('does not compare journal lines without grantId when the report covers several sessions, and says so', () => {
    const raw = [
      ...jitSession(),
      assumeRole({ time: '2026-03-25T12:30:00Z', grantId: OTHER_GRANT, accessKeyId: 'ASIASECONDGRANT00001' }),
    ];

    const built = report(raw, '{"action":"s3:ListBuckets"}');

    expect(built.findings.map((f) => f.kind)).toEqual(['unattributed-self-report']);
    expect(built.attention.join(' ')).toContain('finding');
  });

  it('needs attention when the requested session is not in the input', () => {
    const built = report(jitSession(), undefined, OTHER_GRANT);

    expect(built.sessions).toEqual([]);
    expect(built.attention).toEqual([`no session matches "${OTHER_GRANT}" in the input`]);
  });

  it('marks a call made before the grant', () => {
    const early = call({
      time: '2026-03-25T11:59:00Z',
      eventSource: 'sts.amazonaws.com',
      eventName: 'GetCallerIdentity',
      readOnly: true,
    });

    const [session] = report([...jitSession(), early]).sessions;

    expect(session?.calls[0]).toMatchObject({ action: 'sts:GetCallerIdentity', outsideWindow: 'before' });
    expect(session?.counts.outsideWindow).toBe(2);
  });
});
