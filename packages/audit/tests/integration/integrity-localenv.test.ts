// jit-audit verify against the real AWS CLI on the local environment's trail bucket (digests and log
// files delivered by the edge's CloudTrail plugin), then on an export of that bucket with one log file
// altered.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { clientConfig } from '@jit-access/local-aws/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createS3IntegritySource,
  exportBucket,
  runVerifyCommand,
  type VerifyResult,
} from '../../src/integrity/index.js';

const env = inject('localAws');

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

interface FlushReport {
  logFiles: { accountId: string; key: string }[];
  digests: { accountId: string; region: string; key: string; digestEndTime: string }[];
}

async function flush(): Promise<FlushReport> {
  const response = await fetch(`${env.endpoint}/_jit/cloudtrail/flush`, { method: 'POST' });
  const body = (await response.json()) as FlushReport;
  if (response.status !== 200) throw new Error(`flush answered HTTP ${response.status}: ${JSON.stringify(body)}`);
  return body;
}

async function callerIdentity(profile: 'admin' | 'approver' | 'agent'): Promise<void> {
  const sts = new STSClient(clientConfig(env, profile));
  try {
    await sts.send(new GetCallerIdentityCommand({}));
  } finally {
    sts.destroy();
  }
}

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `aws cloudtrail validate-logs --verbose` through the edge, as `credentials`, in an empty home. */
async function validateLogs(args: string[], credentials: Credentials): Promise<CliRun> {
  const home = await mkdtemp(join(tmpdir(), 'audit-integrity-aws-'));
  try {
    return await new Promise((resolve, reject) => {
      execFile(
        'aws',
        ['cloudtrail', 'validate-logs', ...args, '--verbose', '--region', env.region],
        {
          timeout: 120_000,
          maxBuffer: 16 * 1024 * 1024,
          env: {
            PATH: process.env.PATH,
            HOME: home,
            AWS_CONFIG_FILE: join(home, 'none'),
            AWS_SHARED_CREDENTIALS_FILE: join(home, 'none'),
            AWS_ACCESS_KEY_ID: credentials.accessKeyId,
            AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
            ...(credentials.sessionToken === undefined ? {} : { AWS_SESSION_TOKEN: credentials.sessionToken }),
            // AWS CLI v1 applies --endpoint-url to the CloudTrail client only; this reaches S3 too.
            AWS_ENDPOINT_URL: env.endpoint,
            AWS_MAX_ATTEMPTS: '1',
            AWS_EC2_METADATA_DISABLED: 'true',
            PYTHONWARNINGS: 'ignore',
          },
        },
        (error, stdout, stderr) => {
          if (error !== null && typeof error.code !== 'number') reject(error);
          else resolve({ code: error === null ? 0 : (error.code as number), stdout, stderr });
        },
      );
    });
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

async function verify(args: string[], credentials?: Credentials): Promise<{ code: number; result: VerifyResult }> {
  let out = '';
  let err = '';
  const saved = [process.env.AWS_ACCESS_KEY_ID, process.env.AWS_SECRET_ACCESS_KEY, process.env.AWS_SESSION_TOKEN];
  if (credentials !== undefined) {
    process.env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
    if (credentials.sessionToken === undefined) delete process.env.AWS_SESSION_TOKEN;
    else process.env.AWS_SESSION_TOKEN = credentials.sessionToken;
  }
  try {
    const code = await runVerifyCommand([...args, '--json'], {
      stdout: { write: (text: string) => (out += text) },
      stderr: { write: (text: string) => (err += text) },
      isTTY: false,
      env: { AWS_REGION: env.region, NO_COLOR: '1' },
    });
    if (out === '') throw new Error(`jit-audit verify printed nothing (exit ${code}): ${err}`);
    return { code, result: JSON.parse(out) as VerifyResult };
  } finally {
    (['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'] as const).forEach((name, index) => {
      const value = saved[index];
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    });
  }
}

const hub = env.accounts.hub.id;
const trailArn = `arn:aws:cloudtrail:${env.region}:${hub}:trail/${'jit-trail'}`;
let start: string;
let end: string;
let auditor: Credentials;
let exportDir: string;
const delivered: {
  logFiles: string[];
  digests: { accountId: string; region: string; key: string; digestEndTime: string }[];
} = { logFiles: [], digests: [] };

beforeAll(async () => {
  // The trail belongs to the hub account (DescribeTrails answers for the caller's account); the local
  // admin user there can also read the log-archive bucket.
  auditor = env.profiles.admin;
  for (const round of [1, 2]) {
    await callerIdentity('admin');
    await callerIdentity('agent');
    if (round === 2) await callerIdentity('approver');
    const report = await flush();
    delivered.logFiles.push(...report.logFiles.filter((log) => log.accountId === hub).map((log) => log.key));
    delivered.digests.push(
      ...report.digests.filter((digest) => digest.accountId === hub && digest.region === env.region),
    );
  }
  // The range is exactly the two flushes' digests of the hub's home region (digest end times are whole
  // seconds), so nothing an earlier test file delivered, and nothing a later cadence tick delivers, is in it.
  start = delivered.digests[0]?.digestEndTime ?? '';
  end = delivered.digests.at(-1)?.digestEndTime ?? '';
  exportDir = await mkdtemp(join(tmpdir(), 'audit-integrity-export-'));
}, 120_000);

afterAll(async () => {
  if (exportDir !== undefined) await rm(exportDir, { recursive: true, force: true });
});

describe('jit-audit verify and aws cloudtrail validate-logs on the local environment', () => {
  let cli: CliRun;
  let ours: { code: number; result: VerifyResult };

  beforeAll(async () => {
    const range = ['--trail-arn', trailArn, '--start-time', start, '--end-time', end];
    cli = await validateLogs(range, auditor);
    ours = await verify([...range, '--endpoint-url', env.endpoint], auditor);
  }, 180_000);

  it('delivered a hub log file and a hub digest in each flush', () => {
    expect(delivered.logFiles).toHaveLength(2);
    expect(delivered.digests).toHaveLength(2);
  });

  it('the AWS CLI finds the hub digests and log files valid', () => {
    expect(cli.stderr, cli.stdout).not.toMatch(/INVALID|error/i);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(/\d+\/\d+ digest files valid/);
    expect(cli.stdout).not.toMatch(/INVALID/);
  });

  it('jit-audit verify agrees: same digest and log files, all valid, exit 0', () => {
    const cliDigests = [...cli.stdout.matchAll(/^Digest file\ts3:\/\/[^/]+\/(\S+)\tvalid$/gm)].map((m) => m[1]).sort();
    const cliLogs = [...cli.stdout.matchAll(/^Log file\ts3:\/\/[^/]+\/(\S+)\tvalid$/gm)].map((m) => m[1]).sort();
    expect(ours.code).toBe(0);
    expect(
      ours.result.digests
        .filter((d) => d.verdict === 'valid')
        .map((d) => d.key)
        .sort(),
    ).toEqual(cliDigests);
    expect(
      ours.result.logs
        .filter((l) => l.verdict === 'valid')
        .map((l) => l.key)
        .sort(),
    ).toEqual(cliLogs);
    expect(ours.result.digests.every((d) => d.verdict === 'valid')).toBe(true);
    expect(ours.result.logs.every((l) => l.verdict === 'valid')).toBe(true);
    expect(ours.result.findings).toEqual([]);
    // What the two flushes delivered, no more and no less.
    expect(cliDigests).toEqual(delivered.digests.map((d) => d.key).sort());
    expect(cliLogs).toEqual([...delivered.logFiles].sort());
  });

  it('verify --local names a log file altered in an export of the bucket', async () => {
    const source = createS3IntegritySource({
      region: env.region,
      endpoint: env.endpoint,
      credentials: {
        accessKeyId: auditor.accessKeyId,
        secretAccessKey: auditor.secretAccessKey,
        ...(auditor.sessionToken === undefined ? {} : { sessionToken: auditor.sessionToken }),
      },
    });
    await exportBucket({
      source,
      bucket: env.accounts.logArchive.bucket,
      prefix: `AWSLogs/${hub}/`,
      destination: exportDir,
      trailArns: [trailArn],
    });
    const target = ours.result.logs[0]?.key;
    if (target === undefined) throw new Error('no log file in range to alter');
    const file = join(exportDir, ...target.split('/'));
    const document = JSON.parse(gunzipSync(await readFile(file)).toString('utf8')) as {
      Records: { eventName?: string }[];
    };
    const first = document.Records[0];
    if (first !== undefined) first.eventName = 'NothingToSeeHere';
    await writeFile(file, gzipSync(JSON.stringify(document)));

    const offline = await verify([
      '--local',
      exportDir,
      '--trail-arn',
      trailArn,
      '--start-time',
      start,
      '--end-time',
      end,
    ]);

    expect(offline.code).toBe(1);
    expect(offline.result.logs.filter((l) => l.verdict !== 'valid').map((l) => [l.key, l.verdict])).toEqual([
      [target, 'invalid-hash'],
    ]);
    expect(offline.result.digests.every((d) => d.verdict === 'valid')).toBe(true);
  });
});
