import { secretName } from '@jit-access/core';
import { describe, expect, it } from 'vitest';
import { credentialProcess } from '../../src/credentialProcess.js';
import { AgentErrorCode } from '../../src/errors.js';
import { fromJitSecret } from '../../src/provider.js';
import { ACCOUNT, memoryHub, payload, placeholder, secretText, T0 } from '../support/grants.js';

const at = (minutes: number, seconds = 0) => new Date(T0.getTime() + minutes * 60_000 + seconds * 1000);

describe('credentialProcess', () => {
  it('prints Version 1 JSON whose Expiration is the window end when the window closes before STS expiry', async () => {
    // Security tier: 5-minute window inside 15-minute STS credentials.
    const p = payload({}, { minutes: 5 });
    const hub = memoryHub({ [secretName(ACCOUNT)]: secretText(p) });
    const out = await credentialProcess({
      account: ACCOUNT,
      readSecret: hub.readSecret,
      verifyCredentials: hub.verifyCredentials,
      now: at(1),
    });
    expect(out).toEqual({
      Version: 1,
      AccessKeyId: p.AccessKeyId,
      SecretAccessKey: p.SecretAccessKey,
      SessionToken: p.SessionToken,
      Expiration: p.EffectiveUntil,
    });
  });

  it("uses STS's Expiration when it comes first", async () => {
    const p = payload({ EffectiveUntil: at(20).toISOString() }, { minutes: 15 });
    const hub = memoryHub({ [secretName(ACCOUNT)]: secretText(p) });
    const out = await credentialProcess({
      account: ACCOUNT,
      readSecret: hub.readSecret,
      verifyCredentials: hub.verifyCredentials,
      now: at(1),
    });
    expect(out.Expiration).toBe(new Date(p.Expiration).toISOString());
  });

  it('refuses a revoked grant', async () => {
    const hub = memoryHub({ [secretName(ACCOUNT)]: placeholder({ revokedAt: T0 }) });
    await expect(
      credentialProcess({
        account: ACCOUNT,
        readSecret: hub.readSecret,
        verifyCredentials: hub.verifyCredentials,
        now: at(1),
      }),
    ).rejects.toMatchObject({ code: AgentErrorCode.Revoked });
  });
});

describe('fromJitSecret', () => {
  it('returns the credentials with the window end minus the skew margin as expiration', async () => {
    const p = payload({}, { minutes: 5 });
    const hub = memoryHub({ [secretName(ACCOUNT)]: secretText(p) });
    const provider = fromJitSecret({
      account: ACCOUNT,
      readSecret: hub.readSecret,
      verifyCredentials: hub.verifyCredentials,
      now: () => at(1),
    });

    const creds = await provider();

    expect(creds).toEqual({
      accessKeyId: p.AccessKeyId,
      secretAccessKey: p.SecretAccessKey,
      sessionToken: p.SessionToken,
      expiration: at(5, -30),
      accountId: ACCOUNT,
    });
  });

  it('serves repeated calls from memory within cacheSeconds, then reads the secret again', async () => {
    let clock = at(1);
    const hub = memoryHub({ [secretName(ACCOUNT)]: secretText(payload()) });
    const provider = fromJitSecret({
      account: ACCOUNT,
      readSecret: hub.readSecret,
      verifyCredentials: hub.verifyCredentials,
      now: () => clock,
      cacheSeconds: 60,
    });

    await provider();
    clock = at(1, 59);
    await provider();
    expect(hub.reads).toHaveLength(1);
    clock = at(2, 1);
    await provider();
    expect(hub.reads).toHaveLength(2);
  });

  it('shares one read between concurrent calls', async () => {
    const hub = memoryHub({ [secretName(ACCOUNT)]: secretText(payload()) });
    const provider = fromJitSecret({
      account: ACCOUNT,
      readSecret: hub.readSecret,
      verifyCredentials: hub.verifyCredentials,
      now: () => at(1),
    });
    await Promise.all([provider(), provider(), provider()]);
    expect(hub.reads).toHaveLength(1);
  });

  it("stops at the window's end: after it, the provider refuses instead of returning the old credentials", async () => {
    let clock = at(1);
    const hub = memoryHub({ [secretName(ACCOUNT)]: secretText(payload({}, { minutes: 5 })) });
    const provider = fromJitSecret({
      account: ACCOUNT,
      readSecret: hub.readSecret,
      verifyCredentials: hub.verifyCredentials,
      now: () => clock,
      cacheSeconds: 3600,
    });
    await provider();

    clock = at(5);

    await expect(provider()).rejects.toMatchObject({ code: AgentErrorCode.WindowClosed });
  });

  it('picks up a new grant written to the secret after the old one ended', async () => {
    let clock = at(1);
    const first = payload({}, { minutes: 5 });
    const hub = memoryHub({ [secretName(ACCOUNT)]: secretText(first) });
    const provider = fromJitSecret({
      account: ACCOUNT,
      readSecret: hub.readSecret,
      verifyCredentials: hub.verifyCredentials,
      now: () => clock,
    });
    await provider();

    const second = payload({ GrantId: '01JQ8000000000000000000000' }, { at: at(10), minutes: 15 });
    hub.secrets.set(secretName(ACCOUNT), secretText(second));
    clock = at(11);

    expect((await provider()).accessKeyId).toBe(second.AccessKeyId);
  });

  it('refuses after revocation once it reads the secret again', async () => {
    let clock = at(1);
    const hub = memoryHub({ [secretName(ACCOUNT)]: secretText(payload()) });
    const provider = fromJitSecret({
      account: ACCOUNT,
      readSecret: hub.readSecret,
      verifyCredentials: hub.verifyCredentials,
      now: () => clock,
      cacheSeconds: 30,
    });
    await provider();
    hub.secrets.set(secretName(ACCOUNT), placeholder({ revokedAt: at(2) }));
    clock = at(2, 1);
    await expect(provider()).rejects.toMatchObject({ code: AgentErrorCode.Revoked });
  });

  it('forceRefresh reads the secret even when the cache is fresh', async () => {
    const hub = memoryHub({ [secretName(ACCOUNT)]: secretText(payload()) });
    const provider = fromJitSecret({
      account: ACCOUNT,
      readSecret: hub.readSecret,
      verifyCredentials: hub.verifyCredentials,
      now: () => at(1),
    });
    await provider();
    await provider({ forceRefresh: true });
    expect(hub.reads).toHaveLength(2);
  });

  it('rejects an out-of-range cacheSeconds when created', () => {
    expect(() => fromJitSecret({ account: ACCOUNT, cacheSeconds: -1 })).toThrow(/0 to 3600/);
  });
});
