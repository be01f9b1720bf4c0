import {
  denyCeilingPolicy,
  type JitConfig,
  loadConfig,
  revokeAllSessionsPolicy,
  tierPermissionsPolicy,
} from '@jit-access/core';
import { assumedRoleArn, simulate } from '@jit-access/policy-sim';
import { beforeAll, describe, expect, it } from 'vitest';
import { planGrant, revokeGrantDocument, sessionPolicyFor } from '../../src/index.js';
import { ACCOUNTS_DIR } from '../support/local.js';

// IAM evaluation of the session policies the grant passes to AssumeRole and of the revocation
// denies, on the same documents the code builds (moto ignores session policies and conditions).

const START = new Date('2026-03-25T12:30:00Z');
const at = (minutes: number) => new Date(START.getTime() + minutes * 60_000).toISOString();
let config: JitConfig;

beforeAll(async () => {
  config = await loadConfig(ACCOUNTS_DIR);
});

function identity(tier: string) {
  return [tierPermissionsPolicy(config, tier), denyCeilingPolicy(config)];
}

describe('the window session policy', () => {
  it('allows a security-tier action at minute 4 of a 5-minute window and denies it at minute 6', async () => {
    const plan = planGrant(config, { account: 'staging', tier: 'security', minutes: 5, reason: 'x' }, START);
    const session = sessionPolicyFor(plan, new Date(START.getTime() + 5 * 60_000));
    const principal = assumedRoleArn('111111111111', 'AgentElevated-Security', plan.sessionName);
    const request = (minute: number) => ({
      principal,
      action: 'ec2:DescribeSecurityGroups',
      resource: '*',
      context: { 'aws:CurrentTime': at(minute) },
    });

    expect(await simulate({ identity: identity('security'), session }, request(4))).toBe('Allowed');
    expect(await simulate({ identity: identity('security'), session }, request(6))).toBe('ImplicitlyDenied');
  });

  it('would allow minute 6 without the session policy (the policy is what closes the window)', async () => {
    const principal = assumedRoleArn('111111111111', 'AgentElevated-Security');
    expect(
      await simulate(
        { identity: identity('security') },
        { principal, action: 'ec2:DescribeSecurityGroups', resource: '*', context: { 'aws:CurrentTime': at(6) } },
      ),
    ).toBe('Allowed');
  });

  it('narrows the session to the --scope ARNs', async () => {
    const plan = planGrant(
      config,
      { account: 'staging', tier: 'ops', minutes: 15, reason: 'x', scope: ['arn:aws:s3:::app-logs/*'] },
      START,
    );
    const session = sessionPolicyFor(plan, new Date(START.getTime() + 15 * 60_000));
    const principal = assumedRoleArn('111111111111', 'AgentElevated-Ops', plan.sessionName);
    const get = (resource: string) => ({
      principal,
      action: 's3:GetObject',
      resource,
      resourceAccount: '111111111111',
      context: { 'aws:CurrentTime': at(1) },
    });
    expect(await simulate({ identity: identity('ops'), session }, get('arn:aws:s3:::app-logs/2026/app.log'))).toBe(
      'Allowed',
    );
    expect(await simulate({ identity: identity('ops'), session }, get('arn:aws:s3:::billing/export.csv'))).toBe(
      'ImplicitlyDenied',
    );
  });
});

describe('the revocation denies', () => {
  const grantId = '01JQ0000000000000000000000';
  const other = '01JQ0000000000000000000001';

  it("blocks the revoked grant's source identity and not another grant's", async () => {
    const policies = { identity: [...identity('ops'), revokeGrantDocument(grantId)] };
    const request = (sourceIdentity: string) => ({
      principal: assumedRoleArn('111111111111', 'AgentElevated-Ops', sourceIdentity),
      action: 'ecs:UpdateService',
      resource: '*',
      context: { 'aws:SourceIdentity': sourceIdentity, 'aws:userid': `AROAEXAMPLEEXAMPLE01:${sourceIdentity}` },
    });
    expect(await simulate(policies, request(`jit-${grantId}`))).toBe('ExplicitlyDenied');
    expect(await simulate(policies, request(`jit-${other}`))).toBe('Allowed');
  });

  it('blocks a grant by its session name when the approver session had set another source identity', async () => {
    const policies = { identity: [...identity('ops'), revokeGrantDocument(grantId)] };
    const request = (sessionName: string) => ({
      principal: assumedRoleArn('111111111111', 'AgentElevated-Ops', sessionName),
      action: 'ecs:UpdateService',
      resource: '*',
      context: { 'aws:SourceIdentity': 'alice@example.com', 'aws:userid': `AROAEXAMPLEEXAMPLE01:${sessionName}` },
    });
    expect(await simulate(policies, request(`jit-${grantId}`))).toBe('ExplicitlyDenied');
    expect(await simulate(policies, request(`jit-${other}`))).toBe('Allowed');
  });

  it('blocks every session issued before the revocation and none issued after', async () => {
    const revokedAt = new Date('2026-03-25T13:00:00Z');
    const policies = { identity: [...identity('ops'), revokeAllSessionsPolicy(revokedAt)] };
    const request = (issued: string) => ({
      principal: assumedRoleArn('111111111111', 'AgentElevated-Ops'),
      action: 'ecs:UpdateService',
      resource: '*',
      context: { 'aws:TokenIssueTime': issued },
    });
    expect(await simulate(policies, request('2026-03-25T12:45:00Z'))).toBe('ExplicitlyDenied');
    expect(await simulate(policies, request('2026-03-25T13:05:00Z'))).toBe('Allowed');
  });
});
