#!/usr/bin/env node
/**
 * npm run report:local -- [--since <time>] [--until <time>] [--mode session|digest] [--dry-run] [--json]
 *
 * Invokes the report handler in this process against the local AWS environment (`npm run local -- up`):
 * the log files and digests the edge delivered to the log-archive bucket, the edge's ListPublicKeys, and
 * moto's SES. Each e-mail is also written as .html and .txt, and the raw message moto received as .eml.
 *
 * Exit codes: 0 done; 1 unexpected error; 2 bad usage or settings; 3 the local environment is not running;
 * 4 an e-mail could not be sent.
 */
import { existsSync, realpathSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { JitError } from '@jit-access/core';
import { ReportLambdaError, ReportLambdaErrorCode } from './errors.js';
import { dependenciesFromEnvironment } from './lambda.js';
import { type RunResult, runReport } from './run.js';
import { REPORT_ENV } from './settings.js';

const EXIT = { ok: 0, unexpected: 1, usage: 2, notRunning: 3, sendFailed: 4 } as const;
const HOUR = 3_600_000;
/**
 * The local edge's CloudTrail delivers log files and a digest per account every 60 s (tools/local-aws,
 * `cadenceMs` default) and writes them at once: the local digest period and delivery lag.
 */
const LOCAL_DIGEST_PERIOD_MINUTES = 1;
const LOCAL_DELIVERY_LAG_MINUTES = 1;

export const LOCAL_HELP = `Usage: npm run report:local -- [options]

Runs the auditors' report function once, in this process, against the local AWS environment
(start it with: npm run local -- up). It reads the trail logs the edge delivered, verifies their
digests, checks that every account of accounts/ kept delivering a digest each minute (the edge's
cadence) since the environment started, sends the e-mails through moto's SES, and writes each
e-mail as .html, .txt and .eml.

Options:
  --since <time>        start of the window (ISO 8601; default: 6 hours ago)
  --until <time>        end of the window (default: an hour from now, so that sessions granted in the last
                        hour count as finished; the deployed function waits for them instead)
  --mode <mode>         session (one e-mail per session, default) or digest (one e-mail per run)
  --dry-run             build the e-mails and write the files, send nothing, record nothing
  --recipients <list>   comma-separated auditor addresses (default: auditors@example.com)
  --out <dir>           where the e-mails are written (default: <state dir>/reports)
  --state-dir <dir>     the local environment's state folder (default: .local-aws next to accounts/)
  --json                print the run as JSON
  --verbose             show stack traces on errors
  -h, --help            this help

Example:
  npm run local -- up && npm run report:local -- --since 2026-03-02T09:00:00Z

Exit codes: 0 done, 1 unexpected error, 2 bad usage or settings, 3 local environment not running,
4 an e-mail could not be sent.`;

interface LocalState {
  readonly startedAt?: string;
  readonly readyAt?: string;
  readonly endpoint: string;
  readonly region: string;
  readonly motoEndpoint: string;
  readonly configFile: string;
  readonly credentialsFile: string;
  readonly accounts: {
    readonly adminRoleName: string;
    readonly hub?: { readonly id: string; readonly name: string };
    readonly logArchive: {
      readonly id: string;
      readonly name: string;
      readonly bucket: string;
      readonly sesIdentities: readonly string[];
    };
    readonly management?: { readonly id: string; readonly name: string };
    readonly workloads?: readonly { readonly id: string; readonly name: string }[];
  };
}

/** Every account of the local configuration: the edge's CloudTrail gives each of them a trail. */
function localAccounts(accounts: LocalState['accounts']): { id: string; name: string }[] {
  const all = [
    ...(accounts.hub === undefined ? [] : [accounts.hub]),
    accounts.logArchive,
    ...(accounts.management === undefined ? [] : [accounts.management]),
    ...(accounts.workloads ?? []),
  ];
  return [...new Map(all.map((a) => [a.id, { id: a.id, name: a.name }])).values()];
}

function notRunning(message: string): ReportLambdaError {
  return new ReportLambdaError(ReportLambdaErrorCode.LocalEnvironment, message, {
    suggestion: 'start it with: npm run local -- up',
  });
}

/** The `.local-aws` folder next to the nearest `accounts/jit.yaml`, unless JIT_LOCAL_AWS_STATE_DIR says otherwise. */
export function defaultStateDir(start: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.JIT_LOCAL_AWS_STATE_DIR !== undefined && env.JIT_LOCAL_AWS_STATE_DIR !== '') {
    return path.resolve(env.JIT_LOCAL_AWS_STATE_DIR);
  }
  let dir = path.resolve(start);
  for (;;) {
    if (existsSync(path.join(dir, 'accounts', 'jit.yaml'))) return path.join(dir, '.local-aws');
    const parent = path.dirname(dir);
    if (parent === dir) throw notRunning(`no accounts/jit.yaml in ${start} or above, so no local environment to use`);
    dir = parent;
  }
}

