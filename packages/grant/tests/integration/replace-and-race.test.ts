import { type JitConfig, parseSecretPayload } from '@jit-access/core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { EXIT_CODES, main } from '../../src/index.js';
import { type CapturedIo, captureIo, findCredentials } from '../support/io.js';
import {
  ACCOUNTS_DIR,
  assumeRoleCredentials,
  clearRevocationDenies,
  config,
  deleteRolePolicy,
  describeInstancesAs,
  provisionRevoker,
  readAsAgent,
  resetSecret,
  roleInlinePolicies,
  secretSnapshot,
} from '../support/local.js';
import { startProxy } from '../support/proxy.js';

// moto evaluates a Deny with a condition as an unconditional Deny (tools/local-aws README): here a
// revocation deny stops every session of the role, not only the grant it names. So these tests
// start from roles without denies, check which grant each deny names, and prove that the deny is
// what refuses a call by removing it and calling again. That a deny by source identity spares the
// other grants is checked by IAM simulation (tests/unit/policies.sim.test.ts).

const ctx = inject('localAws');
const STAGING = '111111111111';
const TIER_ROLES = ['AgentElevated-Ops', 'AgentElevated-Deploy', 'AgentElevated-Security'] as const;
let cfg: JitConfig;

function env(endpoint = ctx.endpoint): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: ctx.profiles.approver.accessKeyId,
    AWS_SECRET_ACCESS_KEY: ctx.profiles.approver.secretAccessKey,
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: ctx.region,
    NO_COLOR: '1',
  };
}

async function cli(args: string[], io: CapturedIo = captureIo({ env: env() })) {
  const code = await main([...args, '--config', ACCOUNTS_DIR], io);
  return { code, out: io.out(), err: io.err() };
}

/** The payload the agent reads now (fails the test when the secret holds no grant). */
async function agentPayload() {
  const state = parseSecretPayload(await readAsAgent(ctx, STAGING));
  if (state.kind !== 'active') throw new Error(`the secret holds ${state.kind}, not a grant`);
  return state.payload;
}

function credentialsOf(payload: Awaited<ReturnType<typeof agentPayload>>) {
  return {
    accessKeyId: payload.AccessKeyId,
    secretAccessKey: payload.SecretAccessKey,
    sessionToken: payload.SessionToken,
  };
}

/** The revocation denies on each tier role, as grant id -> statement conditions. */
async function denyTargets(): Promise<Record<string, string[]>> {
  const targets: Record<string, string[]> = {};
  for (const role of TIER_ROLES) {
    const policies = await roleInlinePolicies(ctx, STAGING, role);
    targets[role] = Object.entries(policies)
      .filter(([name]) => name.startsWith('JitRevoke-'))
      .map(([, doc]) => {
        const statements = (doc as { Statement: { Condition: Record<string, Record<string, string>> }[] }).Statement;
        return statements.map((s) => JSON.stringify(s.Condition)).join(' ');
      });
  }
  return targets;
}

function denyingOnly(grantId: string): Record<string, string[]> {
  const condition = `{"StringEquals":{"aws:SourceIdentity":"jit-${grantId}"}} {"StringLike":{"aws:userid":"*:jit-${grantId}"}}`;
  return Object.fromEntries(TIER_ROLES.map((r) => [r, [condition]]));
}

async function removeDeniesFor(grantId: string): Promise<void> {
  for (const role of TIER_ROLES) {
    for (const name of Object.keys(await roleInlinePolicies(ctx, STAGING, role))) {
      if (name.startsWith(`JitRevoke-${grantId}-`)) await deleteRolePolicy(ctx, STAGING, role, name);
    }
  }
}

const proxies: { stop(): Promise<void> }[] = [];

beforeAll(async () => {
  cfg = await config();
  await provisionRevoker(ctx, cfg);
  Object.assign(process.env, env());
});

beforeEach(async () => {
  await resetSecret(ctx, STAGING);
  await clearRevocationDenies(ctx, STAGING, TIER_ROLES);
});

afterEach(async () => {
  for (const p of proxies.splice(0)) await p.stop();
  Object.assign(process.env, env());
});

afterAll(async () => {
  await clearRevocationDenies(ctx, STAGING, TIER_ROLES);
});

