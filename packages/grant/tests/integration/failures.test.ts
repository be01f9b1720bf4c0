import { type JitConfig, parseSecretPayload } from '@jit-access/core';
import { afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { EXIT_CODES, GrantErrorCode, grant, main } from '../../src/index.js';
import { captureIo, findCredentials } from '../support/io.js';
import {
  ACCOUNTS_DIR,
  approverClients,
  config,
  GRANT_ACTIONS,
  limitedApprover,
  readAsAgent,
  resetSecret,
  secretSnapshot,
} from '../support/local.js';
import { jsonError, queryError, startProxy } from '../support/proxy.js';

const ctx = inject('localAws');
const STAGING = '111111111111';
let cfg: JitConfig;
const proxies: { stop(): Promise<void> }[] = [];

function without(action: string): string[] {
  return GRANT_ACTIONS.filter((a) => a !== action);
}

async function cli(args: string[], creds: { accessKeyId: string; secretAccessKey: string }, endpoint = ctx.endpoint) {
  const io = captureIo({
    env: {
      AWS_ACCESS_KEY_ID: creds.accessKeyId,
      AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
      AWS_ENDPOINT_URL: endpoint,
    },
  });
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: creds.accessKeyId, AWS_SECRET_ACCESS_KEY: creds.secretAccessKey });
  const code = await main([...args, '--config', ACCOUNTS_DIR], io);
  return { code, out: io.out(), err: io.err() };
}

beforeAll(async () => {
  cfg = await config();
});

beforeEach(async () => {
  await resetSecret(ctx, STAGING);
});

afterEach(async () => {
  for (const p of proxies.splice(0)) await p.stop();
});

