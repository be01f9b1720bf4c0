import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { secretName, signWebhook } from '@jit-access/core';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentErrorCode } from '../../src/errors.js';
import { type WaitEvent, waitForGrant } from '../../src/wait.js';
import { ACCOUNT, memoryHub, OTHER_ACCOUNT, payload, placeholder, secretText, T0 } from '../support/grants.js';
import { post } from '../support/http.js';

const SECRET = 'wait-shared-secret-0123456789';
const now = () => new Date(T0.getTime() + 60_000);

let blocker: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
  blocker = undefined;
});

function notify(url: string, account: string) {
  const body = JSON.stringify({ event: 'granted', account });
  return post(url, body, { ...signWebhook(body, SECRET, now()).headers });
}

/** Resolves with the listener URL once the wait reports it is listening. */
function listeningUrl(events: WaitEvent[]): Promise<string> {
  return new Promise((resolve) => {
    const check = setInterval(() => {
      const e = events.find((x) => x.type === 'listening');
      if (e?.type === 'listening') {
        clearInterval(check);
        resolve(e.url);
      }
    }, 5);
  });
}

describe('waitForGrant', () => {
  it('returns at once when a grant is already active', async () => {
    const hub = memoryHub({ [secretName(ACCOUNT)]: secretText(payload()) });
    const result = await waitForGrant({ account: ACCOUNT, readSecret: hub.readSecret, timeoutMs: 1000, now });
    expect(result.via).toBe('already-active');
    expect(hub.reads).toHaveLength(1);
  });

  it('reads the secret again only when a verified notification for the account arrives', async () => {
    const hub = memoryHub({ [secretName(ACCOUNT)]: placeholder() });
    const events: WaitEvent[] = [];
    const waiting = waitForGrant({
      account: ACCOUNT,
      readSecret: hub.readSecret,
      timeoutMs: 10_000,
      now,
      listener: { secret: SECRET, port: 0, now },
      onEvent: (e) => events.push(e),
    });
    const url = await listeningUrl(events);

    // A notification for another account does not cause a read.
    await notify(url, OTHER_ACCOUNT);
    // A forged one is refused.
    const forged = JSON.stringify({ account: ACCOUNT });
    await post(url, forged, { ...signWebhook(forged, 'wrong', now()).headers });
    expect(hub.reads).toHaveLength(1);

    hub.secrets.set(secretName(ACCOUNT), secretText(payload()));
    await notify(url, ACCOUNT);

    const result = await waiting;
    expect(result.via).toBe('notification');
    expect(result.state.status).toBe('active');
    expect(hub.reads).toHaveLength(2);
    expect(events.some((e) => e.type === 'rejected')).toBe(true);
    expect(events.some((e) => e.type === 'fallback')).toBe(false);
  });

  it('keeps waiting when a notification arrives but the secret still holds no grant', async () => {
    const hub = memoryHub({ [secretName(ACCOUNT)]: placeholder() });
    const events: WaitEvent[] = [];
    const waiting = waitForGrant({
      account: ACCOUNT,
      readSecret: hub.readSecret,
      timeoutMs: 10_000,
      now,
      listener: { secret: SECRET, port: 0, now },
      onEvent: (e) => events.push(e),
    });
    const url = await listeningUrl(events);
    await notify(url, ACCOUNT);
    hub.secrets.set(secretName(ACCOUNT), secretText(payload()));
    // A second, distinct notification (a new timestamp) wakes it again.
    const body = JSON.stringify({ event: 'granted', account: ACCOUNT, grantId: '01JQ8000000000000000000000' });
    await post(url, body, { ...signWebhook(body, SECRET, now()).headers });
    expect((await waiting).via).toBe('notification');
    expect(hub.reads).toHaveLength(3);
  });

  it('falls back to a slow re-check of the secret only when the port cannot be bound', async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker?.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    const hub = memoryHub({ [secretName(ACCOUNT)]: placeholder() });
    const sleeps: number[] = [];
    const events: WaitEvent[] = [];

    const result = await waitForGrant({
      account: ACCOUNT,
      readSecret: hub.readSecret,
      timeoutMs: 3_600_000,
      now,
      listener: { secret: SECRET, port },
      pollIntervalMs: 60_000,
      onEvent: (e) => events.push(e),
      sleep: async (ms) => {
        sleeps.push(ms);
        if (sleeps.length === 2) hub.secrets.set(secretName(ACCOUNT), secretText(payload()));
      },
    });

    expect(result.via).toBe('poll');
    expect(sleeps).toEqual([60_000, 60_000]);
    expect(events.find((e) => e.type === 'fallback')).toMatchObject({ reason: expect.stringContaining('EADDRINUSE') });
  });

  it('polls when no listener secret is configured', async () => {
    const hub = memoryHub({ [secretName(ACCOUNT)]: placeholder() });
    const result = await waitForGrant({
      account: ACCOUNT,
      readSecret: hub.readSecret,
      timeoutMs: 3_600_000,
      now,
      sleep: async () => {
        hub.secrets.set(secretName(ACCOUNT), secretText(payload()));
      },
    });
    expect(result.via).toBe('poll');
  });

  it('gives up at the timeout with its own code', async () => {
    let clock = now();
    const hub = memoryHub({ [secretName(ACCOUNT)]: placeholder() });
    const promise = waitForGrant({
      account: ACCOUNT,
      readSecret: hub.readSecret,
      timeoutMs: 120_000,
      now: () => clock,
      pollIntervalMs: 60_000,
      sleep: async (ms) => {
        clock = new Date(clock.getTime() + ms);
      },
    });
    await expect(promise).rejects.toMatchObject({ code: AgentErrorCode.WaitTimeout });
    expect(hub.reads).toHaveLength(3);
  });

  it('gives up at the timeout while listening', async () => {
    const hub = memoryHub({ [secretName(ACCOUNT)]: placeholder() });
    await expect(
      waitForGrant({
        account: ACCOUNT,
        readSecret: hub.readSecret,
        timeoutMs: 50,
        listener: { secret: SECRET, port: 0 },
      }),
    ).rejects.toMatchObject({ code: AgentErrorCode.WaitTimeout });
  });
});
