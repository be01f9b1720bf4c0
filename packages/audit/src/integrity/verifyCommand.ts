import { parseArgs } from 'node:util';
import { IntegrityError, IntegrityErrorCode } from './errors.js';
import { isValidAccountId, isValidOrganizationId, isValidRegion, parseTrailArn } from './keys.js';
import { createLocalFolderSource } from './localSource.js';
import { renderVerifyText } from './render.js';
import { createS3IntegritySource } from './s3Source.js';
import type { IntegritySource, TrailInfo } from './source.js';
import { type VerifyProgress, verifyTrail } from './verify.js';

/** Exit codes of `jit-audit verify`. */
export const VerifyExitCode = {
  /** Every digest and log file in the range is valid (and the strict chain checks found no error). */
  Valid: 0,
  /** At least one file is invalid or missing, a strict check failed, or no digest was found. */
  Invalid: 1,
  /** Bad input: unknown flag, malformed value, start after end, unusable export folder. */
  BadInput: 2,
  /** The source could not be read (credentials, permissions, network, endpoint). */
  SourceUnavailable: 3,
} as const;

export interface VerifyCommandIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  /** Draw a progress bar (on stderr) and colours. */
  readonly isTTY: boolean;
  /** @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Clock for the default `--end-time`. @default () => new Date() */
  readonly now?: (() => Date) | undefined;
}

export const VERIFY_HELP = `Usage: jit-audit verify --trail-arn <arn> --start-time <time> [options]

Validates a CloudTrail trail's digest chain and log files like \`aws cloudtrail validate-logs\`
(digest signatures, log-file SHA-256, missing, moved and unknown-key digests, gaps, backfill
digests) and also checks what that command skips: every previousDigestSignature and
previousDigestHashValue against the digest it names, digests no chain reaches, data appended
after a log file's gzip stream.

Options:
  --trail-arn <arn>         arn:aws:cloudtrail:<home-region>:<account>:trail/<name> (required)
  --start-time <time>       validate digests ending at or after this UTC time (required),
                            e.g. 2024-03-01T00:00:00Z or 2024-03-01
  --end-time <time>         ... and up to this time (default: now)
  --s3-bucket <name>        trail bucket (default: from DescribeTrails, or the export's bucket)
  --s3-prefix <prefix>      the trail's S3 key prefix (default: from DescribeTrails)
  --account-id <id>         account whose logs to validate (required for organization trails)
  --organization-id <o-id>  organization trail layout AWSLogs/<o-id>/... (default: discovered)
  --region <region>         region whose digests to validate (default: the trail's home region)
  --local <dir>             verify a local export (bucket copy + jit-audit-export.json) instead of S3
  --endpoint-url <url>      S3 and CloudTrail endpoint, e.g. the local environment's edge
  --concurrency <n>         downloads in flight (default 16, 1-256)
  --cli-compatible          only the checks \`aws cloudtrail validate-logs\` makes
  --json                    print the full result as JSON
  --verbose                 list every file, not only invalid ones; stack traces on errors
  --help                    show this help

Example:
  jit-audit verify --trail-arn arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail \\
    --account-id 444455556666 --start-time 2024-03-01T00:00:00Z --end-time 2024-03-02T00:00:00Z

  jit-audit verify --local ./trail-export --trail-arn arn:aws:cloudtrail:us-east-1:111122223333:trail/main \\
    --start-time 2024-03-01

Exit codes: 0 all valid, 1 something invalid or missing, 2 bad input, 3 source unavailable.
`;

const TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

function badInput(message: string, suggestion?: string): IntegrityError {
  return new IntegrityError(IntegrityErrorCode.InvalidOption, message, suggestion === undefined ? {} : { suggestion });
}

