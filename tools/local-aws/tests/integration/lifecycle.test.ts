import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalAwsErrorCode, startLocalAws, startMoto } from '../../src/index.js';

/** Resolves true when something accepts a TCP connection on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const scratch: string[] = [];
afterAll(async () => {
  for (const dir of scratch) await rm(dir, { recursive: true, force: true });
});

describe('startLocalAws', () => {
  it('stop() leaves nothing listening and no process behind, and removes its temporary state folder', async () => {
    const env = await startLocalAws();
    const edgePort = Number(new URL(env.endpoint).port);
    const motoPort = Number(new URL(env.motoEndpoint).port);
    const running = [
      await listening(edgePort),
      await listening(motoPort),
      alive(env.motoPid),
      existsSync(env.stateDir),
    ];

    await env.stop();

    expect(running).toEqual([true, true, true, true]);
    expect([
      await listening(edgePort),
      await listening(motoPort),
      alive(env.motoPid),
      existsSync(env.stateDir),
    ]).toEqual([false, false, false, false]);
  });

  it('writes an owner-only credentials file and a config file with the three profiles', async () => {
    const stateDir = await mkdtemp(path.join(tmpdir(), 'jit-local-aws-test-'));
    scratch.push(stateDir);
    const env = await startLocalAws({ stateDir });
    try {
      const mode = (await stat(env.credentialsFile)).mode & 0o777;
      const config = await readFile(env.configFile, 'utf8');

      expect(mode).toBe(0o600);
      for (const profile of ['jit-admin', 'jit-approver', 'jit-agent'])
        expect(config).toContain(`[profile ${profile}]`);
      expect(config).not.toContain(env.profiles.agent.secretAccessKey);
    } finally {
      await env.stop();
    }
    expect(existsSync(stateDir)).toBe(true);
  });
});

/** Polls until `check` holds or `ms` pass; for a condition another process brings about. */
async function eventually(check: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await delay(100);
  }
  return check();
}

describe('startMoto', () => {
  it('takes moto down with it when the process that started it is killed without cleaning up', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'jit-orphan-'));
    scratch.push(dir);
    const child = spawn(
      process.execPath,
      [
        '--conditions',
        '@jit-access/source',
        '--import',
        'tsx',
        path.resolve(import.meta.dirname, '../support/startMotoChild.ts'),
        dir,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const started = await new Promise<{ pid: number; port: number }>((resolve, reject) => {
      child.stdout.once('data', (chunk: Buffer) =>
        resolve(JSON.parse(chunk.toString()) as { pid: number; port: number }),
      );
      child.once('exit', (code) => reject(new Error(`child exited early (${String(code)})`)));
    });
    const wasRunning = alive(started.pid) && (await listening(started.port));

    child.kill('SIGKILL');

    expect(wasRunning).toBe(true);
    expect(await eventually(async () => !alive(started.pid) && !(await listening(started.port)), 15_000)).toBe(true);
  });

  it('says how to install moto when the Python it is given has no moto', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'jit-no-moto-'));
    scratch.push(dir);
    // Python without site-packages: the interpreter is there, moto is not.
    const python = path.join(dir, 'python-without-moto');
    await writeFile(python, '#!/bin/sh\nexec python3 -S -I "$@"\n');
    await chmod(python, 0o755);

    const start = startMoto({ logFile: path.join(dir, 'moto.log'), python });

    await expect(start).rejects.toMatchObject({
      code: LocalAwsErrorCode.MotoMissing,
      message: expect.stringContaining('Python moto is not installed'),
      suggestion: expect.stringContaining('pip install "moto[server]"'),
    });
  });

  it('says so when there is no Python at all', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'jit-no-python-'));
    scratch.push(dir);

    const start = startMoto({ logFile: path.join(dir, 'moto.log'), python: path.join(dir, 'no-such-python') });

    await expect(start).rejects.toMatchObject({
      code: LocalAwsErrorCode.MotoMissing,
      message: expect.stringContaining('no such program'),
    });
  });
});
