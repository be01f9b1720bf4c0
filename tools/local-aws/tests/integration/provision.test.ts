import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { MANAGED_POLICY_NAMES } from '@jit-access/core';
import { describe, expect, inject, it } from 'vitest';
import type { LocalCredentials } from '../../src/index.js';
import { clientConfig } from '../../src/testing/index.js';

const localAws = inject('localAws');

/** The local admin in one account, asked of moto directly: reading the setup is not an audited call. */
async function adminIn(accountId: string): Promise<LocalCredentials> {
  const sts = new STSClient({ ...clientConfig(localAws, 'admin'), endpoint: localAws.motoEndpoint });
  const session = await sts.send(
    new AssumeRoleCommand({
      RoleArn: `arn:aws:iam::${accountId}:role/${localAws.accounts.adminRoleName}`,
      RoleSessionName: 'local-admin-provision-test',
    }),
  );
  const c = session.Credentials;
  if (c?.AccessKeyId === undefined || c.SecretAccessKey === undefined || c.SessionToken === undefined) {
    throw new Error('AssumeRole returned no credentials');
  }
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
}

describe('the provisioned tier roles', () => {
  it('carry their own tier policy as permissions boundary, as the stacks do (decision 0007)', async () => {
    let roles = 0;
    for (const workload of localAws.accounts.workloads) {
      const iam = new IAMClient({
        ...clientConfig(localAws, 'admin'),
        endpoint: localAws.motoEndpoint,
        credentials: await adminIn(workload.id),
      });
      for (const role of workload.roles) {
        const tierPolicy = MANAGED_POLICY_NAMES.tier(role.tier);

        const got = await iam.send(new GetRoleCommand({ RoleName: role.roleName }));

        expect(role.permissionsBoundary).toBe(tierPolicy);
        expect(role.managedPolicies).toContain(tierPolicy);
        expect(got.Role?.PermissionsBoundary).toEqual({
          PermissionsBoundaryType: 'PermissionsBoundaryPolicy',
          PermissionsBoundaryArn: `arn:aws:iam::${workload.id}:policy/${tierPolicy}`,
        });
        roles++;
      }
    }
    expect(roles).toBe(8);
  });

  it('are listed among the widenings: moto stores the boundary but never evaluates it', () => {
    const tiers = new Set(localAws.accounts.workloads.flatMap((w) => w.roles.map((r) => r.roleName)));
    const boundaries = localAws.widenings.filter((w) => w.policy.includes('as permissions boundary of'));

    expect(boundaries.map((w) => /boundary of (\S+) /.exec(w.policy)?.[1]).sort()).toEqual([...tiers].sort());
    for (const w of boundaries) {
      expect(w.change).toBe('attached but never evaluated');
      expect(w.reason).toContain('moto ignores permissions boundaries');
    }
  });
});

describe('approvers.requireMfa in the local environment (decision 0008)', () => {
  const staging = localAws.accounts.workloads.find((w) => w.name === 'staging');
  if (staging === undefined) throw new Error('accounts/ has no staging workload');
  const ops = staging.roles.find((r) => r.tier === 'ops');
  if (ops === undefined) throw new Error('staging has no ops role');

  it('stores the trust policies as the stacks write them, MFA condition included', async () => {
    const iam = new IAMClient({
      ...clientConfig(localAws, 'admin'),
      endpoint: localAws.motoEndpoint,
      credentials: await adminIn(staging.id),
    });

    for (const roleName of [ops.roleName, 'JitRevoker']) {
      const got = await iam.send(new GetRoleCommand({ RoleName: roleName }));
      const trust = decodeURIComponent(got.Role?.AssumeRolePolicyDocument ?? '');

      expect(trust, roleName).toContain('"aws:MultiFactorAuthPresent":"true"');
      expect(trust, roleName).toContain('aws-reserved/sso.amazonaws.com/');
    }
  });

  it('still lets the local approver (IAM user, access keys, no MFA) assume a tier role and JitRevoker', async () => {
    // Asked of moto directly, as jit-grant would ask it, without an audited record of a grant that never was.
    const sts = new STSClient({ ...clientConfig(localAws, 'approver'), endpoint: localAws.motoEndpoint });

    const tier = await sts.send(
      new AssumeRoleCommand({
        RoleArn: ops.roleArn,
        RoleSessionName: 'jit-01JMFA00000000000000000000',
        SourceIdentity: 'jit-01JMFA00000000000000000000',
        DurationSeconds: 900,
      }),
    );
    const revoker = await sts.send(
      new AssumeRoleCommand({ RoleArn: staging.revokerRoleArn, RoleSessionName: 'revoker-jit-approver' }),
    );

    expect(localAws.profiles.approver.sessionToken).toBeUndefined();
    expect(tier.AssumedRoleUser?.Arn).toBe(
      `arn:aws:sts::${staging.id}:assumed-role/${ops.roleName}/jit-01JMFA00000000000000000000`,
    );
    expect(revoker.AssumedRoleUser?.Arn).toBe(
      `arn:aws:sts::${staging.id}:assumed-role/JitRevoker/revoker-jit-approver`,
    );
  });

  it('lists the MFA requirement among the widenings, for the tier roles and JitRevoker', () => {
    const mfa = localAws.widenings.filter((w) => w.change.startsWith('MFA not required'));

    expect(mfa.map((w) => `${w.policy}: ${w.statement}`)).toEqual([
      'trust policy of the elevated roles: ApproversAssumeWithJitSourceIdentityWithMfa',
      'trust policy of JitRevoker: ApproversRevokeWithMfa',
    ]);
    for (const w of mfa) expect(w.reason).toContain('jit-approver, access keys, no MFA');
  });
});
