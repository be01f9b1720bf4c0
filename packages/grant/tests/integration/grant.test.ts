import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { type JitConfig, parseSecretPayload } from '@jit-access/core';
import { beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { EXIT_CODES, main } from '../../src/index.js';
import { captureIo, findCredentials } from '../support/io.js';
import {
  ACCOUNTS_DIR,
  config,
  provisionRevoker,
  readAsAgent,
  readPrevious,
  resetSecret,
  roleInlinePolicies,
  secretSnapshot,
} from '../support/local.js';

const ctx = inject('localAws');

/** Every readable text file under `dir` (gzip files inflated), concatenated. */
async function readTree(dir: string): Promise<string> {
  const { readdir, readFile } = await import('node:fs/promises');
  const { gunzipSync } = await import('node:zlib');
  const path = await import('node:path');
  let text = '';
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const bytes = await readFile(file);
    text += `${entry.name.endsWith('.gz') ? gunzipSync(bytes).toString('utf8') : bytes.toString('utf8')}\n`;
  }
  return text;
}
const PRODUCTION = '222222222222';
let cfg: JitConfig;

function env(): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: ctx.profiles.approver.accessKeyId,
    AWS_SECRET_ACCESS_KEY: ctx.profiles.approver.secretAccessKey,
    AWS_ENDPOINT_URL: ctx.endpoint,
    AWS_REGION: ctx.region,
    NO_COLOR: '1',
  };
}

async function cli(args: string[], options: Parameters<typeof captureIo>[0] = {}) {
  const io = captureIo({ env: env(), ...options });
  const code = await main([...args, '--config', ACCOUNTS_DIR], io);
  return { code, out: io.out(), err: io.err(), io };
}

beforeAll(async () => {
  cfg = await config();
  await provisionRevoker(ctx, cfg);
  // The CLI's default chain reads these; the local approver is an IAM user with static keys.
  Object.assign(process.env, env());
});

beforeEach(async () => {
  await resetSecret(ctx, PRODUCTION);
});

