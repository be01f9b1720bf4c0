import { parseArgs } from 'node:util';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { S3Client } from '@aws-sdk/client-s3';
import { JitError } from '@jit-access/core';
import { CorrelationMode } from './correlate.js';
import { invalidInput, ReportErrorCode } from './errors.js';
import { collectSessions, type Progress } from './pipeline.js';
import { REPORT_FORMATS, type ReportFormat, renderReport } from './render/render.js';
import { renderSessionListJson, renderSessionListText } from './render/sessions.js';
import { buildReport, type Report, type ReportQuery } from './report.js';
import { readSelfReport, type SelfReport } from './selfReport.js';
import { localLogSource } from './sources/local.js';
import { LOOKUP_ATTRIBUTE_KEYS, type LookupAttributeFilter, type LookupAttributeKeyName } from './sources/lookup.js';
import { lookupSessionRecords } from './sources/lookupSessions.js';
import { s3LogSource } from './sources/s3.js';
import { parseTime } from './time.js';
import type { RecordSource } from './types.js';

/** Exit codes of `jit-audit report` and `jit-audit sessions`. */
export const ReportExitCode = {
  /** Every session clean: calls inside their windows, self-report (if given) matches, all input readable. */
  Clean: 0,
  /** An error other than bad input: a source could not be read, LookupEvents kept throttling, a bug. */
  Error: 1,
  /** Bad input: an option's value is not allowed. Nothing was read. */
  BadInput: 2,
  /** The report needs attention: discrepancies, calls outside the window, unreadable input, session not found. */
  Attention: 3,
} as const;

