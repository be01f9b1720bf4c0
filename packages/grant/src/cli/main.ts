import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { type JitConfig, JitError, loadConfig } from '@jit-access/core';
import { approverCredentials, readProfile } from '../aws/approver.js';
import { AwsClients, type AwsClients as AwsClientsType, type AwsCredentials } from '../aws/clients.js';
import {
  EXIT_CODES,
  exitCodeForError,
  exitCodeForWarnings,
  GrantError,
  GrantErrorCode,
  type GrantWarning,
} from '../errors.js';
import { type GrantOptions, grant } from '../grant.js';
import { grantOptionsForRequest, readElevationRequest } from '../request.js';
import { clearRevocations, listRevocations, revoke } from '../revoke.js';
import { grantStatus } from '../status.js';
import { GRANT_HELP, MAIN_HELP, REVOKE_HELP, STATUS_HELP } from './help.js';
import {
  errorJson,
  renderError,
  renderGrant,
  renderRevocations,
  renderRevoke,
  renderStatus,
  renderSummary,
  renderWarnings,
  style,
} from './render.js';

export interface Output {
  write(text: string): unknown;
  readonly isTTY?: boolean | undefined;
}

/** Everything the CLI touches outside itself, so tests can run it in-process. */
export interface CliIo {
  readonly stdout: Output;
  readonly stderr: Output;
  /** Reads all of stdin (for `--request -`). */
  readonly readStdin: () => Promise<string>;
  /** Asks on the terminal; undefined when there is none (then --yes is required). */
  readonly ask: ((question: string) => Promise<string>) | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly now?: () => Date;
  /** For tests: notifier transport and retry wait. */
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
}

