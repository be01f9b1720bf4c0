import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { newGrantId, serializeElevationRequest } from '@jit-access/core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EXIT_CODES, main } from '../../src/index.js';
import { captureIo } from '../support/io.js';
import { ACCOUNTS_DIR, resetSecret, secretSnapshot } from '../support/local.js';
import { startProxy } from '../support/proxy.js';

const ctx = inject('localAws');
const PRODUCTION = '222222222222';
const IDENTITY = '333333333333';
let proxy: Awaited<ReturnType<typeof startProxy>>;
let dir: string;

function request(overrides: Record<string, unknown> = {}, now = new Date()): string {
  const base = {
    kind: 'jit-elevation-request' as const,
    version: 1 as const,
    id: newGrantId(now),
    createdAt: new Date(now.getTime() - 60_000).toISOString(),
    expiresAt: new Date(now.getTime() + 600_000).toISOString(),
    account: 'production',
    tier: 'ops',
    minutes: 15,
    reason: 'restart the api service',
    agent: { arn: `arn:aws:iam::${ctx.accounts.hub.id}:user/jit-agent` },
  };
  return JSON.stringify({ ...base, ...overrides });
}

async function file(name: string, text: string): Promise<string> {
  const p = path.join(dir, name);
  await writeFile(p, text);
  return p;
}

beforeAll(async () => {
  proxy = await startProxy(ctx.endpoint);
  dir = await mkdtemp(path.join(tmpdir(), 'jit-grant-bad-input-'));
  await resetSecret(ctx, PRODUCTION);
  await resetSecret(ctx, IDENTITY);
  // A valid request file, to show the parser accepts the format before the bad ones.
  serializeElevationRequest(JSON.parse(request()));
});

afterAll(async () => {
  await proxy.stop();
});

type Case = {
  name: string;
  args: () => Promise<string[]> | string[];
  message: RegExp;
  code?: number;
  /** Validation happens before any AWS call; the cases that fail later still change nothing. */
  awsCalls?: 'none' | 'read-only';
  answers?: string[];
  stdin?: string;
};

const grant = (...rest: string[]) => ['grant', ...rest];

const cases: Case[] = [
  {
    name: 'an unknown account',
    args: () => grant('nope', '--tier', 'ops', '--reason', 'x y'),
    message: /account: unknown account "nope"; known accounts: .*production \(222222222222\)/,
  },
  {
    name: 'a tier not allowed for the account',
    args: () => grant('identity', '--tier', 'deploy', '--reason', 'deploy'),
    message: /--tier: tier "deploy" is not allowed for account identity \(333333333333\); allowed there: ops, security/,
  },
  {
    name: 'an unknown tier',
    args: () => grant('production', '--tier', 'admin', '--reason', 'x'),
    message: /--tier: unknown tier "admin"; defined tiers: ops, deploy, security/,
  },
  {
    name: '0 minutes',
    args: () => grant('production', '--tier', 'ops', '--minutes', '0', '--reason', 'x'),
    message: /--minutes: 0 is not allowed for tier "ops": 15 to 30 minutes/,
  },
  {
    name: '999 minutes',
    args: () => grant('production', '--tier', 'ops', '--minutes', '999', '--reason', 'x'),
    message: /--minutes: 999 is not allowed for tier "ops": 15 to 30 minutes/,
  },
  {
    name: 'a 90-minute grant for the security tier',
    args: () => grant('production', '--tier', 'security', '--minutes', '90', '--reason', 'x'),
    message: /--minutes: 90 is not allowed for tier "security": exactly 5 minutes/,
  },
  {
    name: 'minutes that are not a number',
    args: () => grant('production', '--tier', 'ops', '--minutes', '15m', '--reason', 'x'),
    message: /--minutes: "15m" is not a whole number of minutes/,
  },
  {
    name: 'an empty reason',
    args: () => grant('production', '--tier', 'ops', '--reason', ''),
    message: /--reason: is required: say why the elevation is needed/,
  },
  {
    name: 'no reason at all',
    args: () => grant('production', '--tier', 'ops'),
    message: /--reason: is required/,
  },
  {
    name: 'a reason with a newline',
    args: () => grant('production', '--tier', 'ops', '--reason', 'restart\nAdministrator approved'),
    message: /--reason: must be printable: no newlines, tabs or other control characters/,
  },
  {
    name: 'a reason with a terminal escape',
    args: () => grant('production', '--tier', 'ops', '--reason', 'ok \u001b[2K'),
    message: /--reason: must be printable/,
  },
  {
    name: 'a reason over 256 characters',
    args: () => grant('production', '--tier', 'ops', '--reason', 'r'.repeat(257)),
    message: /--reason: is 257 characters; at most 256 are allowed/,
  },
  {
    name: 'a malformed scope ARN',
    args: () => grant('production', '--tier', 'ops', '--reason', 'x', '--scope', 'my-bucket'),
    message: /--scope: "my-bucket" is not a resource ARN/,
  },
  {
    name: 'a scope ARN in another account',
    args: () =>
      grant(
        'production',
        '--tier',
        'ops',
        '--reason',
        'x',
        '--scope',
        'arn:aws:ec2:ap-southeast-2:111111111111:instance/i-1',
      ),
    message: /--scope: .* names account 111111111111, but the grant is for account 222222222222/,
  },
  {
    name: 'an option that does not exist',
    args: () => grant('production', '--tier', 'ops', '--minute', '15', '--reason', 'x'),
    message: /Unknown option '--minute'/,
  },
  {
    name: 'a missing --tier',
    args: () => grant('production', '--reason', 'x'),
    message: /--tier: missing/,
  },
  {
    name: 'an expired request',
    args: async () =>
      grant(
        '--request',
        await file(
          'expired.json',
          request({
            createdAt: '2026-01-01T00:00:00Z',
            expiresAt: '2026-01-01T00:10:00Z',
            id: newGrantId(new Date('2026-01-01T00:00:00Z')),
          }),
        ),
      ),
    message: /--request: request [0-9A-Z]{26} expired at 2026-01-01T00:10:00Z; it cannot be approved any more/,
  },
  {
    name: 'a request whose tier is not allowed for its account',
    args: async () => grant('--request', await file('tier.json', request({ account: 'identity', tier: 'deploy' }))),
    message: /--request [0-9A-Z]{26}: --tier: tier "deploy" is not allowed for account identity/,
  },
  {
    name: 'a request that is not JSON',
    args: async () => grant('--request', await file('garbage.json', 'tier=ops')),
    message: /--request: request is not JSON \(8 bytes\)/,
  },
  {
    name: 'a request with a field the format does not have',
    args: async () => grant('--request', await file('extra.json', request({ role: 'AdministratorAccess' }))),
    message: /--request: request is not valid: \(root\): unknown field\(s\) role/,
  },
  {
    name: 'a request on stdin with a reason holding a newline',
    args: () => grant('--request', '-'),
    stdin: request({ reason: 'fix\nrm -rf' }),
    message: /--request: request is not valid: reason: must be printable/,
  },
  {
    name: 'a request combined with --minutes',
    args: async () => grant('--request', await file('combined.json', request()), '--minutes', '30'),
    message: /--minutes cannot be combined with --request/,
  },
  {
    name: 'a request for another account than the one named',
    args: async () => grant('staging', '--request', await file('other.json', request())),
    message: /account "staging" does not match the request's account "production"/,
  },
  {
    name: 'a request file that does not exist',
    args: () => grant('--request', path.join(tmpdir(), 'no-such-request.json')),
    message: /--request: cannot read .*no-such-request\.json: ENOENT/,
  },
  {
    name: 'revoking with a malformed grant id',
    args: () => ['revoke', 'production', '--grant', 'abc'],
    message: /--grant: "abc" is not a grant id/,
  },
  {
    name: 'no terminal to confirm on and no --yes',
    args: () => grant('production', '--tier', 'ops', '--reason', 'restart'),
    message: /confirmation needed, but stdin is not a terminal: nothing was granted/,
    code: EXIT_CODES.cancelled,
    awsCalls: 'read-only',
  },
  {
    name: 'a grant the approver declines',
    args: () => grant('production', '--tier', 'ops', '--reason', 'restart'),
    answers: ['n'],
    message: /not confirmed: nothing was granted/,
    code: EXIT_CODES.cancelled,
    awsCalls: 'read-only',
  },
];

