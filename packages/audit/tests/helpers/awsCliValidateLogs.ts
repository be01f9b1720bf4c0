import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Runs the real `aws cloudtrail validate-logs` (AWS CLI v1, installed with Python) against an endpoint
 * and splits its output into per-file lines and the summary, for comparison with `jit-audit verify`.
 *
 * AWS CLI v1 only applies `--endpoint-url` to the CloudTrail client of this command; the S3 and
 * Organizations clients it creates ignore it. `AWS_ENDPOINT_URL` (botocore's configured endpoint, honoured
 * by every client) routes them all to the endpoint.
 */

export interface ValidateLogsRun {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Per-file lines (`Digest file\t…`, `(backfill) Digest file\t…`, `Log file\t…`) and gap lines, in output order. */
  readonly lines: string[];
  /** From `Results requested for` to the end of stdout. */
  readonly summary: string;
}

export interface ValidateLogsOptions {
  readonly endpoint: string;
  readonly trailArn: string;
  readonly start: string;
  readonly end: string;
  readonly bucket?: string | undefined;
  readonly prefix?: string | undefined;
  readonly accountId?: string | undefined;
  readonly region?: string | undefined;
}

const FILE_LINE = /^(?:\(backfill\) )?(?:Digest file|Log file)\t/;
const GAP_LINE = /^(?:\(backfill\) )?No log files were delivered by CloudTrail between /;

export async function runAwsValidateLogs(options: ValidateLogsOptions): Promise<ValidateLogsRun> {
  const home = await mkdtemp(join(tmpdir(), 'aws-cli-home-'));
  const args = [
    'cloudtrail',
    'validate-logs',
    '--trail-arn',
    options.trailArn,
    '--start-time',
    options.start,
    '--end-time',
    options.end,
    '--verbose',
    '--region',
    options.region ?? 'us-east-1',
    ...(options.bucket === undefined ? [] : ['--s3-bucket', options.bucket]),
    ...(options.prefix === undefined ? [] : ['--s3-prefix', options.prefix]),
    ...(options.accountId === undefined ? [] : ['--account-id', options.accountId]),
  ];
  // Dummy credentials for SigV4 signing; the loopback server ignores them. Nothing from the developer's
  // own AWS configuration leaks in: config and credential files point into an empty home.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    AWS_CONFIG_FILE: join(home, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_DEFAULT_REGION: options.region ?? 'us-east-1',
    AWS_ENDPOINT_URL: options.endpoint,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_MAX_ATTEMPTS: '1',
    PYTHONWARNINGS: 'ignore',
  };
  try {
    return await new Promise<ValidateLogsRun>((resolve, reject) => {
      execFile('aws', args, { env, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
        if (error !== null && typeof error.code !== 'number') {
          reject(new Error(`could not run the AWS CLI (${error.message}); is \`aws\` (AWS CLI v1) on PATH?`));
          return;
        }
        const exitCode = error === null ? 0 : (error.code as number);
        const lines = `${stdout}\n${stderr}`.split('\n').filter((line) => FILE_LINE.test(line) || GAP_LINE.test(line));
        const summaryStart = stdout.indexOf('Results requested for');
        resolve({
          exitCode,
          stdout,
          stderr,
          lines,
          summary: summaryStart === -1 ? '' : stdout.slice(summaryStart),
        });
      });
    });
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}