export interface CommandIo {
  readonly stdout: { write(chunk: string): unknown };
  readonly stderr: { write(chunk: string): unknown };
  /** Whether stdout is a terminal: colour and progress only then. */
  readonly isTTY?: boolean;
  /** @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

const SOURCES = ['lookup', 's3', 'local'] as const;
type SourceKind = (typeof SOURCES)[number];

const SOURCE_OPTIONS = {
  source: { type: 'string' },
  local: { type: 'string' },
  bucket: { type: 'string' },
  prefix: { type: 'string' },
  'account-id': { type: 'string', multiple: true },
  'organization-id': { type: 'string' },
  region: { type: 'string', multiple: true },
  'endpoint-url': { type: 'string' },
  'lookup-attribute': { type: 'string', multiple: true },
  session: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  'all-assumed-roles': { type: 'boolean' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const REPORT_OPTIONS = {
  ...SOURCE_OPTIONS,
  'self-report': { type: 'string' },
  format: { type: 'string' },
} as const;

const SESSIONS_OPTIONS = { ...SOURCE_OPTIONS, format: { type: 'string' } } as const;

const SOURCE_HELP = `Source (default: --local if given, else s3 if --bucket is given, else lookup):
  --source lookup|s3|local
  --local <dir>                  folder of .json / .json.gz log files (recursive; digests skipped)
  --bucket <name>                the trail bucket (s3)
  --prefix <prefix>              the trail's S3 key prefix
  --account-id <id>              account(s) to read (repeatable; default: all found)
  --organization-id <o-id>       organization trail layout AWSLogs/<o-id>/<acct>/ (default: discovered)
  --region <region>              trail regions to read (s3) or to query (lookup); repeatable
  --endpoint-url <url>           S3 / CloudTrail endpoint (the local environment)
  --lookup-attribute <Key=Value> LookupEvents attribute (AccessKeyId, Username, EventName); repeatable.
                                 Default: AssumeRole events, then the calls of each access key they returned

Selection:
  --since <time>                 ISO 8601 (2026-03-25T12:00:00Z) or relative (30m, 12h, 7d)
                                 default: 24h for s3 and lookup, everything for local
  --until <time>                 default: now
  --session <id>                 grant id, jit-<grant id>, session name or access key id
  --all-assumed-roles            every AssumedRole session by access key, not only jit- sessions`;

export const REPORT_HELP = `jit-audit report — elevated-session reports built from CloudTrail, never from the agent's word

Usage: jit-audit report [source] [selection] [--self-report <file>] [--format text|md|html|json] [--json]

${SOURCE_HELP}

Report:
  --self-report <file>           the agent's journal (JSON Lines, jit-agent report): compared both ways
  --format text|md|html|json     default text; --json is --format json
  --verbose                      stack traces on errors

Exit codes: 0 clean · 1 error · 2 bad input · 3 needs attention (calls outside the window,
self-report differs, unreadable input, session not found)

Examples:
  jit-audit report --local ./trail-export --since 2026-03-25 --session 01JQ8Z3VJ4W6T5N2M7K9A1B3C5
  jit-audit report --bucket org-trail-logs --organization-id o-abc123def4 --region ap-southeast-2 \\
      --since 12h --self-report ~/.jit/journal.jsonl --format html > report.html
  jit-audit report --source lookup --region ap-southeast-2 --since 2h --json
  jit-audit report --local ../shared/fixtures/cloudtrail/invictus-ir --all-assumed-roles
`;

export const SESSIONS_HELP = `jit-audit sessions — list the elevated sessions CloudTrail shows

Usage: jit-audit sessions --since <time> [source] [--json]

${SOURCE_HELP}

Output:
  --format text|json             default text; --json is --format json

Exit codes: 0 clean · 1 error · 2 bad input · 3 needs attention

Examples:
  jit-audit sessions --since 24h --bucket org-trail-logs --region ap-southeast-2
  jit-audit sessions --local ../shared/fixtures/cloudtrail/stratus-red-team --all-assumed-roles --json
`;

type Values = {
  [K in keyof typeof REPORT_OPTIONS]?: (typeof REPORT_OPTIONS)[K] extends { multiple: true }
    ? string[]
    : (typeof REPORT_OPTIONS)[K] extends { type: 'boolean' }
      ? boolean
      : string;
};

const RELATIVE = /^(\d+)\s*(s|m|min|h|d|w)$/i;
const UNIT_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

export function parseTimeOption(field: string, value: string, now: Date): Date {
  if (value === 'now') return now;
  const relative = RELATIVE.exec(value.trim());
  if (relative !== null) {
    const unit = UNIT_MS[(relative[2] ?? '').toLowerCase()] ?? 0;
    return new Date(now.getTime() - Number(relative[1]) * unit);
  }
  const ms = /^\d{4}-\d{2}-\d{2}/.test(value) ? parseTime(value) : undefined;
  if (ms === undefined) {
    throw invalidInput(
      field,
      value,
      'expected an ISO 8601 time (2026-03-25T12:00:00Z, 2026-03-25) or a relative one (30m, 12h, 7d)',
    );
  }
  return new Date(ms);
}

interface ResolvedOptions {
  readonly kind: SourceKind;
  readonly since?: Date;
  readonly until?: Date;
  readonly mode: CorrelationMode;
  readonly session?: string;
  readonly format: ReportFormat;
  readonly sourceLabel: string;
  readonly makeSource: () => RecordSource;
}

function pick<T extends string>(field: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw invalidInput(field, value, `allowed ${allowed.join(', ')}`);
}

function lookupAttribute(value: string): LookupAttributeFilter {
  const at = value.indexOf('=');
  const key = at < 0 ? '' : value.slice(0, at);
  const attributeValue = at < 0 ? '' : value.slice(at + 1);
  if (!(LOOKUP_ATTRIBUTE_KEYS as readonly string[]).includes(key) || attributeValue === '') {
    throw invalidInput(
      '--lookup-attribute',
      value,
      `expected Key=Value with Key one of ${LOOKUP_ATTRIBUTE_KEYS.join(', ')}`,
    );
  }
  return { key: key as LookupAttributeKeyName, value: attributeValue };
}

function resolve(values: Values, io: CommandIo, formats: readonly ReportFormat[]): ResolvedOptions {
  const env = io.env ?? process.env;
  const now = (io.now ?? (() => new Date()))();
  const kind: SourceKind =
    values.source !== undefined
      ? pick('--source', values.source, SOURCES)
      : values.local !== undefined
        ? 'local'
        : values.bucket !== undefined
          ? 's3'
          : 'lookup';
  const asked = pick('--format', values.format ?? (values.json === true ? 'json' : 'text'), formats);
  if (values.json === true && asked !== 'json') {
    throw invalidInput('--format', asked, 'conflicts with --json: give one of them');
  }
  const format: ReportFormat = asked;
  // A local export is read whole unless a window is given; S3 and LookupEvents need one to bound the listing.
  const until =
    values.until === undefined ? (kind === 'local' ? undefined : now) : parseTimeOption('--until', values.until, now);
  const defaultSince = kind === 'local' ? undefined : new Date((until ?? now).getTime() - 86_400_000);
  const since = values.since === undefined ? defaultSince : parseTimeOption('--since', values.since, now);
  if (since !== undefined && until !== undefined && since.getTime() > until.getTime()) {
    throw invalidInput('--since', since.toISOString(), `expected a time before --until ${until.toISOString()}`);
  }
  const accountIds = values['account-id']?.flatMap((a) => a.split(',')).map((a) => a.trim());
  for (const account of accountIds ?? []) {
    if (!/^\d{12}$/.test(account)) throw invalidInput('--account-id', account, 'expected a 12-digit AWS account id');
  }
  const organizationId = values['organization-id'];
  if (organizationId !== undefined && !/^o-[a-z0-9]{10,32}$/.test(organizationId)) {
    throw invalidInput(
      '--organization-id',
      organizationId,
      'expected an organization id like o-abc123def4 (o- and 10-32 lower-case letters or digits)',
    );
  }
  const regions = values.region?.flatMap((r) => r.split(',')).map((r) => r.trim());
  for (const region of regions ?? []) {
    if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region))
      throw invalidInput('--region', region, 'expected an AWS region such as us-east-1');
  }
  const endpoint = values['endpoint-url'];
  if (endpoint !== undefined && !/^https?:\/\/[^\s]+$/.test(endpoint)) {
    throw invalidInput('--endpoint-url', endpoint, 'expected an http(s) URL such as http://127.0.0.1:4566');
  }
  const attributes = values['lookup-attribute']?.map(lookupAttribute);
  const mode = values['all-assumed-roles'] === true ? CorrelationMode.AllAssumedRoles : CorrelationMode.Jit;
  const session = values.session;
  if (session !== undefined && !/^[\w+=,.@:#/-]{2,512}$/.test(session)) {
    throw invalidInput('--session', session, 'expected a grant id, jit-<grant id>, a session name or an access key id');
  }
  const defaultRegion = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const base = {
    kind,
    mode,
    format,
    ...(since === undefined ? {} : { since }),
    ...(until === undefined ? {} : { until }),
    ...(session === undefined ? {} : { session }),
  };

  if (kind === 'local') {
    const path = values.local;
    if (path === undefined)
      throw invalidInput('--local', '', 'required with --source local: a folder of .json / .json.gz log files');
    return { ...base, sourceLabel: `local ${path}`, makeSource: () => localLogSource({ path }) };
  }
  if (kind === 's3') {
    const bucket = values.bucket;
    if (bucket === undefined || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
      throw invalidInput(
        '--bucket',
        bucket ?? '',
        'required with --source s3: an S3 bucket name (3-63 lower-case letters, digits, dots, hyphens)',
      );
    }
    const s3Until = until ?? now;
    const s3Since = since ?? new Date(s3Until.getTime() - 86_400_000);
    const client = new S3Client({
      region: regions?.[0] ?? defaultRegion,
      followRegionRedirects: true,
      ...(endpoint === undefined ? {} : { endpoint, forcePathStyle: true }),
    });
    const prefix = values.prefix?.replace(/^\/+|\/+$/g, '');
    return {
      ...base,
      since: s3Since,
      until: s3Until,
      sourceLabel: `s3://${bucket}/${prefix === undefined || prefix === '' ? '' : `${prefix}/`}AWSLogs/`,
      makeSource: () =>
        s3LogSource({
          client,
          bucket,
          since: s3Since,
          until: s3Until,
          ...(prefix === undefined || prefix === '' ? {} : { prefix }),
          ...(accountIds === undefined ? {} : { accountIds }),
          ...(organizationId === undefined ? {} : { organizationId }),
          ...(regions === undefined ? {} : { regions }),
        }),
    };
  }
  const lookupUntil = until ?? now;
  const lookupSince = since ?? new Date(lookupUntil.getTime() - 86_400_000);
  const lookupRegions = regions ?? [defaultRegion];
  // Our own limiter and backoff pace LookupEvents (2 requests/s); the SDK's retries would only add blind waits.
  const clients = lookupRegions.map(
    (region) => new CloudTrailClient({ region, maxAttempts: 1, ...(endpoint === undefined ? {} : { endpoint }) }),
  );
  return {
    ...base,
    since: lookupSince,
    until: lookupUntil,
    sourceLabel: `LookupEvents ${lookupRegions.join(',')}`,
    makeSource: () =>
      lookupSessionRecords({
        clients,
        since: lookupSince,
        until: lookupUntil,
        mode,
        ...(io.now === undefined ? {} : { now: io.now }),
        ...(session === undefined ? {} : { session }),
        ...(attributes === undefined ? {} : { attributes }),
      }),
  };
}

function progressReporter(io: CommandIo): { update: (p: Progress) => void; done: () => void } {
  if (io.isTTY !== true) return { update: () => {}, done: () => {} };
  let last = 0;
  let shown = false;
  return {
    update: (p) => {
      const t = Date.now();
      if (t - last < 200) return;
      last = t;
      shown = true;
      io.stderr.write(`\rreading CloudTrail: ${p.files} files/pages, ${p.records} records, ${p.findings} findings`);
    },
    done: () => {
      if (shown) io.stderr.write('\r\u001b[2K');
    },
  };
}

async function produce(options: ResolvedOptions, io: CommandIo, selfReportPath: string | undefined): Promise<Report> {
  const selfReport: SelfReport | undefined =
    selfReportPath === undefined ? undefined : await readSelfReport(selfReportPath);
  const progress = progressReporter(io);
  let collected: Awaited<ReturnType<typeof collectSessions>>;
  try {
    collected = await collectSessions(options.makeSource(), {
      mode: options.mode,
      onProgress: progress.update,
      ...(options.since === undefined ? {} : { since: options.since }),
      ...(options.until === undefined ? {} : { until: options.until }),
      ...(options.session === undefined ? {} : { session: options.session }),
    });
  } finally {
    progress.done();
  }
  const query: ReportQuery = {
    source: options.sourceLabel,
    ...(options.since === undefined ? {} : { since: options.since.toISOString() }),
    ...(options.until === undefined ? {} : { until: options.until.toISOString() }),
    ...(options.session === undefined ? {} : { session: options.session }),
    ...(selfReportPath === undefined ? {} : { selfReport: selfReportPath }),
  };
  return buildReport({
    sessions: collected.sessions,
    mode: options.mode,
    findings: collected.findings,
    ...(selfReport === undefined ? {} : { selfReport }),
    query,
    input: { records: collected.records, files: collected.files },
    generatedAt: (io.now ?? (() => new Date()))(),
  });
}

function fail(error: unknown, io: CommandIo, json: boolean, verbose: boolean): number {
  const errorCode = error instanceof TypeError ? (error as unknown as { code?: unknown }).code : undefined;
  const parseError = typeof errorCode === 'string' && errorCode.startsWith('ERR_PARSE_ARGS');
  const known = error instanceof JitError;
  const code = parseError
    ? ReportExitCode.BadInput
    : known && error.code === ReportErrorCode.InvalidInput
      ? ReportExitCode.BadInput
      : ReportExitCode.Error;
  const message = error instanceof Error ? error.message : String(error);
  const suggestion = known ? error.suggestion : parseError ? 'run with --help for the options' : undefined;
  if (json) {
    const body = known
      ? error.toJSON()
      : {
          error: {
            name: parseError ? 'UsageError' : 'Error',
            code: parseError ? ReportErrorCode.InvalidInput : 'INTERNAL',
            message,
            ...(suggestion === undefined ? {} : { suggestion }),
          },
        };
    io.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
  } else {
    io.stderr.write(`error: ${message}\n`);
    if (suggestion !== undefined) io.stderr.write(`  ${suggestion}\n`);
    if (verbose && error instanceof Error && error.stack !== undefined) io.stderr.write(`${error.stack}\n`);
  }
  return code;
}

function parse<O extends typeof REPORT_OPTIONS | typeof SESSIONS_OPTIONS>(argv: readonly string[], options: O): Values {
  return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values as Values;
}

function colorEnabled(io: CommandIo): boolean {
  const env = io.env ?? process.env;
  return io.isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === '');
}

/** `jit-audit report`: returns the exit code (see ReportExitCode). */
export async function runReportCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const json = argv.includes('--json') || argv.includes('--format=json') || argv.join(' ').includes('--format json');
  const verbose = argv.includes('--verbose');
  try {
    const values = parse(argv, REPORT_OPTIONS);
    if (values.help === true) {
      io.stdout.write(REPORT_HELP);
      return ReportExitCode.Clean;
    }
    const options = resolve(values, io, REPORT_FORMATS);
    const report = await produce(options, io, values['self-report']);
    io.stdout.write(renderReport(report, options.format, { color: colorEnabled(io) }));
    return report.attention.length > 0 ? ReportExitCode.Attention : ReportExitCode.Clean;
  } catch (error) {
    return fail(error, io, json, verbose);
  }
}

/** `jit-audit sessions`: the list of elevated sessions found; returns the exit code. */
export async function runSessionsCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const json = argv.includes('--json') || argv.includes('--format=json') || argv.join(' ').includes('--format json');
  const verbose = argv.includes('--verbose');
  try {
    const values = parse(argv, SESSIONS_OPTIONS);
    if (values.help === true) {
      io.stdout.write(SESSIONS_HELP);
      return ReportExitCode.Clean;
    }
    const options = resolve(values, io, ['text', 'json']);
    const report = await produce(options, io, undefined);
    io.stdout.write(options.format === 'json' ? renderSessionListJson(report) : renderSessionListText(report));
    return report.attention.length > 0 ? ReportExitCode.Attention : ReportExitCode.Clean;
  } catch (error) {
    return fail(error, io, json, verbose);
  }
}
