import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type ElevatedPayload, serializeElevatedPayload, signWebhook, verifyWebhook } from '@jit-access/core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ACCOUNTS_DIR, AGENT_DIR, CLI_COMMAND, type CliResult, runCli, startCli } from '../support/cli.js';
import { receiver } from '../support/http.js';
import { agentEnv, grant, revoke, writeSecret } from '../support/localGrants.js';

// jit-agent's commands against the local environment (moto + edge), with the IAM user's keys as
// the base identity. This file owns account 222222222222; other files use other accounts.
const ctx = inject('localAws');
const ACCOUNT = '222222222222';
const OTHER = '111111111111';

let dir: string;
let env: NodeJS.ProcessEnv;
let journal: string;
/** Every credential a grant handed out in this file. */
const granted: ElevatedPayload[] = [];
/** Every output that must be free of credentials (all but credential-process's stdout). */
const outputs: { what: string; text: string }[] = [];

async function cli(args: readonly string[], extra: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const r = await runCli(args, { ...env, ...extra });
  outputs.push({ what: `${args.join(' ')} (stderr)`, text: r.stderr });
  if (args[0] !== 'credential-process') outputs.push({ what: `${args.join(' ')} (stdout)`, text: r.stdout });
  return r;
}

async function newGrant(options: Parameters<typeof grant>[1] = { account: ACCOUNT }): Promise<ElevatedPayload> {
  const p = await grant(ctx, options);
  granted.push(p);
  return p;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'jit-agent-it-'));
  journal = path.join(dir, 'journal.jsonl');
  env = agentEnv(ctx, { XDG_CONFIG_HOME: dir, JIT_AGENT_JOURNAL: journal });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('status', () => {
  it('exits 10 on the placeholder the environment starts with', async () => {
    const r = await cli(['status', ACCOUNT, '--json']);
    expect(r.code).toBe(10);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'inactive', account: ACCOUNT });
  });

  it('exits 0 on an active grant and shows tier, role, reason and time left without credentials', async () => {
    const p = await newGrant();
    const r = await cli(['status', ACCOUNT, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      status: 'active',
      grantId: p.GrantId,
      tier: 'ops',
      roleName: 'AgentElevated-Ops',
      reason: 'agent integration test',
    });
    const human = await cli(['status', ACCOUNT]);
    expect(human.stdout).toMatch(/ACTIVE {2}tier ops, role AgentElevated-Ops, 1[45] min left/);
  });

  it('lists every workload account of accounts/ when no account is named', async () => {
    const r = await cli(['status', '--config', ACCOUNTS_DIR, '--json']);
    const states = JSON.parse(r.stdout) as { account: string; status: string }[];
    expect(states.map((s) => s.account).sort()).toEqual(['111111111111', '222222222222', '333333333333']);
    // Any account with an active grant makes the answer 0.
    expect(r.code === 0).toBe(states.some((s) => s.status === 'active'));
  });

  it('exits 16 when the secret does not exist', async () => {
    const r = await cli(['status', '999999999999']);
    expect(r.code).toBe(16);
    expect(r.stdout).toContain('UNREADABLE');
  });

  it('exits 17 when AWS rejects the base identity', async () => {
    const r = await cli(['status', ACCOUNT], { AWS_SECRET_ACCESS_KEY: 'wrong-secret-key-for-the-agent-user' });
    expect(r.code).toBe(17);
  });
});

