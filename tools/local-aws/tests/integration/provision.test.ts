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
