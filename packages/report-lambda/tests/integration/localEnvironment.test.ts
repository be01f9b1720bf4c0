import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CreateUserCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import {
  type BucketLocationConstraint,
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { createS3IntegritySource } from '@jit-access/audit';
import { newGrantId, revokeGrantPolicy, revokeGrantPolicyName } from '@jit-access/core';
import { type LocalAws, type LocalCredentials, startLocalAws } from '@jit-access/local-aws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sesMailer } from '../../src/email/send.js';
import { main } from '../../src/local.js';
import { type ReportDependencies, type RunResult, runReport } from '../../src/run.js';
import { parseSettings, REPORT_ENV } from '../../src/settings.js';
import { pngSize, screenshot, visibleTexts } from '../helpers/chromium.js';
import { localClients } from '../helpers/localClients.js';
import { parseMail } from '../helpers/mime.js';
import { sentRawMessages } from '../helpers/motoServer.js';

/**
 * The whole path through the local AWS environment (tools/local-aws): an approver's grant-like AssumeRole
 * with a jit- source identity and session tags, calls with the session (one denied by IAM), a revocation,
 * the edge's CloudTrail delivering log files and signed digests to the Object Lock bucket, and the report
 * function reading them, checking the chain against the edge's ListPublicKeys and e-mailing through moto's
 * SES. The tests of this file run in order: each builds on the bucket the previous one left.
 *
 * One gap of the local environment is bridged here, test-only, until tools/local-aws carries the fix:
 * moto's SigV4 check decodes `%2F` in query strings, so S3 listings with a prefix fail; the sitecustomize
 * in ../helpers/moto-sigv4 makes moto build the canonical query the way SigV4 defines it.
 */

const ARTIFACTS = join(import.meta.dirname, '../../../../test-artifacts/report-lambda');
const RECIPIENT = `auditors-${Date.now().toString(36)}@example.com`;
const SENDER = 'jit-reports@example.com';
const WORKLOAD = '111111111111';
const MINUTE = 60_000;

let env: LocalAws;
let logArchive: LocalCredentials;
let firstMail: { subject: string; text: string; html: string } | undefined;
const previousPythonPath = process.env.PYTHONPATH;

const { client, assume, adminIn } = localClients(() => env, 'local-admin-report-test');

function deps(): ReportDependencies {
  const s3 = client(S3Client, logArchive);
  return {
    settings: parseSettings({
      AWS_REGION: env.region,
      [REPORT_ENV.bucket]: env.accounts.logArchive.bucket,
      [REPORT_ENV.sender]: SENDER,
      [REPORT_ENV.recipients]: RECIPIENT,
      [REPORT_ENV.trailName]: env.config.trail.name,
      [REPORT_ENV.tierRoles]: env.config.tiers.map((t) => t.roleName).join(','),
    }),
    s3,
    mailer: sesMailer(client(SESv2Client, logArchive)),
    integritySourceFor: (region) =>
      createS3IntegritySource({ region, s3Client: s3, endpoint: env.endpoint, credentials: logArchive }),
    includeContent: true,
  };
}

async function flush(): Promise<{ logFiles: { key: string; records: number }[] }> {
  const response = await fetch(`${env.endpoint}/_jit/cloudtrail/flush`, { method: 'POST' });
  expect(response.status).toBe(200);
  return (await response.json()) as { logFiles: { key: string; records: number }[] };
}

async function mails() {
  return (await sentRawMessages(env.motoEndpoint))
    .filter((m) => m.destinations.includes(RECIPIENT))
    .map((m) => parseMail(m.raw_data));
}

/** What jit-grant does in the workload account: AssumeRole with the grant's names and tags. */
async function grant(tier = 'ops', roleName = 'AgentElevated-Ops') {
  const grantId = newGrantId();
  const until = new Date(Date.now() + 15 * MINUTE).toISOString();
  const credentials = await assume(env.profiles.approver, `arn:aws:iam::${WORKLOAD}:role/${roleName}`, {
    RoleSessionName: `jit-${grantId}`,
    SourceIdentity: `jit-${grantId}`,
    DurationSeconds: 900,
    Tags: [
      { Key: 'jit:grant', Value: grantId },
      { Key: 'jit:tier', Value: tier },
      { Key: 'jit:approver', Value: 'alice@example.com' },
      { Key: 'jit:reason', Value: 'restart the api service' },
      { Key: 'jit:until', Value: until },
    ],
  });
  return { grantId, credentials, at: new Date() };
}

function onDemand(start: Date) {
  // Ends after the credentials expire (15 minutes), so the session counts as finished.
  return {
    since: new Date(start.getTime() - 5 * MINUTE).toISOString(),
    until: new Date(start.getTime() + 20 * MINUTE).toISOString(),
  };
}

let session: Awaited<ReturnType<typeof grant>>;
let first: RunResult;
let deliveredKey: string;

beforeAll(async () => {
  process.env.PYTHONPATH = [join(import.meta.dirname, '../helpers/moto-sigv4'), previousPythonPath]
    .filter(Boolean)
    .join(':');
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  env = await startLocalAws();
  logArchive = await adminIn(env.accounts.logArchive.id);
  const workloadAdmin = await adminIn(WORKLOAD);
  const s3 = client(S3Client, workloadAdmin);
  await s3.send(
    new CreateBucketCommand({
      Bucket: 'workload-a-artifacts',
      CreateBucketConfiguration: { LocationConstraint: env.region as BucketLocationConstraint },
    }),
  );
  s3.destroy();
});

afterAll(async () => {
  await env?.stop();
  if (previousPythonPath === undefined) delete process.env.PYTHONPATH;
  else process.env.PYTHONPATH = previousPythonPath;
});

describe('the report function on the local environment', () => {
  it('e-mails exactly one report for a grant with its calls, the denied call and "digest chain: valid"', async () => {
    session = await grant();
    const s3 = client(S3Client, session.credentials);
    await s3.send(new ListObjectsV2Command({ Bucket: 'workload-a-artifacts' }));
    await s3.send(new PutObjectCommand({ Bucket: 'workload-a-artifacts', Key: 'deploy/marker.txt', Body: 'ok' }));
    const iam = client(IAMClient, session.credentials);
    await expect(iam.send(new CreateUserCommand({ UserName: 'backdoor' }))).rejects.toMatchObject({
      name: 'AccessDenied',
    });
    // Revoke: the approver's deny on the grant's source identity (recorded as the approver's call, not the session's).
    const approverIam = client(IAMClient, await adminIn(WORKLOAD));
    await approverIam.send(
      new PutRolePolicyCommand({
        RoleName: 'AgentElevated-Ops',
        PolicyName: revokeGrantPolicyName(session.grantId, new Date()),
        PolicyDocument: JSON.stringify(revokeGrantPolicy(`jit-${session.grantId}`)),
      }),
    );
    const delivered = await flush();
    deliveredKey = delivered.logFiles.find((f) => f.key.includes(`/${WORKLOAD}/CloudTrail/`))?.key ?? '';
    expect(deliveredKey).not.toBe('');

    first = await runReport(onDemand(session.at), deps());

    expect(first.ok).toBe(true);
    expect(first.integrity).toMatchObject({ status: 'valid', headline: 'digest chain: valid' });
    expect(first.sessions.map((s) => [s.id, s.outcome, s.calls, s.denied])).toEqual([[session.grantId, 'sent', 3, 1]]);
    const sent = await mails();
    expect(sent).toHaveLength(1);
    firstMail = sent[0];
    expect(firstMail?.subject).toBe(
      `[JIT Access] OK · ${WORKLOAD} · tier ops · 3 calls, 1 denied · digest chain: valid`,
    );
    for (const part of [firstMail?.text ?? '', firstMail?.html ?? '']) {
      expect(part).toContain('Digest chain: valid');
      expect(part).toContain('s3:ListObjects');
      expect(part).toContain('s3:PutObject');
      expect(part).toContain('iam:CreateUser');
      expect(part).toContain('AccessDenied');
      expect(part).toContain('restart the api service');
      expect(part).not.toContain(session.credentials.secretAccessKey);
      expect(part).not.toContain(session.credentials.sessionToken ?? 'no token');
      expect(part).not.toContain(session.credentials.accessKeyId);
    }
    await mkdir(ARTIFACTS, { recursive: true });
    await writeFile(join(ARTIFACTS, 'session-report.html'), firstMail?.html ?? '');
  });

  it('sends nothing on a second run', async () => {
    const again = await runReport(onDemand(session.at), deps());
    expect(again.sessions.map((s) => s.outcome)).toEqual(['already-sent']);
    expect(again.emails).toEqual([]);
    expect(await mails()).toHaveLength(1);
  });

  it('shows the session calls in a browser (headless Chromium), and keeps a screenshot', async () => {
    const html = await readFile(join(ARTIFACTS, 'session-report.html'), 'utf8');
    const probe = await visibleTexts(html, [
      's3:PutObject',
      's3:ListObjects',
      'iam:CreateUser',
      'AccessDenied',
      'Digest chain: valid',
    ]);
    expect(probe.shown).toEqual({
      's3:PutObject': true,
      's3:ListObjects': true,
      'iam:CreateUser': true,
      AccessDenied: true,
      'Digest chain: valid': true,
    });
    expect(probe.scrollWidth).toBeLessThanOrEqual(1280);
    const png = join(ARTIFACTS, 'session-report.png');
    await screenshot(join(ARTIFACTS, 'session-report.html'), png);
    expect(pngSize(await readFile(png))).toEqual({ width: 1280, height: 1600 });
  });

  it('says the chain is broken in the next report after a log file is altered in the bucket', async () => {
    // A new version of the delivered file without the denied call; Object Lock keeps the original version.
    const s3 = client(S3Client, logArchive);
    const bucket = env.accounts.logArchive.bucket;
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: deliveredKey }));
    const { gunzipSync } = await import('node:zlib');
    const original = JSON.parse(
      gunzipSync(
        Buffer.from(await (object.Body?.transformToByteArray() ?? Promise.resolve(new Uint8Array()))),
      ).toString('utf8'),
    ) as { Records: { eventName: string }[] };
    const forged = gzipSync(JSON.stringify({ Records: original.Records.filter((r) => r.eventName !== 'CreateUser') }));
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: deliveredKey,
        Body: forged,
        ContentMD5: createHash('md5').update(forged).digest('base64'),
      }),
    );

    const next = await grant();
    // moto ignores the condition of the first grant's revocation, so it denies this session too (BRIEF §6).
    await client(S3Client, next.credentials)
      .send(new ListObjectsV2Command({ Bucket: 'workload-a-artifacts' }))
      .catch(() => undefined);
    await flush();

    const result = await runReport({ since: onDemand(session.at).since, until: onDemand(next.at).until }, deps());

    expect(result.integrity.status).toBe('broken');
    expect(result.sessions.map((s) => [s.id, s.outcome])).toEqual([
      [session.grantId, 'already-sent'],
      [next.grantId, 'sent'],
    ]);
    const sent = await mails();
    expect(sent).toHaveLength(2);
    const latest = sent[1];
    expect(latest?.subject).toMatch(
      new RegExp(`^\\[JIT Access\\] INTEGRITY BROKEN · ${WORKLOAD} · tier ops · .* · digest chain: BROKEN$`),
    );
    expect(latest?.text).toContain('Digest chain: BROKEN');
    expect(latest?.text).toContain(`s3://${bucket}/${deliveredKey}  INVALID: hash value doesn't match`);
  });

  it('runs in-process with npm run report:local and writes the e-mail as .html, .txt and .eml', async () => {
    const next = await grant();
    await client(S3Client, next.credentials)
      .send(new ListObjectsV2Command({ Bucket: 'workload-a-artifacts' }))
      .catch(() => undefined);
    await flush();
    // What `npm run local -- up` leaves for other tools: the state file of a ready environment.
    const stateDir = await mkdtemp(join(tmpdir(), 'report-local-state-'));
    await writeFile(
      join(stateDir, 'state.json'),
      JSON.stringify({
        status: 'ready',
        endpoint: env.endpoint,
        region: env.region,
        motoEndpoint: env.motoEndpoint,
        configFile: env.configFile,
        credentialsFile: env.credentialsFile,
        accounts: env.accounts,
      }),
    );
    const out = join(ARTIFACTS, 'report-local');
    await rm(out, { recursive: true, force: true });
    const lines: string[] = [];
    const saved = { ...process.env };
    let code: number;
    try {
      code = await main(
        [
          '--state-dir',
          stateDir,
          '--since',
          onDemand(next.at).since,
          '--until',
          onDemand(next.at).until,
          '--recipients',
          RECIPIENT,
          '--out',
          out,
        ],
        {
          out: { write: (text: string) => lines.push(text) },
          err: { write: (text: string) => lines.push(text) },
        },
      );
    } finally {
      process.env = saved;
      await rm(stateDir, { recursive: true, force: true });
    }

    expect(lines.join('')).toContain(`${next.grantId}  ${WORKLOAD}  ops`);
    expect(code).toBe(0);
    const html = (await readdir(out)).filter((f) => f.endsWith('.html'));
    expect(html).toHaveLength(1);
    const stem = join(out, (html[0] as string).replace(/\.html$/, ''));
    expect(await readFile(`${stem}.html`, 'utf8')).toContain(`grant ${next.grantId}`);
    expect(await readFile(`${stem}.txt`, 'utf8')).toContain('Digest chain:');
    expect(parseMail(await readFile(`${stem}.eml`, 'utf8')).html).toBe(await readFile(`${stem}.html`, 'utf8'));
    expect(await mails()).toHaveLength(3);
  });
});