describe('exec', () => {
  it('runs the command as the elevated role and journals it', async () => {
    const p = await newGrant();
    const r = await cli(['exec', ACCOUNT, '--', 'aws', 'sts', 'get-caller-identity', '--output', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      Account: ACCOUNT,
      Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/AgentElevated-Ops/jit-${p.GrantId}`,
    });
    const lines = (await readFile(journal, 'utf8')).trim().split('\n');
    expect(JSON.parse(lines.at(-1) ?? '{}')).toMatchObject({
      grantId: p.GrantId,
      account: ACCOUNT,
      command: ['aws', 'sts', 'get-caller-identity', '--output', 'json'],
      exitCode: 0,
      source: 'exec',
    });
  });

  it("returns the command's exit code", async () => {
    await newGrant();
    expect((await cli(['exec', ACCOUNT, '--', 'sh', '-c', 'exit 7'])).code).toBe(7);
  });

  it('passes a signal to the command and returns what the command makes of it', async () => {
    await newGrant();
    const ready = path.join(dir, 'ready');
    const script = `process.on('SIGTERM', () => process.exit(42)); require('fs').writeFileSync(${JSON.stringify(ready)}, ''); setInterval(() => {}, 1000)`;
    const running = startCli(['exec', ACCOUNT, '--', process.execPath, '-e', script], env);
    for (let i = 0; i < 1000 && !existsSync(ready); i++) await new Promise((r) => setTimeout(r, 10));
    running.kill('SIGTERM');
    expect((await running.done).code).toBe(42);
  });

  it('writes nothing to disk but the journal line', async () => {
    await newGrant();
    const home = path.join(dir, 'home');
    const r = await cli(['exec', ACCOUNT, '--', 'true'], { HOME: home, XDG_CONFIG_HOME: path.join(home, '.config') });
    expect(r.code).toBe(0);
    expect(existsSync(home)).toBe(false);
  });
});

describe('credential-process', () => {
  it('prints Version 1 JSON whose Expiration is the earlier of Expiration and EffectiveUntil', async () => {
    const p = await newGrant({ account: ACCOUNT, windowMinutes: 10 });
    const r = await cli(['credential-process', ACCOUNT]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      Version: 1,
      AccessKeyId: p.AccessKeyId,
      SecretAccessKey: p.SecretAccessKey,
      SessionToken: p.SessionToken,
      Expiration: p.EffectiveUntil,
    });
    expect(r.stderr).toBe('');
  });

  it('lets the installed AWS CLI work through a credential_process profile', async () => {
    const p = await newGrant();
    const config = path.join(dir, 'aws-config');
    const command = [...CLI_COMMAND, 'credential-process', ACCOUNT].join(' ');
    await writeFile(
      config,
      `[profile elevated]\ncredential_process = ${command}\nregion = ${ctx.region}\nendpoint_url = ${ctx.endpoint}\n`,
    );
    const r = await new Promise<CliResult>((resolve) => {
      const child = spawn('aws', ['sts', 'get-caller-identity', '--profile', 'elevated', '--output', 'json'], {
        cwd: AGENT_DIR,
        // The agent's base keys are in the environment for jit-agent; the CLI itself uses the profile.
        env: {
          PATH: process.env.PATH,
          ...env,
          AWS_CONFIG_FILE: config,
          AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'none'),
        },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
      });
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
      });
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    });
    outputs.push({ what: 'aws --profile elevated', text: r.stdout + r.stderr });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({
      Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/AgentElevated-Ops/jit-${p.GrantId}`,
    });
  });
});

describe('credential-process loops', () => {
  it('stops at once when the base identity is the elevated profile itself', async () => {
    const config = path.join(dir, 'aws-config-loop');
    const command = [...CLI_COMMAND, 'credential-process', ACCOUNT].join(' ');
    await writeFile(config, `[profile elevated]\ncredential_process = ${command}\nregion = ${ctx.region}\n`);
    const { AWS_ACCESS_KEY_ID: _k, AWS_SECRET_ACCESS_KEY: _s, ...noKeys } = env;
    const r = await runCli(['credential-process', ACCOUNT], {
      ...noKeys,
      AWS_PROFILE: 'elevated',
      AWS_CONFIG_FILE: config,
      AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'none'),
    });
    expect(r.code).toBe(17);
    expect(r.stdout).toBe('');
  });
});

