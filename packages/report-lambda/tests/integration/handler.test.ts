import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { CreateEmailIdentityCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import {
  createDigestKeyPair,
  createS3IntegritySource,
  type DigestKeyPair,
  type IntegritySource,
} from '@jit-access/audit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sesMailer } from '../../src/email/send.js';
import { ReportLambdaError } from '../../src/errors.js';
import { handler } from '../../src/lambda.js';
import { DeliveryLedger } from '../../src/ledger.js';
import { type ReportDependencies, type RunResult, runReport } from '../../src/run.js';
import { parseSettings, REPORT_ENV } from '../../src/settings.js';
import { parseMail } from '../helpers/mime.js';
import { type OwnMoto, sentRawMessages, startOwnMoto } from '../helpers/motoServer.js';
import { callRecord, grantRecord, SECRET_ACCESS_KEY, SESSION_TOKEN, serviceRoleRecord } from '../helpers/records.js';
import { s3Writer, TrailBuilder } from '../helpers/trail.js';

/**
 * The report function against S3 and SES in a moto_server of this file's own (no IAM enforcement; each
 * test writes its trail into a bucket of its own with the audit library's writer). moto has no CloudTrail
 * `ListPublicKeys`, so the test's digest signing key stands in for CloudTrail's published key; everything
 * else — listing, streaming, conditional writes, Object Lock versions, SES identities — is moto's.
 */

const REGION = 'ap-southeast-2';
const SENDER = 'jit-reports@example.com';
const A = '111111111111';
const B = '222222222222';
const T0 = new Date('2026-03-02T10:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
const WINDOW = { since: '2026-03-02T09:30:00Z', until: '2026-03-02T11:00:00Z' };

let moto: OwnMoto;
let s3: S3Client;
let ses: SESv2Client;
let keyPair: DigestKeyPair;

beforeAll(async () => {
  moto = await startOwnMoto();
  const common = {
    region: REGION,
    endpoint: moto.endpoint,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
  s3 = new S3Client({ ...common, forcePathStyle: true });
  ses = new SESv2Client(common);
  await ses.send(new CreateEmailIdentityCommand({ EmailIdentity: SENDER }));
  keyPair = createDigestKeyPair();
});

afterAll(async () => {
  s3?.destroy();
  ses?.destroy();
  await moto?.stop();
});

/** A log-archive bucket like the real one: versioned, Object Lock on. */
async function bucket(): Promise<string> {
  const name = `log-archive-${randomBytes(5).toString('hex')}`;
  await s3.send(
    new CreateBucketCommand({
      Bucket: name,
      ObjectLockEnabledForBucket: true,
      CreateBucketConfiguration: { LocationConstraint: REGION },
    }),
  );
  return name;
}

function trail(name: string, accountId = A, organizationId?: string): TrailBuilder {
  return new TrailBuilder({
    bucket: name,
    accountId,
    region: REGION,
    keyPair,
    writer: s3Writer(s3, name),
    ...(organizationId === undefined ? {} : { organizationId }),
  });
}

/** The S3 integrity source with the test's key published as CloudTrail would publish its own. */
function integritySource(region: string): IntegritySource {
  const source = createS3IntegritySource({ region, s3Client: s3, endpoint: moto.endpoint });
  return {
    ...source,
    listPublicKeys: async () => [
      {
        fingerprint: keyPair.fingerprint,
        value: keyPair.publicKeyDer,
        validityStartTime: new Date('2020-01-01T00:00:00Z'),
        validityEndTime: undefined,
      },
    ],
  };
}

function deps(name: string, env: Record<string, string> = {}, now = at(120)): ReportDependencies {
  return {
    settings: parseSettings({
      AWS_REGION: REGION,
      [REPORT_ENV.bucket]: name,
      [REPORT_ENV.sender]: SENDER,
      [REPORT_ENV.recipients]: `auditor@${name}.example.com`,
      [REPORT_ENV.accountNames]: `${A}=workload-a`,
      ...env,
    }),
    s3,
    mailer: sesMailer(ses),
    integritySourceFor: integritySource,
    now: () => now,
  };
}

async function mailsTo(name: string) {
  const all = await sentRawMessages(moto.endpoint);
  return all
    .filter((m) => m.destinations.includes(`auditor@${name}.example.com`))
    .map((m) => ({ ...parseMail(m.raw_data), raw: m.raw_data }));
}

const grantId = (n: number) => `01JGRANT${String(n).padStart(18, '0')}`;
const keyOf = (n: number) => `ASIAJITKEY${String(n).padStart(10, '0')}`;

/** A finished ops session in `accountId`: the grant, two successful calls and one denied call. */
function session(n: number, accountId = A, start = at(0)) {
  const id = grantId(n);
  const key = keyOf(n);
  const when = (m: number) => new Date(start.getTime() + m * 60_000);
  return [
    grantRecord({ grantId: id, accountId, time: start, accessKeyId: key }),
    callRecord({
      grantId: id,
      accountId,
      accessKeyId: key,
      time: when(1),
      eventSource: 'ecs.amazonaws.com',
      eventName: 'DescribeServices',
    }),
    callRecord({
      grantId: id,
      accountId,
      accessKeyId: key,
      time: when(2),
      eventSource: 'ecs.amazonaws.com',
      eventName: 'UpdateService',
      readOnly: false,
      requestParameters: { cluster: 'prod', service: 'api' },
    }),
    callRecord({
      grantId: id,
      accountId,
      accessKeyId: key,
      time: when(3),
      eventSource: 'iam.amazonaws.com',
      eventName: 'CreateUser',
      errorCode: 'AccessDenied',
      readOnly: false,
    }),
  ];
}

const noise = (accountId: string, count: number, start = at(0)) =>
  Array.from({ length: count }, (_, i) => serviceRoleRecord(accountId, new Date(start.getTime() + i * 1000), i));

function outcomes(result: RunResult) {
  return result.sessions.map((s) => [s.id, s.outcome]);
}

describe('the report run', () => {
  it('e-mails one report per finished session with its calls, the denied call and "digest chain: valid"', async () => {
    const name = await bucket();
    const t = trail(name);
    const [grant, ...calls] = session(1);
    await t.log(at(5), [...noise(A, 40), grant as Record<string, unknown>]);
    await t.log(at(10), [...calls, ...noise(A, 40, at(4))]);
    await t.digest(at(30));

    const result = await runReport(WINDOW, deps(name));

    expect(result.ok).toBe(true);
    expect(result.input).toMatchObject({ files: 2, records: 84, relevantRecords: 4, findings: 0 });
    expect(result.integrity.status).toBe('valid');
    expect(outcomes(result)).toEqual([[grantId(1), 'sent']]);
    const mails = await mailsTo(name);
    expect(mails).toHaveLength(1);
    const mail = mails[0] as (typeof mails)[number];
    expect(mail.subject).toBe(
      `[JIT Access] OK · ${A} (workload-a) · tier ops · 3 calls, 1 denied · digest chain: valid`,
    );
    expect(mail.headers.from).toBe(SENDER);
    expect(mail.headers['x-jit-report-delivery']).toBe(`session-${grantId(1)}`);
    for (const part of [mail.text, mail.html]) {
      expect(part).toContain('Digest chain: valid');
      expect(part).toContain('ecs:DescribeServices');
      expect(part).toContain('ecs:UpdateService');
      expect(part).toContain('iam:CreateUser');
      expect(part).toContain('AccessDenied');
    }
    expect(mail.text).toMatch(/Denied attempts \(1\):/);
    expect(mail.raw).not.toContain(SECRET_ACCESS_KEY);
    expect(mail.raw).not.toContain(SESSION_TOKEN);
    expect(mail.text).not.toContain(keyOf(1));
  });

  it('keeps the full JSON report and a record of the run under its own prefix', async () => {
    const name = await bucket();
    const t = trail(name);
    await t.log(at(10), session(2));
    await t.digest(at(30));
    const result = await runReport(WINDOW, deps(name));
    const stored = result.emails[0]?.storedReport ?? '';
    expect(stored).toBe(`s3://${name}/jit-reports/deliveries/session-${grantId(2)}/report-0001.json`);
    const body = await s3.send(new GetObjectCommand({ Bucket: name, Key: stored.slice(`s3://${name}/`.length) }));
    const report = JSON.parse(await (body.Body?.transformToString() ?? Promise.resolve('{}')));
    expect(report.sessions[0].calls.map((c: { action: string }) => c.action)).toEqual([
      'ecs:DescribeServices',
      'ecs:UpdateService',
      'iam:CreateUser',
    ]);
    const own = await s3.send(new ListObjectsV2Command({ Bucket: name, Prefix: 'jit-reports/' }));
    const keys = (own.Contents ?? []).map((o) => o.Key);
    expect(keys).toContain(`jit-reports/deliveries/session-${grantId(2)}/claim-0001.json`);
    expect(keys).toContain(`jit-reports/deliveries/session-${grantId(2)}/sent.json`);
    expect(keys).toContain(`jit-reports/runs/2026/03/02/${result.runId}.json`);
  });

  it('never sends a session twice: not on a second run, not when two runs overlap', async () => {
    const name = await bucket();
    const t = trail(name);
    await t.log(at(10), [...session(3), ...session(4, A, at(1))]);
    await t.digest(at(30));

    // Both runs have looked at the ledger before either writes its claim: a real race for each session.
    const barrier = claimBarrier(2);
    const [first, second] = await Promise.all([
      runReport(WINDOW, { ...deps(name), s3: barrier }),
      runReport(WINDOW, { ...deps(name), s3: barrier }),
    ]);
    const third = await runReport(WINDOW, deps(name, {}, at(200)));

    const mails = await mailsTo(name);
    expect(mails.map((m) => m.headers['x-jit-report-delivery']).sort()).toEqual([
      `session-${grantId(3)}`,
      `session-${grantId(4)}`,
    ]);
    const sentBy = [...(first?.sessions ?? []), ...(second?.sessions ?? [])].filter((s) => s.outcome === 'sent');
    expect(sentBy).toHaveLength(2);
    expect(outcomes(third)).toEqual([
      [grantId(3), 'already-sent'],
      [grantId(4), 'already-sent'],
    ]);
    expect(third.emails).toEqual([]);
  });

  it('waits with a session whose credentials outlive the window, and reports it whole later', async () => {
    const name = await bucket();
    const t = trail(name);
    await t.log(at(10), session(5, A, at(0)));
    await t.digest(at(30));

    const early = await runReport({ since: '2026-03-02T09:30:00Z', until: '2026-03-02T10:10:00Z' }, deps(name));
    expect(outcomes(early)).toEqual([[grantId(5), 'deferred']]);
    expect(early.sessions[0]?.closesAt).toBe('2026-03-02T10:15:00.000Z');
    expect(await mailsTo(name)).toEqual([]);

    const later = await runReport({ since: '2026-03-02T10:10:00Z', until: '2026-03-02T11:10:00Z' }, deps(name));
    expect(outcomes(later)).toEqual([[grantId(5), 'sent']]);
    expect(await mailsTo(name)).toHaveLength(1);
  });

  it('says the chain is broken after a log file is altered in the bucket, and names the file', async () => {
    const name = await bucket();
    const t = trail(name);
    const original = await t.log(at(10), session(6));
    await t.digest(at(30));
    expect((await runReport(WINDOW, deps(name))).integrity.status).toBe('valid');

    // Remove the denied call, as someone covering their tracks would. Object Lock keeps the original version.
    const forged = session(6).filter((r) => r.eventName !== 'CreateUser');
    await s3writer(name, original.key, gzipSync(JSON.stringify({ Records: forged })));
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: name, Prefix: original.key }));
    expect(versions.Versions).toHaveLength(2);
    await t.log(at(40), session(7, A, at(35)));
    await t.digest(at(60));

    const next = await runReport(
      { since: '2026-03-02T10:00:00Z', until: '2026-03-02T11:30:00Z' },
      deps(name, {}, at(150)),
    );

    expect(next.integrity.status).toBe('broken');
    expect(outcomes(next)).toEqual([
      [grantId(6), 'already-sent'],
      [grantId(7), 'sent'],
    ]);
    const mails = await mailsTo(name);
    expect(mails).toHaveLength(2);
    const latest = mails.find((m) => m.headers['x-jit-report-delivery'] === `session-${grantId(7)}`);
    expect(latest?.subject).toMatch(/^\[JIT Access\] INTEGRITY BROKEN · .* · digest chain: BROKEN$/);
    expect(latest?.text).toContain('Digest chain: BROKEN');
    expect(latest?.text).toContain(`s3://${name}/${original.key}  INVALID: hash value doesn't match`);
  });

  it('alerts the auditors once when the chain breaks in a window without new sessions', async () => {
    const name = await bucket();
    const t = trail(name);
    const original = await t.log(at(10), session(8));
    await t.digest(at(30));
    await runReport(WINDOW, deps(name));
    await s3writer(name, original.key, gzipSync(JSON.stringify({ Records: session(8).slice(0, 2) })));

    const alerted = await runReport(WINDOW, deps(name, {}, at(130)));
    const again = await runReport(WINDOW, deps(name, {}, at(140)));

    expect(alerted.emails.map((e) => e.kind)).toEqual(['integrity-alert']);
    expect(again.emails).toEqual([]);
    const mails = await mailsTo(name);
    expect(mails).toHaveLength(2);
    const alert = mails.find((m) => m.headers['x-jit-report-delivery']?.startsWith('integrity-'));
    expect(alert?.subject).toMatch(/^\[JIT Access\] INTEGRITY BROKEN · trail logs of .* · digest chain: BROKEN$/);
    expect(alert?.text).toContain(original.key);
  });

  it('reports sessions of several accounts in the organization layout', async () => {
    const name = await bucket();
    const org = 'o-a1b2c3d4e5';
    const ta = trail(name, A, org);
    const tb = trail(name, B, org);
    await ta.log(at(10), session(9, A));
    await tb.log(at(12), session(10, B, at(2)));
    await ta.digest(at(30));
    await tb.digest(at(30));

    const result = await runReport(WINDOW, deps(name, { [REPORT_ENV.organizationId]: org }));

    expect(result.integrity).toMatchObject({
      status: 'valid',
      detail: `2 digest files and 2 log files checked for 2 accounts (${A}, ${B}) in ${REGION}`,
    });
    expect(outcomes(result)).toEqual([
      [grantId(9), 'sent'],
      [grantId(10), 'sent'],
    ]);
    expect((await mailsTo(name)).map((m) => m.subject.split(' · ')[1]).sort()).toEqual([`${A} (workload-a)`, B]);
  });

  it('sends one digest e-mail for all sessions in digest mode, and nothing the second time', async () => {
    const name = await bucket();
    const t = trail(name);
    await t.log(at(10), [...session(11), ...session(12, A, at(2))]);
    await t.digest(at(30));

    const first = await runReport({ ...WINDOW, mode: 'digest' }, deps(name));
    const second = await runReport(WINDOW, deps(name, { [REPORT_ENV.mode]: 'digest' }, at(130)));

    expect(first.emails.map((e) => e.kind)).toEqual(['digest']);
    expect(second.emails).toEqual([]);
    const mails = await mailsTo(name);
    expect(mails).toHaveLength(1);
    expect(mails[0]?.subject).toBe(
      `[JIT Access] OK · 2 sessions · ${A} (workload-a) · tier ops · 6 calls, 2 denied · digest chain: valid`,
    );
    expect(mails[0]?.text).toContain(`grant ${grantId(11)}`);
    expect(mails[0]?.text).toContain(`grant ${grantId(12)}`);
  });

  it('builds the e-mails on a dry run without claiming or sending anything', async () => {
    const name = await bucket();
    const t = trail(name);
    await t.log(at(10), session(13));
    await t.digest(at(30));
    const dry = await runReport({ ...WINDOW, dryRun: true }, { ...deps(name), includeContent: true });
    expect(dry.emails.map((e) => [e.kind, e.status])).toEqual([['session', 'dry-run']]);
    expect(dry.emails[0]?.text).toContain('Digest chain: valid');
    expect(await mailsTo(name)).toEqual([]);
    expect(outcomes(await runReport(WINDOW, deps(name)))).toEqual([[grantId(13), 'sent']]);
  });

  it('does not repeat a session another run is sending, and marks a resend after a run died mid-send', async () => {
    const name = await bucket();
    const t = trail(name);
    await t.log(at(10), [...session(14), ...session(15, A, at(1))]);
    await t.digest(at(30));
    const settings = deps(name).settings;
    const ledger = (now: Date) =>
      new DeliveryLedger({
        client: s3,
        bucket: name,
        prefix: settings.statePrefix,
        leaseMs: settings.claimLeaseSeconds * 1000,
        now: () => now,
        runId: 'other-run',
      });
    // Moto stamps objects with its own clock: claim one now (in flight) and one whose lease ran out.
    const real = new Date();
    await ledger(real).claim(`session-${grantId(14)}`);
    await ledger(real).claim(`session-${grantId(15)}`);

    const during = await runReport(WINDOW, deps(name, {}, new Date(real.getTime() + 60_000)));
    expect(outcomes(during)).toEqual([
      [grantId(14), 'in-progress-elsewhere'],
      [grantId(15), 'in-progress-elsewhere'],
    ]);
    const afterLease = await runReport(WINDOW, deps(name, {}, new Date(real.getTime() + 17 * 60_000)));
    expect(outcomes(afterLease)).toEqual([
      [grantId(14), 'sent'],
      [grantId(15), 'sent'],
    ]);
    const mails = await mailsTo(name);
    expect(mails).toHaveLength(2);
    expect(mails[0]?.text).toMatch(
      /^NOTE: A run at .* started sending this report and stopped before recording the outcome\. If you received that e-mail, this one repeats it\./,
    );
  });
});