async function readState(stateDir: string): Promise<LocalState> {
  let text: string;
  try {
    text = await readFile(path.join(stateDir, 'state.json'), 'utf8');
  } catch {
    throw notRunning(`the local environment is not running (no ${path.join(stateDir, 'state.json')})`);
  }
  const state = JSON.parse(text) as Partial<LocalState> & { status?: string };
  if (state.status !== 'ready' || state.endpoint === undefined || state.accounts?.logArchive === undefined) {
    throw notRunning(`the local environment in ${stateDir} is ${state.status ?? 'in an unknown state'}, not ready`);
  }
  return state as LocalState;
}

function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);
}

function render(result: RunResult, files: readonly string[]): string {
  const w = result.window;
  const lines = [
    `Report run ${result.runId} (${w.kind}${w.dryRun ? ', dry run' : ''}, ${w.mode} mode): ${w.since} → ${w.until}`,
    `Read ${result.input.records} records in ${result.input.files} log files (${result.input.relevantRecords} relevant), ${result.input.findings} findings`,
    `${result.integrity.headline} — ${result.integrity.detail}`,
    ...result.integrity.problems.map((p) => `  ${p.replace(/\t/g, '  ')}`),
    `Expected deliveries: ${result.integrity.deliveries.summary}`,
  ];
  if (result.failure !== undefined) lines.push(`Failed: ${result.failure}`);
  lines.push(result.sessions.length === 0 ? 'Sessions: none in the window' : 'Sessions:');
  for (const s of result.sessions) {
    lines.push(
      `  ${s.id}  ${s.accountId ?? '?'}  ${s.tier ?? '?'}  ${s.calls} calls, ${s.denied} denied  ${s.outcome}`,
    );
  }
  lines.push(result.emails.length === 0 ? 'E-mails: none' : 'E-mails:');
  for (const e of result.emails)
    lines.push(`  ${e.status.padEnd(7)} ${e.subject}${e.error === undefined ? '' : ` (${e.error})`}`);
  for (const f of files) lines.push(`  written ${f}`);
  for (const w2 of result.warnings) lines.push(`warning: ${w2}`);
  return `${lines.join('\n')}\n`;
}

/** Where the CLI writes; the process's streams by default. */
export interface LocalIo {
  readonly out: { write(text: string): unknown };
  readonly err: { write(text: string): unknown };
}

