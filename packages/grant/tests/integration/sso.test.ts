import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { parseSecretPayload } from '@jit-access/core';
import {
  type IssuedLocalSsoToken,
  issueLocalSsoToken,
  localSsoApproverRole,
  writeLocalSsoTokenCache,
} from '@jit-access/local-aws';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { EXIT_CODES, main } from '../../src/index.js';
import { captureIo, findCredentials } from '../support/io.js';
import { ACCOUNTS_DIR, adminIn, config, readAsAgent, resetSecret } from '../support/local.js';

// jit-grant signed in with IAM Identity Center: the SDK's own SSO provider (fromSSO) reads the
// token cache under HOME and calls the local edge's portal (GetRoleCredentials), which hands out
// a session of the hub's approver role.

const ctx = inject('localAws');
const PRODUCTION = '222222222222';
const SAVED = ['HOME', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_PROFILE', 'AWS_ENDPOINT_URL'] as const;
const saved = new Map(SAVED.map((k) => [k, process.env[k]]));

let home: string;
let configFile: string;
let credentialsFile: string;
let roleName: string;
let token: IssuedLocalSsoToken;

async function signIn(options: { expiresInSeconds?: number; now?: () => Date } = {}): Promise<IssuedLocalSsoToken> {
  const issued = await issueLocalSsoToken({
    stateDir: ctx.stateDir,
    assignments: [{ accountId: ctx.accounts.hub.id, roleName }],
    userName: 'alice@example.com',
    region: ctx.region,
    ...options,
  });
  await writeLocalSsoTokenCache(home, issued);
  return issued;
}

beforeAll(async () => {
  roleName = localSsoApproverRole(await config()).roleName;
  home = await mkdtemp(path.join(tmpdir(), 'jit-grant-sso-home-'));
  configFile = path.join(home, '.aws', 'config');
  credentialsFile = path.join(home, '.aws', 'credentials');
  token = await signIn();
  const hub = ctx.accounts.hub.id;
  await writeFile(
    configFile,
    [
      '[profile approver-sso]',
      'sso_session = jit-local',
      `sso_account_id = ${hub}`,
      `sso_role_name = ${roleName}`,
      `region = ${ctx.region}`,
      '',
      '[sso-session jit-local]',
      `sso_start_url = ${token.startUrl}`,
      `sso_region = ${ctx.region}`,
      'sso_registration_scopes = sso:account:access',
      '',
      '# The legacy form: the token cache is keyed by the start URL.',
      '[profile approver-sso-legacy]',
      `sso_start_url = ${token.startUrl}`,
      `sso_region = ${ctx.region}`,
      `sso_account_id = ${hub}`,
      `sso_role_name = ${roleName}`,
      `region = ${ctx.region}`,
      '',
      '# A role the sign-in has no assignment for.',
      '[profile admin-sso]',
      'sso_session = jit-local',
      `sso_account_id = ${hub}`,
      `sso_role_name = ${ctx.accounts.adminRoleName}`,
      `region = ${ctx.region}`,
      '',
    ].join('\n'),
  );
  await writeFile(credentialsFile, '', { mode: 0o600 });
});

afterAll(() => {
  for (const [key, value] of saved) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

beforeEach(async () => {
  await resetSecret(ctx, PRODUCTION);
});

async function cli(args: string[]) {
  const env = {
    HOME: home,
    AWS_CONFIG_FILE: configFile,
    AWS_SHARED_CREDENTIALS_FILE: credentialsFile,
    AWS_ENDPOINT_URL: ctx.endpoint,
    JIT_SSO_ENDPOINT: ctx.endpoint,
  };
  // The SDK's providers read HOME and the file locations from the process environment.
  Object.assign(process.env, env);
  for (const key of ['AWS_PROFILE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) {
    delete process.env[key];
  }
  const io = captureIo({ env });
  const code = await main([...args, '--config', ACCOUNTS_DIR], io);
  return { code, out: io.out(), err: io.err() };
}

const GRANT = ['grant', 'production', '--tier', 'ops', '--minutes', '15', '--reason', 'restart ECS service', '--yes'];

/** CloudTrail records in the hub for one event name (the edge records after answering: retry a little). */
async function hubEvents(eventName: string, match: (record: Record<string, unknown>) => boolean) {
  const trail = new CloudTrailClient({
    region: ctx.region,
    endpoint: ctx.endpoint,
    credentials: await adminIn(ctx, ctx.accounts.hub.id),
    maxAttempts: 1,
  });
  // As in approver.test.ts: the edge matches the long X-Amz-Target form that the AWS CLI sends.
  trail.middlewareStack.add(
    (next) => (args) => {
      const headers = (args.request as { headers: Record<string, string> }).headers;
      const target = headers['x-amz-target'];
      if (target?.startsWith('CloudTrail_20131101.')) {
        headers['x-amz-target'] = `com.amazonaws.cloudtrail.v20131101.${target}`;
      }
      return next(args);
    },
    { step: 'build', name: 'longCloudTrailTarget' },
  );
  try {
    for (let attempt = 0; attempt < 20; attempt++) {
      const events = await trail.send(
        new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: eventName }] }),
      );
      const found = (events.Events ?? [])
        .map((e) => JSON.parse(e.CloudTrailEvent ?? '{}') as Record<string, unknown>)
        .filter(match);
      if (found.length > 0) return found;
      await new Promise((resolve) => setImmediate(resolve));
    }
    return [];
  } finally {
    trail.destroy();
  }
}

