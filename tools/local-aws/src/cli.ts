#!/usr/bin/env node
/**
 * npm run local -- up|down|status|env|issue-cert
 *
 * Exit codes: 0 done; 1 unexpected error; 2 bad usage or invalid accounts/ configuration; 3 not running (status, env);
 * 4 Python moto missing; 5 the environment failed to start (moto, edge or provisioning).
 */
import { parseArgs } from 'node:util';
import { JitError } from '@jit-access/core';
import { defaultStateDir, down, environmentFor, type ProfileRole, type ReadyState, status, up } from './control.js';
import { LocalAwsError, LocalAwsErrorCode } from './errors.js';
import { issueLocalAgentCertificate } from './issueCertificate.js';
import { PROFILE_NAMES } from './profiles.js';

const EXIT = { ok: 0, unexpected: 1, usage: 2, notRunning: 3, motoMissing: 4, startFailed: 5 } as const;

const EXIT_BY_CODE: Record<LocalAwsErrorCode, number> = {
  USAGE_INVALID: EXIT.usage,
  NOT_RUNNING: EXIT.notRunning,
  MOTO_MISSING: EXIT.motoMissing,
  MOTO_START_FAILED: EXIT.startFailed,
  EDGE_START_FAILED: EXIT.startFailed,
  PROVISION_FAILED: EXIT.startFailed,
  ENFORCEMENT_OFF: EXIT.startFailed,
  ALREADY_RUNNING: EXIT.startFailed,
  STATE_INVALID: EXIT.unexpected,
};

const HELP: Record<string, string> = {
  main: `Usage: npm run local -- <command> [options]

The local AWS environment: moto with IAM enforcement plus the JIT Access edge, provisioned from accounts/.
It is for trying and testing only; it is not a security boundary.

Commands:
  up       start moto and the edge in the background and provision accounts/
  down     stop everything
  status   say what runs
  env      print the environment variables for the AWS CLI and SDKs
  issue-cert   issue an agent certificate from the local Roles Anywhere CA

Options for every command:
  --state-dir <dir>   where state, logs and the AWS files live (default: .local-aws/ next to accounts/)
  --json              machine-readable output
  --verbose           show stack traces on errors
  -h, --help          this help (also: <command> --help)

Example:
  npm run local -- up && eval "$(npm run --silent local -- env --profile agent)"

Exit codes: 0 done, 1 unexpected error, 2 bad usage or invalid accounts/, 3 not running, 4 Python moto missing, 5 failed to start.`,
  up: `Usage: npm run local -- up [--accounts <dir>] [--s3-latency-ms <n>] [--timeout-ms <n>] [--json]

Starts moto (IAM enforcement on) and the edge as a background process, provisions accounts/ and
prints the accounts and identities (no secret keys). Does nothing when it is already running.

  --accounts <dir>      the configuration folder (default: the nearest accounts/ upwards)
  --s3-latency-ms <n>   add n ms to every S3 GET/HEAD at the edge, for benchmarks (default 0)
  --timeout-ms <n>      how long to wait for readiness (default 120000)

Example:
  npm run local -- up`,
  down: `Usage: npm run local -- down [--json]

Stops the edge and moto (everything local-aws started). Succeeds when nothing runs.

Example:
  npm run local -- down`,
  status: `Usage: npm run local -- status [--json]

Says whether the local environment runs and answers. Exit code 3 when it does not run.

Example:
  npm run local -- status --json`,
  env: `Usage: npm run local -- env [--profile admin|approver|agent] [--json]

Prints export lines for AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, AWS_ENDPOINT_URL and
AWS_REGION (plus AWS_PROFILE with --profile). Secret keys stay in the credentials file.

Example:
  eval "$(npm run --silent local -- env --profile approver)" && aws sts get-caller-identity`,
  'issue-cert': `Usage: npm run local -- issue-cert --out <dir> [--cn <name>] [--key-type rsa|ec] [--days <n>] [--json]

Issues an agent certificate from the running environment's local Roles Anywhere CA (the trust
anchor the edge's CreateSession accepts) and writes agent.crt and agent.key (mode 0600) to <dir>.
Prints the trust anchor, profile and role ARNs for jit-agent --identity roles-anywhere.

  --out <dir>          where to write agent.crt and agent.key (created if missing)
  --cn <name>          the certificate's subject CN, the session's source identity (default jit-agent)
  --key-type rsa|ec    RSA-2048 or EC P-256 (default ec)
  --days <n>           validity in days (default 30)

Example:
  npm run local -- issue-cert --out ~/.config/jit/agent --cn agent-1`,
};

