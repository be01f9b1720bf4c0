import { spawn } from 'node:child_process';
import path from 'node:path';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../../..');

/** The built CLIs; `npm run demo` builds them first. */
export const CLIS = {
  'jit-grant': path.join(REPO_ROOT, 'packages/grant/dist/cli.js'),
  'jit-agent': path.join(REPO_ROOT, 'packages/agent/dist/cli.js'),
  'jit-audit': path.join(REPO_ROOT, 'packages/audit/dist/cli.js'),
} as const;
export type CliName = keyof typeof CLIS;

export interface CommandResult {
  readonly command: string;
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly input?: string;
  readonly timeoutMs?: number;
}

/** Runs a command to completion, capturing its output (the demo prints what matters). */
export function runCommand(file: string, args: readonly string[], options: RunOptions): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      env: options.env,
      cwd: options.cwd ?? REPO_ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGTERM'), options.timeoutMs ?? 60_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        command: [path.basename(file), ...args].map(shellWord).join(' '),
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** One of our CLIs, run as `node <dist/cli.js>` and shown by its name. */
export async function runCli(name: CliName, args: readonly string[], options: RunOptions): Promise<CommandResult> {
  const result = await runCommand(process.execPath, [CLIS[name], ...args], options);
  return { ...result, command: [name, ...args].map(shellWord).join(' ') };
}

/** How a word would be typed in a POSIX shell: quoted only when it has to be. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}