describe('jit-grant with an IAM Identity Center profile (sso_session)', () => {
  it('grants as a session of the approver role that the portal issued', async () => {
    const { code, out, err } = await cli([...GRANT, '--profile', 'approver-sso', '--json']);
    expect(err).not.toMatch(/error/i);
    expect(code).toBe(EXIT_CODES.ok);
    const result = JSON.parse(out) as { grantId: string; approver: string };
    const session = `arn:aws:sts::${ctx.accounts.hub.id}:assumed-role/${roleName}/alice@example.com`;
    expect(result.approver).toBe(session);

    const state = parseSecretPayload(await readAsAgent(ctx, PRODUCTION));
    if (state.kind !== 'active') throw new Error('expected an active grant');
    expect(state.payload.Approver).toBe(session);

    // CloudTrail: the tier role was assumed by the SSO session, for this grant.
    const assumed = await hubEvents(
      'AssumeRole',
      (r) => (r.requestParameters as { roleSessionName?: string } | null)?.roleSessionName === `jit-${result.grantId}`,
    );
    expect(assumed).toHaveLength(1);
    expect(assumed[0]?.userIdentity).toMatchObject({ type: 'AssumedRole', arn: session });

    // Nothing the approver holds, nor what was granted, is in the output or in the trail.
    const secrets = [token.accessToken, state.payload.SecretAccessKey, state.payload.SessionToken];
    expect(findCredentials(out + err, secrets)).toEqual([]);
    const recorded = JSON.stringify(assumed);
    for (const secret of secrets) expect(recorded).not.toContain(secret);
  });

  it('works with a legacy profile (sso_start_url, cache keyed by the start URL)', async () => {
    const { code, out, err } = await cli(['status', 'production', '--profile', 'approver-sso-legacy', '--json']);
    expect(err).toBe('');
    expect(code).toBe(EXIT_CODES.ok);
    expect(JSON.parse(out)[0].account.id).toBe(PRODUCTION);
  });

  it('exits 4 and names the profile when the role has no assignment for the sign-in (portal: 403)', async () => {
    const { code, out, err } = await cli([...GRANT, '--profile', 'admin-sso']);
    expect(code).toBe(EXIT_CODES.approverCredentials);
    expect(err).toMatch(/no usable approver credentials from profile "admin-sso"/);
    expect(findCredentials(out + err, [token.accessToken])).toEqual([]);
    expect(parseSecretPayload(await readAsAgent(ctx, PRODUCTION)).kind).not.toBe('active');
  });
});

describe('jit-grant with an SSO session that is no longer valid', () => {
  // These replace the cached token: sign in again afterwards for any later test.
  afterAll(async () => {
    token = await signIn();
  });

  it('exits 4 with "run: aws sso login --profile <p>" when the cached token has expired', async () => {
    const expired = await signIn({ expiresInSeconds: 3600, now: () => new Date(Date.now() - 2 * 3_600_000) });
    const { code, out, err } = await cli([...GRANT, '--profile', 'approver-sso']);
    expect(code).toBe(EXIT_CODES.approverCredentials);
    expect(err).toMatch(/your IAM Identity Center \(SSO\) session for profile "approver-sso" has expired/);
    expect(err).toMatch(/run: aws sso login --profile approver-sso/);
    expect(findCredentials(out + err, [expired.accessToken])).toEqual([]);
    expect(parseSecretPayload(await readAsAgent(ctx, PRODUCTION)).kind).not.toBe('active');
  });

  it('exits 4 with the sign-in message when the portal does not know the cached token (portal: 401)', async () => {
    const issued = await signIn();
    const unknown: IssuedLocalSsoToken = {
      ...issued,
      cache: {
        ssoSession: {
          ...issued.cache.ssoSession,
          contents: { ...issued.cache.ssoSession.contents, accessToken: 'jitlocal-signed-out-elsewhere-0000000000' },
        },
        legacy: issued.cache.legacy,
      },
    };
    await writeLocalSsoTokenCache(home, unknown);
    const { code, out, err } = await cli([...GRANT, '--profile', 'approver-sso']);
    expect(code).toBe(EXIT_CODES.approverCredentials);
    expect(err).toMatch(/run: aws sso login --profile approver-sso/);
    expect(out + err).not.toContain('jitlocal-signed-out-elsewhere');
    expect(findCredentials(out + err, [issued.accessToken])).toEqual([]);
  });
});