interface Output {
  json: boolean;
  verbose: boolean;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(`${HELP.main}\n`);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  if (!['up', 'down', 'status', 'env', 'issue-cert'].includes(command)) {
    throw new LocalAwsError(
      LocalAwsErrorCode.UsageInvalid,
      `unknown command "${command}"; commands: up, down, status, env, issue-cert`,
      {
        suggestion: 'npm run local -- --help',
      },
    );
  }
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(rest);
  } catch (error) {
    throw new LocalAwsError(LocalAwsErrorCode.UsageInvalid, `${command}: ${(error as Error).message}`, {
      suggestion: `npm run local -- ${command} --help`,
    });
  }
  const { values } = parsed;
  if (values.help === true) {
    process.stdout.write(`${HELP[command]}\n`);
    return EXIT.ok;
  }
  const out: Output = { json: values.json === true, verbose: values.verbose === true };
  const only = (allowed: readonly string[]): void => {
    for (const name of [
      'accounts',
      's3-latency-ms',
      'timeout-ms',
      'profile',
      'out',
      'cn',
      'key-type',
      'days',
    ] as const) {
      if (values[name] !== undefined && !allowed.includes(name)) {
        throw new LocalAwsError(LocalAwsErrorCode.UsageInvalid, `${command} does not take --${name}`, {
          suggestion: `npm run local -- ${command} --help`,
        });
      }
    }
  };
  const stateDir = values['state-dir'] ?? defaultStateDir(values.accounts);

  switch (command) {
    case 'up': {
      only(['accounts', 's3-latency-ms', 'timeout-ms']);
      const s3LatencyMs = nonNegativeInteger('--s3-latency-ms', values['s3-latency-ms']);
      const timeoutMs = nonNegativeInteger('--timeout-ms', values['timeout-ms']);
      if (!out.json) process.stderr.write('Starting moto and the edge, provisioning accounts/ ...\n');
      const result = await up({
        stateDir,
        ...(values.accounts === undefined ? {} : { accountsDir: values.accounts }),
        ...(s3LatencyMs === undefined ? {} : { s3LatencyMs }),
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
      });
      if (out.json) {
        printJson({ running: true, alreadyRunning: result.alreadyRunning, stateDir, ...result.state });
      } else {
        if (result.alreadyRunning) {
          process.stdout.write('Already running (run `down` first to pick up changes in accounts/).\n\n');
        }
        process.stdout.write(renderSummary(result.state, stateDir));
      }
      return EXIT.ok;
    }
    case 'down': {
      only([]);
      const result = await down({ stateDir });
      if (out.json) printJson({ stopped: result.stopped });
      else
        process.stdout.write(
          result.stopped.length === 0 ? 'Nothing was running.\n' : `Stopped (pids ${result.stopped.join(', ')}).\n`,
        );
      return EXIT.ok;
    }
    case 'status': {
      only([]);
      const result = await status({ stateDir });
      if (out.json) {
        printJson({ running: result.running, healthy: result.healthy, stateDir, ...(result.state ?? {}) });
      } else if (!result.running || result.state === undefined) {
        process.stdout.write(`Not running (state folder ${stateDir}).\n`);
      } else if (result.state.status !== 'ready') {
        process.stdout.write(`Starting (daemon pid ${result.state.daemonPid}).\n`);
      } else {
        const s = result.state;
        process.stdout.write(
          `Running since ${s.readyAt}: edge ${s.endpoint} (${result.healthy ? 'healthy' : 'NOT answering'}), moto ${s.motoEndpoint} (pid ${s.motoPid}), daemon pid ${s.daemonPid}.\n`,
        );
      }
      return result.running && result.healthy ? EXIT.ok : EXIT.notRunning;
    }
    case 'issue-cert': {
      only(['out', 'cn', 'key-type', 'days']);
      const state = await status({ stateDir });
      if (!state.running || state.state?.status !== 'ready') {
        throw new LocalAwsError(
          LocalAwsErrorCode.NotRunning,
          `the local environment is not running (state folder ${stateDir})`,
          {
            suggestion: 'npm run local -- up',
          },
        );
      }
      if (values.out === undefined) {
        throw new LocalAwsError(
          LocalAwsErrorCode.UsageInvalid,
          'issue-cert needs --out <dir>: where to write agent.crt and agent.key',
        );
      }
      const keyType = values['key-type'] ?? 'ec';
      if (keyType !== 'rsa' && keyType !== 'ec') {
        throw new LocalAwsError(
          LocalAwsErrorCode.UsageInvalid,
          `--key-type "${keyType}" is not allowed; use rsa or ec`,
        );
      }
      const days = values.days === undefined ? 30 : Number(values.days);
      if (!Number.isInteger(days) || days < 1 || days > 825) {
        throw new LocalAwsError(
          LocalAwsErrorCode.UsageInvalid,
          `--days "${values.days}" is not allowed; use a whole number from 1 to 825`,
        );
      }
      const issued = await issueLocalAgentCertificate({
        stateDir,
        region: state.state.region,
        accounts: state.state.accounts,
        outDir: values.out,
        commonName: values.cn ?? 'jit-agent',
        keyType,
        days,
      });
      if (out.json) printJson(issued);
      else {
        process.stdout.write(
          [
            `Wrote ${issued.certificateFile} and ${issued.privateKeyFile} (mode 0600), serial ${issued.serialDecimal}, CN ${issued.commonName}, valid until ${issued.notAfter}.`,
            `  trust anchor  ${issued.trustAnchorArn}`,
            `  profile       ${issued.profileArn}`,
            `  role          ${issued.roleArn}`,
            '',
          ].join('\n'),
        );
      }
      return EXIT.ok;
    }
    default: {
      only(['profile']);
      const profile = values.profile;
      if (profile !== undefined && !['admin', 'approver', 'agent'].includes(profile)) {
        throw new LocalAwsError(
          LocalAwsErrorCode.UsageInvalid,
          `--profile "${profile}" is not allowed; use admin, approver or agent`,
        );
      }
      const result = await status({ stateDir });
      if (!result.running || result.state?.status !== 'ready') {
        throw new LocalAwsError(
          LocalAwsErrorCode.NotRunning,
          `the local environment is not running (state folder ${stateDir})`,
          {
            suggestion: 'npm run local -- up',
          },
        );
      }
      const variables = environmentFor(result.state, profile as ProfileRole | undefined);
      if (out.json) printJson(variables);
      else {
        for (const [name, value] of Object.entries(variables))
          process.stdout.write(`export ${name}=${shellQuote(value)}\n`);
      }
      return EXIT.ok;
    }
  }
}