/** Parses `--start-time`/`--end-time`: ISO 8601 date or date-time; without a zone it is UTC. */
export function parseTimeFlag(flag: string, value: string): Date {
  const match = TIME.exec(value.trim());
  const allowed = 'an ISO 8601 UTC time such as 2024-03-01T05:00:00Z, or a date such as 2024-03-01';
  if (match === null) throw badInput(`${flag}: got ${JSON.stringify(value)}; allowed: ${allowed}`);
  const [, y, mo, d, h = '00', mi = '00', s = '00', fraction = '', zone = 'Z'] = match;
  const normalizedZone = zone === 'Z' ? 'Z' : zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}${fraction === '' ? '' : `.${fraction.padEnd(3, '0').slice(0, 3)}`}${normalizedZone}`;
  const date = new Date(iso);
  const day = new Date(`${y}-${mo}-${d}T00:00:00Z`);
  const sameDay =
    !Number.isNaN(date.getTime()) && !Number.isNaN(day.getTime()) && day.toISOString().startsWith(`${y}-${mo}-${d}`);
  if (!sameDay || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) {
    throw badInput(`${flag}: got ${JSON.stringify(value)}, which is not a real time; allowed: ${allowed}`);
  }
  return date;
}

interface Flags {
  trailArn: string;
  start: Date;
  end: Date;
  bucket: string | undefined;
  prefix: string | undefined;
  accountId: string | undefined;
  organizationId: string | undefined;
  region: string | undefined;
  local: string | undefined;
  endpoint: string | undefined;
  concurrency: number;
  json: boolean;
  verbose: boolean;
  strict: boolean;
}

function parseFlags(argv: string[], now: () => Date): Flags | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        'trail-arn': { type: 'string' },
        'start-time': { type: 'string' },
        'end-time': { type: 'string' },
        's3-bucket': { type: 'string' },
        's3-prefix': { type: 'string' },
        'account-id': { type: 'string' },
        'organization-id': { type: 'string' },
        region: { type: 'string' },
        local: { type: 'string' },
        'endpoint-url': { type: 'string' },
        concurrency: { type: 'string' },
        'cli-compatible': { type: 'boolean' },
        json: { type: 'boolean' },
        verbose: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw badInput(
      error instanceof Error ? error.message : String(error),
      'Run `jit-audit verify --help` for the flags.',
    );
  }
  if (values.help === true) return 'help';
  const text = (name: string): string | undefined => values[name] as string | undefined;
  const trailArn = text('trail-arn');
  if (trailArn === undefined) {
    throw badInput('--trail-arn: missing; allowed: arn:aws:cloudtrail:<home-region>:<account>:trail/<name>');
  }
  parseTrailArn(trailArn);
  const startText = text('start-time');
  if (startText === undefined)
    throw badInput('--start-time: missing; allowed: an ISO 8601 UTC time such as 2024-03-01T00:00:00Z');
  const start = parseTimeFlag('--start-time', startText);
  const endText = text('end-time');
  const end = endText === undefined ? now() : parseTimeFlag('--end-time', endText);
  if (start.getTime() > end.getTime()) {
    throw badInput(
      `--start-time: got ${startText}, which is after --end-time ${endText ?? `(now, ${end.toISOString()})`}; allowed: a time at or before --end-time`,
    );
  }
  const accountId = text('account-id');
  if (accountId !== undefined && !isValidAccountId(accountId)) {
    throw badInput(`--account-id: got ${JSON.stringify(accountId)}; allowed: a 12-digit AWS account id`);
  }
  const organizationId = text('organization-id');
  if (organizationId !== undefined && !isValidOrganizationId(organizationId)) {
    throw badInput(
      `--organization-id: got ${JSON.stringify(organizationId)}; allowed: 'o-' followed by 10-32 lowercase letters or digits`,
    );
  }
  const region = text('region');
  if (region !== undefined && !isValidRegion(region)) {
    throw badInput(`--region: got ${JSON.stringify(region)}; allowed: an AWS region code such as us-east-1`);
  }
  const endpoint = text('endpoint-url');
  if (endpoint !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(endpoint);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw badInput(`--endpoint-url: got ${JSON.stringify(endpoint)}; allowed: an http:// or https:// URL`);
    }
  }
  const local = text('local');
  if (local !== undefined && endpoint !== undefined) {
    throw badInput('--local and --endpoint-url: got both; allowed: one source, a local export or an endpoint');
  }
  const concurrencyText = text('concurrency') ?? '16';
  const concurrency = Number(concurrencyText);
  if (!/^\d+$/.test(concurrencyText) || concurrency < 1 || concurrency > 256) {
    throw badInput(`--concurrency: got ${JSON.stringify(concurrencyText)}; allowed: an integer from 1 to 256`);
  }
  const prefix = text('s3-prefix');
  if (prefix !== undefined && (prefix === '' || prefix.startsWith('/') || prefix.endsWith('/'))) {
    throw badInput(
      `--s3-prefix: got ${JSON.stringify(prefix)}; allowed: the trail's key prefix without leading or trailing '/'`,
    );
  }
  return {
    trailArn,
    start,
    end,
    bucket: text('s3-bucket'),
    prefix,
    accountId,
    organizationId,
    region,
    local,
    endpoint,
    concurrency,
    json: values.json === true,
    verbose: values.verbose === true,
    strict: values['cli-compatible'] !== true,
  };
}

