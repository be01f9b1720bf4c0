import { STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromRolesAnywhere, RolesAnywhereErrorCode } from '../../src/rolesAnywhere/index.js';
import {
  createPki,
  fetchTo,
  localHandler,
  NOW,
  type Pki,
  recordingAssumeRole,
  sessionOptions,
} from './rolesAnywhereFixtures.js';

let pki: Pki;
beforeAll(async () => {
  pki = await createPki();
});
afterAll(async () => {
  await pki.cleanup();
});

/** A clock the test moves by hand; the local service and the provider read the same one. */
function manualClock(start: Date) {
  let current = start;
  return {
    now: () => current,
    advance: (seconds: number) => {
      current = new Date(current.getTime() + seconds * 1000);
    },
  };
}

function setUp(durationSeconds = 900) {
  const clock = manualClock(NOW);
  const sts = recordingAssumeRole(clock.now);
  const fetch = fetchTo(localHandler(pki, { assumeRole: sts.assumeRole, now: clock.now }));
  const provider = fromRolesAnywhere({ ...sessionOptions(pki.ecLeaf, fetch, clock.now), durationSeconds });
  return { clock, sts, fetch, provider };
}

describe('fromRolesAnywhere', () => {
  it('reuses credentials while they are more than 5 minutes from expiry', async () => {
    const { clock, sts, provider } = setUp(900);

    const first = await provider();
    clock.advance(599);
    const second = await provider();

    expect(second).toBe(first);
    expect(sts.calls).toHaveLength(1);
  });

  it('fetches new credentials once fewer than 5 minutes remain', async () => {
    const { clock, sts, provider } = setUp(900);

    const first = await provider();
    clock.advance(600);
    const second = await provider();

    expect(sts.calls).toHaveLength(2);
    expect(second.accessKeyId).not.toBe(first.accessKeyId);
    expect(second.expiration).toEqual(new Date(NOW.getTime() + 1500_000));
  });

  it('shares one CreateSession between concurrent callers', async () => {
    const { sts, provider } = setUp();

    const results = await Promise.all([provider(), provider(), provider()]);

    expect(sts.calls).toHaveLength(1);
    expect(new Set(results.map((r) => r.accessKeyId)).size).toBe(1);
  });

  it('fetches again on forceRefresh', async () => {
    const { sts, provider } = setUp();

    await provider();
    await provider({ forceRefresh: true });

    expect(sts.calls).toHaveLength(2);
  });

  it('stops at the certificate expiry with the typed error instead of serving stale credentials', async () => {
    const { clock, provider } = setUp(3600);

    await provider();
    clock.advance(31 * 86_400); // past the leaf's notAfter (2030-07-01)
    const error = await provider().catch((e: unknown) => e);

    expect(error).toMatchObject({ code: RolesAnywhereErrorCode.CertificateExpired });
  });

  it('does not cache a failure', async () => {
    const clock = manualClock(NOW);
    const sts = recordingAssumeRole(clock.now);
    let fail = true;
    const handler = localHandler(pki, {
      now: clock.now,
      assumeRole: async (args) => {
        if (fail) throw new Error('STS is down');
        return sts.assumeRole(args);
      },
    });
    const provider = fromRolesAnywhere(sessionOptions(pki.ecLeaf, fetchTo(handler), clock.now));

    const firstError = await provider().catch((e: unknown) => e);
    fail = false;
    const credentials = await provider();

    expect(firstError).toMatchObject({ code: RolesAnywhereErrorCode.ServiceError, status: 500 });
    expect(credentials.accessKeyId).toBe('ASIAFAKE000000000001');
  });

  it('refuses a refresh margin above one hour', () => {
    const { fetch } = setUp();

    expect(() => fromRolesAnywhere({ ...sessionOptions(pki.ecLeaf, fetch), refreshBeforeExpirySeconds: 7200 })).toThrow(
      /refreshBeforeExpirySeconds 7200 is out of range; allowed: 0 to 3600/,
    );
  });

  it('plugs into an AWS SDK v3 client as its credentials', async () => {
    const { provider, sts } = setUp();
    const client = new STSClient({ region: 'eu-west-1', credentials: provider });

    const resolved = await client.config.credentials();

    expect(resolved.accessKeyId).toBe('ASIAFAKE000000000001');
    expect(resolved.expiration).toEqual(new Date(NOW.getTime() + 900_000));
    expect(sts.calls).toHaveLength(1);
    client.destroy();
  });
});
