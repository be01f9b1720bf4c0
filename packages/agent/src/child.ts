import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:os';
import { redact } from './credentials.js';
import { AgentError, AgentErrorCode } from './errors.js';

/** Where signals come from: `process`, or an emitter in tests. */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: () => void): unknown;
  off(signal: NodeJS.Signals, listener: () => void): unknown;
}

/** Signals passed on to the child, so that stopping jit-agent stops the work it runs. */
export const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = [
  'SIGINT',
  'SIGTERM',
  'SIGHUP',
  'SIGQUIT',
  'SIGUSR1',
  'SIGUSR2',
];

export interface ChildResult {
  /** The child's exit code; 128 + the signal's number when a signal ended it (as a shell reports it). */
  readonly exitCode: number;
  readonly signal: NodeJS.Signals | null;
}

export interface RunChildOptions {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** @default process */
  readonly signals?: SignalSource;
}

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const number = signal ? constants.signals[signal] : undefined;
  return number === undefined ? 1 : 128 + number;
}

function spawnError(command: string, error: NodeJS.ErrnoException): AgentError {
  if (error.code === 'ENOENT') {
    return new AgentError(AgentErrorCode.CommandNotFound, `command not found: ${command}`, {
      suggestion: 'check the spelling and PATH; the command runs without a shell',
      cause: error,
    });
  }
  return new AgentError(AgentErrorCode.CommandNotExecutable, `cannot run ${command}: ${error.code ?? error.message}`, {
    cause: error,
  });
}

function started(child: ChildProcess, command: string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', (error: NodeJS.ErrnoException) => reject(spawnError(command, error)));
  });
}

/**
 * Runs one command with the terminal attached (stdin, stdout, stderr inherited), no shell.
 * Signals jit-agent receives are passed on; the result is the child's exit code.
 */
export async function runChild(options: RunChildOptions): Promise<ChildResult> {
  const signals = options.signals ?? process;
  const child = spawn(options.command, [...options.args], {
    env: options.env,
    stdio: 'inherit',
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  const exited = new Promise<ChildResult>((resolve) => {
    child.once('exit', (code, signal) => resolve({ exitCode: exitCodeOf(code, signal), signal }));
  });
  const forwarders = FORWARDED_SIGNALS.map((signal) => {
    const forward = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    };
    signals.on(signal, forward);
    return { signal, forward };
  });
  try {
    await started(child, options.command);
    return await exited;
  } finally {
    for (const { signal, forward } of forwarders) signals.off(signal, forward);
  }
}

export interface CaptureChildOptions {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Stop the child (SIGTERM, then SIGKILL 5 s later) after this long. */
  readonly timeoutMs: number;
  /** Characters kept per stream; the rest is dropped and `truncated` set. */
  readonly maxOutputChars: number;
  /** Values cut out of the output wherever they appear. */
  readonly redactValues: readonly string[];
}

export interface CapturedResult extends ChildResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly truncated: boolean;
  readonly timedOut: boolean;
}

/**
 * Runs one command with its output captured (for the MCP server). The output is redacted before
 * it is returned: a command that prints its environment must not hand the credentials to the
 * model.
 */
export async function captureChild(options: CaptureChildOptions): Promise<CapturedResult> {
  const longest = Math.max(0, ...options.redactValues.map((v) => Buffer.byteLength(v)));
  // Keep enough beyond the limit that a value starting before the cut is still whole, so that it
  // is redacted rather than left half-visible.
  const keepBytes = options.maxOutputChars * 4 + longest;
  const child = spawn(options.command, [...options.args], {
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  const streams = { stdout: collector(keepBytes), stderr: collector(keepBytes) };
  child.stdout?.on('data', streams.stdout.push);
  child.stderr?.on('data', streams.stderr.push);
  let timedOut = false;
  let killer: NodeJS.Timeout | undefined;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGTERM');
    killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    killer.unref();
  }, options.timeoutMs);
  const closed = new Promise<ChildResult>((resolve) => {
    child.once('close', (code, signal) => resolve({ exitCode: exitCodeOf(code, signal), signal }));
  });
  try {
    await started(child, options.command);
    const result = await closed;
    const out = cut(streams.stdout.text(), options.maxOutputChars, options.redactValues);
    const err = cut(streams.stderr.text(), options.maxOutputChars, options.redactValues);
    return {
      ...result,
      stdout: out.text,
      stderr: err.text,
      truncated: out.truncated || err.truncated || streams.stdout.dropped() || streams.stderr.dropped(),
      timedOut,
    };
  } finally {
    clearTimeout(timer);
    if (killer) clearTimeout(killer);
  }
}

function collector(limit: number) {
  const chunks: Buffer[] = [];
  let size = 0;
  let dropped = false;
  return {
    push: (chunk: Buffer) => {
      if (size >= limit) {
        dropped = true;
        return;
      }
      const part = chunk.subarray(0, limit - size);
      if (part.length < chunk.length) dropped = true;
      chunks.push(part);
      size += part.length;
    },
    text: () => Buffer.concat(chunks).toString('utf8'),
    dropped: () => dropped,
  };
}

/** Cuts `text` to `max` characters without splitting a value to redact, then redacts. */
export function cut(text: string, max: number, values: readonly string[]): { text: string; truncated: boolean } {
  if (text.length <= max) return { text: redact(text, values), truncated: false };
  let end = max;
  // Any occurrence that straddles the cut moves the cut to its end; repeat until none does.
  for (let moved = true; moved; ) {
    moved = false;
    for (const value of values) {
      if (value.length === 0) continue;
      let from = Math.max(0, end - value.length + 1);
      for (;;) {
        const at = text.indexOf(value, from);
        if (at === -1 || at >= end) break;
        if (at + value.length > end) {
          end = at + value.length;
          moved = true;
        }
        from = at + 1;
      }
    }
  }
  return { text: redact(text.slice(0, end), values), truncated: true };
}
