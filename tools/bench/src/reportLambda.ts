/**
 * The auditors' report function on a window of 100,000 CloudTrail records (an organization's hour:
 * service-role traffic in 4 accounts, 20 elevated sessions, gzip log files under signed digests), with
 * the log-archive bucket held in memory so that the figures are the function's own work, not a network's
 * (pass `s3LatencyMs` to add a delay per request, ~20 ms for S3 from Lambda).
 *
 * - Bundle: the size of dist-bundle/index.mjs as scripts/bundle.mjs builds it (what the stack deploys).
 * - Reading: the function's streaming reader (records split out of the gzip stream, only those that can
 *   belong to an elevated session parsed) beside the audit library's S3 source, which parses every file
 *   whole and validates every record — the baseline a handler written straight on the library would have.
 * - Handler: one whole run (read, digest chain for every account, reports and e-mails built), dry run so
 *   that no mail is sent; and the largest heap growth seen during a run.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { collectSessions, createS3IntegritySource, type IntegritySource, s3LogSource } from '@jit-access/audit';
import { parseSettings, REPORT_ENV, type ReportDependencies, readWindow, runReport } from '@jit-access/report-lambda';
import { compare, formatComparison, formatTable, type Summary } from './measure.js';
import { buildWindow, type WindowData } from './reportLambdaData.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const run = promisify(execFile);

export interface ReportLambdaBenchmarkOptions {
  /** Records in the window. @default 100_000 */
  readonly records?: number;
  /** Timed runs per contender. @default 5 */
  readonly runs?: number;
  /** Untimed rounds first. @default 1 */
  readonly warmup?: number;
  /** Delay per S3 request of the in-memory bucket. @default 0 */
  readonly s3LatencyMs?: number;
  /** Build the bundle and report its size. @default true */
  readonly bundle?: boolean;
  /** Where the tables go. @default process.stdout */
  readonly print?: (text: string) => void;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface ReportLambdaBenchmarkResult {
  readonly bundleBytes: number | undefined;
  readonly records: number;
  readonly logFiles: number;
  readonly readSummaries: readonly Summary[];
  readonly handler: Summary;
  /** Largest growth of the JavaScript heap during one handler run, in MiB. */
  readonly peakHeapGrowthMiB: number;
  readonly report: string;
}

const NAMES = {
  baseline: 'audit s3LogSource + collectSessions (every record parsed)',
  ours: 'report-lambda readWindow (streamed, prefiltered)',
  handler: 'runReport: read + digest chain + e-mails (dry run)',
} as const;

function dependencies(data: WindowData): ReportDependencies {
  const source = (region: string): IntegritySource => ({
    ...createS3IntegritySource({ region, s3Client: data.bucket.client }),
    // The bucket's digests are signed with the benchmark's key; it stands in for CloudTrail's ListPublicKeys.
    listPublicKeys: async () => [
      {
        fingerprint: data.keyPair.fingerprint,
        value: data.keyPair.publicKeyDer,
        validityStartTime: undefined,
        validityEndTime: undefined,
      },
    ],
  });
  return {
    settings: parseSettings({
      AWS_REGION: data.region,
      [REPORT_ENV.bucket]: data.bucket.name,
      [REPORT_ENV.sender]: 'reports@example.com',
      [REPORT_ENV.recipients]: 'auditors@example.com',
      [REPORT_ENV.organizationId]: 'o-bench000001',
    }),
    s3: data.bucket.client,
    mailer: {
      send: async () => {
        throw new Error('the benchmark runs dry: nothing is sent');
      },
    },
    integritySourceFor: source,
  };
}

async function bundleSize(): Promise<number> {
  const outdir = await mkdtemp(path.join(tmpdir(), 'bench-report-bundle-'));
  try {
    await run(process.execPath, [path.join(REPO, 'packages/report-lambda/scripts/bundle.mjs'), '--outdir', outdir], {
      cwd: path.join(REPO, 'packages/report-lambda'),
    });
    return (await stat(path.join(outdir, 'index.mjs'))).size;
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}

async function peakHeapGrowth(task: () => Promise<unknown>): Promise<number> {
  (globalThis as { gc?: () => void }).gc?.();
  const base = process.memoryUsage().heapUsed;
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, 5);
  try {
    await task();
  } finally {
    clearInterval(timer);
  }
  peak = Math.max(peak, process.memoryUsage().heapUsed);
  return (peak - base) / 1024 / 1024;
}

