import { spawn } from 'node:child_process';
import path from 'node:path';

export const AGENT_DIR = path.resolve(import.meta.dirname, '../..');
export const CLI = path.join(AGENT_DIR, 'src', 'cli.ts');
export const ACCOUNTS_DIR = path.resolve(AGENT_DIR, '../../accounts');

/** How to start the CLI from its TypeScript source (no build needed). */
export const CLI_COMMAND = [process.execPath, '--conditions=@jit-access/source', '--import', 'tsx', CLI] as const;

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs jit-agent with exactly `env` (plus PATH), never the test runner's AWS settings. */
export function runCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  options: { input?: string; onSpawn?: (pid: number) => void; cwd?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const [command, ...prefix] = CLI_COMMAND;
    const child = spawn(command, [...prefix, ...args], {
      cwd: options.cwd ?? AGENT_DIR,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

export interface RunningCli {
  readonly pid: number;
  /** Resolves with the first match of `pattern` in stderr (as it is written). */
  stderrMatch(pattern: RegExp): Promise<RegExpMatchArray>;
  readonly done: Promise<CliResult>;
  kill(signal: NodeJS.Signals): void;
}

/** Starts jit-agent and returns while it runs (wait, listen, a long exec). */
export function startCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): RunningCli {
  const [command, ...prefix] = CLI_COMMAND;
  const child = spawn(command, [...prefix, ...args], {
    cwd: AGENT_DIR,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const watchers: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString('utf8');
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
    for (const w of [...watchers]) {
      const m = stderr.match(w.pattern);
      if (m) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return {
    pid: child.pid ?? -1,
    done,
    kill: (signal) => child.kill(signal),
    stderrMatch: (pattern) => {
      const m = stderr.match(pattern);
      if (m) return Promise.resolve(m);
      return new Promise((resolve, reject) => {
        watchers.push({ pattern, resolve });
        done.then((r) => reject(new Error(`exited (${r.code}) before ${pattern}: ${r.stderr}`)), reject);
      });
    },
  };
}
