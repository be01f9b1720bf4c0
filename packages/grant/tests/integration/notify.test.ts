import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseSecretPayload, verifyWebhook } from '@jit-access/core';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { EXIT_CODES, main, notifyAll } from '../../src/index.js';
import { captureIo, findCredentials } from '../support/io.js';
import {
  ACCOUNTS_DIR,
  adminIn,
  approverClients,
  config,
  provisionRevoker,
  readAsAgent,
  resetSecret,
} from '../support/local.js';

const ctx = inject('localAws');
const PRODUCTION = '222222222222';
const SHARED_SECRET = 'test-webhook-secret-0123456789abcdef';

interface Delivery {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly verified: boolean;
  readonly problem?: string;
}

/** A webhook receiver as an agent operator would run it: it verifies the signature with its own secret. */
async function receiver(secret: string) {
  const deliveries: Delivery[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let problem: string | undefined;
      if (req.url === '/hook') {
        try {
          verifyWebhook({
            body,
            signature: req.headers['x-jit-signature'] as string | undefined,
            timestamp: req.headers['x-jit-timestamp'] as string | undefined,
            secret,
          });
        } catch (error) {
          problem = (error as Error).message;
        }
      }
      deliveries.push({
        path: req.url ?? '',
        headers: req.headers,
        body,
        verified: problem === undefined,
        ...(problem ? { problem } : {}),
      });
      res.writeHead(problem ? 401 : 204);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    deliveries,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A copy of accounts/ whose notifications go to the receivers. */
async function accountsWithNotifications(hookUrl: string, secretFile: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'jit-grant-accounts-'));
  await cp(ACCOUNTS_DIR, dir, { recursive: true });
  const org = await readFile(path.join(dir, 'jit.yaml'), 'utf8');
  const replaced = org.replace(
    /^notifications:\n(?:[ -].*\n)+/m,
    [
      'notifications:',
      '  - kind: sns',
      '    topicName: jit-notifications',
      '  - kind: webhook',
      `    url: ${hookUrl}/hook`,
      `    secret: { file: ${JSON.stringify(secretFile)} }`,
      '    timeoutMs: 2000',
      '    retries: 1',
      '  - kind: slack',
      '    webhookUrl: { env: JIT_TEST_SLACK_URL }',
      '',
    ].join('\n'),
  );
  expect(replaced).not.toBe(org);
  await writeFile(path.join(dir, 'jit.yaml'), replaced);
  return dir;
}

let good: Awaited<ReturnType<typeof receiver>>;
let wrong: Awaited<ReturnType<typeof receiver>>;
let secretFile: string;

beforeAll(async () => {
  good = await receiver(SHARED_SECRET);
  wrong = await receiver('a-different-secret-the-sender-does-not-have');
  const dir = await mkdtemp(path.join(tmpdir(), 'jit-grant-secret-'));
  secretFile = path.join(dir, 'webhook-secret');
  await writeFile(secretFile, `${SHARED_SECRET}\n`, { mode: 0o600 });
  await provisionRevoker(ctx, await config());
});

afterAll(async () => {
  await good.stop();
  await wrong.stop();
});

beforeEach(async () => {
  await resetSecret(ctx, PRODUCTION);
});

async function run(args: string[], hookUrl: string) {
  const accounts = await accountsWithNotifications(hookUrl, secretFile);
  const env = {
    AWS_ACCESS_KEY_ID: ctx.profiles.approver.accessKeyId,
    AWS_SECRET_ACCESS_KEY: ctx.profiles.approver.secretAccessKey,
    AWS_ENDPOINT_URL: ctx.endpoint,
    JIT_TEST_SLACK_URL: `${hookUrl}/slack`,
  };
  Object.assign(process.env, env);
  const io = captureIo({ env });
  const code = await main([...args, '--config', accounts], io);
  return { code, out: io.out(), err: io.err() };
}