export async function runReportLambdaBenchmark(
  options: ReportLambdaBenchmarkOptions = {},
): Promise<ReportLambdaBenchmarkResult> {
  const print = options.print ?? ((text: string) => process.stdout.write(`${text}\n`));
  const runs = options.runs ?? 5;
  const bundleBytes = options.bundle === false ? undefined : await bundleSize();
  const data = buildWindow({ records: options.records ?? 100_000, latencyMs: options.s3LatencyMs ?? 0 });
  const deps = dependencies(data);
  const event = { since: data.since.toISOString(), until: data.until.toISOString(), dryRun: true };
  const readSince = new Date(data.since.getTime() - deps.settings.lookbackMinutes * 60_000);
  const lateDeliveryMs = (deps.settings.deliveryLagMinutes + 60) * 60_000;

  // Both readers must find the same sessions, or the comparison means nothing.
  const ours = await readWindow({
    client: data.bucket.client,
    bucket: data.bucket.name,
    since: readSince,
    until: data.until,
    lateDeliveryMs,
  });
  const theirs = await collectSessions(
    s3LogSource({ client: data.bucket.client, bucket: data.bucket.name, since: readSince, until: data.until }),
    { since: readSince, until: data.until },
  );
  if (ours.sessions.length !== data.sessions || theirs.sessions.length !== data.sessions) {
    throw new Error(
      `expected ${data.sessions} sessions, the report read ${ours.sessions.length}, the baseline ${theirs.sessions.length}`,
    );
  }

  const readSummaries = await compare(
    [
      {
        name: NAMES.baseline,
        run: () =>
          collectSessions(
            s3LogSource({ client: data.bucket.client, bucket: data.bucket.name, since: readSince, until: data.until }),
            { since: readSince, until: data.until },
          ),
      },
      {
        name: NAMES.ours,
        run: () =>
          readWindow({
            client: data.bucket.client,
            bucket: data.bucket.name,
            since: readSince,
            until: data.until,
            lateDeliveryMs,
          }),
      },
    ],
    {
      runs,
      warmup: options.warmup ?? 1,
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    },
  );
  const [handler] = await compare([{ name: NAMES.handler, run: () => runReport(event, deps) }], { runs, warmup: 1 });
  const check = await runReport(event, deps);
  if (check.integrity.status !== 'valid' || check.sessions.length !== data.sessions) {
    throw new Error(
      `the handler run is not the expected one: ${check.integrity.headline}, ${check.sessions.length} sessions`,
    );
  }
  const peakHeapGrowthMiB = await peakHeapGrowth(() => runReport(event, deps));

  const gzipMiB = data.bucket.bytes('AWSLogs/') / 1024 / 1024;
  const report = [
    formatTable(
      `Report function: bundle and input (${data.records.toLocaleString('en')} records)`,
      ['what', 'value'],
      [
        [
          'bundle dist-bundle/index.mjs',
          bundleBytes === undefined ? 'not built' : `${(bundleBytes / 1024).toFixed(1)} KiB`,
        ],
        ['log files (gzip)', `${data.logFiles} files, ${gzipMiB.toFixed(1)} MiB`],
        ['accounts / elevated sessions', `${data.accounts.length} / ${data.sessions}`],
        ['S3 latency per request', `${options.s3LatencyMs ?? 0} ms`],
      ],
    ),
    formatComparison(
      `Reading and correlating ${data.records.toLocaleString('en')} records`,
      readSummaries,
      NAMES.baseline,
    ),
    formatTable(
      `Handler run on ${data.records.toLocaleString('en')} records`,
      ['contender', 'runs', 'median ms', 'p90 ms', 'records/s', 'peak heap growth'],
      [
        [
          NAMES.handler,
          String(handler?.runs ?? 0),
          (handler?.medianMs ?? 0).toFixed(1),
          (handler?.p90Ms ?? 0).toFixed(1),
          Math.round(data.records / ((handler?.medianMs ?? 1) / 1000)).toLocaleString('en'),
          `${peakHeapGrowthMiB.toFixed(0)} MiB`,
        ],
      ],
    ),
  ].join('\n');
  print(report);
  return {
    bundleBytes,
    records: data.records,
    logFiles: data.logFiles,
    readSummaries,
    handler: handler as Summary,
    peakHeapGrowthMiB,
    report,
  };
}