describe('bad input changes nothing', () => {
  it('covers at least 15 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(15);
  });

  for (const c of cases) {
    it(`refuses ${c.name}`, async () => {
      const before = await secretSnapshot(ctx, PRODUCTION);
      const beforeIdentity = await secretSnapshot(ctx, IDENTITY);
      const seen = proxy.seen.length;
      const io = captureIo({
        env: {
          AWS_ACCESS_KEY_ID: ctx.profiles.approver.accessKeyId,
          AWS_SECRET_ACCESS_KEY: ctx.profiles.approver.secretAccessKey,
          AWS_ENDPOINT_URL: proxy.endpoint,
        },
        ...(c.answers ? { answers: c.answers } : {}),
        ...(c.stdin === undefined ? {} : { stdin: c.stdin }),
      });
      Object.assign(process.env, {
        AWS_ACCESS_KEY_ID: ctx.profiles.approver.accessKeyId,
        AWS_SECRET_ACCESS_KEY: ctx.profiles.approver.secretAccessKey,
      });

      const code = await main([...(await c.args()), '--config', ACCOUNTS_DIR], io);

      expect(io.err()).toMatch(c.message);
      expect(io.err()).toMatch(/^error: /m);
      expect(code).toBe(c.code ?? EXIT_CODES.invalidInput);
      expect(io.out()).toBe('');
      const calls = proxy.seen.slice(seen).map((s) => s.action);
      if ((c.awsCalls ?? 'none') === 'none') expect(calls).toEqual([]);
      else expect(calls.every((a) => a === 'GetCallerIdentity' || a === 'DescribeSecret')).toBe(true);
      expect(await secretSnapshot(ctx, PRODUCTION)).toEqual(before);
      expect(await secretSnapshot(ctx, IDENTITY)).toEqual(beforeIdentity);
    });
  }

  it('prints the error as JSON with --json, with the same exit code', async () => {
    const io = captureIo({ env: { AWS_ENDPOINT_URL: proxy.endpoint } });
    const code = await main(
      ['grant', 'production', '--tier', 'ops', '--minutes', '0', '--reason', 'x', '--json', '--config', ACCOUNTS_DIR],
      io,
    );
    expect(code).toBe(EXIT_CODES.invalidInput);
    expect(JSON.parse(io.out())).toMatchObject({
      error: { code: 'GRANT_INVALID_INPUT', message: expect.stringMatching(/^--minutes: 0 is not allowed/) },
      exitCode: 2,
    });
  });
});
