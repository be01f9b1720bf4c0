/**
 * The documentation's commands are run, not only read. A fenced block right after the line
 * `<!-- doc-test: run -->` is a walkthrough: the docs test runs a file's walkthroughs in order, as one
 * bash script (`set -euo pipefail`), against a local environment of its own. A block right after
 * `<!-- doc-test: not run — <why> -->` shows commands that cannot run here (a real AWS organization,
 * IAM Identity Center in a browser): the reason is kept and listed.
 *
 * Every other command line the docs show (jit-*, `npm run`, `npm test`, `aws <service> <operation>`)
 * must be exercised: some command that a walkthrough or the demo ran has the same program and
 * subcommand and at least its options.
 */
import { execFile, spawn } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type FoundCommand, findCommands, flagOf, SCRIPT_SUBCOMMANDS, splitCommands } from './docCommands.js';

const MARKER = /^\s*<!--\s*doc-test:\s*(run|not run)\s*(?:[—–:-]+\s*(.*?))?\s*-->\s*$/;
const FENCE_OPEN = /^\s{0,3}(`{3,}|~{3,})\s*([\w-]*)/;

export interface MarkedBlock {
  readonly kind: 'run' | 'not run';
  /** Line of the opening fence (1-based). */
  readonly line: number;
  /** Line after the opening fence: where the block's first command is. */
  readonly firstLine: number;
  /** Line of the block's last line of content (before the closing fence). */
  readonly lastLine: number;
  readonly text: string;
  /** Why a `not run` block cannot run here. */
  readonly reason: string | undefined;
}

/** The fenced blocks that follow a `doc-test` marker (blank lines between them are allowed). */
export function markedBlocks(markdown: string): MarkedBlock[] {
  const lines = markdown.split('\n');
  const blocks: MarkedBlock[] = [];
  let pending: { kind: 'run' | 'not run'; reason: string | undefined; line: number } | undefined;
  for (let i = 0; i < lines.length; i += 1) {
    const raw = lines[i] ?? '';
    const marker = MARKER.exec(raw);
    if (marker) {
      pending = { kind: marker[1] as 'run' | 'not run', reason: marker[2] || undefined, line: i + 1 };
      continue;
    }
    const open = FENCE_OPEN.exec(raw);
    if (open?.[1]) {
      const fence = open[1];
      const body: string[] = [];
      let j = i + 1;
      while (j < lines.length && !(lines[j] ?? '').trimStart().startsWith(fence)) {
        body.push(lines[j] ?? '');
        j += 1;
      }
      if (pending) {
        blocks.push({
          kind: pending.kind,
          line: i + 1,
          firstLine: i + 2,
          lastLine: j,
          text: body.join('\n'),
          reason: pending.reason,
        });
      }
      pending = undefined;
      i = j;
      continue;
    }
    if (raw.trim() !== '') pending = undefined;
  }
  return blocks;
}

/**
 * What one command exercises: its program and subcommand, and its options. `aws` commands are
 * `aws <service> <operation>`; `npm run local -- env --profile agent` is `npm run local env`.
 */
export interface CommandShape {
  readonly program: string;
  readonly flags: readonly string[];
  /** Options shown as alternatives (`--list | --clear`): each must be exercised, not all at once. */
  readonly alternatives: boolean;
}

export function shapeOf(found: FoundCommand): CommandShape {
  const command = found.command;
  const alternatives = found.text.includes(' | -');
  if (command.kind === 'jit') {
    return {
      program: [command.cli, command.subcommand ?? ''].join(' ').trim(),
      flags: [...command.flags],
      alternatives,
    };
  }
  const workspace = command.workspace === undefined ? '' : ` -w ${command.workspace}`;
  const own = command.args;
  const first = own[0];
  const hasSubcommand = SCRIPT_SUBCOMMANDS[command.script] === true && first !== undefined && !first.startsWith('-');
  const program =
    command.script === 'test' && command.workspace === undefined
      ? 'npm test'
      : `npm run ${command.script}${workspace}${hasSubcommand ? ` ${first}` : ''}`;
  return { program, flags: (hasSubcommand ? own.slice(1) : own).flatMap(flagOf), alternatives };
}

export interface AwsCommand {
  readonly file: string;
  readonly line: number;
  readonly text: string;
  readonly shape: CommandShape;
}

/** `aws <service> <operation> …` lines of fenced blocks (not inline prose, not an exec's child). */
export function findAwsCommands(file: string, markdown: string): AwsCommand[] {
  const found: AwsCommand[] = [];
  let fence: string | undefined;
  let pending = '';
  let pendingLine = 0;
  markdown.split('\n').forEach((raw, index) => {
    const open = FENCE_OPEN.exec(raw);
    if (fence === undefined) {
      if (open?.[1]) {
        fence = open[1];
        // INI, JSON, TypeScript and plain text blocks hold no shell commands.
        if (/^(ini|json|jsonc|ts|typescript|js|text|yaml|yml|toml|mermaid)$/i.test(open[2] ?? ''))
          fence = `skip${fence}`;
      }
      return;
    }
    if (raw.trimStart().startsWith(fence.replace(/^skip/, ''))) {
      fence = undefined;
      return;
    }
    if (fence.startsWith('skip')) return;
    if (pending === '') pendingLine = index + 1;
    pending += raw;
    if (raw.endsWith('\\')) {
      pending = pending.slice(0, -1);
      return;
    }
    const line = pending;
    pending = '';
    for (const { tokens } of splitCommands(line)) {
      let rest = tokens;
      while (rest[0] !== undefined && /^[A-Za-z_][A-Za-z0-9_]*=/.test(rest[0])) rest = rest.slice(1);
      if (rest[0] !== 'aws') continue;
      const [, service, operation, ...args] = rest;
      if (service === undefined || operation === undefined || service.startsWith('-')) continue;
      found.push({
        file,
        line: pendingLine,
        text: rest.join(' '),
        shape: { program: `aws ${service} ${operation}`, flags: args.flatMap(flagOf), alternatives: false },
      });
    }
  });
  return found;
}

/** Every command shape of a piece of shell: our CLIs and npm scripts, and the AWS CLI. */
export function shapesIn(shell: string): CommandShape[] {
  const markdown = ['```sh', shell, '```'].join('\n');
  return [
    ...findCommands('walkthrough', markdown).map(shapeOf),
    ...findAwsCommands('walkthrough', markdown).map((c) => c.shape),
  ];
}

/**
 * Whether something that ran exercises a documented command: the same program and subcommand (a
 * documented program without a subcommand, `npm run local`, is any of its subcommands) and at least
 * the documented options.
 */
export function isExercised(documented: CommandShape, ran: readonly CommandShape[]): boolean {
  const same = ran.filter((r) => r.program === documented.program || r.program.startsWith(`${documented.program} `));
  if (documented.alternatives) return documented.flags.every((flag) => same.some((r) => r.flags.includes(flag)));
  return same.some((r) => documented.flags.every((flag) => r.flags.includes(flag)));
}

/** The commands the demo printed (`   $ <command>   → exit N`), as shapes. */
export function demoShapes(stdout: string): CommandShape[] {
  const lines = [...stdout.matchAll(/^\s*\$ (.*?)\s+→ exit \d+\s*$/gm)].map((m) => m[1] ?? '');
  return shapesIn(lines.join('\n'));
}

export interface WalkthroughRun {
  readonly file: string;
  readonly exitCode: number;
  readonly output: string;
  readonly seconds: number;
  /** The local environment's fake keys and every credential the secrets held: none may be in the output. */
  readonly secrets: readonly string[];
}

const CLI_BUILDS: Readonly<Record<string, string>> = {
  'jit-grant': 'packages/grant/dist/cli.js',
  'jit-agent': 'packages/agent/dist/cli.js',
  'jit-audit': 'packages/audit/dist/cli.js',
};

/** What a walkthrough's copy of the repository leaves out: history, caches, state and output. */
const NOT_COPIED = new Set(['.git', '.local-aws', '.nx', 'test-results', 'test-artifacts', 'cdk.out', 'tmp']);

/**
 * Runs a file's walkthroughs as one bash script in a sandbox: a copy of the repository with its builds
 * (timestamps kept, so `tsc -b` finds them up to date) whose `node_modules` folders link to the real
 * ones, so `npm run …` and Nx work and what the script writes stays in the sandbox; a HOME of its own;
 * the local environment's state in the sandbox; the CLIs on PATH the way `npm link` puts them there.
 * Whatever the script leaves running is stopped afterwards.
 */
export async function runWalkthroughs(
  repoRoot: string,
  file: string,
  blocks: readonly MarkedBlock[],
  options: { timeoutMs?: number } = {},
): Promise<WalkthroughRun> {
  const sandbox = await mkdtemp(path.join(tmpdir(), 'jit-doc-'));
  const work = path.join(sandbox, 'work');
  const home = path.join(sandbox, 'home');
  const bin = path.join(sandbox, 'bin');
  const state = path.join(sandbox, 'local-aws');
  await Promise.all([mkdir(home), mkdir(bin)]);
  await cp(repoRoot, work, {
    recursive: true,
    preserveTimestamps: true,
    verbatimSymlinks: true,
    filter: (source) => !NOT_COPIED.has(path.basename(source)) && path.basename(source) !== 'node_modules',
  });
  // The shared material beside the repository (the article's scripts, fixtures), where the tools expect it.
  const shared = path.resolve(repoRoot, '..', 'shared');
  if (await exists(shared)) await symlink(shared, path.join(sandbox, 'shared'));
  // Dependencies are shared with the repository; the workspace's own packages (relative links) and
  // `.bin` are copied as links, so they point into the copy and bundlers see one tree.
  const modules = path.join(work, 'node_modules');
  await mkdir(modules);
  for (const entry of await readdir(path.join(repoRoot, 'node_modules'))) {
    const source = path.join(repoRoot, 'node_modules', entry);
    if (entry === '@jit-access' || entry === '.bin') {
      await cp(source, path.join(modules, entry), { recursive: true, verbatimSymlinks: true });
    } else {
      await symlink(source, path.join(modules, entry));
    }
  }
  for (const [name, build] of Object.entries(CLI_BUILDS)) {
    const shim = path.join(bin, name);
    await writeFile(shim, `#!/bin/sh\nexec "${process.execPath}" "${path.join(repoRoot, build)}" "$@"\n`);
    await chmod(shim, 0o755);
  }
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    // A fresh shell: nothing from the test runner's AWS, JIT, npm or Nx settings.
    if (!/^(AWS_|JIT_|npm_|NX_|VITEST|TEST$|NODE_OPTIONS$)/.test(key)) env[key] = value;
  }
  Object.assign(env, {
    HOME: home,
    PATH: `${bin}:${path.dirname(process.execPath)}:${process.env.PATH ?? ''}`,
    JIT_LOCAL_AWS_STATE_DIR: state,
    NO_COLOR: '1',
    NX_DAEMON: 'false',
    NX_NO_CLOUD: 'true',
    NX_TUI: 'false',
    AWS_PAGER: '',
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
  });
  const script = ['set -euo pipefail', ...blocks.map((b) => `echo "### ${file}:${b.firstLine}"\n${b.text}`)].join('\n');
  const started = Date.now();
  const chunks: Buffer[] = [];
  const exitCode = await new Promise<number>((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd: work, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    const timer = setTimeout(() => {
      chunks.push(Buffer.from(`\n[doc-test] timed out after ${options.timeoutMs ?? 300_000} ms\n`));
      killGroup(child.pid);
    }, options.timeoutMs ?? 300_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      killGroup(child.pid);
      resolve(code ?? (signal ? 128 : 1));
    });
  });
  const seconds = (Date.now() - started) / 1000;
  // Stop the local environment even when the script failed before its own `down`.
  await new Promise<void>((resolve) =>
    execFile(
      process.execPath,
      [path.join(repoRoot, 'tools/local-aws/dist/cli.js'), 'down', '--state-dir', state],
      { env, timeout: 30_000 },
      () => resolve(),
    ),
  );
  const secrets: string[] = [];
  const credentials = await readFile(path.join(state, 'aws-credentials'), 'utf8').catch(() => '');
  for (const match of credentials.matchAll(/aws_(?:secret_access_key|session_token)\s*=\s*(\S+)/g)) {
    if (match[1]) secrets.push(match[1]);
  }
  await rm(sandbox, { recursive: true, force: true });
  return { file, exitCode, output: Buffer.concat(chunks).toString('utf8'), seconds, secrets };
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    // Already gone.
  }
}
