import { signWebhook } from '@jit-access/core';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentError } from '../../src/errors.js';
import {
  type GrantNotification,
  type Listener,
  ListenerRejection,
  parseGrantNotification,
  startListener,
} from '../../src/listener.js';
import { ACCOUNT, GRANT_ID, T0 } from '../support/grants.js';
import { post } from '../support/http.js';

const SECRET = 'listener-shared-secret-0123456789';
const body = JSON.stringify({ event: 'granted', account: ACCOUNT, grantId: GRANT_ID });

let listener: Listener | undefined;
afterEach(async () => {
  await listener?.close();
  listener = undefined;
});

async function start(clock: () => Date = () => T0) {
  const notifications: GrantNotification[] = [];
  const rejections: string[] = [];
  listener = await startListener({
    secret: SECRET,
    now: clock,
    onNotification: (n) => notifications.push(n),
    onRejection: (r) => rejections.push(r.code),
  });
  return { url: listener.url, notifications, rejections };
}

describe('startListener', () => {
  it('accepts a correctly signed, fresh notification and passes on account, grant and event', async () => {
    const { url, notifications } = await start();
    const signed = signWebhook(body, SECRET, T0);

    const res = await post(url, body, { ...signed.headers });

    expect(res.status).toBe(204);
    expect(notifications).toEqual([
      { account: ACCOUNT, grantId: GRANT_ID, event: 'granted', receivedAt: T0.toISOString() },
    ]);
  });

  it('refuses a bad signature', async () => {
    const { url, notifications, rejections } = await start();
    const signed = signWebhook(body, 'another-secret', T0);
    const res = await post(url, body, { ...signed.headers });
    expect(res.status).toBe(401);
    expect(rejections).toEqual([ListenerRejection.SignatureInvalid]);
    expect(notifications).toEqual([]);
  });

  it('refuses a body changed after signing', async () => {
    const { url, rejections } = await start();
    const signed = signWebhook(body, SECRET, T0);
    const res = await post(url, body.replace(ACCOUNT, '111111111111'), { ...signed.headers });
    expect(res.status).toBe(401);
    expect(rejections).toEqual([ListenerRejection.SignatureInvalid]);
  });

  it('refuses a delivery without signature headers', async () => {
    const { url, rejections } = await start();
    expect((await post(url, body)).status).toBe(401);
    expect(rejections).toEqual([ListenerRejection.SignatureMissing]);
  });

  it('refuses a replay older than 5 minutes', async () => {
    const signed = signWebhook(body, SECRET, T0);
    const { url, notifications, rejections } = await start(() => new Date(T0.getTime() + 301_000));
    const res = await post(url, body, { ...signed.headers });
    expect(res.status).toBe(401);
    expect(rejections).toEqual([ListenerRejection.Stale]);
    expect(notifications).toEqual([]);
  });

  it('accepts a delivery 4 minutes old but refuses the same delivery sent again', async () => {
    const signed = signWebhook(body, SECRET, T0);
    const { url, notifications, rejections } = await start(() => new Date(T0.getTime() + 240_000));
    expect((await post(url, body, { ...signed.headers })).status).toBe(204);
    expect((await post(url, body, { ...signed.headers })).status).toBe(409);
    expect(notifications).toHaveLength(1);
    expect(rejections).toEqual([ListenerRejection.Replayed]);
  });

  it('refuses a body over 64 KiB announced by its length, without reading it', async () => {
    const { url, rejections } = await start();
    const big = JSON.stringify({ account: ACCOUNT, pad: 'x'.repeat(70_000) });
    const signed = signWebhook(big, SECRET, T0);
    const res = await post(url, big, { ...signed.headers });
    expect([413, 'ECONNRESET', 'EPIPE']).toContain(res.status);
    expect(rejections).toEqual([ListenerRejection.TooLarge]);
  });

  it('refuses a body over 64 KiB sent in chunks without a length', async () => {
    const { url, rejections, notifications } = await start();
    const big = JSON.stringify({ account: ACCOUNT, pad: 'x'.repeat(70_000) });
    const signed = signWebhook(big, SECRET, T0);
    const res = await post(url, big, { ...signed.headers }, { chunked: true });
    expect([413, 'ECONNRESET', 'EPIPE']).toContain(res.status);
    expect(rejections).toEqual([ListenerRejection.TooLarge]);
    expect(notifications).toEqual([]);
  });

  it('accepts a body of exactly 64 KiB', async () => {
    const { url } = await start();
    const prefix = JSON.stringify({ account: ACCOUNT, pad: '' });
    const exact = JSON.stringify({ account: ACCOUNT, pad: 'x'.repeat(65_536 - prefix.length) });
    expect(Buffer.byteLength(exact)).toBe(65_536);
    const signed = signWebhook(exact, SECRET, T0);
    expect((await post(url, exact, { ...signed.headers })).status).toBe(204);
  });

  it('refuses methods other than POST', async () => {
    const { url } = await start();
    expect((await post(url, '', {}, { method: 'GET' })).status).toBe(405);
  });

  it('refuses a signed body that is not a grant notification, without echoing it', async () => {
    const { url } = await start();
    const odd = JSON.stringify({ hello: 'world-SECRETISH' });
    const signed = signWebhook(odd, SECRET, T0);
    const res = await post(url, odd, { ...signed.headers });
    expect(res.status).toBe(400);
    expect(res.body).not.toContain('SECRETISH');
  });

  it('cannot bind a port that is taken, and says so with its own code', async () => {
    const first = await start();
    const port = Number(new URL(first.url).port);
    await expect(startListener({ secret: SECRET, port, onNotification: () => {} })).rejects.toMatchObject({
      code: 'AGENT_LISTEN_FAILED',
    });
  });

  it('refuses to start without a secret', async () => {
    await expect(startListener({ secret: '', onNotification: () => {} })).rejects.toMatchObject({
      code: 'AGENT_CONFIG',
    });
  });
});

describe('parseGrantNotification', () => {
  it("accepts jit-grant's own event body, whose account is { id, name }", () => {
    const body = JSON.stringify({
      kind: 'jit-grant-event',
      version: 1,
      event: 'granted',
      grantId: GRANT_ID,
      account: { id: ACCOUNT, name: 'production' },
      secretName: `agent/elevated/${ACCOUNT}`,
      approver: 'arn:aws:iam::444444444444:user/jit-approver',
      at: T0.toISOString(),
    });
    expect(parseGrantNotification(body, T0)).toMatchObject({ account: ACCOUNT, grantId: GRANT_ID, event: 'granted' });
  });

  it('accepts the account under account, accountId or AccountId', () => {
    for (const key of ['account', 'accountId', 'AccountId']) {
      expect(parseGrantNotification(JSON.stringify({ [key]: ACCOUNT }), T0).account).toBe(ACCOUNT);
    }
  });

  it('never throws anything but an AgentError, and only returns 12-digit accounts', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        (text) => {
          try {
            const n = parseGrantNotification(text, T0);
            expect(n.account).toMatch(/^\d{12}$/);
          } catch (error) {
            expect(error).toBeInstanceOf(AgentError);
          }
        },
      ),
    );
  });
});
