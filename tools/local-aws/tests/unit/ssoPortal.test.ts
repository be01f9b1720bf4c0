import { createHash } from 'node:crypto';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import type { EdgeRequest, EdgeResponse } from '../../src/edge/types.js';
import { LocalAwsError } from '../../src/errors.js';
import {
  createSsoPortalHandler,
  issueLocalSsoToken,
  localSsoApproverRole,
  type SsoAssumeRoleArgs,
  ssoTokenStoreFile,
  writeLocalSsoTokenCache,
} from '../../src/sso/index.js';

const HUB = '444444444444';
const OTHER = '222222222222';
const T0 = new Date('2026-03-01T10:00:00.000Z');
// What moto's STS would return; the plugin's real STS call is covered by
// packages/grant/tests/integration/sso.test.ts against the local environment.
const ROLE_SECRET = 'role-secret-key-0123456789abcdef';
const ROLE_SESSION_TOKEN = 'role-session-token-0123456789abcdef';

let stateDir: string;
let calls: SsoAssumeRoleArgs[];
let clock: Date;

function handler() {
  return createSsoPortalHandler({
    stateDir,
    now: () => clock,
    assumeRole: async (args) => {
      calls.push(args);
      return {
        accessKeyId: 'ASIAJITLOCALSSO00001',
        secretAccessKey: ROLE_SECRET,
        sessionToken: ROLE_SESSION_TOKEN,
        expiration: new Date(clock.getTime() + args.durationSeconds * 1000),
      };
    },
  });
}

function request(query: string, headers: Record<string, string> = {}, method = 'GET'): EdgeRequest {
  return {
    method,
    url: new URL(`http://127.0.0.1:4566/federation/credentials${query}`),
    headers: { host: '127.0.0.1:4566', ...headers },
    body: Buffer.alloc(0),
  };
}

function bodyOf(res: EdgeResponse | undefined): Record<string, unknown> {
  if (res === undefined) throw new Error('the portal did not answer');
  return JSON.parse(res.body.toString()) as Record<string, unknown>;
}

function text(res: EdgeResponse | undefined): string {
  return res === undefined ? '' : `${JSON.stringify(res.headers)} ${res.body.toString()}`;
}

async function signIn(options: { expiresInSeconds?: number; assignments?: { accountId: string; roleName: string }[] }) {
  return issueLocalSsoToken({
    stateDir,
    assignments: options.assignments ?? [{ accountId: HUB, roleName: 'JitApprover' }],
    expiresInSeconds: options.expiresInSeconds ?? 3600,
    userName: 'alice@example.com',
    now: () => T0,
  });
}

beforeEach(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), 'jit-sso-portal-'));
  calls = [];
  clock = new Date(T0.getTime() + 60_000);
});