/** Finds the organization id in `[prefix/]AWSLogs/<o-id>/<account>/` when exactly one fits. */
async function discoverOrganizationId(
  source: IntegritySource,
  bucket: string,
  prefix: string | undefined,
  accountId: string,
  required: boolean,
): Promise<string | undefined> {
  const root = `${prefix === undefined ? '' : `${prefix}/`}AWSLogs/`;
  const candidates: string[] = [];
  const entries = await source.listCommonPrefixes({ bucket, prefix: root });
  // Without word from DescribeTrails, the per-account layout wins when it exists.
  if (!required && entries.includes(`${root}${accountId}/`)) return undefined;
  for (const entry of entries) {
    const id = entry.slice(root.length).replace(/\/$/, '');
    if (!isValidOrganizationId(id)) continue;
    const accounts = await source.listCommonPrefixes({ bucket, prefix: `${root}${id}/` });
    if (accounts.includes(`${root}${id}/${accountId}/`)) candidates.push(id);
  }
  if (candidates.length === 1 && candidates[0] !== undefined) return candidates[0];
  if (!required && candidates.length === 0) return undefined;
  throw badInput(
    candidates.length === 0
      ? `--organization-id: not given and no s3://${bucket}/${root}o-*/${accountId}/ folder exists; allowed: the organization id (o-…)`
      : `--organization-id: not given and several organizations hold account ${accountId}: ${candidates.join(', ')}; allowed: one of them`,
  );
}

function progressBar(stderr: VerifyCommandIo['stderr']): { update(progress: VerifyProgress): void; clear(): void } {
  let lastDraw = 0;
  let drawn = false;
  return {
    update(progress) {
      const now = Date.now();
      if (progress.phase !== 'done' && now - lastDraw < 80) return;
      lastDraw = now;
      const total = progress.digestsListed + progress.logsQueued;
      const done = progress.digestsChecked + progress.logsChecked;
      const width = 24;
      const fraction = total === 0 ? 0 : Math.min(1, done / total);
      const filled = Math.round(fraction * width);
      const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
      stderr.write(
        `\r\u001b[K[${bar}] ${progress.phase === 'listing' ? 'listing digests' : `${progress.digestsChecked}/${progress.digestsListed} digests, ${progress.logsChecked}/${progress.logsQueued} log files`}`,
      );
      drawn = true;
    },
    clear() {
      if (drawn) stderr.write('\r\u001b[K');
    },
  };
}

function exitCodeFor(error: unknown): number {
  if (error instanceof IntegrityError) {
    return error.code === IntegrityErrorCode.SourceUnavailable
      ? VerifyExitCode.SourceUnavailable
      : VerifyExitCode.BadInput;
  }
  return VerifyExitCode.SourceUnavailable;
}

