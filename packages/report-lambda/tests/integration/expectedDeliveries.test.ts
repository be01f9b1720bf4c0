import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { createS3IntegritySource } from '@jit-access/audit';
import { newGrantId } from '@jit-access/core';
import { type LocalAws, type LocalCredentials, startLocalAws } from '@jit-access/local-aws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sesMailer } from '../../src/email/send.js';
import { main } from '../../src/local.js';
import { type ReportDependencies, runReport } from '../../src/run.js';
import { parseSettings, REPORT_ENV } from '../../src/settings.js';
import { localClients } from '../helpers/localClients.js';
import { parseMail } from '../helpers/mime.js';
import { sentRawMessages } from '../helpers/motoServer.js';

/**
 * The expected-deliveries check through the local environment (tools/local-aws): the edge's CloudTrail
 * gives every account a trail and a signed digest on each delivery, also without log files, as CloudTrail
 * does every hour. Hours pass without waiting: the edge's flush delivers as of a given time
 * (`/_jit/cloudtrail/flush?at=`), and the report runs with a clock set to the same simulated time. The
 * tests run in order: the second stops one account's trail through the edge, as an insider in that
 * account could.
 */

const run = promisify(execFile);
const RECIPIENT = `auditors-silence-${Date.now().toString(36)}@example.com`;
const SENDER = 'jit-reports@example.com';
const SILENCED = '111111111111';
const WORKLOAD = '222222222222';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let env: LocalAws;
let logArchive: LocalCredentials;
let accounts: string[];
/** The first simulated delivery: a whole second, after anything the edge delivered on its own so far. */
let base: number;
const hours = (n: number) => new Date(base + n * HOUR);

const { client, assume, adminIn } = localClients(() => env, 'local-admin-silence-test');

/** The deployed function's settings (hourly digests, 15 minutes of delivery lag), with every account expected. */
function deps(now: Date, expected: readonly string[] = accounts): ReportDependencies {
  const s3 = client(S3Client, logArchive);
  return {
    settings: parseSettings({
      AWS_REGION: env.region,
      [REPORT_ENV.bucket]: env.accounts.logArchive.bucket,
      [REPORT_ENV.sender]: SENDER,
      [REPORT_ENV.recipients]: RECIPIENT,
      [REPORT_ENV.trailName]: env.config.trail.name,
      [REPORT_ENV.tierRoles]: env.config.tiers.map((t) => t.roleName).join(','),
      [REPORT_ENV.accountNames]: `${SILENCED}=staging,${WORKLOAD}=production`,
      [REPORT_ENV.expectedAccounts]: expected.join(','),
    }),
    s3,
    mailer: sesMailer(client(SESv2Client, logArchive)),
    integritySourceFor: (region) =>
      createS3IntegritySource({ region, s3Client: s3, endpoint: env.endpoint, credentials: logArchive }),
    includeContent: true,
    now: () => now,
    // The local trails exist from the first simulated delivery on; nothing is expected before it.
    expectDigestsFrom: hours(0),
  };
}

async function flushAt(at: Date): Promise<{ digests: { accountId: string }[] }> {
  const response = await fetch(`${env.endpoint}/_jit/cloudtrail/flush?at=${at.toISOString()}`, { method: 'POST' });
  expect(response.status).toBe(200);
  return (await response.json()) as { digests: { accountId: string }[] };
}