export async function main(
  argv: readonly string[],
  io: LocalIo = { out: process.stdout, err: process.stderr },
): Promise<number> {
  let values: ReturnType<typeof parseOptions>;
  try {
    values = parseOptions(argv);
  } catch (error) {
    io.err.write(`${error instanceof Error ? error.message : String(error)}\n\n${LOCAL_HELP}\n`);
    return EXIT.usage;
  }
  if (values.help === true) {
    io.out.write(`${LOCAL_HELP}\n`);
    return EXIT.ok;
  }
  try {
    const stateDir = values['state-dir'] ?? defaultStateDir(process.cwd());
    const state = await readState(stateDir);
    const now = Date.now();
    const sender =
      state.accounts.logArchive.sesIdentities.find((identity) => identity.includes('@')) ?? 'jit-reports@example.com';
    const accounts = localAccounts(state.accounts);
    const started = [state.readyAt, state.startedAt].map((t) => (t === undefined ? Number.NaN : Date.parse(t)));
    const startedAt = started.find((t) => Number.isFinite(t));
    // The function's standard environment, pointing at the edge with the log archive's local admin profile.
    Object.assign(process.env, {
      AWS_REGION: state.region,
      AWS_ENDPOINT_URL: state.endpoint,
      AWS_CONFIG_FILE: state.configFile,
      AWS_SHARED_CREDENTIALS_FILE: state.credentialsFile,
      AWS_PROFILE: `jit-admin-${state.accounts.logArchive.name}`,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      [REPORT_ENV.bucket]: state.accounts.logArchive.bucket,
      [REPORT_ENV.sender]: sender,
      [REPORT_ENV.recipients]: values.recipients ?? 'auditors@example.com',
      [REPORT_ENV.expectedAccounts]: accounts.map((a) => a.id).join(','),
      [REPORT_ENV.accountNames]: accounts.map((a) => `${a.id}=${a.name}`).join(','),
      [REPORT_ENV.digestPeriodMinutes]: String(LOCAL_DIGEST_PERIOD_MINUTES),
      [REPORT_ENV.deliveryLagMinutes]: String(LOCAL_DELIVERY_LAG_MINUTES),
    });
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    delete process.env.AWS_SESSION_TOKEN;
    const deps = {
      ...dependenciesFromEnvironment(process.env),
      includeContent: true,
      // moto starts empty: the local trails deliver from the environment's start, not before.
      ...(startedAt === undefined ? {} : { expectDigestsFrom: new Date(startedAt) }),
    };
    const event = {
      since: values.since ?? new Date(now - 6 * HOUR).toISOString(),
      until: values.until ?? new Date(now + HOUR).toISOString(),
      ...(values.mode === undefined ? {} : { mode: values.mode }),
      ...(values['dry-run'] === true ? { dryRun: true } : {}),
    };
    const result = await runReport(event, deps);

    const out = path.resolve(values.out ?? path.join(stateDir, 'reports'));
    const files: string[] = [];
    if (result.emails.length > 0) await mkdir(out, { recursive: true });
    const received = new Map<string, string>();
    if (result.emails.some((e) => e.messageId !== undefined)) {
      // Read the messages back from moto, as an auditor's mailbox would receive them.
      const data = (await (await fetch(`${state.motoEndpoint}/moto-api/data.json`)).json()) as {
        ses?: { RawMessage?: { id: string; raw_data: string }[] };
      };
      for (const m of data.ses?.RawMessage ?? []) received.set(m.id, m.raw_data);
    }
    for (const email of result.emails) {
      const stem = path.join(out, `${result.runId}-${safeName(email.deliveryId)}`);
      if (email.html !== undefined) {
        await writeFile(`${stem}.html`, email.html);
        files.push(`${stem}.html`);
      }
      if (email.text !== undefined) await writeFile(`${stem}.txt`, email.text);
      const raw = email.messageId === undefined ? undefined : received.get(email.messageId);
      if (raw !== undefined) await writeFile(`${stem}.eml`, raw);
    }
    const summary = { ...result, emails: result.emails.map(({ html: _h, text: _t, ...rest }) => rest), files };
    io.out.write(values.json === true ? `${JSON.stringify(summary, null, 2)}\n` : render(result, files));
    if (result.failure !== undefined && /SignatureDoesNotMatch/.test(result.failure)) {
      io.err.write(
        'hint: moto rejects S3 listings with a "/" in the prefix when IAM enforcement is on; tools/local-aws needs the SigV4 query fix described in packages/report-lambda/README.md\n',
      );
    }
    return result.ok ? EXIT.ok : EXIT.sendFailed;
  } catch (error) {
    const json = values.json === true;
    if (error instanceof JitError) {
      io.err.write(
        json
          ? `${JSON.stringify(error.toJSON())}\n`
          : `error: ${error.message}\n${error.suggestion === undefined ? '' : `${error.suggestion}\n`}`,
      );
      if (values.verbose === true && error.stack !== undefined) io.err.write(`${error.stack}\n`);
      return error instanceof ReportLambdaError && error.code === ReportLambdaErrorCode.LocalEnvironment
        ? EXIT.notRunning
        : EXIT.usage;
    }
    io.err.write(`unexpected error: ${error instanceof Error ? error.message : String(error)}\n`);
    if (values.verbose === true && error instanceof Error && error.stack !== undefined)
      io.err.write(`${error.stack}\n`);
    return EXIT.unexpected;
  }
}

function parseOptions(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    options: {
      since: { type: 'string' },
      until: { type: 'string' },
      mode: { type: 'string' },
      'dry-run': { type: 'boolean' },
      recipients: { type: 'string' },
      out: { type: 'string' },
      'state-dir': { type: 'string' },
      json: { type: 'boolean' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: false,
  }).values;
}

// Compared by real path: started through a symlink (npm link, a linked checkout), argv[1] is the link.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2));
}