describe('refusals', () => {
  it('refuses a revoked grant with exit 11, in status, exec and credential-process', async () => {
    const p = await newGrant();
    await revoke(ctx, ACCOUNT, p.GrantId);
    const marker = path.join(dir, 'revoked-ran');
    expect((await cli(['status', ACCOUNT])).code).toBe(11);
    const r = await cli(['exec', ACCOUNT, '--', 'touch', marker]);
    expect(r.code).toBe(11);
    expect(r.stderr).toContain('revoked');
    expect(existsSync(marker)).toBe(false);
    const cp = await cli(['credential-process', ACCOUNT]);
    expect(cp).toMatchObject({ code: 11, stdout: '' });
  });

  it('refuses credentials past their expiry with exit 12', async () => {
    const p = await newGrant();
    const past = new Date(Date.now() - 60_000).toISOString();
    await writeSecret(ctx, ACCOUNT, serializeElevatedPayload({ ...p, Expiration: past, EffectiveUntil: past }));
    expect((await cli(['exec', ACCOUNT, '--', 'true'])).code).toBe(12);
  });

  it('refuses a grant whose window has closed with exit 13, although STS would still accept it', async () => {
    const p = await newGrant();
    await writeSecret(
      ctx,
      ACCOUNT,
      serializeElevatedPayload({ ...p, EffectiveUntil: new Date(Date.now() - 1000).toISOString() }),
    );
    const r = await cli(['exec', ACCOUNT, '--', 'true']);
    expect(r.code).toBe(13);
    expect(r.stderr).toContain('window');
  });

  it('refuses inside the clock-skew margin, and the margin is configurable', async () => {
    const p = await newGrant();
    await writeSecret(
      ctx,
      ACCOUNT,
      serializeElevatedPayload({ ...p, EffectiveUntil: new Date(Date.now() + 60_000).toISOString() }),
    );
    expect((await cli(['exec', ACCOUNT, '--', 'true'])).code).toBe(0);
    expect((await cli(['exec', ACCOUNT, '--clock-skew', '120', '--', 'true'])).code).toBe(13);
  });

  it('refuses malformed JSON and a payload missing fields with exit 14, naming fields, not values', async () => {
    await writeSecret(ctx, ACCOUNT, '{"AccessKeyId": "ASIA');
    expect((await cli(['exec', ACCOUNT, '--', 'true'])).code).toBe(14);
    const p = await newGrant();
    const { SessionToken: _t, ...partial } = p;
    await writeSecret(ctx, ACCOUNT, JSON.stringify(partial));
    const r = await cli(['exec', ACCOUNT, '--', 'true']);
    expect(r.code).toBe(14);
    expect(r.stderr).toContain('SessionToken');
  });

  it("refuses another account's grant found in this account's secret with exit 15", async () => {
    // The other account's own secret is left alone: another test file owns it.
    await newGrant({ account: OTHER, secretOf: ACCOUNT });
    expect((await cli(['exec', ACCOUNT, '--', 'true'])).code).toBe(15);
  });
});

describe('credentials planted in the secret (STS says whose they are)', () => {
  // A well-formed payload naming this account and its Ops role, written with the approver's keys,
  // but holding a real session of another account's role: the payload checks alone let it through.
  it('exec refuses with exit 18 and runs nothing when the credentials are of another account', async () => {
    const p = await newGrant({ account: ACCOUNT, credentialsOf: { account: OTHER } });
    const marker = path.join(dir, 'planted-ran');
    const r = await cli([
      'exec',
      ACCOUNT,
      '--',
      process.execPath,
      '-e',
      `require('fs').writeFileSync('${marker}', '')`,
    ]);
    expect(r.code).toBe(18);
    expect(existsSync(marker)).toBe(false);
    expect(r.stderr).toContain(`arn:aws:sts::${ACCOUNT}:assumed-role/AgentElevated-Ops/jit-${p.GrantId}`);
    expect(r.stderr).toContain(`arn:aws:sts::${OTHER}:assumed-role/AgentElevated-Ops/jit-${p.GrantId}`);
  });

  it('credential-process refuses with exit 18 and prints nothing on stdout', async () => {
    await newGrant({ account: ACCOUNT, credentialsOf: { account: OTHER } });
    const r = await cli(['credential-process', ACCOUNT]);
    expect(r.code).toBe(18);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('AGENT_FOREIGN_CREDENTIALS');
  });

  it("refuses credentials of the right account but another role than the payload's", async () => {
    const p = await newGrant({ account: ACCOUNT, credentialsOf: { roleName: 'AgentElevated-Deploy' } });
    const marker = path.join(dir, 'other-role-ran');
    const r = await cli([
      'exec',
      ACCOUNT,
      '--',
      process.execPath,
      '-e',
      `require('fs').writeFileSync('${marker}', '')`,
    ]);
    expect(r.code).toBe(18);
    expect(existsSync(marker)).toBe(false);
    expect(r.stderr).toContain(`arn:aws:sts::${ACCOUNT}:assumed-role/AgentElevated-Deploy/jit-${p.GrantId}`);
    expect((await cli(['credential-process', ACCOUNT])).stdout).toBe('');
  });

  it("still runs a real grant's command after the check", async () => {
    await newGrant({ account: ACCOUNT });
    const marker = path.join(dir, 'genuine-ran');
    const r = await cli([
      'exec',
      ACCOUNT,
      '--',
      process.execPath,
      '-e',
      `require('fs').writeFileSync('${marker}', '')`,
    ]);
    expect(r.code).toBe(0);
    expect(existsSync(marker)).toBe(true);
  });
});