const COMMON_OPTIONS = {
  config: { type: 'string' },
  profile: { type: 'string' },
  'mfa-code': { type: 'string' },
  region: { type: 'string' },
  'endpoint-url': { type: 'string' },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const GRANT_OPTIONS = {
  ...COMMON_OPTIONS,
  tier: { type: 'string' },
  minutes: { type: 'string' },
  reason: { type: 'string' },
  scope: { type: 'string', multiple: true },
  request: { type: 'string' },
  replace: { type: 'boolean' },
  'revoker-role': { type: 'string' },
  yes: { type: 'boolean', short: 'y' },
} as const;

const REVOKE_OPTIONS = {
  ...COMMON_OPTIONS,
  grant: { type: 'string' },
  'all-sessions': { type: 'boolean' },
  reason: { type: 'string' },
  list: { type: 'boolean' },
  clear: { type: 'boolean' },
  'revoker-role': { type: 'string' },
  yes: { type: 'boolean', short: 'y' },
} as const;

const STATUS_OPTIONS = COMMON_OPTIONS;

type Common = {
  config?: string | undefined;
  profile?: string | undefined;
  'mfa-code'?: string | undefined;
  region?: string | undefined;
  'endpoint-url'?: string | undefined;
  timeout?: string | undefined;
  json?: boolean | undefined;
  verbose?: boolean | undefined;
};

function usage(message: string, field?: string): GrantError {
  return new GrantError(GrantErrorCode.InvalidInput, message, {
    ...(field === undefined ? {} : { field }),
    suggestion: 'see jit-grant --help',
  });
}

/** Runs `jit-grant` with `argv` (without node and the script); returns the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  const wantsJson = argv.includes('--json');
  const verbose = argv.includes('--verbose');
  const s = style(io.stderr.isTTY === true && io.env.NO_COLOR === undefined);
  try {
    switch (command) {
      case undefined:
        io.stderr.write(MAIN_HELP);
        return EXIT_CODES.invalidInput;
      case '-h':
      case '--help':
      case 'help':
        io.stdout.write(MAIN_HELP);
        return EXIT_CODES.ok;
      case 'grant':
        return await grantCommand(rest, io);
      case 'revoke':
        return await revokeCommand(rest, io);
      case 'status':
        return await statusCommand(rest, io);
      default:
        throw usage(`unknown command "${command}"; commands: grant, revoke, status`);
    }
  } catch (error) {
    const code = exitCodeForError(error);
    if (wantsJson) io.stdout.write(errorJson(error, code));
    io.stderr.write(renderError(error, s, verbose));
    return code;
  }
}

function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: readonly string[], options: T) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    // parseArgs names the option and the problem; nothing secret is in argv but --mfa-code,
    // whose value never appears in its messages.
    throw usage(error instanceof Error ? error.message : String(error));
  }
}

interface Context {
  readonly config: JitConfig;
  readonly clients: AwsClientsType;
  readonly now: () => Date;
  readonly json: boolean;
  readonly verbose: boolean;
}

async function context(values: Common, io: CliIo): Promise<Context> {
  const dir = path.resolve(io.cwd, values.config ?? io.env.JIT_CONFIG_DIR ?? 'accounts');
  let config: JitConfig;
  try {
    config = await loadConfig(dir);
  } catch (error) {
    if (error instanceof JitError) {
      throw new GrantError(GrantErrorCode.Config, error.message, {
        cause: error,
        suggestion: error.suggestion ?? 'fix accounts/ (its fields: packages/core/README.md)',
      });
    }
    throw error;
  }
  let timeout: number | undefined;
  if (values.timeout !== undefined) {
    timeout = Number(values.timeout);
    if (!/^\d+$/.test(values.timeout) || timeout < 100 || timeout > 120_000) {
      throw usage(`--timeout: "${values.timeout}" is not allowed: milliseconds from 100 to 120000`, '--timeout');
    }
  }
  const mfaCode = values['mfa-code'];
  if (mfaCode !== undefined && !/^\d{6}$/.test(mfaCode)) {
    throw usage('--mfa-code: an MFA code is 6 digits', '--mfa-code');
  }
  const region = values.region ?? config.region;
  // A profile may name its endpoint (the local environment's profiles do); reading it is a file
  // read, not an AWS call.
  const profileSettings =
    values.profile === undefined
      ? undefined
      : await readProfile(values.profile, {
          configFile: io.env.AWS_CONFIG_FILE,
          credentialsFile: io.env.AWS_SHARED_CREDENTIALS_FILE,
        });
  const endpoint = values['endpoint-url'] ?? io.env.AWS_ENDPOINT_URL ?? profileSettings?.get('endpoint_url');
  const mfaCodeProvider = async (serial: string): Promise<string> => {
    if (mfaCode !== undefined) return mfaCode;
    if (!io.ask) {
      throw new GrantError(
        GrantErrorCode.ApproverCredentials,
        `an MFA code is needed for ${serial}, but stdin is not a terminal`,
        { suggestion: 'run in a terminal, or pass --mfa-code <code>' },
      );
    }
    return (await io.ask(`MFA code for ${serial}: `)).trim();
  };
  // Credentials are resolved on the first AWS call, after the input has been validated.
  let resolved: Promise<AwsCredentials> | undefined;
  const credentials = async () => {
    resolved ??= approverCredentials({
      region,
      profile: values.profile,
      mfaCodeProvider,
      endpoint,
      ssoEndpoint: io.env.JIT_SSO_ENDPOINT,
      configFile: io.env.AWS_CONFIG_FILE,
      credentialsFile: io.env.AWS_SHARED_CREDENTIALS_FILE,
    }).then((a) => a.credentials);
    const c = await resolved;
    return typeof c === 'function' ? c() : c;
  };
  const clients = new AwsClients({
    region,
    endpoint,
    credentials,
    ...(timeout === undefined ? {} : { requestTimeoutMs: timeout }),
  });
  return {
    config,
    clients,
    now: io.now ?? (() => new Date()),
    json: values.json === true,
    verbose: values.verbose === true,
  };
}

/** Colours for what goes to stdout: only when stdout itself is a terminal. */
function out(io: CliIo) {
  return style(io.stdout.isTTY === true && io.env.NO_COLOR === undefined);
}

/** One status line on a terminal, rewritten in place; nothing when stderr is not a terminal. */
function progressLine(io: CliIo): { step: (text: string) => void; clear: () => void } {
  if (io.stderr.isTTY !== true) return { step: () => {}, clear: () => {} };
  let shown = false;
  return {
    step: (text) => {
      io.stderr.write(`\r\u001b[K… ${text}`);
      shown = true;
    },
    clear: () => {
      if (shown) io.stderr.write('\r\u001b[K');
      shown = false;
    },
  };
}

function finish(warnings: readonly GrantWarning[], io: CliIo): number {
  const s = style(io.stderr.isTTY === true && io.env.NO_COLOR === undefined);
  io.stderr.write(renderWarnings(warnings, s));
  return exitCodeForWarnings(warnings);
}

async function grantCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, GRANT_OPTIONS);
  if (values.help) {
    io.stdout.write(GRANT_HELP);
    return EXIT_CODES.ok;
  }
  if (positionals.length > 1) throw usage(`too many arguments: ${positionals.slice(1).join(' ')}`);
  const account = positionals[0];
  const now = io.now ?? (() => new Date());
  let options: GrantOptions;
  if (values.request !== undefined) {
    for (const flag of ['tier', 'minutes', 'reason'] as const) {
      if (values[flag] !== undefined) {
        throw usage(`--${flag} cannot be combined with --request: a request is approved as asked`, `--${flag}`);
      }
    }
    let text: string;
    try {
      text =
        values.request === '-' ? await io.readStdin() : await readFile(path.resolve(io.cwd, values.request), 'utf8');
    } catch (error) {
      throw new GrantError(
        GrantErrorCode.RequestRefused,
        `--request: cannot read ${values.request}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
        { field: '--request' },
      );
    }
    const request = readElevationRequest(text, now());
    if (account !== undefined && account !== request.account) {
      throw usage(
        `account "${account}" does not match the request's account "${request.account}"; leave it out to approve the request as asked`,
        'account',
      );
    }
    options = {
      ...grantOptionsForRequest(request, { scope: values.scope, replace: values.replace }),
      revokerRole: values['revoker-role'],
    };
  } else {
    if (account === undefined)
      throw usage('account: missing; usage: jit-grant grant <account> --tier <tier> ...', 'account');
    if (values.tier === undefined) throw usage('--tier: missing; name the tier to grant', '--tier');
    let minutes: number | undefined;
    if (values.minutes !== undefined) {
      if (!/^\d{1,6}$/.test(values.minutes)) {
        throw usage(`--minutes: "${values.minutes}" is not a whole number of minutes`, '--minutes');
      }
      minutes = Number(values.minutes);
    }
    options = {
      account,
      tier: values.tier,
      minutes,
      reason: values.reason,
      scope: values.scope,
      replace: values.replace,
      revokerRole: values['revoker-role'],
    };
  }
  const ctx = await context(values, io);
  const line = progressLine(io);
  try {
    const result = await grant(options, {
      config: ctx.config,
      clients: ctx.clients,
      now: ctx.now,
      progress: line.step,
      notify: {
        ...(io.fetch ? { fetch: io.fetch } : {}),
        ...(io.sleep ? { sleep: io.sleep } : {}),
        env: io.env,
      },
      confirm: async (summary) => {
        line.clear();
        io.stderr.write(renderSummary(summary, ctx.now()));
        if (values.yes) return true;
        if (!io.ask) {
          throw new GrantError(
            GrantErrorCode.Cancelled,
            'confirmation needed, but stdin is not a terminal: nothing was granted',
            { suggestion: 'review the summary above and pass --yes' },
          );
        }
        const answer = (await io.ask('Grant this? [y/N] ')).trim().toLowerCase();
        return answer === 'y' || answer === 'yes';
      },
    });
    line.clear();
    io.stdout.write(ctx.json ? `${JSON.stringify(result, null, 2)}\n` : renderGrant(result, ctx.now(), out(io)));
    return finish(result.warnings, io);
  } finally {
    line.clear();
    ctx.clients.destroy();
  }
}

