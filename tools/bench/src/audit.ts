/**
 * jit-audit benchmarks (issue 5):
 *
 * (a) `jit-audit verify` beside `aws cloudtrail validate-logs` on the same trail bucket of the local
 *     environment: 48 hourly digests listing 2,016 log files, written straight into the log-archive
 *     bucket at moto with the product's integrity writer and signed with the edge's own CloudTrail key
 *     (the benchmark seeds `<stateDir>/cloudtrail/cloudtrail-digest-key.json` before the edge starts, dated before
 *     the digests, so `ListPublicKeys` vouches for them). Twice: moto as it is, and with the edge's
 *     `s3LatencyMs` (20 ms per S3 GET/HEAD, about real S3's first-byte latency).
 * (b) `jit-audit report --local` throughput on a generated corpus of gzip log files on disk (1,000,000
 *     records by default): records/s and the CLI's peak RSS (VmHWM from /proc, sampled while it runs).
 *
 * Both tools run as child processes with the same environment, so each pays its own start-up.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import {
  createDigestFile,
  createDigestKeyPair,
  createLogFile,
  type DigestFileObject,
  type DigestKeyPair,
  formatIsoSeconds,
  type LogFileObject,
  type TrailLocation,
} from '@jit-access/audit';
import { type LocalAws, startLocalAws } from '@jit-access/local-aws';
import { compare, formatComparison, formatTable, type Summary } from './measure.js';

const REPO = path.resolve(import.meta.dirname, '../../..');
const HOUR = 3_600_000;

export interface AuditBenchmarkOptions {
  /** One timed run per contender and a 200,000-record report corpus. @default false */
  readonly quick?: boolean;
  /** Timed runs per verify contender. @default 3 (1 with quick) */
  readonly runs?: number;
  /** Hourly digests in the bucket. @default 48 */
  readonly digests?: number;
  /** Log files listed by each digest. @default 42 (48 × 42 = 2,016) */
  readonly logsPerDigest?: number;
  /** Per-request S3 latencies (ms) added by the edge, one local environment each. @default [0, 20] */
  readonly latenciesMs?: readonly number[];
  /** Records in the report corpus. @default 1,000,000 (200,000 with quick) */
  readonly reportRecords?: number;
  /** The jit-audit command. @default node packages/audit/dist/cli.js (build first) */
  readonly auditCommand?: readonly string[];
  readonly print?: (text: string) => void;
  /** Progress lines (environment start, bucket writes). @default ignore */
  readonly log?: (line: string) => void;
}

export interface VerifyBenchmark {
  readonly latencyMs: number;
  readonly digests: number;
  readonly logFiles: number;
  readonly summaries: readonly Summary[];
  /** validate-logs median / jit-audit verify median. */
  readonly speedup: number;
}

export interface ReportBenchmark {
  readonly records: number;
  readonly files: number;
  readonly corpusBytes: number;
  readonly sessions: number;
  readonly seconds: number;
  readonly recordsPerSecond: number;
  readonly peakRssMiB: number;
}

export interface AuditBenchmarkResult {
  readonly verify: readonly VerifyBenchmark[];
  readonly report: ReportBenchmark;
  readonly text: string;
}

const NAMES = { cli: 'aws cloudtrail validate-logs', ours: 'jit-audit verify' } as const;