describe('grant through the local environment', () => {
  it('writes a v1 payload the agent can read, whose credentials act as the tier role in the target account', async () => {
    const { code, out, err } = await cli([
      'grant',
      'production',
      '--tier',
      'ops',
      '--minutes',
      '15',
      '--reason',
      'restart ECS service',
      '--yes',
      '--json',
    ]);
    expect(err).not.toMatch(/error/);
    expect(code).toBe(EXIT_CODES.ok);
    const result = JSON.parse(out);

    const state = parseSecretPayload(await readAsAgent(ctx, PRODUCTION));
    expect(state.kind).toBe('active');
    if (state.kind !== 'active') return;
    const payload = state.payload;
    expect(payload).toMatchObject({
      SchemaVersion: 1,
      GrantId: result.grantId,
      AccountId: PRODUCTION,
      RoleName: 'AgentElevated-Ops',
      Tier: 'ops',
      SessionName: `jit-${result.grantId}`,
      SourceIdentity: `jit-${result.grantId}`,
      GrantedFor: 'restart ECS service',
      Approver: ctx.accounts.hub.approver.arn,
    });
    expect(Date.parse(payload.EffectiveUntil) - Date.parse(payload.GrantedAt)).toBe(15 * 60_000);

    const sts = new STSClient({
      region: ctx.region,
      endpoint: ctx.endpoint,
      maxAttempts: 1,
      credentials: {
        accessKeyId: payload.AccessKeyId,
        secretAccessKey: payload.SecretAccessKey,
        sessionToken: payload.SessionToken,
      },
    });
    const me = await sts.send(new GetCallerIdentityCommand({}));
    sts.destroy();
    expect(me.Account).toBe(PRODUCTION);
    expect(me.Arn).toBe(`arn:aws:sts::${PRODUCTION}:assumed-role/AgentElevated-Ops/jit-${result.grantId}`);

    expect(findCredentials(out + err, [payload.SecretAccessKey, payload.SessionToken, payload.AccessKeyId])).toEqual(
      [],
    );
    // The local environment's own logs (moto's, the edge's CloudTrail files) must not hold them
    // either. (Its aws-credentials file holds its own fake IAM keys by design, hence no pattern scan.)
    const logs = await readTree(ctx.stateDir);
    expect([payload.SecretAccessKey, payload.SessionToken].filter((v) => logs.includes(v))).toEqual([]);
  });

  it('prints the result like the article script (role, expiry, account) and leaves no AWSPREVIOUS behind', async () => {
    const { code, out } = await cli(['grant', 'production', '--tier', 'ops', '--reason', 'check logs', '--yes']);
    expect(code).toBe(EXIT_CODES.ok);
    expect(out).toMatch(/^Elevated access granted\n/);
    expect(out).toMatch(/ {2}Role: +arn:aws:iam::222222222222:role\/AgentElevated-Ops\n/);
    expect(out).toMatch(/ {2}Account: +production \(222222222222\)\n/);
    expect(out).toMatch(/ {2}Expires: +\d{4}-\d\d-\d\dT[\d:.]+Z\n/);
    expect(out).toMatch(/ {2}Window: +15 min, until .* \(1[45] min left\)\n/);
    expect(await readPrevious(ctx, PRODUCTION)).toBeUndefined();
    const snapshot = await secretSnapshot(ctx, PRODUCTION);
    expect(Object.values(snapshot.stages).flat()).not.toContain('AWSPREVIOUS');
  });

  it('shows progress and colour on a terminal only, and keeps escape codes out of redirected stdout', async () => {
    const io = captureIo({ env: { ...env(), NO_COLOR: undefined }, tty: { stdout: false, stderr: true } });
    const code = await main(
      ['grant', 'production', '--tier', 'ops', '--reason', 'restart', '--yes', '--config', ACCOUNTS_DIR],
      io,
    );
    expect(code).toBe(0);
    expect(io.err()).toContain('\r\u001b[K… assuming arn:aws:iam::222222222222:role/AgentElevated-Ops');
    expect(io.out()).toMatch(/^Elevated access granted\n/);
    expect(io.out()).not.toContain('\u001b');
  });

  it("writes a payload the article's agent script can still use", async () => {
    const { spawnSync } = await import('node:child_process');
    const { mkdtemp } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const granted = await cli(['grant', 'production', '--tier', 'ops', '--reason', 'restart', '--yes', '--json']);
    const grantId = JSON.parse(granted.out).grantId as string;
    const home = await mkdtemp(path.join(tmpdir(), 'jit-grant-seed-'));
    const script = path.resolve(ACCOUNTS_DIR, '../../shared/seed/scripts/agent-use-elevated.sh');

    const run = spawnSync('bash', [script, PRODUCTION, 'aws', 'sts', 'get-caller-identity', '--output', 'json'], {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        HOME: home,
        AWS_CONFIG_FILE: path.join(home, 'none'),
        AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'none'),
        AWS_ACCESS_KEY_ID: ctx.profiles.agent.accessKeyId,
        AWS_SECRET_ACCESS_KEY: ctx.profiles.agent.secretAccessKey,
        AWS_ENDPOINT_URL: ctx.endpoint,
        REGION: ctx.region,
        AWS_DEFAULT_REGION: ctx.region,
      },
    });

    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/Credentials valid\. Role: AgentElevated-Ops\. 1[45] min remaining\./);
    expect(run.stdout).toContain(`assumed-role/AgentElevated-Ops/jit-${grantId}`);
  });

  it('shows the grant in status before and after, without reading the credentials', async () => {
    const before = await cli(['status', 'production', '--json']);
    expect(before.code).toBe(0);
    expect(JSON.parse(before.out)[0]).toMatchObject({ state: 'none', minutesLeft: 0 });

    const granted = await cli([
      'grant',
      'production',
      '--tier',
      'deploy',
      '--minutes',
      '45',
      '--reason',
      'ship v2',
      '--yes',
      '--json',
    ]);
    expect(granted.code).toBe(0);
    const after = await cli(['status', 'production', '--json']);
    const status = JSON.parse(after.out)[0];
    expect(status).toMatchObject({
      state: 'active',
      previousVersionReadable: false,
      grant: { tier: 'deploy', reason: 'ship v2', approver: ctx.accounts.hub.approver.arn },
    });
    expect(status.minutesLeft).toBeGreaterThanOrEqual(44);
    expect(status.minutesLeft).toBeLessThanOrEqual(45);
    const human = await cli(['status']);
    expect(human.out).toMatch(/production \(222222222222\): ACTIVE deploy, 4\d min left/);
    expect(human.out).toMatch(/staging \(111111111111\): /);
  });

  it('refuses a second grant while one is active, and replaces it with --replace', async () => {
    const first = await cli(['grant', 'production', '--tier', 'ops', '--reason', 'first', '--yes', '--json']);
    expect(first.code).toBe(0);
    const snapshot = await secretSnapshot(ctx, PRODUCTION);

    const second = await cli(['grant', 'production', '--tier', 'ops', '--reason', 'second', '--yes']);
    expect(second.code).toBe(EXIT_CODES.activeGrant);
    expect(second.err).toMatch(/has an active grant .* --replace/s);
    expect(await secretSnapshot(ctx, PRODUCTION)).toEqual(snapshot);

    const third = await cli([
      'grant',
      'production',
      '--tier',
      'ops',
      '--reason',
      'third',
      '--replace',
      '--yes',
      '--json',
    ]);
    expect(third.code).toBe(0);
    expect(JSON.parse(third.out).replaced).toMatchObject({ grantId: JSON.parse(first.out).grantId, revoked: true });
  });

  it('revokes: placeholder back, AWSPREVIOUS gone, deny by source identity on the tier roles, status revoked', async () => {
    const granted = await cli(['grant', 'production', '--tier', 'ops', '--reason', 'restart', '--yes', '--json']);
    expect(granted.code).toBe(0);
    const grantId = JSON.parse(granted.out).grantId as string;

    const revoked = await cli(['revoke', 'production', '--reason', 'done early', '--json']);
    expect(revoked.err).toBe('');
    expect(revoked.code).toBe(0);

    const state = parseSecretPayload(await readAsAgent(ctx, PRODUCTION));
    expect(state).toMatchObject({
      kind: 'placeholder',
      placeholder: { status: 'inactive', grantId, reason: 'done early' },
    });
    expect(await readPrevious(ctx, PRODUCTION)).toBeUndefined();
    for (const role of ['AgentElevated-Ops', 'AgentElevated-Deploy', 'AgentElevated-Security']) {
      const policies = await roleInlinePolicies(ctx, PRODUCTION, role);
      const name = Object.keys(policies).find((n) => n.startsWith(`JitRevoke-${grantId}-`)) ?? '';
      expect(name).toMatch(/^JitRevoke-[0-9A-Z]{26}-\d{8}T\d{6}Z$/);
      expect(policies[name]).toMatchObject({
        Statement: expect.arrayContaining([
          expect.objectContaining({
            Effect: 'Deny',
            Condition: { StringEquals: { 'aws:SourceIdentity': `jit-${grantId}` } },
          }),
        ]),
      });
    }
    const status = JSON.parse((await cli(['status', 'production', '--json'])).out)[0];
    expect(status).toMatchObject({ state: 'revoked', grant: { grantId } });
  });

  it('revokes every session issued before now with --all-sessions (aws:TokenIssueTime)', async () => {
    const revoked = await cli(['revoke', 'production', '--all-sessions', '--json']);
    expect(revoked.code).toBe(0);
    const result = JSON.parse(revoked.out);
    const name = result.denies[0].policyName as string;
    expect(name).toMatch(/^JitRevokeAll-\d{8}T\d{6}Z$/);
    const policies = await roleInlinePolicies(ctx, PRODUCTION, 'AgentElevated-Ops');
    expect(policies[name]).toMatchObject({
      Statement: [{ Effect: 'Deny', Condition: { DateLessThan: { 'aws:TokenIssueTime': result.revokedAt } } }],
    });
  });

  it('lists revocation denies and keeps the ones whose targets may still be live', async () => {
    await cli(['revoke', 'production', '--all-sessions']);
    const listed = await cli(['revoke', 'production', '--list', '--json']);
    expect(listed.code).toBe(0);
    const listing = JSON.parse(listed.out);
    expect(listing.denies.length).toBeGreaterThan(0);
    expect(listing.denies.every((d: { clearable: boolean }) => d.clearable === false)).toBe(true);
    const cleared = await cli(['revoke', 'production', '--clear', '--json']);
    expect(JSON.parse(cleared.out).cleared).toEqual([]);
  });

  it('clears revocation denies once every credential they target has expired', async () => {
    await cli(['revoke', 'production', '--all-sessions']);
    // Two hours on: the tier roles' sessions last at most one hour (MaxSessionDuration 3600).
    const later = () => new Date(Date.now() + 2 * 3600_000);
    const cleared = await cli(['revoke', 'production', '--clear', '--json'], { now: later });
    expect(cleared.code).toBe(0);
    expect(JSON.parse(cleared.out).cleared.length).toBeGreaterThan(0);
    const policies = await roleInlinePolicies(ctx, PRODUCTION, 'AgentElevated-Ops');
    expect(Object.keys(policies).filter((n) => n.startsWith('JitRevoke'))).toEqual([]);
  });
});