function parseOptions(args: string[]) {
  return parseArgs({
    args,
    options: {
      'state-dir': { type: 'string' },
      accounts: { type: 'string' },
      's3-latency-ms': { type: 'string' },
      'timeout-ms': { type: 'string' },
      profile: { type: 'string' },
      out: { type: 'string' },
      cn: { type: 'string' },
      'key-type': { type: 'string' },
      days: { type: 'string' },
      json: { type: 'boolean' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
}

function nonNegativeInteger(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) {
    throw new LocalAwsError(
      LocalAwsErrorCode.UsageInvalid,
      `${name} "${value}" is not allowed; use a whole number of milliseconds (0 or more)`,
    );
  }
  return Number(value);
}

function renderSummary(state: ReadyState, stateDir: string): string {
  const a = state.accounts;
  const lines: string[] = [];
  lines.push(`Local AWS environment (moto + edge), region ${state.region}`);
  lines.push(`  edge   ${state.endpoint}   (point clients here: AWS_ENDPOINT_URL)`);
  lines.push(`  moto   ${state.motoEndpoint}   (pid ${state.motoPid}, log ${state.motoLogFile})`);
  if (state.plugins.length > 0) lines.push(`  edge plugins: ${state.plugins.join(', ')}`);
  lines.push('');
  lines.push(`Hub ${a.hub.name} (${a.hub.id})`);
  lines.push(`  KMS key      ${a.hub.kmsKeyAlias}  ${a.hub.kmsKeyArn}`);
  for (const secret of a.hub.secrets) lines.push(`  secret       ${secret.name}  (for ${secret.accountId})`);
  for (const topic of a.hub.topics) lines.push(`  SNS topic    ${topic.arn}`);
  lines.push(`  agent        ${a.hub.agent.arn}  key ${a.hub.agent.accessKeyId}  profile ${PROFILE_NAMES.agent}`);
  lines.push(
    `  approver     ${a.hub.approver.arn}  key ${a.hub.approver.accessKeyId}  profile ${PROFILE_NAMES.approver}`,
  );
  lines.push(`  local admin  ${a.hub.admin.arn}  key ${a.hub.admin.accessKeyId}  profile ${PROFILE_NAMES.admin}`);
  lines.push(`Log archive ${a.logArchive.name} (${a.logArchive.id})`);
  lines.push(
    `  bucket       ${a.logArchive.bucket}  (versioning, Object Lock ${a.logArchive.objectLock.mode} ${a.logArchive.objectLock.days} days, SSE-KMS)`,
  );
  lines.push(`  SES          ${a.logArchive.sesIdentities.join(', ')}`);
  if (a.management !== undefined) lines.push(`Management ${a.management.name} (${a.management.id})`);
  for (const workload of a.workloads) {
    lines.push(`Workload ${workload.name} (${workload.id})`);
    for (const role of workload.roles) lines.push(`  ${role.tier.padEnd(10)} ${role.roleArn}`);
  }
  lines.push('');
  lines.push(
    `Every account: role ${a.adminRoleName} for the local admin (profiles ${PROFILE_NAMES.adminIn('<account name>')}).`,
  );
  lines.push(`AWS files: ${state.configFile}, ${state.credentialsFile} (fake local keys, mode 0600).`);
  lines.push('');
  lines.push(`Widened for moto (${state.widenings.length}; local only, see tools/local-aws/README.md):`);
  for (const w of state.widenings) lines.push(`  - ${w.policy} ${w.statement}: ${w.change}`);
  lines.push('');
  lines.push('Not a security boundary: for trying and testing only.');
  lines.push(
    `Next: eval "$(npm run --silent local -- env${stateDir === defaultStateDirSafe() ? '' : ` --state-dir ${stateDir}`} --profile agent)"`,
  );
  return `${lines.join('\n')}\n`;
}

function defaultStateDirSafe(): string | undefined {
  try {
    return defaultStateDir();
  } catch {
    return undefined;
  }
}

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

const argv = process.argv.slice(2);
const wantsJson = argv.includes('--json');
const verbose = argv.includes('--verbose');
main(argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof LocalAwsError) {
      if (wantsJson) process.stdout.write(`${JSON.stringify(error.toJSON(), null, 2)}\n`);
      else {
        process.stderr.write(`error: ${error.message}\n`);
        if (error.suggestion !== undefined) process.stderr.write(`  ${error.suggestion}\n`);
      }
      if (verbose && error.stack) process.stderr.write(`${error.stack}\n`);
      process.exitCode = EXIT_BY_CODE[error.code];
      return;
    }
    if (error instanceof JitError) {
      // Core's errors: an invalid accounts/ configuration, listed problem by problem.
      if (wantsJson) process.stdout.write(`${JSON.stringify(error.toJSON(), null, 2)}\n`);
      else {
        process.stderr.write(`error: ${error.message}\n`);
        if (error.suggestion !== undefined) process.stderr.write(`  ${error.suggestion}\n`);
      }
      if (verbose && error.stack) process.stderr.write(`${error.stack}\n`);
      process.exitCode = error.code.startsWith('CONFIG_') ? EXIT.usage : EXIT.unexpected;
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    if (wantsJson) process.stdout.write(`${JSON.stringify({ error: { code: 'UNEXPECTED', message } }, null, 2)}\n`);
    else process.stderr.write(`error: ${message}\n`);
    if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    process.exitCode = EXIT.unexpected;
  },
);