describe('grant --replace', () => {
  it('denies the replaced grant on every tier role once the new grant is in place, and keeps the new one in the secret', async () => {
    const first = await cli(['grant', 'staging', '--tier', 'ops', '--reason', 'first', '--yes', '--json']);
    expect(first.code).toBe(EXIT_CODES.ok);
    const firstId = JSON.parse(first.out).grantId as string;
    const firstCredentials = credentialsOf(await agentPayload());
    expect(await describeInstancesAs(ctx, firstCredentials)).toEqual({ ok: true });

    const second = await cli([
      'grant',
      'staging',
      '--tier',
      'ops',
      '--reason',
      'second',
      '--replace',
      '--yes',
      '--json',
    ]);

    expect(second.err).not.toMatch(/error|warning/);
    expect(second.code).toBe(EXIT_CODES.ok);
    const result = JSON.parse(second.out);
    expect(result.replaced).toEqual({
      grantId: firstId,
      revoked: true,
      denies: TIER_ROLES.map((role) => ({
        roleArn: `arn:aws:iam::${STAGING}:role/${role}`,
        policyName: expect.stringMatching(new RegExp(`^JitRevoke-${firstId}-\\d{8}T\\d{6}Z$`)),
      })),
    });
    expect(await denyTargets()).toEqual(denyingOnly(firstId));
    expect((await agentPayload()).GrantId).toBe(result.grantId);
    expect(await describeInstancesAs(ctx, firstCredentials)).toEqual({ ok: false, error: 'AccessDenied' });
    await removeDeniesFor(firstId);
    expect(await describeInstancesAs(ctx, firstCredentials)).toEqual({ ok: true });
  });

  it('says in the summary and the result which grant it replaced and that it was revoked', async () => {
    const first = await cli(['grant', 'staging', '--tier', 'ops', '--reason', 'first', '--yes', '--json']);
    const firstId = JSON.parse(first.out).grantId as string;

    const second = await cli(['grant', 'staging', '--tier', 'ops', '--reason', 'second', '--replace', '--yes']);

    expect(second.code).toBe(EXIT_CODES.ok);
    expect(second.err).toMatch(
      new RegExp(`Replaces: +active grant ${firstId} \\(ops\\) until .*; its sessions will be denied`),
    );
    expect(second.out).toMatch(
      new RegExp(
        `Replaced: +grant ${firstId}, revoked: JitRevoke-${firstId}-\\d{8}T\\d{6}Z on arn:aws:iam::${STAGING}:role/AgentElevated-Ops, `,
      ),
    );
  });

  it('keeps the new grant and exits 11, naming the replaced grant that still works and how to revoke it, when the deny fails', async () => {
    const first = await cli(['grant', 'staging', '--tier', 'ops', '--reason', 'first', '--yes', '--json']);
    const firstId = JSON.parse(first.out).grantId as string;

    // The approver may assume JitRevoker only: naming another revoker role makes the deny fail.
    const second = await cli([
      'grant',
      'staging',
      '--tier',
      'ops',
      '--reason',
      'second',
      '--replace',
      '--revoker-role',
      'NotTheRevoker',
      '--yes',
      '--json',
    ]);

    expect(second.code).toBe(EXIT_CODES.revocationIncomplete);
    const result = JSON.parse(second.out);
    expect(result.replaced).toEqual({ grantId: firstId, revoked: false, denies: [] });
    expect(second.err).toContain(
      `warning: the new grant ${result.grantId} is in place, but the replaced grant ${firstId} is NOT revoked: its credentials stay usable until `,
    );
    expect(second.err).toContain('sts:AssumeRole arn:aws:iam::111111111111:role/NotTheRevoker failed: AccessDenied');
    expect(second.err).toContain(
      `run: jit-grant revoke staging --grant ${firstId} (it leaves the secret, which holds ${result.grantId}, in place)`,
    );
    expect((await agentPayload()).GrantId).toBe(result.grantId);
    expect(await denyTargets()).toEqual(Object.fromEntries(TIER_ROLES.map((r) => [r, []])));
  });
});

