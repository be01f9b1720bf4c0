// jit-audit report on a session recorded by the local environment's CloudTrail (the edge plugin):
// a grant made as the local approver, calls with its credentials (one allowed, one denied by the deny
// ceiling), a revocation, a call after it, a flush; then the report from the trail's S3 log files and
// from LookupEvents. Every expected figure comes from what this file did.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteRolePolicyCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { newGrantId, revokeGrantPolicyName, SESSION_TAG, sessionNameFor } from '@jit-access/core';
import { clientConfig, type LocalAwsTestContext } from '@jit-access/local-aws/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Report, runReportCommand } from '../../src/report/index.js';

const env = inject('localAws');

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

/** The local admin role in `accountId`, assumed at moto directly so that the trail does not record it. */
async function adminIn(context: LocalAwsTestContext, accountId: string): Promise<Credentials> {
  const sts = new STSClient({
    endpoint: context.motoEndpoint,
    region: context.region,
    credentials: context.profiles.admin,
  });
  try {
    const assumed = await sts.send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${accountId}:role/${context.accounts.adminRoleName}`,
        RoleSessionName: 'audit-report-test',
      }),
    );
    return {
      accessKeyId: assumed.Credentials?.AccessKeyId ?? '',
      secretAccessKey: assumed.Credentials?.SecretAccessKey ?? '',
      sessionToken: assumed.Credentials?.SessionToken ?? '',
    };
  } finally {
    sts.destroy();
  }
}

/** Runs the AWS CLI (v1) through the edge as `credentials`, in an empty home; resolves with its exit code. */
async function aws(args: string[], credentials: Credentials): Promise<{ code: number; stderr: string }> {
  const home = await mkdtemp(join(tmpdir(), 'audit-report-aws-'));
  try {
    return await new Promise((resolve, reject) => {
      execFile(
        'aws',
        [...args, '--region', env.region, '--output', 'json'],
        {
          timeout: 60_000,
          env: {
            PATH: process.env.PATH,
            HOME: home,
            AWS_CONFIG_FILE: join(home, 'none'),
            AWS_SHARED_CREDENTIALS_FILE: join(home, 'none'),
            AWS_ACCESS_KEY_ID: credentials.accessKeyId,
            AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
            AWS_SESSION_TOKEN: credentials.sessionToken,
            AWS_ENDPOINT_URL: env.endpoint,
            AWS_MAX_ATTEMPTS: '1',
            AWS_EC2_METADATA_DISABLED: 'true',
            PYTHONWARNINGS: 'ignore',
          },
        },
        (error, _stdout, stderr) => {
          if (error !== null && typeof error.code !== 'number') reject(error);
          else resolve({ code: error === null ? 0 : (error.code as number), stderr });
        },
      );
    });
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/** `jit-audit report … --json` as `credentials` (the SDK's default chain reads the environment). */
async function report(
  args: string[],
  credentials: Credentials,
): Promise<{ code: number; report: Report; err: string }> {
  const saved = {
    id: process.env.AWS_ACCESS_KEY_ID,
    secret: process.env.AWS_SECRET_ACCESS_KEY,
    token: process.env.AWS_SESSION_TOKEN,
  };
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_SESSION_TOKEN: credentials.sessionToken,
  });
  let out = '';
  let err = '';
  try {
    const code = await runReportCommand([...args, '--endpoint-url', env.endpoint, '--region', env.region, '--json'], {
      stdout: { write: (chunk: string) => (out += chunk) },
      stderr: { write: (chunk: string) => (err += chunk) },
      isTTY: false,
      env: { AWS_REGION: env.region, NO_COLOR: '1' },
    });
    return { code, report: JSON.parse(out) as Report, err };
  } finally {
    for (const [name, value] of [
      ['AWS_ACCESS_KEY_ID', saved.id],
      ['AWS_SECRET_ACCESS_KEY', saved.secret],
      ['AWS_SESSION_TOKEN', saved.token],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

const workload = env.accounts.workloads.find((account) => account.roles.some((role) => role.tier === 'ops'));
const role = workload?.roles.find((r) => r.tier === 'ops');
const grantId = newGrantId();
const reason = 'audit report test: restart ECS service';
const minutes = 15;
const INSTANCE = 'i-0123456789abcdef0';

let session: Credentials;
let grantedAt: Date;
let until: Date;
let revokedAt: Date;
let denyPolicyName = '';
let workloadAdmin: Credentials;
const outcomes: { action: string; exitCode: number; errorCode: string | undefined }[] = [];

/** The error code the AWS CLI printed: `An error occurred (<code>) when calling …`. */
function cliErrorCode(stderr: string): string | undefined {
  return /An error occurred \(([^)]+)\)/.exec(stderr)?.[1];
}

beforeAll(async () => {
  if (workload === undefined || role === undefined) throw new Error('the local configuration has no ops role');
  workloadAdmin = await adminIn(env, workload.id);

  // The grant, as jit-grant makes it: approver's own credentials, source identity and the five tags.
  grantedAt = new Date();
  until = new Date(grantedAt.getTime() + minutes * 60_000);
  const approver = new STSClient(clientConfig(env, 'approver'));
  try {
    const assumed = await approver.send(
      new AssumeRoleCommand({
        RoleArn: role.roleArn,
        RoleSessionName: sessionNameFor(grantId),
        SourceIdentity: sessionNameFor(grantId),
        DurationSeconds: 900,
        Tags: [
          { Key: SESSION_TAG.grant, Value: grantId },
          { Key: SESSION_TAG.tier, Value: role.tier },
          { Key: SESSION_TAG.approver, Value: env.accounts.hub.approver.arn },
          { Key: SESSION_TAG.reason, Value: reason },
          { Key: SESSION_TAG.until, Value: until.toISOString() },
        ],
      }),
    );
    session = {
      accessKeyId: assumed.Credentials?.AccessKeyId ?? '',
      secretAccessKey: assumed.Credentials?.SecretAccessKey ?? '',
      sessionToken: assumed.Credentials?.SessionToken ?? '',
    };
  } finally {
    approver.destroy();
  }

  const described = await aws(['ec2', 'describe-instances'], session);
  outcomes.push({
    action: 'ec2:DescribeInstances',
    exitCode: described.code,
    errorCode: cliErrorCode(described.stderr),
  });
  const terminated = await aws(['ec2', 'terminate-instances', '--instance-ids', INSTANCE], session);
  outcomes.push({
    action: 'ec2:TerminateInstances',
    exitCode: terminated.code,
    errorCode: cliErrorCode(terminated.stderr),
  });

  // Revocation as jit-grant does it: a deny on the grant's source identity, attached to the tier role.
  // (moto applies a conditional Deny unconditionally, so afterAll removes it again.)
  revokedAt = new Date();
  denyPolicyName = revokeGrantPolicyName(grantId, revokedAt);
  const iam = new IAMClient({ endpoint: env.motoEndpoint, region: env.region, credentials: workloadAdmin });
  try {
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: role.roleName,
        PolicyName: denyPolicyName,
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Deny',
              Action: '*',
              Resource: '*',
              Condition: { StringEquals: { 'aws:SourceIdentity': sessionNameFor(grantId) } },
            },
          ],
        }),
      }),
    );
  } finally {
    iam.destroy();
  }
  const afterRevocation = await aws(['ec2', 'describe-instances'], session);
  outcomes.push({
    action: 'ec2:DescribeInstances',
    exitCode: afterRevocation.code,
    errorCode: cliErrorCode(afterRevocation.stderr),
  });

  const flushed = await fetch(`${env.endpoint}/_jit/cloudtrail/flush`, { method: 'POST' });
  await flushed.arrayBuffer();
  if (flushed.status !== 200) throw new Error(`flush answered HTTP ${flushed.status}`);
}, 180_000);

afterAll(async () => {
  if (role === undefined || denyPolicyName === '') return;
  const iam = new IAMClient({ endpoint: env.motoEndpoint, region: env.region, credentials: workloadAdmin });
  try {
    await iam.send(new DeleteRolePolicyCommand({ RoleName: role.roleName, PolicyName: denyPolicyName }));
  } finally {
    iam.destroy();
  }
});

describe('jit-audit report on a session recorded by the local environment', () => {
  it('made the calls it reports on: allowed, denied by the ceiling, denied after revocation', () => {
    expect(outcomes.map((o) => [o.action, o.exitCode === 0])).toEqual([
      ['ec2:DescribeInstances', true],
      ['ec2:TerminateInstances', false],
      ['ec2:DescribeInstances', false],
    ]);
  });

  describe.each([
    ['s3', () => ['--source', 's3', '--bucket', env.accounts.logArchive.bucket]],
    ['lookup', () => ['--source', 'lookup']],
  ] as const)('from the %s source', (source, sourceArgs) => {
    let result: { code: number; report: Report; err: string };

    beforeAll(async () => {
      if (workload === undefined) throw new Error('no workload account');
      // The log archive's owner reads the bucket; LookupEvents answers for the caller's account, so
      // the lookup runs as the workload account's admin.
      const credentials = source === 's3' ? await adminIn(env, env.accounts.logArchive.id) : workloadAdmin;
      result = await report([...sourceArgs(), '--since', '1h', '--session', grantId], credentials);
    }, 120_000);

    it('finds exactly one session for the grant, in the workload account, as the ops role', () => {
      expect(result.err).toBe('');
      expect(result.report.sessions).toHaveLength(1);
      expect(result.report.sessions[0]).toMatchObject({
        grantId,
        accountId: workload?.id,
        roleName: role?.roleName,
        roleSessionName: sessionNameFor(grantId),
        sourceIdentity: sessionNameFor(grantId),
      });
    });

    it('reads tier, approver, reason and window end from the AssumeRole event', () => {
      const found = result.report.sessions[0];
      expect(found).toMatchObject({
        tier: 'ops',
        approver: env.accounts.hub.approver.arn,
        reason,
        tags: { [SESSION_TAG.grant]: grantId, [SESSION_TAG.until]: until.toISOString() },
      });
      // In the role's account CloudTrail names the calling account, not the user (as in AWS).
      expect(found?.assumedBy).toMatchObject({ accountId: env.accounts.hub.id });
      expect(found?.requestedWindow?.endSource).toBe('jit:until');
      expect(Date.parse(found?.requestedWindow?.end ?? '')).toBe(until.getTime());
      expect(found?.accessKeyIds).toContain(session.accessKeyId);
    });

    it('lists every call with its outcome, the ceiling and revocation denials classified as denied', () => {
      const found = result.report.sessions[0];
      const calls = (found?.calls ?? []).map((call) => [call.action, call.outcome]);
      expect(calls).toEqual(outcomes.map((o) => [o.action, o.exitCode === 0 ? 'success' : 'denied']));
      // EC2 error codes carry CloudTrail's `Client.` prefix; the code itself is what the CLI was told.
      expect(found?.calls.map((call) => call.errorCode)).toEqual(
        outcomes.map((o) => (o.errorCode === undefined ? undefined : `Client.${o.errorCode}`)),
      );
      expect(found?.counts).toMatchObject({
        calls: outcomes.length,
        success: outcomes.filter((o) => o.exitCode === 0).length,
        denied: outcomes.filter((o) => o.exitCode !== 0).length,
        writes: 0,
        outsideWindow: 0,
      });
    });

    it('shows the call made after the revocation, at or after the revocation time', () => {
      const last = result.report.sessions[0]?.calls.at(-1);
      // CloudTrail's eventTime has whole seconds.
      expect(last?.epochMs).toBeGreaterThanOrEqual(Math.floor(revokedAt.getTime() / 1000) * 1000);
      expect(last).toMatchObject({ action: 'ec2:DescribeInstances', outcome: 'denied' });
    });

    it('puts no credential in the report', () => {
      const text = JSON.stringify(result.report);
      expect(text).not.toContain(session.secretAccessKey);
      expect(text).not.toContain(session.sessionToken);
    });
  });
});