describe('request', () => {
  it("sends a signed request naming the agent's identity to the approvers' webhook", async () => {
    const hook = await receiver(204);
    try {
      const r = await cli(
        [
          'request',
          ACCOUNT,
          '--tier',
          'ops',
          '--minutes',
          '15',
          '--reason',
          'restart the api',
          '--webhook-url',
          hook.url,
        ],
        { JIT_APPROVER_WEBHOOK_SECRET: 'approvers-secret' },
      );
      expect(r.code).toBe(0);
      const sent = hook.received[0];
      expect(JSON.parse(sent?.body ?? '{}')).toMatchObject({
        kind: 'jit-elevation-request',
        account: ACCOUNT,
        agent: { arn: `arn:aws:iam::${ctx.accounts.hub.id}:user/jit-agent` },
      });
      expect(sent?.body).toBe(r.stdout);
      verifyWebhook({
        body: sent?.body ?? '',
        signature: sent?.headers['x-jit-signature'] as string,
        timestamp: sent?.headers['x-jit-timestamp'] as string,
        secret: 'approvers-secret',
      });
    } finally {
      await hook.close();
    }
  });
});

describe('wait and listen', () => {
  const SECRET = 'agent-listener-secret';
  const notify = async (url: string, account: string, secret = SECRET) => {
    const body = JSON.stringify({ event: 'granted', account });
    return fetch(url, { method: 'POST', body, headers: { ...signWebhook(body, secret).headers } });
  };

  it('wait returns when a signed notification arrives and the secret holds the grant', async () => {
    await revoke(ctx, ACCOUNT, '01JQ7ZJ7Q2W8Y3K4M5N6P7R8S9');
    const waiting = startCli(['wait', ACCOUNT, '--port', '0', '--json', '--timeout', '2m'], {
      ...env,
      JIT_WEBHOOK_SECRET: SECRET,
    });
    const [, url] = await waiting.stderrMatch(/notification on (\S+)/);
    const p = await newGrant();
    await notify(url ?? '', ACCOUNT);
    const r = await waiting.done;
    outputs.push({ what: 'wait', text: r.stdout + r.stderr });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'active', grantId: p.GrantId, via: 'notification' });
    expect(r.stderr).not.toContain('re-checking');
  });

  it('wait falls back to re-checking the secret when its port is taken', async () => {
    await revoke(ctx, ACCOUNT, '01JQ7ZJ7Q2W8Y3K4M5N6P7R8S9');
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const port = String((blocker.address() as AddressInfo).port);
      const waiting = startCli(
        ['wait', ACCOUNT, '--port', port, '--poll-interval', '1s', '--json', '--timeout', '2m'],
        {
          ...env,
          JIT_WEBHOOK_SECRET: SECRET,
        },
      );
      await waiting.stderrMatch(/EADDRINUSE.*re-checking the secret every 1 s/);
      await newGrant();
      const r = await waiting.done;
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ status: 'active', via: 'poll' });
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('wait exits 22 at its timeout', async () => {
    await revoke(ctx, ACCOUNT, '01JQ7ZJ7Q2W8Y3K4M5N6P7R8S9');
    const r = await cli(['wait', ACCOUNT, '--port', '0', '--timeout', '1s'], { JIT_WEBHOOK_SECRET: SECRET });
    expect(r.code).toBe(22);
  });

  it('listen prints verified notifications and refuses forged ones', async () => {
    const listening = startCli(['listen', '--port', '0', '--once', '--json', '--account', ACCOUNT], {
      ...env,
      JIT_WEBHOOK_SECRET: SECRET,
    });
    const [, url] = await listening.stderrMatch(/listening on (\S+)/);
    expect((await notify(url ?? '', ACCOUNT, 'forged')).status).toBe(401);
    expect((await notify(url ?? '', ACCOUNT)).status).toBe(204);
    const r = await listening.done;
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ account: ACCOUNT, event: 'granted' });
    expect(r.stderr).toContain('SIGNATURE_INVALID');
  });
});

describe('credentials stay out of everything but credential-process', () => {
  it('appear in no output and no journal line', async () => {
    expect(granted.length).toBeGreaterThan(5);
    const texts = [...outputs, { what: 'journal', text: await readFile(journal, 'utf8') }];
    for (const p of granted) {
      for (const { what, text } of texts) {
        expect(text.includes(p.SecretAccessKey), `secret key in ${what}`).toBe(false);
        expect(text.includes(p.SessionToken), `session token in ${what}`).toBe(false);
      }
    }
  });
});