describe('GetRoleCredentials', () => {
  it('returns a session of the assigned role, named after the user, with expiration in epoch milliseconds', async () => {
    const issued = await signIn({});
    const res = await handler()(
      request(`?role_name=JitApprover&account_id=${HUB}`, { 'x-amz-sso_bearer_token': issued.accessToken }),
    );
    expect(res?.status).toBe(200);
    expect(res?.headers['content-type']).toBe('application/json');
    expect(bodyOf(res)).toEqual({
      roleCredentials: {
        accessKeyId: 'ASIAJITLOCALSSO00001',
        secretAccessKey: ROLE_SECRET,
        sessionToken: ROLE_SESSION_TOKEN,
        expiration: clock.getTime() + 3_600_000,
      },
    });
    expect(calls).toEqual([
      { accountId: HUB, roleName: 'JitApprover', sessionName: 'alice@example.com', durationSeconds: 3600 },
    ]);
  });

  it('answers 401 UnauthorizedException without a bearer token', async () => {
    await signIn({});
    const res = await handler()(request(`?role_name=JitApprover&account_id=${HUB}`));
    expect(res?.status).toBe(401);
    expect(res?.headers['x-amzn-errortype']).toBe('UnauthorizedException');
    expect(bodyOf(res)).toEqual({ message: 'Session token not found or invalid' });
    expect(calls).toEqual([]);
  });

  it('answers 401 for a token the portal never issued, without echoing it', async () => {
    await signIn({});
    const forged = 'jitlocal-forged-token-value-that-must-not-come-back';
    const res = await handler()(
      request(`?role_name=JitApprover&account_id=${HUB}`, { 'x-amz-sso_bearer_token': forged }),
    );
    expect(res?.status).toBe(401);
    expect(res?.headers['x-amzn-errortype']).toBe('UnauthorizedException');
    expect(text(res)).not.toContain(forged);
    expect(calls).toEqual([]);
  });

  it('answers 401 for an expired token, the same way as for an unknown one', async () => {
    const issued = await signIn({ expiresInSeconds: 900 });
    clock = new Date(T0.getTime() + 900_000);
    const res = await handler()(
      request(`?role_name=JitApprover&account_id=${HUB}`, { 'x-amz-sso_bearer_token': issued.accessToken }),
    );
    expect(res?.status).toBe(401);
    expect(bodyOf(res)).toEqual({ message: 'Session token not found or invalid' });
    expect(text(res)).not.toContain(issued.accessToken);
    expect(calls).toEqual([]);
  });

  it('answers 403 ForbiddenException for a role the token is not assigned', async () => {
    const issued = await signIn({});
    const res = await handler()(
      request(`?role_name=JitLocalAdmin&account_id=${HUB}`, { 'x-amz-sso_bearer_token': issued.accessToken }),
    );
    expect(res?.status).toBe(403);
    expect(res?.headers['x-amzn-errortype']).toBe('ForbiddenException');
    expect(bodyOf(res)).toEqual({ message: 'No access' });
    expect(text(res)).not.toContain(issued.accessToken);
    expect(calls).toEqual([]);
  });

  it('answers 403 for the assigned role name in an account it is not assigned in', async () => {
    const issued = await signIn({});
    const res = await handler()(
      request(`?role_name=JitApprover&account_id=${OTHER}`, { 'x-amz-sso_bearer_token': issued.accessToken }),
    );
    expect(res?.status).toBe(403);
    expect(calls).toEqual([]);
  });

  it('answers 400 InvalidRequestException naming a missing parameter', async () => {
    const issued = await signIn({});
    const res = await handler()(request(`?account_id=${HUB}`, { 'x-amz-sso_bearer_token': issued.accessToken }));
    expect(res?.status).toBe(400);
    expect(res?.headers['x-amzn-errortype']).toBe('InvalidRequestException');
    expect(bodyOf(res).message).toBe('role_name: a value is required');
  });

  it('leaves every other request to the next plugin', async () => {
    const other: EdgeRequest = { ...request(''), url: new URL('http://127.0.0.1:4566/?Action=GetCallerIdentity') };
    expect(await handler()(other)).toBeUndefined();
  });

  it('refuses any bearer token it did not issue, never echoing it (property)', async () => {
    const issued = await signIn({});
    const handle = handler();
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 200 }), async (token) => {
        fc.pre(token !== issued.accessToken);
        const res = await handle(
          request(`?role_name=JitApprover&account_id=${HUB}`, { 'x-amz-sso_bearer_token': token }),
        );
        expect(res?.status).toBe(401);
        if (token.length >= 4) expect(res?.body.toString()).not.toContain(token);
      }),
      { numRuns: 200 },
    );
    expect(calls).toEqual([]);
  });

  it('refuses every token when the store is not valid JSON', async () => {
    const issued = await signIn({});
    const { writeFile } = await import('node:fs/promises');
    await writeFile(ssoTokenStoreFile(stateDir), '{ not json');
    const res = await handler()(
      request(`?role_name=JitApprover&account_id=${HUB}`, { 'x-amz-sso_bearer_token': issued.accessToken }),
    );
    expect(res?.status).toBe(401);
  });
});

