import { EventEmitter } from 'node:events';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { secretName } from '@jit-access/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { childEnvironment } from '../../src/childEnv.js';
import { guardCredentials } from '../../src/credentials.js';
import { AgentErrorCode } from '../../src/errors.js';
import { execWithElevation, runCapturedWithElevation } from '../../src/exec.js';
import { readJournal } from '../../src/journal.js';
import { ACCOUNT, GRANT_ID, memoryHub, payload, placeholder, secretText, T0 } from '../support/grants.js';

const node = process.execPath;
// The tests run the grant's clock a minute after the grant.
const now = () => new Date(T0.getTime() + 60_000);

let dir: string;
let journalPath: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'jit-agent-exec-'));
  journalPath = path.join(dir, 'state', 'journal.jsonl');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function activeHub() {
  const p = payload();
  return { p, hub: memoryHub({ [secretName(ACCOUNT)]: secretText(p) }) };
}

describe('childEnvironment', () => {
  const grant = { grantId: GRANT_ID, account: ACCOUNT, region: 'ap-southeast-2' };
  const creds = guardCredentials({
    accessKeyId: 'ASIAELEVATED0000001',
    secretAccessKey: 'elevated-secret-key-value',
    sessionToken: 'elevated-session-token-value',
    expiration: new Date('2026-03-25T13:15:00Z'),
  });

  it("replaces the agent's own keys and any profile with the grant's credentials and region", () => {
    const env = childEnvironment(
      {
        PATH: '/usr/bin',
        AWS_ACCESS_KEY_ID: 'AKIAAGENTBASEKEY0001',
        AWS_SECRET_ACCESS_KEY: 'agent-base-secret',
        AWS_PROFILE: 'admin',
        AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.2/creds',
        AWS_REGION: 'us-east-1',
        AWS_ENDPOINT_URL: 'http://127.0.0.1:4566',
      },
      grant,
      creds,
    );
    expect(env).toEqual({
      PATH: '/usr/bin',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:4566',
      AWS_ACCESS_KEY_ID: 'ASIAELEVATED0000001',
      AWS_SECRET_ACCESS_KEY: 'elevated-secret-key-value',
      AWS_SESSION_TOKEN: 'elevated-session-token-value',
      AWS_CREDENTIAL_EXPIRATION: '2026-03-25T13:15:00.000Z',
      AWS_REGION: 'ap-southeast-2',
      AWS_DEFAULT_REGION: 'ap-southeast-2',
      JIT_GRANT_ID: GRANT_ID,
      JIT_ACCOUNT_ID: ACCOUNT,
    });
  });

  it("drops jit-agent's own secrets named by the caller", () => {
    const env = childEnvironment({ JIT_WEBHOOK_SECRET: 'hmac', KEEP: '1' }, grant, creds, ['JIT_WEBHOOK_SECRET']);
    expect(env.JIT_WEBHOOK_SECRET).toBeUndefined();
    expect(env.KEEP).toBe('1');
  });
});