describe('notifications', () => {
  it('sends a signed webhook the receiver verifies, a Slack message and an SNS message, none with credentials', async () => {
    const from = good.deliveries.length;
    const { code, out, err } = await run(
      ['grant', 'production', '--tier', 'ops', '--reason', 'restart <api> & workers', '--yes', '--json'],
      good.url,
    );
    expect(err).not.toMatch(/warning|error/);
    expect(code).toBe(EXIT_CODES.ok);
    const result = JSON.parse(out);
    expect(result.notifications).toEqual([
      expect.objectContaining({ kind: 'sns', ok: true }),
      expect.objectContaining({ kind: 'webhook', ok: true, attempts: 1, target: `webhook ${good.url}/hook` }),
      expect.objectContaining({ kind: 'slack', ok: true, target: 'slack incoming webhook' }),
    ]);

    const got = good.deliveries.slice(from);
    const hook = got.find((d) => d.path === '/hook');
    expect(hook?.verified).toBe(true);
    expect(JSON.parse(hook?.body ?? '{}')).toMatchObject({
      kind: 'jit-grant-event',
      event: 'granted',
      grantId: result.grantId,
      account: { id: PRODUCTION, name: 'production' },
      secretName: `agent/elevated/${PRODUCTION}`,
    });
    const slack = JSON.parse(got.find((d) => d.path === '/slack')?.body ?? '{}');
    expect(slack.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'JIT elevation granted' } });
    expect(JSON.stringify(slack)).toContain('restart &lt;api&gt; &amp; workers');

    const state = parseSecretPayload(await readAsAgent(ctx, PRODUCTION));
    if (state.kind !== 'active') throw new Error('expected an active grant');
    const secrets = [state.payload.AccessKeyId, state.payload.SecretAccessKey, state.payload.SessionToken];
    const everything = [out, err, ...got.map((d) => `${JSON.stringify(d.headers)}${d.body}`)].join('\n');
    expect(findCredentials(everything, secrets)).toEqual([]);
  });

  it('keeps the grant and exits 8 when the receiver refuses the signature (wrong shared secret)', async () => {
    const from = wrong.deliveries.length;
    const { code, err } = await run(
      ['grant', 'production', '--tier', 'ops', '--reason', 'restart', '--yes'],
      wrong.url,
    );

    expect(code).toBe(EXIT_CODES.notificationFailed);
    expect(err).toMatch(
      /warning: the grant is in place, but notifying webhook http:\/\/127\.0\.0\.1:\d+\/hook failed: the receiver answered HTTP 401/,
    );
    const refused = wrong.deliveries.slice(from).filter((d) => d.path === '/hook');
    expect(refused).toHaveLength(1);
    expect(refused[0]?.problem).toMatch(/x-jit-signature does not match the body/);
    expect(parseSecretPayload(await readAsAgent(ctx, PRODUCTION)).kind).toBe('active');
  });

  it('reads the webhook secret from Secrets Manager in the hub', async () => {
    const { CreateSecretCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
    const admin = new SecretsManagerClient({
      region: ctx.region,
      endpoint: ctx.endpoint,
      credentials: await adminIn(ctx, ctx.accounts.hub.id),
    });
    const secretId = `jit/webhook-secret-${Date.now()}`;
    await admin.send(new CreateSecretCommand({ Name: secretId, SecretString: SHARED_SECRET }));
    admin.destroy();
    const clients = approverClients(ctx);
    const from = good.deliveries.length;

    const outcomes = await notifyAll(
      [{ kind: 'webhook', url: `${good.url}/hook`, secret: { secretId }, timeoutMs: 2000, retries: 0 }],
      {
        kind: 'jit-grant-event',
        version: 1,
        event: 'granted',
        grantId: '01JQ0000000000000000000000',
        account: { id: PRODUCTION, name: 'production' },
        secretName: `agent/elevated/${PRODUCTION}`,
        approver: ctx.accounts.hub.approver.arn,
        at: new Date().toISOString(),
      },
      { config: await config(), clients },
    );
    clients.destroy();

    expect(outcomes).toEqual([expect.objectContaining({ ok: true })]);
    expect(good.deliveries.slice(from).map((d) => d.verified)).toEqual([true]);
  });

  it('notifies a revocation', async () => {
    await run(['grant', 'production', '--tier', 'ops', '--reason', 'restart', '--yes'], good.url);
    const from = good.deliveries.length;
    const { code } = await run(['revoke', 'production', '--reason', 'finished'], good.url);
    expect(code).toBe(EXIT_CODES.ok);
    const hook = good.deliveries.slice(from).find((d) => d.path === '/hook');
    expect(hook?.verified).toBe(true);
    expect(JSON.parse(hook?.body ?? '{}')).toMatchObject({ event: 'revoked', reason: 'finished', allSessions: false });
  });
});