describe('failure semantics', () => {
  it('writes nothing and drops the credentials when PutSecretValue fails after AssumeRole', async () => {
    const creds = await limitedApprover(ctx, 'approver-no-put', without('secretsmanager:PutSecretValue'));
    const before = await secretSnapshot(ctx, STAGING);

    const { code, out, err } = await cli(['grant', 'staging', '--tier', 'ops', '--reason', 'restart', '--yes'], creds);

    expect(code).toBe(EXIT_CODES.secretNotWritten);
    expect(err).toMatch(
      /arn:aws:iam::111111111111:role\/AgentElevated-Ops was assumed, but secretsmanager:PutSecretValue agent\/elevated\/111111111111 failed: AccessDeniedException/,
    );
    expect(err).toMatch(
      /Nothing was written \(the current version is unchanged\) and the issued credentials were discarded/,
    );
    expect(await secretSnapshot(ctx, STAGING)).toEqual(before);
    expect(findCredentials(out + err)).toEqual([]);
  });

  it('warns with exit code 7 and status shows it when AWSPREVIOUS cannot be removed', async () => {
    const creds = await limitedApprover(ctx, 'approver-no-stage', without('secretsmanager:UpdateSecretVersionStage'));

    const { code, err } = await cli(['grant', 'staging', '--tier', 'ops', '--reason', 'restart', '--yes'], creds);

    expect(code).toBe(EXIT_CODES.previousVersionReadable);
    expect(err).toMatch(/warning: the grant is in place, but the previous secret version still has AWSPREVIOUS/);
    expect(parseSecretPayload(await readAsAgent(ctx, STAGING)).kind).toBe('active');
    const status = await cli(['status', 'staging', '--json'], creds);
    expect(JSON.parse(status.out)[0]).toMatchObject({ state: 'active', previousVersionReadable: true });
    const human = await cli(['status', 'staging'], creds);
    expect(human.out).toMatch(/warning: an old secret version still has AWSPREVIOUS and is readable/);
  });

  it('warns with exit code 12 when the grant metadata cannot be recorded', async () => {
    const creds = await limitedApprover(ctx, 'approver-no-tag', without('secretsmanager:TagResource'));
    const { code, err } = await cli(['grant', 'staging', '--tier', 'ops', '--reason', 'restart', '--yes'], creds);
    expect(code).toBe(EXIT_CODES.metadataNotRecorded);
    expect(err).toMatch(/its metadata was not recorded, so status cannot show it/);
    expect(parseSecretPayload(await readAsAgent(ctx, STAGING)).kind).toBe('active');
  });

  it('refuses with exit code 5 and changes nothing when AssumeRole is denied', async () => {
    const creds = await limitedApprover(ctx, 'approver-no-assume', without('sts:AssumeRole'));
    const before = await secretSnapshot(ctx, STAGING);
    const { code, err } = await cli(['grant', 'staging', '--tier', 'ops', '--reason', 'restart', '--yes'], creds);
    expect(code).toBe(EXIT_CODES.awsRefused);
    expect(err).toMatch(/sts:AssumeRole arn:aws:iam::111111111111:role\/AgentElevated-Ops failed: AccessDenied/);
    expect(err).toMatch(/your identity must be an approver/);
    // accounts/ sets approvers.requireMfa and this approver is an IAM user with access keys.
    expect(err).toMatch(
      /approvers\.requireMfa is on: an IAM user or role is let in only from a session signed in with MFA/,
    );
    expect(await secretSnapshot(ctx, STAGING)).toEqual(before);
  });

  it('retries a throttled PutSecretValue with the SDK retry strategy and completes the grant', async () => {
    let throttled = 0;
    const proxy = await startProxy(ctx.endpoint, (seen, res) => {
      if (seen.action === 'PutSecretValue' && throttled < 2) {
        throttled++;
        return jsonError(res, 400, 'ThrottlingException', 'Rate exceeded');
      }
      return false;
    });
    proxies.push(proxy);

    const { code, err } = await cli(
      ['grant', 'staging', '--tier', 'ops', '--reason', 'restart', '--yes'],
      ctx.profiles.approver,
      proxy.endpoint,
    );

    expect(err).not.toMatch(/error|warning/);
    expect(code).toBe(EXIT_CODES.ok);
    expect(proxy.count('PutSecretValue')).toBe(3);
    expect(parseSecretPayload(await readAsAgent(ctx, STAGING)).kind).toBe('active');
  });

  it('gives up on an endpoint that never answers instead of hanging', async () => {
    const proxy = await startProxy(ctx.endpoint, (seen) => (seen.action === 'GetCallerIdentity' ? 'hang' : false));
    proxies.push(proxy);
    const before = await secretSnapshot(ctx, STAGING);

    const { code, err } = await cli(
      ['grant', 'staging', '--tier', 'ops', '--reason', 'restart', '--yes', '--timeout', '200'],
      ctx.profiles.approver,
      proxy.endpoint,
    );

    expect(code).toBe(EXIT_CODES.awsRefused);
    expect(err).toMatch(/sts:GetCallerIdentity failed after 4 attempts: TimeoutError \(timed out\)/);
    expect(proxy.count('GetCallerIdentity')).toBe(4);
    expect(await secretSnapshot(ctx, STAGING)).toEqual(before);
  });

  it('falls back to the session name, and says so, when the approver session already has a source identity', async () => {
    // moto does not model a source identity that persists through role chaining; STS refuses
    // to set another one. The proxy answers like STS for requests that try.
    const proxy = await startProxy(ctx.endpoint, (seen, res) =>
      seen.action === 'AssumeRole' && seen.body.includes('SourceIdentity=')
        ? queryError(
            res,
            403,
            'AccessDenied',
            'User is not authorized to perform: sts:SetSourceIdentity: the source identity of the session cannot be changed',
          )
        : false,
    );
    proxies.push(proxy);
    const clients = approverClients({ ...ctx, endpoint: proxy.endpoint });

    const result = await grant({ account: 'staging', tier: 'ops', reason: 'restart' }, { config: cfg, clients });
    clients.destroy();

    expect(result.correlation).toBe('session-name');
    expect(result.warnings).toEqual([
      expect.objectContaining({
        code: 'SOURCE_IDENTITY_INHERITED',
        message: expect.stringMatching(/correlation falls back to the role session name jit-/),
      }),
    ]);
    expect(proxy.count('AssumeRole')).toBe(2);
    const state = parseSecretPayload(await readAsAgent(ctx, STAGING));
    expect(state.kind === 'active' && state.payload.SessionName).toBe(`jit-${result.grantId}`);
    const status = JSON.parse((await cli(['status', 'staging', '--json'], ctx.profiles.approver)).out)[0];
    expect(status.grant.correlation).toBe('session-name');
  });

  it('does not retry without a source identity when AssumeRole is refused for another reason', async () => {
    const proxy = await startProxy(ctx.endpoint, (seen, res) =>
      seen.action === 'AssumeRole'
        ? queryError(res, 403, 'AccessDenied', 'not authorized to perform: sts:AssumeRole')
        : false,
    );
    proxies.push(proxy);
    const clients = approverClients({ ...ctx, endpoint: proxy.endpoint });
    await expect(
      grant({ account: 'staging', tier: 'ops', reason: 'restart' }, { config: cfg, clients }),
    ).rejects.toMatchObject({
      code: GrantErrorCode.AwsRefused,
    });
    clients.destroy();
    expect(proxy.count('AssumeRole')).toBe(1);
  });
});
