import { describe, expect, it } from 'vitest';
import { assumedRoleArn, SimulationInputError, simulate } from '../../src/index.js';

const allowS3 = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/*' }],
};
const principal = assumedRoleArn('111111111111', 'Role');

describe('simulate', () => {
  it('allows what an identity policy allows', async () => {
    expect(
      await simulate({ identity: [allowS3] }, { principal, action: 's3:GetObject', resource: 'arn:aws:s3:::bucket/k' }),
    ).toBe('Allowed');
  });

  it('implicitly denies what nothing allows', async () => {
    expect(
      await simulate({ identity: [allowS3] }, { principal, action: 's3:PutObject', resource: 'arn:aws:s3:::bucket/k' }),
    ).toBe('ImplicitlyDenied');
  });

  it('lets an explicit deny win over an allow', async () => {
    const deny = { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 's3:*', Resource: '*' }] };
    expect(
      await simulate(
        { identity: [allowS3, deny] },
        { principal, action: 's3:GetObject', resource: 'arn:aws:s3:::bucket/k' },
      ),
    ).toBe('ExplicitlyDenied');
  });

  it('intersects with a session policy', async () => {
    const session = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:ListBucket', Resource: '*' }] };
    expect(
      await simulate(
        { identity: [allowS3], session },
        { principal, action: 's3:GetObject', resource: 'arn:aws:s3:::bucket/k' },
      ),
    ).not.toBe('Allowed');
  });

  it('refuses an unknown action instead of calling it denied', async () => {
    await expect(
      simulate({ identity: [allowS3] }, { principal, action: 's3:NoSuchAction', resource: 'arn:aws:s3:::bucket/k' }),
    ).rejects.toBeInstanceOf(SimulationInputError);
  });
});
