import { assumedRoleArn, simulate } from '@jit-access/policy-sim';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { JitConfig } from '../../src/config/schema.js';
import { REVOKER_ROLE_NAME, revokerPermissionsPolicy, revokerTrustPolicy } from '../../src/revoker.js';

const ACCOUNTS = new URL('../../../../accounts', import.meta.url).pathname;
let config: JitConfig;

beforeAll(async () => {
  config = await loadConfig(ACCOUNTS);
});

describe('the revoker role', () => {
  const principal = assumedRoleArn('333333333333', REVOKER_ROLE_NAME, 'revoker-alice');

  it("may attach an inline deny to the account's tier roles", async () => {
    const decision = await simulate(
      { identity: [revokerPermissionsPolicy(config, '333333333333')] },
      { principal, action: 'iam:PutRolePolicy', resource: 'arn:aws:iam::333333333333:role/AgentElevated-Security' },
    );
    expect(decision).toBe('Allowed');
  });

  it.each([
    [
      'a tier role the account does not have',
      'iam:PutRolePolicy',
      'arn:aws:iam::333333333333:role/AgentElevated-Deploy',
    ],
    ['the revoker role itself', 'iam:PutRolePolicy', `arn:aws:iam::333333333333:role/${REVOKER_ROLE_NAME}`],
    ["another account's tier role", 'iam:PutRolePolicy', 'arn:aws:iam::222222222222:role/AgentElevated-Ops'],
    ['a managed policy attachment', 'iam:AttachRolePolicy', 'arn:aws:iam::333333333333:role/AgentElevated-Ops'],
    ['a trust policy change', 'iam:UpdateAssumeRolePolicy', 'arn:aws:iam::333333333333:role/AgentElevated-Ops'],
    // The boundary (decision 0007): what would let an inline Allow past it.
    [
      "a tier role's permissions boundary (set)",
      'iam:PutRolePermissionsBoundary',
      'arn:aws:iam::333333333333:role/AgentElevated-Ops',
    ],
    [
      "a tier role's permissions boundary (removal)",
      'iam:DeleteRolePermissionsBoundary',
      'arn:aws:iam::333333333333:role/AgentElevated-Ops',
    ],
    ['a managed policy detachment', 'iam:DetachRolePolicy', 'arn:aws:iam::333333333333:role/AgentElevated-Ops'],
    ['a new version of the tier policy', 'iam:CreatePolicyVersion', 'arn:aws:iam::333333333333:policy/JitTier-ops'],
    ['another default version', 'iam:SetDefaultPolicyVersion', 'arn:aws:iam::333333333333:policy/JitTier-ops'],
    ['the tier policy itself', 'iam:DeletePolicy', 'arn:aws:iam::333333333333:policy/JitTier-ops'],
  ])('may not touch %s', async (_name, action, resource) => {
    const decision = await simulate(
      { identity: [revokerPermissionsPolicy(config, '333333333333')] },
      { principal, action, resource },
    );
    expect(decision).toBe('ImplicitlyDenied');
  });

  it('trusts the approver principals of the hub only, IAM users and roles with MFA (decision 0008)', () => {
    const statements = revokerTrustPolicy(config).Statement;
    for (const s of statements) expect(s.Principal).toEqual({ AWS: ['arn:aws:iam::444444444444:root'] });
    expect(statements.flatMap((s) => [s.Condition?.ArnLike?.['aws:PrincipalArn'] ?? []].flat()).sort()).toEqual(
      [...config.approvers.principals].sort(),
    );
    expect(statements.map((s) => [s.Sid, s.Condition?.Bool])).toEqual([
      ['ApproversRevokeViaIdentityCenter', undefined],
      ['ApproversRevokeWithMfa', { 'aws:MultiFactorAuthPresent': 'true' }],
    ]);
  });
});