describe('execWithElevation', () => {
  it("runs the command with the grant's credentials and region, and returns its exit code", async () => {
    const { p, hub } = activeHub();
    const out = path.join(dir, 'seen.json');
    const script = `require('fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify({k: process.env.AWS_ACCESS_KEY_ID, s: process.env.AWS_SECRET_ACCESS_KEY, t: process.env.AWS_SESSION_TOKEN, r: process.env.AWS_REGION, base: process.env.BASE_ONLY})); process.exit(7)`;

    const result = await execWithElevation({
      account: ACCOUNT,
      command: [node, '-e', script],
      readSecret: hub.readSecret,
      verifyCredentials: hub.verifyCredentials,
      journalPath,
      now,
      env: { PATH: process.env.PATH, AWS_ACCESS_KEY_ID: 'AKIABASEIDENTITY0001', BASE_ONLY: 'kept' },
    });

    expect(result.exitCode).toBe(7);
    expect(JSON.parse(await readFile(out, 'utf8'))).toEqual({
      k: p.AccessKeyId,
      s: p.SecretAccessKey,
      t: p.SessionToken,
      r: 'ap-southeast-2',
      base: 'kept',
    });
  });

  it('journals the command with its grant, time, account and exit code, and no credentials', async () => {
    const { p, hub } = activeHub();
    await execWithElevation({
      account: ACCOUNT,
      command: [node, '-e', 'process.exit(3)', p.SecretAccessKey],
      readSecret: hub.readSecret,
      verifyCredentials: hub.verifyCredentials,
      journalPath,
      now,
    });

    const text = await readFile(journalPath, 'utf8');
    expect(text).not.toContain(p.SecretAccessKey);
    expect(text).not.toContain(p.SessionToken);
    const { entries } = await readJournal(journalPath);
    expect(entries).toEqual([
      {
        grantId: GRANT_ID,
        time: now().toISOString(),
        account: ACCOUNT,
        command: [node, '-e', 'process.exit(3)', '[redacted]'],
        exitCode: 3,
        source: 'exec',
        // jit-agent's own check of whose credentials these are: CloudTrail records it, so it is reported.
        awsCalls: [{ action: 'sts:GetCallerIdentity', by: 'jit-agent' }],
      },
    ]);
    expect(statSync(journalPath).mode & 0o777).toBe(0o600);
  });

  it('refuses a placeholder before running anything', async () => {
    const hub = memoryHub({ [secretName(ACCOUNT)]: placeholder() });
    const marker = path.join(dir, 'ran');
    await expect(
      execWithElevation({
        account: ACCOUNT,
        command: [node, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, '')`],
        readSecret: hub.readSecret,
        verifyCredentials: hub.verifyCredentials,
        journalPath,
        now,
      }),
    ).rejects.toMatchObject({ code: AgentErrorCode.NoGrant });
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(journalPath)).toBe(false);
  });

  it('refuses once the window has passed (clock injected)', async () => {
    const { hub } = activeHub();
    await expect(
      execWithElevation({
        account: ACCOUNT,
        command: [node, '-e', ''],
        readSecret: hub.readSecret,
        verifyCredentials: hub.verifyCredentials,
        journalPath,
        now: () => new Date(T0.getTime() + 20 * 60_000),
      }),
    ).rejects.toMatchObject({ code: AgentErrorCode.Expired });
  });

  it('passes SIGTERM on to the child and reports the signal as 128+15', async () => {
    const { hub } = activeHub();
    const signals = new EventEmitter();
    const ready = path.join(dir, 'ready');
    // The child announces it is running, then waits to be signalled.
    const script = `require('fs').writeFileSync(${JSON.stringify(ready)}, ''); setInterval(() => {}, 1000)`;
    const running = execWithElevation({
      account: ACCOUNT,
      command: [node, '-e', script],
      readSecret: hub.readSecret,
      verifyCredentials: hub.verifyCredentials,
      journalPath,
      now,
      signals,
    });
    await until(() => existsSync(ready));
    signals.emit('SIGTERM');

    const result = await running;
    expect(result).toMatchObject({ exitCode: 143, signal: 'SIGTERM' });
    expect((await readJournal(journalPath)).entries[0]?.exitCode).toBe(143);
    expect(signals.listenerCount('SIGTERM')).toBe(0);
  });

  it('lets a child that handles SIGINT decide its own exit code', async () => {
    const { hub } = activeHub();
    const signals = new EventEmitter();
    const ready = path.join(dir, 'ready');
    const script = `process.on('SIGINT', () => process.exit(42)); require('fs').writeFileSync(${JSON.stringify(ready)}, ''); setInterval(() => {}, 1000)`;
    const running = execWithElevation({
      account: ACCOUNT,
      command: [node, '-e', script],
      readSecret: hub.readSecret,
      verifyCredentials: hub.verifyCredentials,
      journalPath,
      now,
      signals,
    });
    await until(() => existsSync(ready));
    signals.emit('SIGINT');
    expect((await running).exitCode).toBe(42);
  });

  it('reports a command that does not exist as 127 and journals the attempt', async () => {
    const { hub } = activeHub();
    await expect(
      execWithElevation({
        account: ACCOUNT,
        command: ['jit-agent-test-no-such-command'],
        readSecret: hub.readSecret,
        verifyCredentials: hub.verifyCredentials,
        journalPath,
        now,
      }),
    ).rejects.toMatchObject({ code: AgentErrorCode.CommandNotFound });
    expect((await readJournal(journalPath)).entries[0]?.exitCode).toBe(127);
  });

  it('refuses an empty command', async () => {
    const { hub } = activeHub();
    await expect(
      execWithElevation({
        account: ACCOUNT,
        command: [],
        readSecret: hub.readSecret,
        verifyCredentials: hub.verifyCredentials,
        journalPath,
        now,
      }),
    ).rejects.toMatchObject({ code: AgentErrorCode.Usage });
    expect(hub.reads).toEqual([]);
  });

  it('still returns the exit code when the journal cannot be written, with the reason', async () => {
    const { hub } = activeHub();
    const result = await execWithElevation({
      account: ACCOUNT,
      command: [node, '-e', 'process.exit(0)'],
      readSecret: hub.readSecret,
      verifyCredentials: hub.verifyCredentials,
      // A directory cannot be appended to.
      journalPath: dir,
      now,
    });
    expect(result.exitCode).toBe(0);
    expect(result.journalError?.code).toBe(AgentErrorCode.Journal);
  });
});

describe('runCapturedWithElevation', () => {
  it('returns output with the credentials redacted, even when the command prints its environment', async () => {
    const { p, hub } = activeHub();
    const result = await runCapturedWithElevation({
      account: ACCOUNT,
      command: [node, '-e', 'console.log(JSON.stringify(process.env)); console.error(process.env.AWS_SESSION_TOKEN)'],
      readSecret: hub.readSecret,
      verifyCredentials: hub.verifyCredentials,
      journalPath,
      now,
    });
    expect(result.exitCode).toBe(0);
    for (const text of [result.stdout, result.stderr, JSON.stringify(result)]) {
      expect(text).not.toContain(p.SecretAccessKey);
      expect(text).not.toContain(p.SessionToken);
    }
    expect(result.stdout).toContain('"AWS_REGION":"ap-southeast-2"');
    expect(result.stderr.trim()).toBe('[redacted]');
    expect((await readJournal(journalPath)).entries[0]?.source).toBe('mcp');
  });

  it('bounds the output and says so', async () => {
    const { hub } = activeHub();
    const result = await runCapturedWithElevation({
      account: ACCOUNT,
      command: [node, '-e', 'process.stdout.write("x".repeat(50000))'],
      readSecret: hub.readSecret,
      verifyCredentials: hub.verifyCredentials,
      journalPath,
      now,
      maxOutputChars: 1000,
    });
    expect(result.stdout).toHaveLength(1000);
    expect(result.truncated).toBe(true);
  });

  it('stops a command that runs past its timeout', async () => {
    const { hub } = activeHub();
    const result = await runCapturedWithElevation({
      account: ACCOUNT,
      command: [node, '-e', 'setInterval(() => {}, 1000)'],
      readSecret: hub.readSecret,
      verifyCredentials: hub.verifyCredentials,
      journalPath,
      now,
      timeoutMs: 200,
    });
    expect(result).toMatchObject({ timedOut: true, signal: 'SIGTERM', exitCode: 143 });
  });
});

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!condition()) throw new Error('condition not met');
}