describe('revoke --grant <id> while the secret holds another grant', () => {
  it('denies the named grant only and leaves the secret, and the grant it holds, in place', async () => {
    const old = await cli(['grant', 'staging', '--tier', 'ops', '--reason', 'old', '--yes', '--json']);
    const oldId = JSON.parse(old.out).grantId as string;
    await resetSecret(ctx, STAGING);
    const current = await cli(['grant', 'staging', '--tier', 'deploy', '--reason', 'current', '--yes', '--json']);
    const currentId = JSON.parse(current.out).grantId as string;
    const before = await secretSnapshot(ctx, STAGING);

    const revoked = await cli(['revoke', 'staging', '--grant', oldId, '--json']);

    expect(revoked.err).toBe('');
    expect(revoked.code).toBe(EXIT_CODES.ok);
    expect(JSON.parse(revoked.out)).toMatchObject({ grantId: oldId, leftInPlace: currentId });
    expect(await secretSnapshot(ctx, STAGING)).toEqual(before);
    expect((await agentPayload()).GrantId).toBe(currentId);
    expect(await denyTargets()).toEqual(denyingOnly(oldId));
    const status = JSON.parse((await cli(['status', 'staging', '--json'])).out)[0];
    expect(status).toMatchObject({ state: 'active', grant: { grantId: currentId, tier: 'deploy' } });
  });

  it('says that the secret holds the other grant, left in place', async () => {
    const old = await cli(['grant', 'staging', '--tier', 'ops', '--reason', 'old', '--yes', '--json']);
    const oldId = JSON.parse(old.out).grantId as string;
    await resetSecret(ctx, STAGING);
    const current = await cli(['grant', 'staging', '--tier', 'ops', '--reason', 'current', '--yes', '--json']);
    const currentId = JSON.parse(current.out).grantId as string;

    const revoked = await cli(['revoke', 'staging', '--grant', oldId]);

    expect(revoked.code).toBe(EXIT_CODES.ok);
    expect(revoked.out).toMatch(new RegExp(`\n {2}Revoked: +grant ${oldId}\n`));
    expect(revoked.out).toMatch(
      new RegExp(`\n {2}Secret: +agent/elevated/${STAGING}: the secret holds grant ${currentId}, left in place\n`),
    );
  });

  it('puts the placeholder back, as before, when the secret holds the named grant', async () => {
    const granted = await cli(['grant', 'staging', '--tier', 'ops', '--reason', 'only', '--yes', '--json']);
    const grantId = JSON.parse(granted.out).grantId as string;

    const revoked = await cli(['revoke', 'staging', '--grant', grantId, '--json']);

    expect(revoked.code).toBe(EXIT_CODES.ok);
    expect(JSON.parse(revoked.out).leftInPlace).toBeUndefined();
    expect(parseSecretPayload(await readAsAgent(ctx, STAGING))).toMatchObject({
      kind: 'placeholder',
      placeholder: { status: 'inactive', grantId },
    });
    expect(await denyTargets()).toEqual(denyingOnly(grantId));
  });
});

/**
 * Runs two `jit-grant grant staging` at once, both past the "no active grant" check before either
 * writes: each one's confirmation waits until both have reached it. The loser's credentials exist
 * only in its process; the test sees them on the wire (AssumeRole answers, by session name).
 */
async function twoGrantsAtOnce(extra: readonly string[] = []) {
  let arrived = 0;
  let release: () => void = () => {};
  const bothChecked = new Promise<void>((resolve) => {
    release = resolve;
  });
  const confirmTogether = async () => {
    arrived += 1;
    if (arrived === 2) release();
    await bothChecked;
    return 'y';
  };
  const issued = new Map<string, string>();
  const proxy = await startProxy(ctx.endpoint, () => false, {
    keep: (seen) => seen.action === 'AssumeRole',
    answered: (seen, status, body) => {
      const session = new URLSearchParams(seen.body).get('RoleSessionName') ?? '';
      if (status === 200) issued.set(session, body);
    },
  });
  proxies.push(proxy);
  const ios = [1, 2].map(() => ({ ...captureIo({ env: env(proxy.endpoint) }), ask: confirmTogether }));
  const runs = await Promise.all(
    ios.map((io, i) => cli(['grant', 'staging', '--tier', 'ops', '--reason', `race ${i + 1}`, ...extra, '--json'], io)),
  );
  expect(arrived).toBe(2);
  return { runs, issued };
}