/** `jit-audit verify`: parse flags, pick the source, run `verifyTrail`, render. Returns the exit code. */
export async function runVerifyCommand(argv: string[], io: VerifyCommandIo): Promise<number> {
  const env = io.env ?? process.env;
  const json = argv.includes('--json');
  const verbose = argv.includes('--verbose');
  const color = io.isTTY && env.NO_COLOR === undefined && !json;
  let bar: ReturnType<typeof progressBar> | undefined;
  try {
    const flags = parseFlags(argv, io.now ?? (() => new Date()));
    if (flags === 'help') {
      io.stdout.write(VERIFY_HELP);
      return VerifyExitCode.Valid;
    }
    const arn = parseTrailArn(flags.trailArn);
    const region = flags.region ?? arn.homeRegion;
    const source: IntegritySource =
      flags.local !== undefined
        ? await createLocalFolderSource(flags.local)
        : createS3IntegritySource({ region, endpoint: flags.endpoint });

    let trail: TrailInfo | undefined;
    if (flags.bucket === undefined) {
      trail = await source.describeTrail(flags.trailArn);
      if (trail === undefined && source.defaultBucket === undefined) {
        throw new IntegrityError(
          IntegrityErrorCode.TrailNotFound,
          `--trail-arn: ${flags.trailArn} is not among the trails DescribeTrails returns in ${region}; allowed: an existing trail, or give --s3-bucket`,
          { suggestion: 'Pass --s3-bucket (and --s3-prefix) to verify a trail that was deleted or lives elsewhere.' },
        );
      }
    } else if (flags.organizationId === undefined) {
      // Only to learn whether it is an organization trail; --s3-bucket must work without
      // cloudtrail:DescribeTrails, as it does for the AWS CLI.
      trail = await source.describeTrail(flags.trailArn).catch(() => undefined);
    }
    const bucket = flags.bucket ?? trail?.bucket ?? source.defaultBucket;
    if (bucket === undefined) throw badInput('--s3-bucket: missing and the source does not know the bucket');
    const prefix = flags.prefix ?? (flags.bucket === undefined ? trail?.prefix : undefined);
    const isOrganizationTrail = trail?.isOrganizationTrail === true;
    if (isOrganizationTrail && flags.accountId === undefined) {
      throw badInput(
        "--account-id: missing; allowed: the member account whose logs to validate (required for organization trail's digests)",
      );
    }
    const accountId = flags.accountId ?? arn.accountId;
    let organizationId = flags.organizationId;
    if (organizationId === undefined && isOrganizationTrail) {
      organizationId = await discoverOrganizationId(source, bucket, prefix, accountId, true);
    } else if (organizationId === undefined && trail === undefined) {
      organizationId = await discoverOrganizationId(source, bucket, prefix, accountId, false);
    }

    if (io.isTTY && !flags.json) bar = progressBar(io.stderr);
    const result = await verifyTrail({
      source,
      start: flags.start,
      end: flags.end,
      trailArn: flags.trailArn,
      accountId,
      region,
      organizationId,
      bucket,
      prefix,
      strictChain: flags.strict,
      concurrency: flags.concurrency,
      onProgress: bar === undefined ? undefined : (progress) => bar?.update(progress),
    });
    bar?.clear();
    if (flags.json) {
      io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      io.stdout.write(renderVerifyText(result, { verbose: flags.verbose, color }));
    }
    return result.ok ? VerifyExitCode.Valid : VerifyExitCode.Invalid;
  } catch (error) {
    bar?.clear();
    const code = exitCodeFor(error);
    if (json) {
      const body =
        error instanceof IntegrityError
          ? error.toJSON()
          : {
              error: {
                name: 'Error',
                code: 'INTEGRITY_UNEXPECTED',
                message: error instanceof Error ? error.message : String(error),
              },
            };
      io.stdout.write(`${JSON.stringify({ ...body, exitCode: code }, null, 2)}\n`);
    } else {
      const message = error instanceof Error ? error.message : String(error);
      io.stderr.write(`jit-audit verify: ${message}\n`);
      if (error instanceof IntegrityError && error.suggestion !== undefined) io.stderr.write(`${error.suggestion}\n`);
      if (verbose && error instanceof Error && error.stack !== undefined) io.stderr.write(`${error.stack}\n`);
    }
    return code;
  }
}