export async function runAuditBenchmark(options: AuditBenchmarkOptions = {}): Promise<AuditBenchmarkResult> {
  const print = options.print ?? ((text: string) => process.stdout.write(`${text}\n`));
  const log = options.log ?? (() => {});
  const quick = options.quick ?? false;
  const auditCommand = options.auditCommand ?? [process.execPath, path.join(REPO, 'packages/audit/dist/cli.js')];
  const entry = auditCommand[auditCommand.length - 1];
  if (options.auditCommand === undefined && entry !== undefined && !existsSync(entry)) {
    throw new Error(`${entry} does not exist: build first (npm run build), or pass auditCommand`);
  }
  const scratch = await mkdtemp(path.join(tmpdir(), 'jit-bench-audit-'));
  try {
    const verify: VerifyBenchmark[] = [];
    const texts: string[] = [];
    for (const latencyMs of options.latenciesMs ?? [0, 20]) {
      const result = await verifyBenchmark({
        latencyMs,
        runs: options.runs ?? (quick ? 1 : 3),
        digests: options.digests ?? 48,
        logsPerDigest: options.logsPerDigest ?? 42,
        auditCommand,
        scratch: path.join(scratch, `verify-${latencyMs}`),
        log,
      });
      verify.push(result.benchmark);
      texts.push(result.text);
      print(result.text);
    }
    const report = await reportBenchmark({
      records: options.reportRecords ?? (quick ? 200_000 : 1_000_000),
      auditCommand,
      scratch: path.join(scratch, 'report'),
      log,
    });
    const reportText = formatTable(
      `jit-audit report --local: ${report.records.toLocaleString('en')} records in ${report.files} gzip log files (${(report.corpusBytes / 2 ** 20).toFixed(0)} MiB), ${report.sessions} jit sessions`,
      ['records', 'seconds', 'records/s', 'peak RSS MiB'],
      [
        [
          report.records.toLocaleString('en'),
          report.seconds.toFixed(1),
          Math.round(report.recordsPerSecond).toLocaleString('en'),
          report.peakRssMiB.toFixed(0),
        ],
      ],
    );
    print(reportText);
    return { verify, report, text: [...texts, reportText].join('\n') };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

// --- (a) verify vs validate-logs -------------------------------------------------------------------

async function verifyBenchmark(input: {
  latencyMs: number;
  runs: number;
  digests: number;
  logsPerDigest: number;
  auditCommand: readonly string[];
  scratch: string;
  log: (line: string) => void;
}): Promise<{ benchmark: VerifyBenchmark; text: string }> {
  // Whole hours, three days back: far from anything the edge's own trail delivers while we measure.
  const base = new Date(Math.floor((Date.now() - 3 * 24 * HOUR) / HOUR) * HOUR + 31_000);
  const stateDir = path.join(input.scratch, 'state');
  // The CloudTrail plugin keeps its state in <stateDir>/cloudtrail (src/plugins.ts of local-aws).
  const trailStateDir = path.join(stateDir, 'cloudtrail');
  await mkdir(trailStateDir, { recursive: true, mode: 0o700 });
  const key = createDigestKeyPair();
  // The edge loads this file instead of creating a key; its validity starts a day before the digests.
  await writeFile(
    path.join(trailStateDir, 'cloudtrail-digest-key.json'),
    `${JSON.stringify({ createdAt: new Date(base.getTime() - 24 * HOUR).toISOString(), privateKeyPem: key.privateKeyPem })}\n`,
    { mode: 0o600 },
  );
  input.log(`starting the local environment (s3LatencyMs ${input.latencyMs})`);
  const local = await startLocalAws({ stateDir, s3LatencyMs: input.latencyMs });
  try {
    const hub = local.accounts.hub.id;
    const trail: TrailLocation = {
      accountId: hub,
      region: local.region,
      homeRegion: local.region,
      trailName: local.config.trail.name,
    };
    input.log(`writing ${input.digests} digests and ${input.digests * input.logsPerDigest} log files`);
    const written = await writeChain(local, trail, key, base, input.digests, input.logsPerDigest);

    const trailArn = `arn:aws:cloudtrail:${local.region}:${hub}:trail/${trail.trailName}`;
    const start = formatIsoSeconds(base);
    const end = formatIsoSeconds(new Date(base.getTime() + (input.digests + 1) * HOUR));
    const admin = local.profiles.admin;
    const home = path.join(input.scratch, 'home');
    await mkdir(home, { recursive: true });
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: home,
      AWS_CONFIG_FILE: path.join(home, 'none'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'none'),
      AWS_ACCESS_KEY_ID: admin.accessKeyId,
      AWS_SECRET_ACCESS_KEY: admin.secretAccessKey,
      ...(admin.sessionToken === undefined ? {} : { AWS_SESSION_TOKEN: admin.sessionToken }),
      // AWS CLI v1 takes --endpoint-url for CloudTrail only; this reaches its S3 client too.
      AWS_ENDPOINT_URL: local.endpoint,
      AWS_REGION: local.region,
      AWS_DEFAULT_REGION: local.region,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      PYTHONWARNINGS: 'ignore',
      NO_COLOR: '1',
    };
    const range = ['--trail-arn', trailArn, '--start-time', start, '--end-time', end];
    const [bin = process.execPath, ...args] = input.auditCommand;
    const expectedDigests = `${input.digests}/${input.digests} digest files valid`;
    const expectedLogs = `${written.logFiles}/${written.logFiles} log files valid`;
    const contenders = [
      {
        name: NAMES.cli,
        run: () =>
          runChecked('aws', ['cloudtrail', 'validate-logs', ...range, '--region', local.region], env, [
            expectedDigests,
            expectedLogs,
          ]),
      },
      {
        name: NAMES.ours,
        run: () =>
          runChecked(bin, [...args, 'verify', ...range, '--endpoint-url', local.endpoint], env, [
            expectedDigests,
            expectedLogs,
          ]),
      },
    ];
    // No untimed round: the AWS CLI alone takes about a minute per run at 20 ms. Every timed run checks
    // that the tool found the whole bucket valid, so a fast failure is never a result.
    const summaries = await compare(contenders, { runs: input.runs, warmup: 0 });
    const cli = summaries.find((s) => s.name === NAMES.cli);
    const ours = summaries.find((s) => s.name === NAMES.ours);
    const speedup = cli !== undefined && ours !== undefined ? cli.medianMs / ours.medianMs : Number.NaN;
    const title =
      `verify ${input.digests} digests / ${written.logFiles} log files, ` +
      `${input.latencyMs === 0 ? 'moto as it is' : `${input.latencyMs} ms added per S3 GET/HEAD at the edge`}` +
      ` (jit-audit ${speedup.toFixed(1)}x faster)`;
    return {
      benchmark: { latencyMs: input.latencyMs, digests: input.digests, logFiles: written.logFiles, summaries, speedup },
      text: formatComparison(title, summaries, NAMES.cli),
    };
  } finally {
    await local.stop();
  }
}

/** Writes a chain of hourly digests and their log files into the log-archive bucket, at moto directly. */
async function writeChain(
  local: LocalAws,
  trail: TrailLocation,
  key: DigestKeyPair,
  base: Date,
  digests: number,
  logsPerDigest: number,
): Promise<{ logFiles: number }> {
  const bucket = local.accounts.logArchive.bucket;
  const s3 = new S3Client({
    endpoint: local.motoEndpoint,
    region: local.region,
    forcePathStyle: true,
    credentials: await adminSession(local, local.accounts.logArchive.id),
  });
  const put = (objectKey: string, body: Buffer, metadata?: Readonly<Record<string, string>>) =>
    s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: objectKey,
        Body: body,
        // The bucket has Object Lock, which wants Content-MD5 on every write.
        ContentMD5: createHash('md5').update(body).digest('base64'),
        ...(metadata === undefined ? {} : { Metadata: { ...metadata } }),
      }),
    );
  let logFiles = 0;
  let previous: DigestFileObject | undefined;
  try {
    for (let index = 0; index < digests; index += 1) {
      const start = new Date(base.getTime() + index * HOUR);
      const end = new Date(start.getTime() + HOUR);
      const logs: LogFileObject[] = [];
      for (let n = 0; n < logsPerDigest; n += 1) {
        const time = new Date(start.getTime() + Math.floor(((n + 0.5) * HOUR) / logsPerDigest));
        logs.push(
          createLogFile({
            bucket,
            trail,
            time,
            uniqueId: `b${String(index).padStart(3, '0')}${String(n).padStart(12, '0')}`,
            records: benchRecords(trail, time, index * logsPerDigest + n, 20),
          }),
        );
      }
      // Eight writes in flight: moto answers one at a time anyway, this only hides the round trips.
      for (let offset = 0; offset < logs.length; offset += 8) {
        await Promise.all(logs.slice(offset, offset + 8).map((log) => put(log.key, log.body)));
      }
      logFiles += logs.length;
      const digest = createDigestFile({
        bucket,
        trail,
        digestStartTime: start,
        digestEndTime: end,
        logFiles: logs,
        previous,
        signingKey: key,
      });
      await put(digest.key, digest.body, digest.metadata);
      previous = digest;
    }
  } finally {
    s3.destroy();
  }
  return { logFiles };
}