describe('issueLocalSsoToken', () => {
  it('keeps only a hash of the token in a store readable by its owner only', async () => {
    const issued = await signIn({});
    const file = ssoTokenStoreFile(stateDir);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const stored = await readFile(file, 'utf8');
    expect(stored).not.toContain(issued.accessToken);
    expect(JSON.parse(stored).tokens).toEqual([
      {
        accessTokenSha256: createHash('sha256').update(issued.accessToken).digest('hex'),
        expiresAt: '2026-03-01T11:00:00Z',
        userName: 'alice@example.com',
        assignments: [{ accountId: HUB, roleName: 'JitApprover' }],
      },
    ]);
  });

  it('issues a different token each time, and both stay valid', async () => {
    const first = await signIn({});
    const second = await signIn({});
    expect(first.accessToken).not.toBe(second.accessToken);
    const handle = handler();
    for (const t of [first, second]) {
      const res = await handle(
        request(`?role_name=JitApprover&account_id=${HUB}`, { 'x-amz-sso_bearer_token': t.accessToken }),
      );
      expect(res?.status).toBe(200);
    }
  });

  it('names the cache files as the SDK does: SHA-1 of the session name, or of the start URL for legacy profiles', async () => {
    const issued = await signIn({});
    const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');
    expect(issued.cache.ssoSession.fileName).toBe(`${sha1('jit-local')}.json`);
    expect(issued.cache.legacy.fileName).toBe(`${sha1('https://jit-local.awsapps.com/start')}.json`);
    expect(issued.cache.ssoSession.contents).toEqual({
      startUrl: 'https://jit-local.awsapps.com/start',
      region: 'us-east-1',
      accessToken: issued.accessToken,
      expiresAt: '2026-03-01T11:00:00Z',
    });
  });

  it('writes the cache files under <home>/.aws/sso/cache with mode 0600', async () => {
    const issued = await signIn({});
    const home = await mkdtemp(path.join(tmpdir(), 'jit-sso-home-'));
    const written = await writeLocalSsoTokenCache(home, issued);
    expect(written.ssoSession).toBe(path.join(home, '.aws', 'sso', 'cache', issued.cache.ssoSession.fileName));
    expect((await stat(written.legacy)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(written.ssoSession, 'utf8')).accessToken).toBe(issued.accessToken);
  });

  it('refuses a zero lifetime, naming the field and the allowed range', async () => {
    await expect(signIn({ expiresInSeconds: 0 })).rejects.toThrow(
      /expiresInSeconds: 0 is not allowed \(a whole number of seconds, 1 to 7776000\)/,
    );
  });

  it('refuses an assignment whose account id is not 12 digits', async () => {
    const error = await signIn({ assignments: [{ accountId: '4444', roleName: 'JitApprover' }] }).catch((e) => e);
    expect(error).toBeInstanceOf(LocalAwsError);
    expect(error.message).toBe('assignments[0].accountId: "4444" is not an account id (12 digits)');
  });

  it('refuses an empty list of assignments', async () => {
    await expect(signIn({ assignments: [] })).rejects.toThrow(/assignments: at least one is needed/);
  });
});

describe('localSsoApproverRole', () => {
  it('takes the first approver principal that is a plain hub role', () => {
    expect(
      localSsoApproverRole({
        hub: { id: HUB },
        approvers: {
          principals: [
            `arn:aws:iam::${HUB}:user/jit-approver`,
            `arn:aws:iam::${HUB}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Approver_*`,
            `arn:aws:iam::${HUB}:role/team/JitApprover`,
          ],
        },
      }),
    ).toEqual({ roleName: 'JitApprover', path: '/team/', arn: `arn:aws:iam::${HUB}:role/team/JitApprover` });
  });

  it('falls back to JitApprover when no principal names a plain hub role', () => {
    expect(
      localSsoApproverRole({ hub: { id: HUB }, approvers: { principals: [`arn:aws:iam::${OTHER}:role/Approver`] } })
        .roleName,
    ).toBe('JitApprover');
  });
});