async function revokeCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, REVOKE_OPTIONS);
  if (values.help) {
    io.stdout.write(REVOKE_HELP);
    return EXIT_CODES.ok;
  }
  if (positionals.length > 1) throw usage(`too many arguments: ${positionals.slice(1).join(' ')}`);
  const account = positionals[0];
  const s = style(io.stderr.isTTY === true && io.env.NO_COLOR === undefined);
  if (values.list && values.clear) throw usage('--list and --clear: give one or the other', '--list');
  if (values.list || values.clear) {
    for (const flag of ['grant', 'all-sessions', 'reason'] as const) {
      if (values[flag] !== undefined) throw usage(`--${flag} cannot be combined with --list or --clear`, `--${flag}`);
    }
    const ctx = await context(values, io);
    try {
      const deps = { config: ctx.config, clients: ctx.clients, now: ctx.now, revokerRole: values['revoker-role'] };
      if (values.list) {
        const listing = await listRevocations(deps, account);
        io.stdout.write(
          ctx.json ? `${JSON.stringify(listing, null, 2)}\n` : renderRevocations(listing, out(io), ctx.now()),
        );
        return listing.errors.length > 0 ? EXIT_CODES.awsRefused : EXIT_CODES.ok;
      }
      const cleared = await clearRevocations(deps, account);
      io.stdout.write(
        ctx.json
          ? `${JSON.stringify(cleared, null, 2)}\n`
          : `cleared ${cleared.cleared.length} revocation deny(ies)${cleared.cleared.map((d) => `\n  ${d.policyName} on ${d.roleArn}`).join('')}\nkept ${cleared.kept.length} (their targets have not all expired)\n${cleared.errors.map((e) => `${s.warn('warning:')} ${e}\n`).join('')}`,
      );
      return cleared.errors.length > 0 ? EXIT_CODES.awsRefused : EXIT_CODES.ok;
    } finally {
      ctx.clients.destroy();
    }
  }
  if (account === undefined)
    throw usage('account: missing; usage: jit-grant revoke <account> [--grant <id>]', 'account');
  const ctx = await context(values, io);
  const line = progressLine(io);
  try {
    const result = await revoke(
      {
        account,
        grantId: values.grant,
        allSessions: values['all-sessions'],
        reason: values.reason,
        revokerRole: values['revoker-role'],
      },
      {
        config: ctx.config,
        clients: ctx.clients,
        now: ctx.now,
        progress: line.step,
        notify: {
          ...(io.fetch ? { fetch: io.fetch } : {}),
          ...(io.sleep ? { sleep: io.sleep } : {}),
          env: io.env,
        },
      },
    );
    line.clear();
    io.stdout.write(ctx.json ? `${JSON.stringify(result, null, 2)}\n` : renderRevoke(result, out(io)));
    return finish(result.warnings, io);
  } finally {
    line.clear();
    ctx.clients.destroy();
  }
}

async function statusCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, STATUS_OPTIONS);
  if (values.help) {
    io.stdout.write(STATUS_HELP);
    return EXIT_CODES.ok;
  }
  if (positionals.length > 1) throw usage(`too many arguments: ${positionals.slice(1).join(' ')}`);
  const ctx = await context(values, io);
  const s = style(io.stdout.isTTY === true && io.env.NO_COLOR === undefined);
  try {
    const statuses = await grantStatus({ config: ctx.config, clients: ctx.clients, now: ctx.now }, positionals[0]);
    io.stdout.write(ctx.json ? `${JSON.stringify(statuses, null, 2)}\n` : renderStatus(statuses, s));
    return statuses.some((x) => x.error !== undefined) ? EXIT_CODES.awsRefused : EXIT_CODES.ok;
  } finally {
    ctx.clients.destroy();
  }
}
