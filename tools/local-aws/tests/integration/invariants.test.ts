import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { placeholderSecretString, secretName } from '@jit-access/core';
import { describe, expect, inject, it } from 'vitest';
import type { LocalCredentials } from '../../src/index.js';
import { clientConfig } from '../../src/testing/index.js';
import { ec2Call } from '../support/sigv4.js';

const localAws = inject('localAws');
const staging = localAws.accounts.workloads.find((w) => w.name === 'staging');
if (staging === undefined) throw new Error('accounts/ has no staging workload');
const opsRole = staging.roles.find((r) => r.tier === 'ops');
if (opsRole === undefined) throw new Error('staging has no ops role');
const stagingSecret = secretName(staging.id);

async function assumeAsApprover(roleArn: string): Promise<LocalCredentials> {
  const sts = new STSClient(clientConfig(localAws, 'approver'));
  const session = await sts.send(
    new AssumeRoleCommand({
      RoleArn: roleArn,
      RoleSessionName: 'jit-01JTESTGRANT0000000000000',
      SourceIdentity: 'jit-01JTESTGRANT0000000000000',
      DurationSeconds: 900,
    }),
  );
  const c = session.Credentials;
  if (c?.AccessKeyId === undefined || c.SecretAccessKey === undefined || c.SessionToken === undefined) {
    throw new Error('AssumeRole returned no credentials');
  }
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
}

async function failureOf(promise: Promise<unknown>): Promise<{ name: string; status: number | undefined }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { name: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('the call was allowed');
}

describe("the agent's base identity, through the edge", () => {
  const sm = new SecretsManagerClient(clientConfig(localAws, 'agent'));
  const sts = new STSClient(clientConfig(localAws, 'agent'));

  it('is the agent user of the hub account', async () => {
    const me = await sts.send(new GetCallerIdentityCommand({}));

    expect(me.Arn).toBe(localAws.accounts.hub.agent.arn);
  });

  it('reads its secret and finds the placeholder', async () => {
    const secret = await sm.send(new GetSecretValueCommand({ SecretId: stagingSecret }));

    expect(secret.SecretString).toBe(placeholderSecretString());
  });

  it('is refused PutSecretValue on its own secret', async () => {
    const failure = await failureOf(
      sm.send(new PutSecretValueCommand({ SecretId: stagingSecret, SecretString: '{"forged":true}' })),
    );

    expect(failure).toEqual({ name: 'AccessDeniedException', status: 403 });
    const unchanged = await sm.send(new GetSecretValueCommand({ SecretId: stagingSecret }));
    expect(unchanged.SecretString).toBe(placeholderSecretString());
  });

  it('is refused sts:AssumeRole into an elevated role', async () => {
    const failure = await failureOf(
      sts.send(
        new AssumeRoleCommand({
          RoleArn: opsRole.roleArn,
          RoleSessionName: 'jit-self-approval',
          SourceIdentity: 'jit-self-approval',
        }),
      ),
    );

    expect(failure).toEqual({ name: 'AccessDenied', status: 403 });
  });

  it('is refused any EC2 call', async () => {
    const describe = await ec2Call(localAws.endpoint, localAws.region, localAws.profiles.agent, {
      Action: 'DescribeInstances',
    });
    const terminate = await ec2Call(localAws.endpoint, localAws.region, localAws.profiles.agent, {
      Action: 'TerminateInstances',
      'InstanceId.1': 'i-0123456789abcdef0',
    });

    for (const result of [describe, terminate]) {
      expect(result.status).toBe(403);
      expect(result.body).toContain('<Code>AccessDenied</Code>');
      expect(result.body).toContain('user/jit-agent is not authorized to perform: ec2:');
    }
  });
});

describe('an elevated role session, assumed by the local approver through the edge', () => {
  it('acts as the ops role in the workload account', async () => {
    const credentials = await assumeAsApprover(opsRole.roleArn);
    const me = await new STSClient({ ...clientConfig(localAws, 'agent'), credentials }).send(
      new GetCallerIdentityCommand({}),
    );

    expect(me.Arn).toBe(`arn:aws:sts::${staging.id}:assumed-role/${opsRole.roleName}/jit-01JTESTGRANT0000000000000`);
  });

  it('may call ec2:DescribeInstances', async () => {
    const credentials = await assumeAsApprover(opsRole.roleArn);

    const result = await ec2Call(localAws.endpoint, localAws.region, credentials, { Action: 'DescribeInstances' });

    expect(result.status).toBe(200);
    expect(result.body).toContain('<DescribeInstancesResponse');
  });

  it('gets AccessDenied for ec2:TerminateInstances (the deny ceiling)', async () => {
    const credentials = await assumeAsApprover(opsRole.roleArn);

    const result = await ec2Call(localAws.endpoint, localAws.region, credentials, {
      Action: 'TerminateInstances',
      'InstanceId.1': 'i-0123456789abcdef0',
    });

    expect(result.status).toBe(403);
    expect(result.body).toContain('<Code>AccessDenied</Code>');
    expect(result.body).toContain(
      `assumed-role/${opsRole.roleName}/jit-01JTESTGRANT0000000000000 is not authorized to perform: ec2:TerminateInstances`,
    );
  });

  it('is refused secretsmanager:PutSecretValue (no tier allows Secrets Manager)', async () => {
    const credentials = await assumeAsApprover(opsRole.roleArn);
    const sm = new SecretsManagerClient({ ...clientConfig(localAws, 'agent'), credentials });

    const failure = await failureOf(
      sm.send(new PutSecretValueCommand({ SecretId: stagingSecret, SecretString: '{}' })),
    );

    expect(failure.status).toBe(403);
  });
});

describe('the local approver', () => {
  it('cannot assume the local admin role', async () => {
    const sts = new STSClient(clientConfig(localAws, 'approver'));

    const failure = await failureOf(
      sts.send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${staging.id}:role/${localAws.accounts.adminRoleName}`,
          RoleSessionName: 'jit-x',
        }),
      ),
    );

    expect(failure).toEqual({ name: 'AccessDenied', status: 403 });
  });
});
