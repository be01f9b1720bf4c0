import { describe, expect, it } from 'vitest';
import {
  type CloudTrailRecord,
  collectSessions,
  findSessions,
  parseRecord,
  type RecordSource,
} from '../../src/report/index.js';
import {
  APPROVER_ARN,
  assumeRole,
  call,
  GRANT_ID,
  jitSession,
  SESSION_KEY,
  WORKLOAD,
} from '../fixtures/report/build.js';

function records(raw: readonly Record<string, unknown>[]): CloudTrailRecord[] {
  return raw.map((r) => {
    const result = parseRecord(r);
    if (!result.ok) throw new Error(result.finding.reason);
    return result.record;
  });
}

const OTHER_GRANT = '01JQ900000000000000000000Z';

describe('findSessions (jit mode)', () => {
  it('finds the grant and reads its tags, caller and calls from CloudTrail alone', () => {
    const [session, ...rest] = findSessions(records(jitSession()));

    expect(rest).toEqual([]);
    expect(session).toMatchObject({
      id: GRANT_ID,
      kind: 'jit',
      grantId: GRANT_ID,
      accountId: WORKLOAD,
      roleName: 'AgentElevated-Ops',
      roleSessionName: `jit-${GRANT_ID}`,
      sourceIdentity: `jit-${GRANT_ID}`,
      accessKeyIds: [SESSION_KEY],
    });
    expect(session?.grants[0]?.tags).toMatchObject({ 'jit:tier': 'ops', 'jit:approver': 'alice@example.com' });
    expect(session?.grants[0]?.assumedBy.arn).toBe(APPROVER_ARN);
    expect(session?.grants[0]?.durationSeconds).toBe(900);
    expect(session?.grants[0]?.expiration).toBe('2026-03-25T12:15:00.000Z');
    expect(session?.calls.map((c) => c.action)).toEqual([
      'ecs:DescribeServices',
      'ecs:UpdateService',
      'iam:CreateUser',
      'ecs:DescribeServices',
      'logs:GetLogEvents',
      's3:ListBuckets',
    ]);
  });

  it('joins calls that come before their AssumeRole event in the input', () => {
    const [grant, ...calls] = jitSession();

    const sessions = findSessions(records([...calls, grant as Record<string, unknown>]));

    expect(sessions).toHaveLength(1);
    expect(sessions[0]?.grants).toHaveLength(1);
    expect(sessions[0]?.calls).toHaveLength(6);
  });

  it('joins by the access key AssumeRole returned when neither session name nor source identity say jit', () => {
    const raw = [
      assumeRole({ time: '2026-03-25T12:00:00Z' }),
      call({
        time: '2026-03-25T12:01:00Z',
        eventSource: 'ec2.amazonaws.com',
        eventName: 'DescribeInstances',
        readOnly: true,
        sessionName: 'renamed',
        sourceIdentity: null,
      }),
    ];

    const [session] = findSessions(records(raw));

    expect(session?.calls).toHaveLength(1);
    expect(session?.matchedBy).toEqual(['accessKey']);
  });

  it('falls back to the session name when the source identity is the approver’s own', () => {
    const raw = [
      call({
        time: '2026-03-25T12:01:00Z',
        eventSource: 'ec2.amazonaws.com',
        eventName: 'DescribeInstances',
        readOnly: true,
        accessKeyId: 'ASIANOGRANTEVENT0001',
        sourceIdentity: 'alice@example.com',
      }),
    ];

    const [session] = findSessions(records(raw));

    expect(session).toMatchObject({ id: GRANT_ID, matchedBy: ['sessionName'], grants: [] });
  });

  it('follows role chaining by the source identity that persists into the chained session', () => {
    const raw = [
      ...jitSession(),
      call({
        time: '2026-03-25T12:09:00Z',
        eventSource: 'sts.amazonaws.com',
        eventName: 'GetCallerIdentity',
        readOnly: true,
        accessKeyId: 'ASIACHAINEDSESSION01',
        sessionName: 'chained',
        roleName: 'Other',
      }),
    ];

    const [session] = findSessions(records(raw));

    expect(session?.calls).toHaveLength(7);
    expect(session?.accessKeyIds).toEqual(['ASIACHAINEDSESSION01', SESSION_KEY]);
    expect(session?.matchedBy).toEqual(['accessKey', 'sourceIdentity']);
  });

  it('ignores AssumedRole sessions that are not jit sessions, and failed AssumeRole calls', () => {
    const raw = [
      call({
        time: '2026-03-25T12:01:00Z',
        eventSource: 'ec2.amazonaws.com',
        eventName: 'DescribeInstances',
        readOnly: true,
        accessKeyId: 'ASIAOTHERSESSION0001',
        sessionName: 'ci-deploy',
        sourceIdentity: null,
      }),
      assumeRole({
        time: '2026-03-25T12:00:00Z',
        grantId: OTHER_GRANT,
        accessKeyId: 'ASIAFAILED0000000001',
        errorCode: 'AccessDenied',
      }),
    ];

    expect(findSessions(records(raw))).toEqual([]);
  });

  it('counts an event delivered twice once, and a cross-account AssumeRole seen in both accounts once', () => {
    const raw = jitSession();
    const duplicateCall = { ...(raw[1] as Record<string, unknown>) };
    const grantCopy = {
      ...(raw[0] as Record<string, unknown>),
      eventID: 'other-copy',
      recipientAccountId: '111111111111',
    };

    const [session] = findSessions(records([...raw, duplicateCall, grantCopy]));

    expect(session?.calls).toHaveLength(6);
    expect(session?.grants).toHaveLength(1);
  });

  it("names the caller from the caller's copy of a cross-account AssumeRole, whichever copy comes first", () => {
    const raw = jitSession();
    const grant = raw[0] as Record<string, unknown>;
    // The role owner's copy names the caller by account and principal id only.
    const ownersCopy = {
      ...grant,
      eventID: 'owners-copy',
      recipientAccountId: WORKLOAD,
      userIdentity: { type: 'AWSAccount', principalId: 'AIDAEXAMPLEAPPROVER', accountId: '444444444444' },
    };

    for (const order of [
      [ownersCopy, ...raw],
      [...raw, ownersCopy],
    ]) {
      const [session] = findSessions(records(order));
      expect(session?.grants).toHaveLength(1);
      expect(session?.grants[0]?.assumedBy.arn).toBe(APPROVER_ARN);
    }
  });

  it('orders calls of the same second by arrival, reversed for a newest-first source such as LookupEvents', async () => {
    const [grant] = jitSession();
    const second = '2026-03-25T12:05:00Z';
    const inOrder = [
      call({ time: second, eventSource: 'ec2.amazonaws.com', eventName: 'DescribeInstances', readOnly: true }),
      call({ time: second, eventSource: 'ec2.amazonaws.com', eventName: 'TerminateInstances', readOnly: false }),
      call({ time: second, eventSource: 'ec2.amazonaws.com', eventName: 'StopInstances', readOnly: false }),
    ];
    async function* source(raw: Record<string, unknown>[], newestFirst: boolean): RecordSource {
      // Split over two pages, as LookupEvents would page them.
      yield { type: 'records', records: records(raw.slice(0, 2)), source: 'page-0', newestFirst };
      yield { type: 'records', records: records(raw.slice(2)), source: 'page-1', newestFirst };
    }
    const actions = async (raw: Record<string, unknown>[], newestFirst: boolean) =>
      (await collectSessions(source(raw, newestFirst))).sessions[0]?.calls.map((c) => c.eventName);
    const expected = ['DescribeInstances', 'TerminateInstances', 'StopInstances'];

    expect(await actions([grant as Record<string, unknown>, ...inOrder], false)).toEqual(expected);
    expect(await actions([...inOrder].reverse().concat(grant as Record<string, unknown>), true)).toEqual(expected);
  });

  it('keeps two grants apart', () => {
    const raw = [
      ...jitSession(),
      assumeRole({ time: '2026-03-25T13:00:00Z', grantId: OTHER_GRANT, accessKeyId: 'ASIASECONDGRANT00001' }),
    ];

    const sessions = findSessions(records(raw));

    expect(sessions.map((s) => [s.id, s.calls.length])).toEqual([
      [GRANT_ID, 6],
      [OTHER_GRANT, 0],
    ]);
  });

  it.each([GRANT_ID, `jit-${GRANT_ID}`, SESSION_KEY])('selects one session by %s', (wanted) => {
    const raw = [
      ...jitSession(),
      assumeRole({ time: '2026-03-25T13:00:00Z', grantId: OTHER_GRANT, accessKeyId: 'ASIASECONDGRANT00001' }),
    ];

    const sessions = findSessions(records(raw), { session: wanted });

    expect(sessions.map((s) => s.id)).toEqual([GRANT_ID]);
  });

  it('drops calls outside --since/--until and sessions with nothing in the window', () => {
    const raw = [
      ...jitSession(),
      assumeRole({ time: '2026-03-26T09:00:00Z', grantId: OTHER_GRANT, accessKeyId: 'ASIASECONDGRANT00001' }),
    ];

    const sessions = findSessions(records(raw), {
      since: new Date('2026-03-25T12:02:00Z'),
      until: new Date('2026-03-25T12:10:00Z'),
    });

    expect(sessions.map((s) => s.id)).toEqual([GRANT_ID]);
    expect(sessions[0]?.calls.map((c) => c.time)).toEqual([
      '2026-03-25T12:02:11Z',
      '2026-03-25T12:03:00Z',
      '2026-03-25T12:05:00Z',
      '2026-03-25T12:08:00Z',
    ]);
  });
});

describe('findSessions (all-assumed-roles mode)', () => {
  it('groups every AssumedRole session by access key and attaches the AssumeRole event that issued it', () => {
    const raw = [
      ...jitSession(),
      call({
        time: '2026-03-25T12:01:00Z',
        eventSource: 'ec2.amazonaws.com',
        eventName: 'DescribeInstances',
        readOnly: true,
        accessKeyId: 'ASIAOTHERSESSION0001',
        sessionName: 'ci-deploy',
        sourceIdentity: null,
      }),
    ];

    const sessions = findSessions(records(raw), { mode: 'all-assumed-roles' });

    expect(sessions.map((s) => [s.id, s.kind, s.calls.length, s.grants.length])).toEqual([
      [SESSION_KEY, 'assumed-role', 6, 1],
      ['ASIAOTHERSESSION0001', 'assumed-role', 1, 0],
    ]);
    expect(sessions[0]?.grantId).toBe(GRANT_ID);
  });
});