describe('two grants for one account at the same time', () => {
  it('puts exactly one in place; the other exits 9 and its just-issued credentials are denied', async () => {
    const { runs, issued } = await twoGrantsAtOnce();

    expect(runs.map((r) => r.code).sort((a, b) => a - b)).toEqual([EXIT_CODES.ok, EXIT_CODES.activeGrant]);
    const winner = runs.find((r) => r.code === EXIT_CODES.ok);
    const loser = runs.find((r) => r.code === EXIT_CODES.activeGrant);
    const winnerId = JSON.parse(winner?.out ?? '{}').grantId as string;
    const loserId = /Grant id: +([0-9A-Z]{26})/.exec(loser?.err ?? '')?.[1] ?? '';
    expect(loserId).not.toBe(winnerId);
    expect(loser?.err).toContain(
      `error: grant ${winnerId} was written to agent/elevated/${STAGING} after this grant checked it: grant ${loserId} was not written, and its just-issued session jit-${loserId} is denied (JitRevoke-${loserId}-`,
    );
    expect(JSON.parse(loser?.out ?? '{}')).toMatchObject({ error: { code: 'GRANT_ACTIVE_GRANT_EXISTS' }, exitCode: 9 });

    expect((await agentPayload()).GrantId).toBe(winnerId);
    const snapshot = await secretSnapshot(ctx, STAGING);
    expect(Object.values(snapshot.stages).flat()).not.toContain(`jit-grant-${loserId}`);
    const status = JSON.parse((await cli(['status', 'staging', '--json'])).out)[0];
    expect(status).toMatchObject({ state: 'active', grant: { grantId: winnerId } });
    expect(await denyTargets()).toEqual(denyingOnly(loserId));

    const loserCredentials = assumeRoleCredentials(issued.get(`jit-${loserId}`) ?? '');
    expect(loserCredentials).toBeDefined();
    if (!loserCredentials) return;
    expect(await describeInstancesAs(ctx, loserCredentials)).toEqual({ ok: false, error: 'AccessDenied' });
    await removeDeniesFor(loserId);
    expect(await describeInstancesAs(ctx, loserCredentials)).toEqual({ ok: true });
    for (const run of runs) {
      expect(
        findCredentials(run.out + run.err, [loserCredentials.secretAccessKey, loserCredentials.sessionToken ?? '']),
      ).toEqual([]);
    }
  });

  it('exits 11 and names the revoke to run when the losing grant cannot deny its own session', async () => {
    // The approver may assume JitRevoker only: another revoker role makes the loser's deny fail.
    const { runs } = await twoGrantsAtOnce(['--revoker-role', 'NotTheRevoker']);

    expect(runs.map((r) => r.code).sort((a, b) => a - b)).toEqual([EXIT_CODES.ok, EXIT_CODES.revocationIncomplete]);
    const winnerId = JSON.parse(runs.find((r) => r.code === EXIT_CODES.ok)?.out ?? '{}').grantId as string;
    const loser = runs.find((r) => r.code === EXIT_CODES.revocationIncomplete);
    const loserId = /Grant id: +([0-9A-Z]{26})/.exec(loser?.err ?? '')?.[1] ?? '';
    expect(loser?.err).toContain(
      `its session jit-${loserId} could NOT be denied, so its credentials (never shown or stored) stay valid until `,
    );
    expect(loser?.err).toContain('the deny failed: sts:AssumeRole arn:aws:iam::111111111111:role/NotTheRevoker failed');
    expect(loser?.err).toContain(
      `run: jit-grant revoke staging --grant ${loserId} (it leaves the secret, which holds grant ${winnerId}, in place)`,
    );

    const revoked = await cli(['revoke', 'staging', '--grant', loserId, '--json']);

    expect(revoked.code).toBe(EXIT_CODES.ok);
    expect(JSON.parse(revoked.out).leftInPlace).toBe(winnerId);
    expect((await agentPayload()).GrantId).toBe(winnerId);
    expect(await denyTargets()).toEqual(denyingOnly(loserId));
  });
});
