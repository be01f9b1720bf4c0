import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { elevationStatus, listenerSettings, requestElevation } from '../app.js';
import { refusalCode } from '../elevation.js';
import { AgentError, AgentErrorCode, EXIT_CODES, exitCodeFor } from '../errors.js';
import { createRuntime, type RuntimeOverrides } from '../runtime.js';
import type { SecretRef } from '../settings.js';
import { COMMAND_HELP } from './help.js';
import { paint, renderError, renderJournal, renderStatus, useColour } from './output.js';

type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

const COMMON: OptionSpec = {
  region: { type: 'string' },
  config: { type: 'string' },
  settings: { type: 'string' },
  'clock-skew': { type: 'string' },
  journal: { type: 'string' },
  profile: { type: 'string' },
  identity: { type: 'string' },
  certificate: { type: 'string' },
  'private-key': { type: 'string' },
  chain: { type: 'string' },
  'trust-anchor-arn': { type: 'string' },
  'profile-arn': { type: 'string' },
  'role-arn': { type: 'string' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

const LISTENER: OptionSpec = {
  port: { type: 'string' },
  host: { type: 'string' },
  'secret-env': { type: 'string' },
  'secret-file': { type: 'string' },
};

const COMMANDS: Record<string, OptionSpec> = {
  status: {},
  exec: { cwd: { type: 'string' } },
  'credential-process': {},
  request: {
    tier: { type: 'string' },
    minutes: { type: 'string' },
    reason: { type: 'string' },
    plan: { type: 'string' },
    out: { type: 'string' },
    'valid-for': { type: 'string' },
    'no-send': { type: 'boolean' },
    'webhook-url': { type: 'string' },
    'webhook-secret-env': { type: 'string' },
    'slack-webhook-env': { type: 'string' },
  },
  wait: { ...LISTENER, timeout: { type: 'string' }, 'poll-interval': { type: 'string' } },
  listen: { ...LISTENER, account: { type: 'string' }, once: { type: 'boolean' } },
  report: { grant: { type: 'string' }, account: { type: 'string' } },
  mcp: { cwd: { type: 'string' } },
};

type Values = Record<string, string | boolean | undefined>;

/** Set while credential-process reads the secret; seen again only if the base identity loops back to us. */
const NESTED_MARKER = 'JIT_AGENT_CREDENTIAL_PROCESS';

interface Io {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly env: NodeJS.ProcessEnv;
}

function usage(message: string, suggestion?: string): AgentError {
  return new AgentError(AgentErrorCode.Usage, message, suggestion ? { suggestion } : {});
}

function str(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

function integer(values: Values, name: string, range: [number, number]): number | undefined {
  const text = str(values, name);
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < range[0] || n > range[1]) {
    throw usage(`--${name} "${text}" is not allowed: expected a whole number from ${range[0]} to ${range[1]}`);
  }
  return n;
}

function overridesFrom(values: Values): RuntimeOverrides {
  const identity = str(values, 'identity');
  if (identity !== undefined && identity !== 'iam-user' && identity !== 'roles-anywhere') {
    throw usage(`--identity "${identity}" is not known; allowed: iam-user, roles-anywhere`);
  }
  const pairs: [keyof RuntimeOverrides, string | number | undefined][] = [
    ['settingsFile', str(values, 'settings')],
    ['region', str(values, 'region')],
    ['configDir', str(values, 'config')],
    ['clockSkewSeconds', integer(values, 'clock-skew', [0, 300])],
    ['journal', str(values, 'journal')],
    ['profile', str(values, 'profile')],
    ['identity', identity],
    ['certificate', str(values, 'certificate')],
    ['privateKey', str(values, 'private-key')],
    ['chain', str(values, 'chain')],
    ['trustAnchorArn', str(values, 'trust-anchor-arn')],
    ['profileArn', str(values, 'profile-arn')],
    ['roleArn', str(values, 'role-arn')],
  ];
  return Object.fromEntries(pairs.filter(([, v]) => v !== undefined)) as RuntimeOverrides;
}

function secretRefFrom(values: Values): SecretRef | undefined {
  const env = str(values, 'secret-env');
  const file = str(values, 'secret-file');
  if (env && file) throw usage('give --secret-env or --secret-file, not both');
  return env ? { env } : file ? { file } : undefined;
}

/** Runs one command; returns the exit code. Never throws. */
export async function run(argv: readonly string[], io: Io = process): Promise<number> {
  const [command = '', ...rest] = argv;
  const dashes = rest.indexOf('--');
  const before = dashes === -1 ? rest : rest.slice(0, dashes);
  const after = dashes === -1 ? [] : rest.slice(dashes + 1);
  const jsonWanted = before.includes('--json');
  const verbose = before.includes('--verbose');
  // exec and credential-process own stdout (the child's output; the credentials JSON).
  const errorStream = command === 'exec' || command === 'credential-process' || !jsonWanted ? io.stderr : io.stdout;
  try {
    const spec = COMMANDS[command];
    if (!spec) {
      throw usage(
        `unknown command "${command}"`,
        `commands: ${Object.keys(COMMANDS).join(', ')}; see jit-agent --help`,
      );
    }
    let parsed: { values: Values; positionals: string[] };
    try {
      const result = parseArgs({
        args: [...before],
        options: { ...COMMON, ...spec },
        allowPositionals: true,
        strict: true,
      });
      parsed = { values: result.values as Values, positionals: result.positionals };
    } catch (error) {
      throw usage(`${error instanceof Error ? error.message : String(error)}`, `see jit-agent ${command} --help`);
    }
    const { values, positionals } = parsed;
    if (values.help) {
      io.stdout.write(`${COMMAND_HELP[command]}\n`);
      return 0;
    }
    if (dashes !== -1 && command !== 'exec') throw usage(`"--" is only for exec`);
    const runtime = await createRuntime(overridesFrom(values), io.env);
    const json = values.json === true;
    const colour = paint(!json && useColour(io.stdout, io.env));
    const one = (what: string): string => {
      if (positionals.length !== 1 || positionals[0] === undefined) {
        throw usage(`expected exactly one ${what}, got ${positionals.length}`, `see jit-agent ${command} --help`);
      }
      return positionals[0];
    };

    switch (command) {
      case 'status': {
        if (positionals.length > 1) throw usage(`expected at most one account, got ${positionals.length}`);
        const states = await elevationStatus(runtime, positionals[0]);
        io.stdout.write(
          json
            ? `${JSON.stringify(positionals[0] === undefined ? states : states[0], null, 2)}\n`
            : renderStatus(states, colour),
        );
        if (states.some((s) => s.status === 'active')) return 0;
        const codes = states.map((s) => EXIT_CODES[refusalCode(s) ?? AgentErrorCode.Unreadable]);
        return Math.min(...codes);
      }

      case 'exec': {
        const account = await runtime.resolveAccount(one('account'));
        if (dashes === -1) {
          throw usage(
            'exec needs "--" before the command',
            'jit-agent exec 222222222222 -- aws sts get-caller-identity',
          );
        }
        const { execWithElevation } = await import('../exec.js');
        const cwd = str(values, 'cwd');
        const result = await execWithElevation({
          account,
          command: after,
          readSecret: runtime.readSecret,
          verifyCredentials: runtime.verifyCredentials,
          journalPath: runtime.journalPath,
          clockSkewSeconds: runtime.clockSkewSeconds,
          env: io.env,
          removeEnv: runtime.removeEnv(),
          ...(cwd ? { cwd } : {}),
        });
        if (result.journalError) io.stderr.write(`jit-agent: warning: ${result.journalError.message}\n`);
        return result.exitCode;
      }

      case 'credential-process': {
        const account = await runtime.resolveAccount(one('account'));
        // If the base identity resolves to the very profile that calls us (AWS_PROFILE pointing at
        // the elevated profile), the SDK would start jit-agent again, and again: stop at the second.
        if (io.env[NESTED_MARKER] !== undefined) {
          throw new AgentError(
            AgentErrorCode.Identity,
            'the base identity resolves to a profile whose credential_process is jit-agent itself',
            { suggestion: 'give jit-agent the agent\u2019s own keys or --profile, not the elevated profile' },
          );
        }
        process.env[NESTED_MARKER] = '1';
        const { credentialProcess } = await import('../credentialProcess.js');
        const output = await credentialProcess({
          account,
          readSecret: runtime.readSecret,
          verifyCredentials: runtime.verifyCredentials,
          clockSkewSeconds: runtime.clockSkewSeconds,
        });
        io.stdout.write(`${JSON.stringify(output)}\n`);
        return 0;
      }

      case 'request': {
        const account = one('account');
        const tier = str(values, 'tier');
        const reason = str(values, 'reason');
        const minutes = integer(values, 'minutes', [1, 720]);
        if (!tier || minutes === undefined || reason === undefined) {
          throw usage('request needs --tier, --minutes and --reason', 'see jit-agent request --help');
        }
        const plan = str(values, 'plan');
        const validMinutes = integer(values, 'valid-for', [1, 1440]);
        const webhookUrl = str(values, 'webhook-url');
        const webhookSecretEnv = str(values, 'webhook-secret-env');
        const slackEnv = str(values, 'slack-webhook-env');
        const outcome = await requestElevation(
          runtime,
          {
            account,
            tier,
            minutes,
            reason,
            ...(plan === undefined ? {} : { plan }),
            ...(validMinutes === undefined ? {} : { validMinutes }),
          },
          {
            send: values['no-send'] !== true,
            channels: {
              ...(webhookUrl ? { webhookUrl } : {}),
              ...(webhookSecretEnv ? { webhookSecret: { env: webhookSecretEnv } } : {}),
              ...(slackEnv ? { slackWebhook: { env: slackEnv } } : {}),
            },
          },
        );
        const out = str(values, 'out');
        if (out) {
          await writeFile(out, outcome.text, { mode: 0o644 });
          if (json) {
            io.stdout.write(
              `${JSON.stringify({ file: out, request: outcome.request, deliveries: outcome.deliveries })}\n`,
            );
          } else {
            io.stdout.write(`request ${outcome.request.id} written to ${out}\n`);
          }
        } else {
          io.stdout.write(outcome.text);
        }
        for (const d of outcome.deliveries) {
          io.stderr.write(d.ok ? `sent to the approvers (${d.channel})\n` : `jit-agent: warning: ${d.error}\n`);
        }
        if (outcome.deliveries.length === 0 && values['no-send'] !== true) {
          io.stderr.write(
            'no approvers\u2019 channel configured: hand the request to an approver (jit-grant grant --request <file>)\n',
          );
        }
        return outcome.deliveries.some((d) => !d.ok) ? EXIT_CODES[AgentErrorCode.NotDelivered] : 0;
      }

      case 'wait': {
        const account = await runtime.resolveAccount(one('account'));
        const { parseDuration } = await import('../duration.js');
        const { waitForGrant } = await import('../wait.js');
        const timeoutMs = parseDuration(str(values, 'timeout') ?? '15m', '--timeout');
        const pollText = str(values, 'poll-interval');
        const pollIntervalMs = pollText ? parseDuration(pollText, '--poll-interval') : undefined;
        const port = integer(values, 'port', [0, 65_535]);
        const host = str(values, 'host');
        const secret = secretRefFrom(values);
        const listener = await listenerSettings(runtime, {
          ...(port === undefined ? {} : { port }),
          ...(host ? { host } : {}),
          ...(secret ? { secret } : {}),
        });
        const controller = new AbortController();
        const stop = () => controller.abort();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        try {
          const result = await waitForGrant({
            account,
            readSecret: runtime.readSecret,
            timeoutMs,
            clockSkewSeconds: runtime.clockSkewSeconds,
            ...(listener ? { listener } : {}),
            ...(pollIntervalMs === undefined ? {} : { pollIntervalMs }),
            signal: controller.signal,
            onEvent: (event) => {
              if (event.type === 'listening') io.stderr.write(`waiting for a grant notification on ${event.url}\n`);
              if (event.type === 'fallback') {
                io.stderr.write(
                  `no listener (${event.reason}); re-checking the secret every ${Math.round(event.pollIntervalMs / 1000)} s\n`,
                );
              }
              if (event.type === 'rejected')
                io.stderr.write(`refused a notification: ${event.code}: ${event.message}\n`);
            },
          });
          io.stdout.write(
            json
              ? `${JSON.stringify({ ...result.state, via: result.via }, null, 2)}\n`
              : renderStatus([result.state], colour),
          );
          return 0;
        } finally {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
        }
      }

      case 'listen': {
        const { startListener } = await import('../listener.js');
        const port = integer(values, 'port', [0, 65_535]);
        const host = str(values, 'host');
        const secret = secretRefFrom(values);
        const settings = await listenerSettings(runtime, {
          ...(port === undefined ? {} : { port }),
          ...(host ? { host } : {}),
          ...(secret ? { secret } : {}),
        });
        if (!settings) {
          throw new AgentError(AgentErrorCode.Config, 'the listener has no HMAC secret to verify notifications with', {
            suggestion: 'set JIT_WEBHOOK_SECRET (the secret jit-grant signs with), or --secret-env / --secret-file',
          });
        }
        const accountText = str(values, 'account');
        const account = accountText ? await runtime.resolveAccount(accountText) : undefined;
        const once = values.once === true;
        return await new Promise<number>((resolve, reject) => {
          let close: (() => Promise<void>) | undefined;
          const finish = (code: number) => {
            process.off('SIGINT', interrupt);
            process.off('SIGTERM', interrupt);
            void (close?.() ?? Promise.resolve()).then(() => resolve(code));
          };
          const interrupt = () => finish(0);
          process.once('SIGINT', interrupt);
          process.once('SIGTERM', interrupt);
          startListener({
            ...settings,
            onNotification: (n) => {
              if (account && n.account !== account) return;
              io.stdout.write(
                json
                  ? `${JSON.stringify(n)}\n`
                  : `${n.receivedAt}  ${n.event ?? 'notification'}  account ${n.account}${n.grantId ? `  grant ${n.grantId}` : ''}\n`,
              );
              if (once) finish(0);
            },
            onRejection: (r) => io.stderr.write(`refused: HTTP ${r.status} ${r.code}: ${r.message}\n`),
          }).then((listener) => {
            close = listener.close;
            io.stderr.write(`listening on ${listener.url}\n`);
          }, reject);
        });
      }

      case 'report': {
        const { readJournal } = await import('../journal.js');
        const grantId = str(values, 'grant');
        const accountText = str(values, 'account');
        const account = accountText ? await runtime.resolveAccount(accountText) : undefined;
        const { entries, invalidLines } = await readJournal(runtime.journalPath, {
          ...(grantId ? { grantId } : {}),
          ...(account ? { account } : {}),
        });
        if (json) {
          io.stdout.write(`${JSON.stringify({ journal: runtime.journalPath, entries, invalidLines }, null, 2)}\n`);
        } else {
          io.stdout.write(renderJournal(entries));
          if (invalidLines.length > 0) {
            io.stderr.write(`jit-agent: warning: skipped invalid journal lines ${invalidLines.join(', ')}\n`);
          }
        }
        return 0;
      }

      case 'mcp': {
        if (positionals.length > 0) throw usage('mcp takes no arguments');
        const { runMcpServer } = await import('../mcp.js');
        const cwd = str(values, 'cwd');
        await runMcpServer(runtime, cwd ? { cwd } : {});
        return 0;
      }
    }
    throw usage(`unknown command "${command}"`);
  } catch (error) {
    errorStream.write(renderError(error, { json: jsonWanted, verbose }));
    return exitCodeFor(error);
  }
}
