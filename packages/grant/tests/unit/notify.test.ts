import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type JitConfig, loadConfig, type NotificationTarget, verifyWebhook } from '@jit-access/core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AwsClients, type GrantEvent, notifyAll, slackMessage } from '../../src/index.js';
import { findCredentials } from '../support/io.js';
import { ACCOUNTS_DIR } from '../support/local.js';

// Receivers are real HTTP servers on 127.0.0.1, so the notifiers' own transport, timeouts and
// retries run as they do in use.

const SECRET = 'unit-test-shared-secret-0123456789';
const NOW = new Date('2026-03-25T12:30:00Z');
let config: JitConfig;
const servers: { close(): void; closeAllConnections(): void }[] = [];

const event: GrantEvent = {
  kind: 'jit-grant-event',
  version: 1,
  event: 'granted',
  grantId: '01JQ0000000000000000000000',
  account: { id: '222222222222', name: 'production' },
  secretName: 'agent/elevated/222222222222',
  approver: 'arn:aws:sts::444444444444:assumed-role/AWSReservedSSO_Approver_0123/alice@example.com',
  at: NOW.toISOString(),
  tier: 'ops',
  roleArn: 'arn:aws:iam::222222222222:role/AgentElevated-Ops',
  reason: 'restart <api> & *workers*',
  effectiveUntil: '2026-03-25T12:45:00.000Z',
  expiration: '2026-03-25T12:45:00.000Z',
};

async function server(handler: (req: IncomingMessage, body: string, res: ServerResponse) => void) {
  const s = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, Buffer.concat(chunks).toString('utf8'), res));
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  servers.push(s);
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

async function secretFile(value: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'jit-grant-notify-'));
  const file = path.join(dir, 'secret');
  await writeFile(file, `${value}\n`);
  return file;
}

function webhook(
  url: string,
  file: string,
  overrides: Partial<{ retries: number; timeoutMs: number }> = {},
): NotificationTarget {
  return { kind: 'webhook', url, secret: { file }, timeoutMs: 2000, retries: 2, ...overrides };
}

function deps() {
  return {
    config,
    // No AWS call is made by webhook and Slack notifiers; the clients are never used.
    clients: new AwsClients({ region: 'ap-southeast-2', endpoint: 'http://127.0.0.1:9' }),
    now: () => NOW,
    sleep: async () => {},
    env: { SLACK_URL: '' } as Record<string, string | undefined>,
  };
}

beforeAll(async () => {
  config = await loadConfig(ACCOUNTS_DIR);
});

