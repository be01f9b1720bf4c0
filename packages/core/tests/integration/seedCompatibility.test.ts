/**
 * A payload we write must keep working with the article's own agent script
 * (../shared/seed/scripts/agent-use-elevated.sh: jq + `date -d`), read through the real AWS CLI
 * from a real Secrets Manager API (moto). IAM enforcement is irrelevant here, so this starts a
 * bare moto_server rather than the whole local environment.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placeholderSecretString, serializeElevatedPayload } from '../../src/index.js';
import { samplePayload } from '../support/payload.js';

const run = promisify(execFile);
const SEED_SCRIPT = path.resolve(import.meta.dirname, '../../../../../shared/seed/scripts/agent-use-elevated.sh');
const ACCOUNT = '222222222222';

let moto: ChildProcess | undefined;
let endpoint = '';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

const awsEnv = () => ({
  ...process.env,
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_DEFAULT_REGION: 'ap-southeast-2',
  AWS_ENDPOINT_URL: endpoint,
  REGION: 'ap-southeast-2',
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
});

async function putSecret(value: string): Promise<void> {
  await run(
    'aws',
    ['secretsmanager', 'put-secret-value', '--secret-id', `agent/elevated/${ACCOUNT}`, '--secret-string', value],
    {
      env: awsEnv(),
    },
  );
}

async function runSeedScript(): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(
      'bash',
      [SEED_SCRIPT, ACCOUNT, 'bash', '-c', 'echo "work ran as $AWS_ACCESS_KEY_ID"'],
      { env: awsEnv() },
    );
    return { code: 0, stdout };
  } catch (error) {
    const e = error as { code?: number; stdout?: string };
    return { code: e.code ?? 1, stdout: e.stdout ?? '' };
  }
}

beforeAll(async () => {
  expect(existsSync(SEED_SCRIPT), `the seed script is expected at ${SEED_SCRIPT}`).toBe(true);
  const port = await freePort();
  endpoint = `http://127.0.0.1:${port}`;
  moto = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore', detached: true });
  for (let i = 0; i < 100; i++) {
    if (
      await fetch(`${endpoint}/moto-api/`)
        .then((r) => r.ok)
        .catch(() => false)
    )
      break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await run(
    'aws',
    [
      'secretsmanager',
      'create-secret',
      '--name',
      `agent/elevated/${ACCOUNT}`,
      '--secret-string',
      placeholderSecretString(),
    ],
    {
      env: awsEnv(),
    },
  );
});

afterAll(() => {
  if (moto?.pid) process.kill(-moto.pid, 'SIGTERM');
});

describe("the article's agent script reads our payloads", () => {
  it('uses an active v1 payload: role, remaining minutes and the credentials in the environment', async () => {
    const now = Date.now();
    const payload = samplePayload({
      Expiration: new Date(now + 60 * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      EffectiveUntil: new Date(now + 15 * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      GrantedAt: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    });
    await putSecret(serializeElevatedPayload(payload));
    const result = await runSeedScript();
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Credentials valid. Role: AgentElevated-Ops.');
    expect(result.stdout).toMatch(/5[89] min remaining/);
    expect(result.stdout).toContain(`work ran as ${payload.AccessKeyId}`);
    expect(result.stdout).toContain('Credentials cleared');
  });

  it('refuses our placeholder as "no valid credentials"', async () => {
    await putSecret(placeholderSecretString({ revokedAt: new Date(), reason: 'revoked by approver' }));
    const result = await runSeedScript();
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('No valid credentials found');
  });

  it('refuses an expired payload', async () => {
    await putSecret(JSON.stringify(samplePayload({ Expiration: '2020-01-01T00:00:00Z' })));
    const result = await runSeedScript();
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('Credentials expired at 2020-01-01T00:00:00Z');
  });
});
