import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const CLI = path.resolve(import.meta.dirname, '../../src/cli.ts');
const REPO = path.resolve(import.meta.dirname, '../../../..');

/** Runs the CLI from source, as `npm run local --` does from dist. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--conditions', '@jit-access/source', '--import', 'tsx', CLI, ...args],
      {
        cwd: REPO,
        env: { ...process.env, NO_COLOR: '1' },
        timeout: 120_000,
      },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

let stateDir: string;
beforeAll(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), 'jit-local-aws-cli-'));
});
afterAll(async () => {
  await cli('down', '--state-dir', stateDir);
  await rm(stateDir, { recursive: true, force: true });
});

describe('npm run local', () => {
  it('explains itself with --help and an example', async () => {
    const result = await cli('--help');

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Commands:');
    expect(result.stdout).toContain('Example:');
  });

  it('rejects an unknown command with exit code 2', async () => {
    const result = await cli('start');

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown command "start"; commands: up, down, status, env');
  });

  it('rejects an option the command does not take with exit code 2', async () => {
    const result = await cli('down', '--profile', 'agent', '--state-dir', stateDir);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('down does not take --profile');
  });

  it('reports "not running" with exit code 3 from status and env', async () => {
    const status = await cli('status', '--state-dir', stateDir);
    const env = await cli('env', '--json', '--state-dir', stateDir);

    expect(status.code).toBe(3);
    expect(status.stdout).toContain('Not running');
    expect(env.code).toBe(3);
    expect(JSON.parse(env.stdout)).toMatchObject({ error: { code: 'NOT_RUNNING' } });
  });

  it('goes up in the background, prints accounts and identities without secret keys, and goes down again', async () => {
    const up = await cli('up', '--state-dir', stateDir);
    const status = await cli('status', '--json', '--state-dir', stateDir);
    const env = await cli('env', '--profile', 'agent', '--state-dir', stateDir);
    const credentialsFile = path.join(stateDir, 'aws-credentials');
    const credentials = await readFile(credentialsFile, 'utf8');
    const mode = (await stat(credentialsFile)).mode & 0o777;
    const secretKeys = [...credentials.matchAll(/aws_secret_access_key = (.+)/g)].map((m) => m[1] ?? '');
    const down = await cli('down', '--state-dir', stateDir);
    const after = await cli('status', '--state-dir', stateDir);

    expect(up.code).toBe(0);
    expect(up.stdout).toContain('Hub tooling (444444444444)');
    expect(up.stdout).toContain('agent/elevated/111111111111');
    expect(up.stdout).toContain('arn:aws:iam::111111111111:role/AgentElevated-Ops');
    expect(up.stdout).toContain('Widened for moto');
    expect(secretKeys).toHaveLength(3);
    for (const key of secretKeys) {
      expect(up.stdout + up.stderr + status.stdout + env.stdout).not.toContain(key);
    }
    expect(mode).toBe(0o600);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ running: true, healthy: true, status: 'ready' });
    expect(env.stdout).toContain(`export AWS_SHARED_CREDENTIALS_FILE=${credentialsFile}`);
    expect(env.stdout).toContain('export AWS_PROFILE=jit-agent');
    expect(env.stdout).toMatch(/export AWS_ENDPOINT_URL=http:\/\/127\.0\.0\.1:\d+/);
    expect(down.code).toBe(0);
    expect(down.stdout).toContain('Stopped');
    expect(after.code).toBe(3);
  });
});