afterEach(() => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

describe('webhook notifications', () => {
  it('sends a body whose X-Jit-Signature the receiver verifies with the shared secret', async () => {
    const received: { body: string; problem?: string }[] = [];
    const url = await server((req, body, res) => {
      try {
        verifyWebhook({
          body,
          signature: req.headers['x-jit-signature'] as string,
          timestamp: req.headers['x-jit-timestamp'] as string,
          secret: SECRET,
          now: NOW,
        });
        received.push({ body });
        res.writeHead(204).end();
      } catch (error) {
        received.push({ body, problem: (error as Error).message });
        res.writeHead(401).end();
      }
    });

    const [outcome] = await notifyAll([webhook(`${url}/hook?token=abc`, await secretFile(SECRET))], event, deps());

    expect(outcome).toEqual({ kind: 'webhook', target: `webhook ${url}/hook`, ok: true, attempts: 1 });
    expect(received).toHaveLength(1);
    expect(received[0]?.problem).toBeUndefined();
    expect(JSON.parse(received[0]?.body ?? '')).toEqual(event);
  });

  it('fails verification at a receiver holding another secret, and does not retry a 401', async () => {
    let calls = 0;
    const url = await server((req, body, res) => {
      calls++;
      try {
        verifyWebhook({
          body,
          signature: req.headers['x-jit-signature'] as string,
          timestamp: req.headers['x-jit-timestamp'] as string,
          secret: 'not-the-same-secret',
          now: NOW,
        });
        res.writeHead(204).end();
      } catch {
        res.writeHead(401).end();
      }
    });
    const [outcome] = await notifyAll([webhook(url, await secretFile(SECRET))], event, deps());
    expect(outcome).toMatchObject({ ok: false, attempts: 1, error: 'the receiver answered HTTP 401' });
    expect(calls).toBe(1);
  });

  it('retries a 503 within the configured bound and succeeds', async () => {
    let calls = 0;
    const url = await server((_req, _body, res) => {
      calls++;
      res.writeHead(calls < 3 ? 503 : 200).end();
    });
    const [outcome] = await notifyAll([webhook(url, await secretFile(SECRET), { retries: 2 })], event, deps());
    expect(outcome).toMatchObject({ ok: true, attempts: 3 });
  });

  it('stops after retries + 1 attempts when the receiver keeps failing', async () => {
    let calls = 0;
    const url = await server((_req, _body, res) => {
      calls++;
      res.writeHead(500).end();
    });
    const [outcome] = await notifyAll([webhook(url, await secretFile(SECRET), { retries: 1 })], event, deps());
    expect(outcome).toMatchObject({
      ok: false,
      attempts: 2,
      error: 'the receiver answered HTTP 500 (after 2 attempts)',
    });
    expect(calls).toBe(2);
  });

  it('times out a receiver that never answers', async () => {
    const url = await server(() => {
      // never answers
    });
    const [outcome] = await notifyAll(
      [webhook(url, await secretFile(SECRET), { retries: 1, timeoutMs: 100 })],
      event,
      deps(),
    );
    expect(outcome).toMatchObject({ ok: false, attempts: 2, error: 'no answer within 100 ms (after 2 attempts)' });
  });

  it('reports a missing secret file without sending anything', async () => {
    let calls = 0;
    const url = await server((_req, _body, res) => {
      calls++;
      res.writeHead(204).end();
    });
    const [outcome] = await notifyAll([webhook(url, '/nonexistent/secret')], event, deps());
    expect(outcome).toMatchObject({
      ok: false,
      error: 'cannot read the webhook secret from /nonexistent/secret: ENOENT',
    });
    expect(calls).toBe(0);
  });
});

describe('Slack notifications', () => {
  it('posts a readable Block Kit message to the URL from the environment, never naming the URL', async () => {
    let posted = '';
    const url = await server((_req, body, res) => {
      posted = body;
      res.writeHead(200).end('ok');
    });
    const d = { ...deps(), env: { SLACK_URL: `${url}/services/T000/B000/XXXX` } };
    const [outcome] = await notifyAll([{ kind: 'slack', webhookUrl: { env: 'SLACK_URL' }, timeoutMs: 2000 }], event, d);
    expect(outcome).toEqual({ kind: 'slack', target: 'slack incoming webhook', ok: true, attempts: 1 });
    expect(JSON.parse(posted)).toEqual(slackMessage(event));
  });

  it('escapes Slack markup in values and carries no credential-shaped text', () => {
    const message = JSON.stringify(slackMessage(event));
    expect(message).toContain('restart &lt;api&gt; &amp; *workers*');
    expect(findCredentials(message)).toEqual([]);
    expect(slackMessage(event)).toMatchObject({
      text: 'JIT elevation granted: ops on production (222222222222) until 2026-03-25T12:45:00.000Z',
      blocks: expect.arrayContaining([{ type: 'header', text: { type: 'plain_text', text: 'JIT elevation granted' } }]),
    });
  });

  it('fails with a message naming the variable when the Slack URL is not set', async () => {
    const d = { ...deps(), env: {} };
    const [outcome] = await notifyAll([{ kind: 'slack', webhookUrl: { env: 'SLACK_URL' }, timeoutMs: 2000 }], event, d);
    expect(outcome).toMatchObject({
      ok: false,
      error: 'the Slack webhook URL is not set: environment variable SLACK_URL is empty',
    });
  });
});
