import { describe, expect, it } from 'vitest';
import { relevanceFilter } from '../../src/records/relevance.js';
import { callRecord, grantRecord, serviceRoleRecord } from '../helpers/records.js';

const T0 = new Date('2026-03-02T10:00:00Z');
const ACCOUNT = '111111111111';
const filter = relevanceFilter(['AgentElevated-Ops']);
const both = (record: Record<string, unknown>) => filter.mayMatter(JSON.stringify(record)) && filter.matters(record);

describe('relevanceFilter', () => {
  it('keeps the AssumeRole event of a grant and the calls of its session', () => {
    expect(
      both(grantRecord({ grantId: 'G1', accountId: ACCOUNT, time: T0, accessKeyId: 'ASIAEXAMPLE000000001' })),
    ).toBe(true);
    expect(both(callRecord({ grantId: 'G1', accountId: ACCOUNT, time: T0, accessKeyId: 'ASIAEXAMPLE000000001' }))).toBe(
      true,
    );
  });

  it('drops the calls of service roles before they are parsed', () => {
    const record = serviceRoleRecord(ACCOUNT, T0);
    expect(filter.mayMatter(JSON.stringify(record))).toBe(false);
    expect(filter.matters(record)).toBe(false);
  });

  it('keeps a tier role used under another session name (someone assumed it outside a grant)', () => {
    const call = callRecord({ grantId: 'G1', accountId: ACCOUNT, time: T0, accessKeyId: 'ASIAEXAMPLE000000001' });
    const identity = call.userIdentity as Record<string, unknown>;
    identity.arn = `arn:aws:sts::${ACCOUNT}:assumed-role/AgentElevated-Ops/someone-else`;
    identity.sessionContext = { sessionIssuer: {} };
    expect(both(call)).toBe(true);
    expect(relevanceFilter([]).matters(call)).toBe(false);
  });

  it('keeps a call whose session name is not jit- when its source identity is', () => {
    const call = callRecord({ grantId: 'G1', accountId: ACCOUNT, time: T0, accessKeyId: 'ASIAEXAMPLE000000001' });
    (call.userIdentity as Record<string, unknown>).arn = `arn:aws:sts::${ACCOUNT}:assumed-role/Other/chained`;
    expect(relevanceFilter([]).matters(call)).toBe(true);
  });

  it('lets malformed records through, so that they become findings instead of vanishing', () => {
    expect(filter.matters(null)).toBe(true);
    expect(filter.matters([1])).toBe(true);
    expect(filter.matters({ eventName: 'jit-x' })).toBe(true);
  });

  it('drops AssumeRole events of other sessions', () => {
    const event = grantRecord({
      grantId: 'G1',
      accountId: ACCOUNT,
      time: T0,
      accessKeyId: 'ASIAEXAMPLE000000001',
      roleName: 'ReadOnly',
    });
    const params = event.requestParameters as Record<string, unknown>;
    params.roleSessionName = 'botocore-session';
    params.sourceIdentity = undefined;
    params.tags = [];
    expect(filter.matters(event)).toBe(false);
  });
});
