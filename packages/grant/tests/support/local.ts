import path from 'node:path';
import {
  CreateRoleCommand,
  DeleteRolePolicyCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import {
  type JitConfig,
  loadConfig,
  placeholderSecretString,
  REVOKER_ROLE_NAME,
  revokerPermissionsPolicy,
  secretName,
} from '@jit-access/core';
import type { LocalAwsTestContext } from '@jit-access/local-aws/testing';
import { AwsClients } from '../../src/index.js';

export const ACCOUNTS_DIR = path.resolve(import.meta.dirname, '../../../../accounts');

export async function config(): Promise<JitConfig> {
  return loadConfig(ACCOUNTS_DIR);
}

type Creds = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

export function approverClients(ctx: LocalAwsTestContext, credentials: Creds = ctx.profiles.approver): AwsClients {
  return new AwsClients({ region: ctx.region, endpoint: ctx.endpoint, credentials, maxAttempts: 2 });
}

function base(ctx: LocalAwsTestContext, credentials: Creds) {
  return { region: ctx.region, endpoint: ctx.endpoint, credentials, maxAttempts: 1 };
}

/** The local admin role's credentials in one account. */
export async function adminIn(ctx: LocalAwsTestContext, accountId: string): Promise<Creds> {
  const sts = new STSClient(base(ctx, ctx.profiles.admin));
  try {
    const out = await sts.send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${accountId}:role/${ctx.accounts.adminRoleName}`,
        RoleSessionName: 'grant-tests-admin',
      }),
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error('no admin credentials');
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
  } finally {
    sts.destroy();
  }
}

/** What a secret looks like from outside: its stages, tags and current value (read as admin). */
export async function secretSnapshot(ctx: LocalAwsTestContext, accountId: string) {
  const sm = new SecretsManagerClient(base(ctx, await adminIn(ctx, ctx.accounts.hub.id)));
  try {
    const described = await sm.send(new DescribeSecretCommand({ SecretId: secretName(accountId) }));
    const value = await sm.send(new GetSecretValueCommand({ SecretId: secretName(accountId) }));
    return {
      stages: described.VersionIdsToStages ?? {},
      tags: Object.fromEntries((described.Tags ?? []).map((t) => [t.Key, t.Value])),
      value: value.SecretString,
      versionId: value.VersionId,
    };
  } finally {
    sm.destroy();
  }
}

/** The secret's AWSCURRENT value, read as the agent's base identity. */
export async function readAsAgent(ctx: LocalAwsTestContext, accountId: string): Promise<string> {
  const sm = new SecretsManagerClient(base(ctx, ctx.profiles.agent));
  try {
    const out = await sm.send(new GetSecretValueCommand({ SecretId: secretName(accountId) }));
    return out.SecretString ?? '';
  } finally {
    sm.destroy();
  }
}

/** Reads the AWSPREVIOUS stage as admin: undefined when no version carries it. */
export async function readPrevious(ctx: LocalAwsTestContext, accountId: string): Promise<string | undefined> {
  const sm = new SecretsManagerClient(base(ctx, await adminIn(ctx, ctx.accounts.hub.id)));
  try {
    const out = await sm.send(
      new GetSecretValueCommand({ SecretId: secretName(accountId), VersionStage: 'AWSPREVIOUS' }),
    );
    return out.SecretString;
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') return undefined;
    throw error;
  } finally {
    sm.destroy();
  }
}

/** Puts the placeholder back as admin (a clean slate between tests) and drops AWSPREVIOUS. */
export async function resetSecret(ctx: LocalAwsTestContext, accountId: string): Promise<void> {
  const sm = new SecretsManagerClient(base(ctx, await adminIn(ctx, ctx.accounts.hub.id)));
  try {
    await sm.send(
      new PutSecretValueCommand({ SecretId: secretName(accountId), SecretString: placeholderSecretString() }),
    );
    const d = await sm.send(new DescribeSecretCommand({ SecretId: secretName(accountId) }));
    const previous = Object.entries(d.VersionIdsToStages ?? {}).find(([, s]) => s.includes('AWSPREVIOUS'))?.[0];
    if (previous) {
      await sm.send(
        new UpdateSecretVersionStageCommand({
          SecretId: secretName(accountId),
          VersionStage: 'AWSPREVIOUS',
          RemoveFromVersionId: previous,
        }),
      );
    }
    const { TagResourceCommand } = await import('@aws-sdk/client-secrets-manager');
    await sm.send(
      new TagResourceCommand({
        SecretId: secretName(accountId),
        Tags: [
          { Key: 'jit:state', Value: '' },
          { Key: 'jit:grant', Value: '' },
        ],
      }),
    );
  } finally {
    sm.destroy();
  }
}

let revokerReady: Promise<void> | undefined;

/**
 * Creates what the workload stacks will deploy for revocation: the JitRevoker role in every
 * workload account (trusting the hub's approvers, with core's revoker permissions), and lets the
 * local approver assume it. Idempotent within one test file.
 */
export function provisionRevoker(ctx: LocalAwsTestContext, cfg: JitConfig): Promise<void> {
  revokerReady ??= (async () => {
    for (const account of cfg.workloadAccounts) {
      const iam = new IAMClient(base(ctx, await adminIn(ctx, account.id)));
      try {
        await iam.send(
          new CreateRoleCommand({
            RoleName: REVOKER_ROLE_NAME,
            // moto ignores trust conditions; the approver user is named directly.
            AssumeRolePolicyDocument: JSON.stringify({
              Version: '2012-10-17',
              Statement: [
                { Effect: 'Allow', Principal: { AWS: ctx.accounts.hub.approver.arn }, Action: 'sts:AssumeRole' },
              ],
            }),
          }),
        );
      } catch (error) {
        if (
          (error as Error).name !== 'EntityAlreadyExists' &&
          (error as Error).name !== 'EntityAlreadyExistsException'
        ) {
          throw error;
        }
      }
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: REVOKER_ROLE_NAME,
          PolicyName: 'JitRevoker',
          PolicyDocument: JSON.stringify(revokerPermissionsPolicy(cfg, account.id)),
        }),
      );
      iam.destroy();
    }
    const hubIam = new IAMClient(base(ctx, await adminIn(ctx, ctx.accounts.hub.id)));
    await hubIam.send(
      new PutUserPolicyCommand({
        UserName: ctx.accounts.hub.approver.name,
        PolicyName: 'JitAssumeRevoker',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: 'sts:AssumeRole',
              Resource: cfg.workloadAccounts.map((a) => `arn:aws:iam::${a.id}:role/${REVOKER_ROLE_NAME}`),
            },
          ],
        }),
      }),
    );
    hubIam.destroy();
  })();
  return revokerReady;
}

/** The inline policies on a role, with their documents (read as admin). */
export async function roleInlinePolicies(
  ctx: LocalAwsTestContext,
  accountId: string,
  roleName: string,
): Promise<Record<string, unknown>> {
  const iam = new IAMClient(base(ctx, await adminIn(ctx, accountId)));
  try {
    const names = (await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames ?? [];
    const out: Record<string, unknown> = {};
    for (const name of names) {
      const doc = await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: name }));
      out[name] = JSON.parse(decodeURIComponent(doc.PolicyDocument ?? '{}'));
    }
    return out;
  } finally {
    iam.destroy();
  }
}

export async function deleteRolePolicy(ctx: LocalAwsTestContext, accountId: string, roleName: string, name: string) {
  const iam = new IAMClient(base(ctx, await adminIn(ctx, accountId)));
  try {
    await iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: name }));
  } finally {
    iam.destroy();
  }
}

/**
 * An approver-like IAM user in the hub allowed only `actions` (Resource "*": moto checks most
 * calls against "*"). Used to make one step of a grant fail the way AWS would: AccessDenied.
 */
export async function limitedApprover(
  ctx: LocalAwsTestContext,
  name: string,
  actions: readonly string[],
): Promise<Creds> {
  const { CreateAccessKeyCommand, CreateUserCommand } = await import('@aws-sdk/client-iam');
  const iam = new IAMClient(base(ctx, await adminIn(ctx, ctx.accounts.hub.id)));
  try {
    await iam.send(new CreateUserCommand({ UserName: name }));
    await iam.send(
      new PutUserPolicyCommand({
        UserName: name,
        PolicyName: 'Limited',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: [...actions], Resource: '*' }],
        }),
      }),
    );
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: name }));
    return { accessKeyId: key.AccessKey?.AccessKeyId ?? '', secretAccessKey: key.AccessKey?.SecretAccessKey ?? '' };
  } finally {
    iam.destroy();
  }
}

/** Every action a grant makes, for building approvers that lack exactly one. */
export const GRANT_ACTIONS = [
  'sts:GetCallerIdentity',
  'sts:AssumeRole',
  'sts:TagSession',
  'sts:SetSourceIdentity',
  'secretsmanager:DescribeSecret',
  'secretsmanager:PutSecretValue',
  'secretsmanager:UpdateSecretVersionStage',
  'secretsmanager:TagResource',
  'kms:Encrypt',
  'kms:Decrypt',
  'kms:GenerateDataKey',
  'sns:Publish',
] as const;

/**
 * `ec2:DescribeInstances` with some credentials, through the AWS CLI (the workspace has no EC2
 * SDK client): the tier call moto enforces (tools/local-aws README). The credentials go to the
 * child's environment only; the answer is reduced to ok or the error's code.
 */
export async function describeInstancesAs(
  ctx: LocalAwsTestContext,
  credentials: Creds,
): Promise<{ ok: true } | { ok: false; error: string }> {
  const { spawn } = await import('node:child_process');
  const none = path.join(ctx.stateDir, 'no-such-aws-file');
  const child = spawn('aws', ['ec2', 'describe-instances', '--output', 'json'], {
    env: {
      PATH: process.env.PATH,
      HOME: ctx.stateDir,
      AWS_CONFIG_FILE: none,
      AWS_SHARED_CREDENTIALS_FILE: none,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      ...(credentials.sessionToken === undefined ? {} : { AWS_SESSION_TOKEN: credentials.sessionToken }),
      AWS_ENDPOINT_URL: ctx.endpoint,
      AWS_DEFAULT_REGION: ctx.region,
    },
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  child.stdout.resume();
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code === 0) return { ok: true };
  return { ok: false, error: /\(([A-Za-z.]+)\)/.exec(stderr)?.[1] ?? `exit ${code}` };
}

/** Removes every revocation deny (JitRevoke*) from the given roles: a clean slate for moto. */
export async function clearRevocationDenies(
  ctx: LocalAwsTestContext,
  accountId: string,
  roleNames: readonly string[],
): Promise<void> {
  for (const role of roleNames) {
    for (const name of Object.keys(await roleInlinePolicies(ctx, accountId, role))) {
      if (name.startsWith('JitRevoke')) await deleteRolePolicy(ctx, accountId, role, name);
    }
  }
}

/** The credentials in an STS AssumeRole answer (query protocol XML). */
export function assumeRoleCredentials(xml: string): Creds | undefined {
  const field = (name: string) => new RegExp(`<${name}>([^<]+)</${name}>`).exec(xml)?.[1];
  const accessKeyId = field('AccessKeyId');
  const secretAccessKey = field('SecretAccessKey');
  const sessionToken = field('SessionToken');
  if (!accessKeyId || !secretAccessKey || !sessionToken) return undefined;
  return { accessKeyId, secretAccessKey, sessionToken };
}