/** Plain management events (the integrity benchmark only hashes them). */
function benchRecords(trail: TrailLocation, time: Date, file: number, count: number): { eventTime: string }[] {
  return Array.from({ length: count }, (_, index) => ({
    eventVersion: '1.09',
    userIdentity: { type: 'IAMUser', accountId: trail.accountId, userName: 'ops-bot' },
    eventTime: formatIsoSeconds(new Date(time.getTime() - (count - index) * 1000)),
    eventSource: 'ec2.amazonaws.com',
    eventName: 'DescribeInstances',
    awsRegion: trail.region,
    sourceIPAddress: '198.51.100.7',
    eventID: `00000000-0000-4000-8000-${String(file * 100 + index).padStart(12, '0')}`,
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: trail.accountId,
  }));
}

async function adminSession(
  local: LocalAws,
  accountId: string,
): Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken: string }> {
  const sts = new STSClient({ endpoint: local.motoEndpoint, region: local.region, credentials: local.profiles.admin });
  try {
    const out = await sts.send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${accountId}:role/${local.accounts.adminRoleName}`,
        RoleSessionName: 'jit-bench-audit',
      }),
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error('AssumeRole returned no credentials');
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
  } finally {
    sts.destroy();
  }
}

/** Runs a command; rejects unless it exits 0 and its stdout holds every `expected` text. */
function runChecked(file: string, args: readonly string[], env: NodeJS.ProcessEnv, expected: readonly string[]) {
  return new Promise<void>((resolve, reject) => {
    const child = spawn(file, [...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      if (stdout.length < 1_000_000) stdout += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      if (stderr.length < 4000) stderr += c.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const missing = expected.filter((text) => !stdout.includes(text));
      if (code === 0 && missing.length === 0) resolve();
      else
        reject(
          new Error(
            `${path.basename(file)} ${args.slice(0, 3).join(' ')} … exited ${code}${missing.length > 0 ? `, without "${missing.join('", "')}"` : ''}: ${(stderr || stdout).trim().slice(0, 800)}`,
          ),
        );
    });
  });
}

// --- (b) report throughput -------------------------------------------------------------------------

const RECORDS_PER_FILE = 1000;
const SESSIONS = 100;
const WORKLOAD = '222222222222';
const HUB = '444444444444';

async function reportBenchmark(input: {
  records: number;
  auditCommand: readonly string[];
  scratch: string;
  log: (line: string) => void;
}): Promise<ReportBenchmark> {
  input.log(`generating ${input.records} records`);
  const corpus = await generateCorpus(path.join(input.scratch, 'corpus'), input.records);
  const [bin = process.execPath, ...args] = input.auditCommand;
  const output = path.join(input.scratch, 'report.json');
  const started = performance.now();
  const { code, peakKiB } = await runMeasured(bin, [...args, 'report', '--local', corpus.dir, '--json'], output);
  const seconds = (performance.now() - started) / 1000;
  // Exit 3 (attention) is expected: the corpus has calls outside their windows.
  if (code !== 0 && code !== 3) throw new Error(`jit-audit report exited ${code}`);
  const report = JSON.parse(await readFile(output, 'utf8')) as {
    input: { records: number };
    sessions: { grantId?: string; counts: { calls: number } }[];
  };
  const calls = report.sessions.reduce((sum, s) => sum + s.counts.calls, 0);
  if (report.input.records !== corpus.records || report.sessions.length !== SESSIONS || calls !== corpus.sessionCalls) {
    throw new Error(
      `jit-audit report read ${report.input.records} records, ${report.sessions.length} sessions, ${calls} session calls; the corpus has ${corpus.records}, ${SESSIONS}, ${corpus.sessionCalls}`,
    );
  }
  return {
    records: corpus.records,
    files: corpus.files,
    corpusBytes: corpus.bytes,
    sessions: report.sessions.length,
    seconds,
    recordsPerSecond: corpus.records / seconds,
    peakRssMiB: peakKiB / 1024,
  };
}

/**
 * A trail export on disk: `SESSIONS` jit sessions (an AssumeRole each, then their calls, one in ten
 * denied) among IAM-user noise, in the per-account key layout, gzip at level 1 (fast to generate; reading
 * cost is the same as CloudTrail's level).
 */
async function generateCorpus(
  root: string,
  records: number,
): Promise<{ dir: string; records: number; files: number; bytes: number; sessionCalls: number }> {
  const trail = { accountId: WORKLOAD, region: 'ap-southeast-2' };
  const base = Date.parse('2026-03-25T00:00:00Z');
  const grants = Array.from({ length: SESSIONS }, (_, i) => `01JQ${String(i).padStart(22, '0')}`);
  const keys = grants.map((_, i) => `ASIABENCH${String(i).padStart(11, '0')}`);
  let written = 0;
  let files = 0;
  let bytes = 0;
  let sessionCalls = 0;
  const { gzipSync } = await import('node:zlib');
  while (written < records) {
    const count = Math.min(RECORDS_PER_FILE, records - written);
    const fileTime = base + files * 60_000;
    const batch: Record<string, unknown>[] = [];
    for (let i = 0; i < count; i += 1) {
      const n = written + i;
      const time = new Date(fileTime + Math.floor((i * 60_000) / count)).toISOString().replace(/\.\d{3}Z$/, 'Z');
      if (n < SESSIONS) {
        batch.push(assumeRoleRecord(grants[n] ?? '', keys[n] ?? '', time));
      } else if (n % 10 === 0) {
        const s = n % SESSIONS;
        sessionCalls += 1;
        batch.push(sessionCall(grants[s] ?? '', keys[s] ?? '', time, n));
      } else {
        batch.push(noiseRecord(time, n));
      }
    }
    const date = new Date(fileTime);
    const stamp = date.toISOString().slice(0, 16).replace(/[-:]/g, '');
    const dir = path.join(
      root,
      'AWSLogs',
      trail.accountId,
      'CloudTrail',
      trail.region,
      date.toISOString().slice(0, 4),
      date.toISOString().slice(5, 7),
      date.toISOString().slice(8, 10),
    );
    await mkdir(dir, { recursive: true });
    const body = gzipSync(JSON.stringify({ Records: batch }), { level: 1 });
    await writeFile(
      path.join(
        dir,
        `${trail.accountId}_CloudTrail_${trail.region}_${stamp}Z_${String(files).padStart(16, '0')}.json.gz`,
      ),
      body,
    );
    bytes += body.length;
    written += count;
    files += 1;
  }
  return { dir: root, records: written, files, bytes, sessionCalls };
}

function assumeRoleRecord(grantId: string, accessKeyId: string, time: string): Record<string, unknown> {
  const session = `jit-${grantId}`;
  const roleArn = `arn:aws:iam::${WORKLOAD}:role/AgentElevated-Ops`;
  return {
    eventVersion: '1.09',
    userIdentity: { type: 'AWSAccount', principalId: 'AIDABENCHAPPROVER0001', accountId: HUB },
    eventTime: time,
    eventSource: 'sts.amazonaws.com',
    eventName: 'AssumeRole',
    awsRegion: 'ap-southeast-2',
    sourceIPAddress: '203.0.113.10',
    userAgent: 'jit-grant/0.1.0',
    requestParameters: {
      roleArn,
      roleSessionName: session,
      durationSeconds: 900,
      sourceIdentity: session,
      tags: [
        { key: 'jit:grant', value: grantId },
        { key: 'jit:tier', value: 'ops' },
        { key: 'jit:approver', value: `arn:aws:iam::${HUB}:user/jit-approver` },
        { key: 'jit:reason', value: 'benchmark' },
        { key: 'jit:until', value: '2026-03-25T00:15:00Z' },
      ],
    },
    responseElements: {
      credentials: { accessKeyId, expiration: 'Mar 25, 2026, 12:15:00 AM' },
      assumedRoleUser: { assumedRoleId: `AROABENCHROLE0001:${session}`, arn: stsArn(session) },
      sourceIdentity: session,
    },
    requestID: `req-${grantId}`,
    eventID: `00000000-0000-4000-8000-${grantId.slice(-12)}`,
    readOnly: true,
    resources: [{ accountId: WORKLOAD, type: 'AWS::IAM::Role', ARN: roleArn }],
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: WORKLOAD,
    eventCategory: 'Management',
  };
}

function stsArn(session: string): string {
  return `arn:aws:sts::${WORKLOAD}:assumed-role/AgentElevated-Ops/${session}`;
}

function sessionCall(grantId: string, accessKeyId: string, time: string, n: number): Record<string, unknown> {
  const session = `jit-${grantId}`;
  const denied = n % 100 === 0;
  return {
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole',
      principalId: `AROABENCHROLE0001:${session}`,
      arn: stsArn(session),
      accountId: WORKLOAD,
      accessKeyId,
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: 'AROABENCHROLE0001',
          arn: `arn:aws:iam::${WORKLOAD}:role/AgentElevated-Ops`,
          accountId: WORKLOAD,
          userName: 'AgentElevated-Ops',
        },
        attributes: { creationDate: '2026-03-25T00:00:00Z', mfaAuthenticated: 'false' },
        sourceIdentity: session,
      },
    },
    eventTime: time,
    eventSource: 'ec2.amazonaws.com',
    eventName: denied ? 'TerminateInstances' : 'DescribeInstances',
    awsRegion: 'ap-southeast-2',
    sourceIPAddress: '198.51.100.20',
    userAgent: 'aws-cli/1.36',
    ...(denied ? { errorCode: 'Client.UnauthorizedOperation', errorMessage: 'You are not authorized' } : {}),
    requestParameters: denied ? { instancesSet: { items: [{ instanceId: 'i-0123456789abcdef0' }] } } : null,
    responseElements: null,
    requestID: `req-${n}`,
    eventID: `00000000-0000-4000-9000-${String(n).padStart(12, '0')}`,
    readOnly: !denied,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: WORKLOAD,
    eventCategory: 'Management',
  };
}

function noiseRecord(time: string, n: number): Record<string, unknown> {
  return {
    eventVersion: '1.09',
    userIdentity: {
      type: 'IAMUser',
      principalId: 'AIDABENCHNOISE000001',
      arn: `arn:aws:iam::${WORKLOAD}:user/ci-deployer`,
      accountId: WORKLOAD,
      accessKeyId: 'AKIABENCHNOISE000001',
      userName: 'ci-deployer',
    },
    eventTime: time,
    eventSource: 's3.amazonaws.com',
    eventName: 'GetBucketLocation',
    awsRegion: 'ap-southeast-2',
    sourceIPAddress: '198.51.100.30',
    userAgent: 'aws-sdk-js/3',
    requestParameters: { bucketName: `artifacts-${n % 7}`, location: '' },
    responseElements: null,
    requestID: `req-${n}`,
    eventID: `00000000-0000-4000-a000-${String(n).padStart(12, '0')}`,
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: WORKLOAD,
    eventCategory: 'Management',
  };
}

/** Runs the CLI with stdout to `output`, sampling its peak RSS (VmHWM) from /proc until it exits. */
function runMeasured(
  file: string,
  args: readonly string[],
  output: string,
): Promise<{ code: number | null; peakKiB: number }> {
  return new Promise((resolve, reject) => {
    import('node:fs')
      .then(({ openSync, closeSync, readFileSync }) => {
        const fd = openSync(output, 'w');
        const child = spawn(file, [...args], {
          env: { PATH: process.env.PATH, NO_COLOR: '1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
          stdio: ['ignore', fd, 'pipe'],
        });
        let stderr = '';
        child.stderr?.on('data', (c: Buffer) => {
          if (stderr.length < 4000) stderr += c.toString('utf8');
        });
        let peakKiB = 0;
        const sample = (): void => {
          try {
            const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
            const kib = Number(/^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1] ?? 0);
            if (kib > peakKiB) peakKiB = kib;
          } catch {
            // The process has exited between two samples; the last sample stands.
          }
        };
        const timer = setInterval(sample, 20);
        child.on('error', (error) => {
          clearInterval(timer);
          closeSync(fd);
          reject(error);
        });
        // 'exit' fires before the zombie is reaped, so /proc still answers once more.
        child.on('exit', () => sample());
        child.on('close', (code) => {
          clearInterval(timer);
          closeSync(fd);
          if (code !== 0 && code !== 3) reject(new Error(`jit-audit report exited ${code}: ${stderr.trim()}`));
          else resolve({ code, peakKiB });
        });
      })
      .catch(reject);
  });
}