describe('bad input', () => {
  it('sends nothing for an empty window and succeeds', async () => {
    const name = await bucket();
    const result = await runReport(WINDOW, deps(name));
    expect(result).toMatchObject({ ok: true, sessions: [], emails: [], input: { files: 0, records: 0 } });
    expect(result.integrity.headline).toBe('digest chain: nothing to verify');
  });

  it('reports a bucket without digests as not verified, and still sends the session', async () => {
    const name = await bucket();
    await trail(name).log(at(10), session(16));
    const result = await runReport(WINDOW, deps(name));
    expect(result.integrity.status).toBe('unverified');
    const mails = await mailsTo(name);
    expect(mails).toHaveLength(1);
    expect(mails[0]?.subject).toMatch(/^\[JIT Access\] ATTENTION · .* · digest chain: NOT VERIFIED$/);
    expect(mails[0]?.text).toContain(`no digest files for account ${A} in ${REGION}: its log files cannot be verified`);
  });

  it('turns a log file that is not gzip into a finding and goes on', async () => {
    const name = await bucket();
    const t = trail(name);
    const good = await t.log(at(10), session(17));
    await t.digest(at(30));
    const bad = good.key.replace(/_[A-Za-z0-9]+\.json\.gz$/, '_NotGzip000000001.json.gz');
    await s3writer(name, bad, JSON.stringify({ Records: session(18) }));

    const result = await runReport(WINDOW, deps(name));

    expect(result.ok).toBe(true);
    expect(result.input.findings).toBe(1);
    expect(outcomes(result)).toEqual([[grantId(17), 'sent']]);
    const text = (await mailsTo(name))[0]?.text ?? '';
    expect(text).toContain(`unreadable-file: s3://${name}/${bad} — named .gz but not gzip data (no gzip magic bytes)`);
    // The stray file is in the log folder but in no digest: the chain check says so too.
    expect(text).toContain(`s3://${name}/${bad}  INVALID: not listed in any digest`);
  });

  it('tells the auditors when the trail cannot be read at all', async () => {
    const name = `missing-${randomBytes(4).toString('hex')}`;
    const result = await runReport(WINDOW, deps(name));
    expect(result.ok).toBe(true);
    expect(result.failure).toMatch(/^cannot read the trail in s3:\/\/missing-[0-9a-f]+\/: NoSuchBucket/);
    const mails = await mailsTo(name);
    expect(mails.map((m) => m.subject)).toEqual([
      '[JIT Access] REPORT FAILED · 2026-03-02 09:30:00Z → 2026-03-02 11:00:00Z',
    ]);
  });

  it('fails the invocation when SES refuses the sender, and sends the session once the sender is verified', async () => {
    const name = await bucket();
    const t = trail(name);
    await t.log(at(10), session(19));
    await t.digest(at(30));
    const sender = `reports@${name}.example.org`;
    Object.assign(process.env, {
      AWS_REGION: REGION,
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      [REPORT_ENV.bucket]: name,
      [REPORT_ENV.sender]: sender,
      [REPORT_ENV.recipients]: `auditor@${name}.example.com`,
    });

    const logged: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => {
      logged.push(String(line));
    });
    const refused = await handler(WINDOW).then(
      () => undefined,
      (error: unknown) => error,
    );

    expect(refused).toBeInstanceOf(ReportLambdaError);
    expect((refused as ReportLambdaError).code).toBe('REPORT_LAMBDA_SEND_FAILED');
    expect((refused as Error).message).toMatch(
      new RegExp(
        `^1 report e-mail not sent: session-${grantId(19)}: MessageRejected: Did not have authority to send from email ${sender.replace(/\./g, '\\.')}`,
      ),
    );
    expect(await mailsTo(name)).toEqual([]);

    expect(logged.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({
        level: 'error',
        message: 'report run',
        ok: false,
        sessions: [expect.objectContaining({ outcome: 'send-failed' })],
      }),
    ]);

    await ses.send(new CreateEmailIdentityCommand({ EmailIdentity: sender }));
    const retried = await handler(WINDOW);
    log.mockRestore();
    expect(retried.sessions.map((s) => s.outcome)).toEqual(['sent']);
    const mails = await mailsTo(name);
    expect(mails).toHaveLength(1);
    expect(mails[0]?.text.startsWith('NOTE:')).toBe(false);
  });
});

/**
 * The test's S3 client, except that a claim write waits until `parties` claim writes are pending (or a
 * second passed), so that overlapping runs really write their claims at the same time.
 */
function claimBarrier(parties: number): Pick<S3Client, 'send'> {
  let waiting: (() => void)[] = [];
  const send = async (command: Parameters<S3Client['send']>[0]) => {
    const key = command instanceof PutObjectCommand ? (command.input.Key ?? '') : '';
    if (/\/claim-\d+\.json$/.test(key)) {
      await new Promise<void>((resolve) => {
        waiting.push(resolve);
        if (waiting.length >= parties) {
          for (const release of waiting) release();
          waiting = [];
        } else {
          setTimeout(resolve, 1000);
        }
      });
    }
    return s3.send(command as never);
  };
  return { send } as Pick<S3Client, 'send'>;
}

/** Writes a new version of an object (an attacker with write access, or a plain non-gzip file). */
async function s3writer(name: string, key: string, body: string | Buffer): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: name,
      Key: key,
      Body: body,
      ContentMD5: createHash('md5').update(body).digest('base64'),
    }),
  );
}