/** The AWS CLI v1 against the edge, as an account's administrator would run it. */
async function awsCli(credentials: LocalCredentials, args: string[]): Promise<{ code: number; stderr: string }> {
  const home = await mkdtemp(join(tmpdir(), 'report-silence-cli-'));
  try {
    await run('aws', [...args, '--endpoint-url', env.endpoint], {
      env: {
        PATH: process.env.PATH,
        HOME: home,
        AWS_CONFIG_FILE: join(home, 'none'),
        AWS_SHARED_CREDENTIALS_FILE: join(home, 'none'),
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        AWS_SESSION_TOKEN: credentials.sessionToken ?? '',
        AWS_DEFAULT_REGION: env.region,
      },
      timeout: 60_000,
    });
    return { code: 0, stderr: '' };
  } catch (error) {
    const failed = error as { code?: number; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : -1, stderr: failed.stderr ?? '' };
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

async function mails() {
  return (await sentRawMessages(env.motoEndpoint))
    .filter((m) => m.destinations.includes(RECIPIENT))
    .map((m) => parseMail(m.raw_data));
}

beforeAll(async () => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  env = await startLocalAws();
  logArchive = await adminIn(env.accounts.logArchive.id);
  accounts = [
    env.accounts.hub.id,
    env.accounts.logArchive.id,
    ...(env.accounts.management === undefined ? [] : [env.accounts.management.id]),
    ...env.accounts.workloads.map((w) => w.id),
  ];
  base = Math.ceil(Date.now() / 1000) * 1000 + MINUTE;
});

afterAll(async () => {
  await env?.stop();
});

describe('expected deliveries on the local environment', () => {
  it('says every account delivered, and the chain is valid, when every trail delivers its hourly digest', async () => {
    for (const n of [0, 1, 2, 3]) await flushAt(hours(n));

    const result = await runReport(
      { since: hours(1).toISOString(), until: hours(2).toISOString() },
      deps(new Date(hours(3).getTime() + 16 * MINUTE)),
    );

    expect(accounts).toEqual(expect.arrayContaining([SILENCED, WORKLOAD]));
    expect(result.integrity).toMatchObject({ status: 'valid', headline: 'digest chain: valid', problems: [] });
    expect(result.integrity.deliveries).toMatchObject({ status: 'delivering', accounts, silent: [] });
    expect(result.integrity.deliveries.summary).toMatch(
      new RegExp(`^all ${accounts.length} expected accounts \\(.*\\) delivered a valid digest at least every 60 min`),
    );
  });

  it('names the account whose trail was stopped, and since when, and every e-mail of the run says ATTENTION', async () => {
    // A grant in another account, so that the run has a session e-mail to carry the finding.
    const grantId = newGrantId();
    const session = await assume(env.profiles.approver, `arn:aws:iam::${WORKLOAD}:role/AgentElevated-Ops`, {
      RoleSessionName: `jit-${grantId}`,
      SourceIdentity: `jit-${grantId}`,
      DurationSeconds: 900,
      Tags: [
        { Key: 'jit:grant', Value: grantId },
        { Key: 'jit:tier', Value: 'ops' },
      ],
    });
    const grantedAt = Date.now();
    await client(STSClient, session).send(new GetCallerIdentityCommand({}));
    // An insider in the staging account stops its trail.
    const stopped = await awsCli(await adminIn(SILENCED), [
      'cloudtrail',
      'stop-logging',
      '--name',
      env.config.trail.name,
    ]);
    expect(stopped).toEqual({ code: 0, stderr: '' });
    for (const n of [4, 5, 6, 7]) await flushAt(hours(n));

    const result = await runReport(
      { since: new Date(grantedAt - 5 * MINUTE).toISOString(), until: hours(8).toISOString() },
      deps(new Date(hours(7).getTime() + 16 * MINUTE)),
    );

    expect(result.integrity.status).toBe('silent');
    expect(result.integrity.headline).toBe(`digest chain: SILENT account ${SILENCED}`);
    expect(result.integrity.deliveries.silent).toEqual([
      {
        accountId: SILENCED,
        region: env.region,
        from: hours(4).toISOString(),
        to: new Date(hours(7).getTime() + MINUTE).toISOString(),
        ongoing: true,
      },
    ]);
    expect(result.sessions.map((s) => [s.id, s.accountId, s.outcome])).toEqual([[grantId, WORKLOAD, 'sent']]);
    const sent = await mails();
    expect(sent.length).toBeGreaterThan(0);
    for (const mail of sent) {
      expect(mail.subject).toMatch(/^\[JIT Access\] ATTENTION · /);
      expect(mail.subject).toContain(`digest chain: SILENT account ${SILENCED}`);
      for (const part of [mail.text, mail.html]) {
        expect(part).toContain(`account ${SILENCED} (staging) in ${env.region} is silent: no digest file since`);
      }
    }
    expect(sent[0]?.subject).toBe(
      `[JIT Access] ATTENTION · ${WORKLOAD} (production) · tier ops · 1 call, 0 denied · digest chain: SILENT account ${SILENCED}`,
    );
  });

  it('npm run report:local expects a digest every minute from every account of accounts/', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'report-local-silence-'));
    await writeFile(
      join(stateDir, 'state.json'),
      JSON.stringify({
        status: 'ready',
        readyAt: new Date(base - MINUTE).toISOString(),
        endpoint: env.endpoint,
        region: env.region,
        motoEndpoint: env.motoEndpoint,
        configFile: env.configFile,
        credentialsFile: env.credentialsFile,
        accounts: env.accounts,
      }),
    );
    const out: string[] = [];
    const saved = { ...process.env };
    let code: number;
    try {
      code = await main(['--state-dir', stateDir, '--dry-run', '--json', '--out', join(stateDir, 'mail')], {
        out: { write: (text: string) => out.push(text) },
        err: { write: (text: string) => out.push(text) },
      });
    } finally {
      process.env = saved;
      await rm(stateDir, { recursive: true, force: true });
    }

    expect(code).toBe(0);
    const summary = JSON.parse(out.join('')) as {
      integrity: { deliveries: { accounts: string[]; periodMinutes: number; from: string } };
    };
    expect(summary.integrity.deliveries).toMatchObject({
      accounts: expect.arrayContaining(accounts),
      periodMinutes: 1,
      from: new Date(base - MINUTE).toISOString(),
    });
    expect(summary.integrity.deliveries.accounts).toHaveLength(accounts.length);
  });
});
