/**
 * Finds the command lines the documentation shows and checks them against the CLIs' own `--help`.
 *
 * Extraction is deliberately plain: fenced code blocks (every logical line, backslash continuations
 * joined) and inline code spans. A line is split into commands at `&&`, `||`, `|`, `;` and `&`, and
 * `$( … )` is read as a command of its own. A command is checked when it starts (after `VAR=value`
 * assignments and `npx`) with `jit-grant`, `jit-agent`, `jit-audit`, `npm run <script>` or `npm test`.
 * A trailing `# not checked <why>` comment exempts a line; the reason is kept so the test can list it.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export type SnippetSource = 'block' | 'inline';

/** One logical line of a fenced block, or one inline code span. */
export interface DocSnippet {
  readonly line: number;
  readonly text: string;
  readonly source: SnippetSource;
}

export const JIT_CLIS = ['jit-grant', 'jit-agent', 'jit-audit'] as const;
export type JitCli = (typeof JIT_CLIS)[number];

export type DocCommand =
  | {
      readonly kind: 'jit';
      readonly cli: JitCli;
      /** The first argument when it is not an option; `undefined` for `jit-x --help`. */
      readonly subcommand: string | undefined;
      readonly flags: readonly string[];
    }
  | {
      readonly kind: 'npm';
      readonly script: string;
      /** `-w <name>` / `--workspace <name>`: the script belongs to that workspace. */
      readonly workspace: string | undefined;
      /** What follows `--`, handed to the script. */
      readonly args: readonly string[];
    };

export interface FoundCommand {
  readonly file: string;
  readonly line: number;
  readonly source: SnippetSource;
  /** The command as written (one segment of the line). */
  readonly text: string;
  readonly command: DocCommand;
  /** Set when the line carries `# not checked <reason>`. */
  readonly notChecked: string | undefined;
}

const FENCE = /^\s{0,3}(`{3,}|~{3,})(.*)$/;
const NOT_CHECKED = /#\s*not checked\b:?\s*(.*)$/;

/** Splits Markdown into fenced-block lines and inline code spans, with 1-based line numbers. */
export function extractSnippets(markdown: string): DocSnippet[] {
  const lines = markdown.split('\n');
  const snippets: DocSnippet[] = [];
  let fence: string | undefined;
  let pending: { line: number; text: string } | undefined;
  // Prose lines between fences, kept with their numbers so inline spans can cross line breaks.
  let prose: { line: number; text: string }[] = [];

  const flushProse = () => {
    snippets.push(...inlineSpans(prose));
    prose = [];
  };

  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    const fenceMatch = FENCE.exec(raw);
    if (fence === undefined) {
      if (fenceMatch?.[1]) {
        flushProse();
        fence = fenceMatch[1];
        return;
      }
      prose.push({ line: lineNo, text: raw });
      return;
    }
    if (fenceMatch?.[1] && fenceMatch[1][0] === fence[0] && fenceMatch[1].length >= fence.length && !fenceMatch[2]) {
      if (pending) snippets.push({ ...pending, source: 'block' });
      pending = undefined;
      fence = undefined;
      return;
    }
    const continued = /\\\s*$/.test(raw);
    const text = continued ? raw.replace(/\\\s*$/, ' ') : raw;
    pending = pending ? { line: pending.line, text: pending.text + text.trimStart() } : { line: lineNo, text };
    if (!continued) {
      snippets.push({ ...pending, source: 'block' });
      pending = undefined;
    }
  });
  if (pending) snippets.push({ ...pending, source: 'block' });
  flushProse();
  return snippets.filter((s) => s.text.trim() !== '');
}

/** CommonMark code spans: a run of N backticks up to the next run of exactly N. */
function inlineSpans(prose: readonly { line: number; text: string }[]): DocSnippet[] {
  const text = prose.map((p) => p.text).join('\n');
  const lineAt = (offset: number): number => {
    let seen = 0;
    for (const p of prose) {
      seen += p.text.length + 1;
      if (offset < seen) return p.line;
    }
    return prose.at(-1)?.line ?? 0;
  };
  const spans: DocSnippet[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] !== '`' || (i > 0 && text[i - 1] === '\\')) {
      i += 1;
      continue;
    }
    let run = 0;
    while (text[i + run] === '`') run += 1;
    const close = findClosingRun(text, i + run, run);
    if (close === -1) {
      i += run;
      continue;
    }
    const content = text
      .slice(i + run, close)
      .replace(/\n/g, ' ')
      .trim();
    spans.push({ line: lineAt(i), text: content, source: 'inline' });
    i = close + run;
  }
  return spans;
}

function findClosingRun(text: string, from: number, run: number): number {
  let j = from;
  while (j < text.length) {
    if (text[j] !== '`') {
      // A blank line ends the paragraph, and with it any open span.
      if (text[j] === '\n' && text[j + 1] === '\n') return -1;
      j += 1;
      continue;
    }
    let n = 0;
    while (text[j + n] === '`') n += 1;
    if (n === run) return j;
    j += n;
  }
  return -1;
}

/**
 * A small shell tokenizer: quotes, backslash escapes, comments, and the command separators. It
 * returns one token list per command. `$( … )` bodies become commands of their own.
 */
export function splitCommands(line: string): { tokens: string[]; after: string | undefined }[] {
  const substitutions: string[] = [];
  const outer = line.replace(/\$\(([^()]*)\)/g, (_m, body: string) => {
    substitutions.push(body);
    return 'SUBSTITUTION';
  });
  const commands: { tokens: string[]; after: string | undefined }[] = [];
  let tokens: string[] = [];
  let current: string | undefined;
  let after: string | undefined;
  const endToken = () => {
    if (current !== undefined) tokens.push(current);
    current = undefined;
  };
  const endCommand = (operator: string | undefined) => {
    endToken();
    if (tokens.length > 0) commands.push({ tokens, after });
    tokens = [];
    after = operator;
  };
  let i = 0;
  while (i < outer.length) {
    const c = outer[i] ?? '';
    if (c === "'") {
      const close = outer.indexOf("'", i + 1);
      const end = close === -1 ? outer.length : close;
      current = (current ?? '') + outer.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      let value = '';
      let j = i + 1;
      while (j < outer.length && outer[j] !== '"') {
        if (outer[j] === '\\' && j + 1 < outer.length) j += 1;
        value += outer[j];
        j += 1;
      }
      current = (current ?? '') + value;
      i = j + 1;
    } else if (c === '\\') {
      current = (current ?? '') + (outer[i + 1] ?? '');
      i += 2;
    } else if (/\s/.test(c)) {
      endToken();
      i += 1;
    } else if (c === '#' && current === undefined) {
      break;
    } else if (c === '&' || c === '|' || c === ';') {
      const two = outer.slice(i, i + 2);
      const operator = two === '&&' || two === '||' ? two : c;
      endCommand(operator);
      i += operator.length;
    } else {
      current = (current ?? '') + c;
      i += 1;
    }
  }
  endCommand(undefined);
  for (const body of substitutions) commands.push(...splitCommands(body));
  return commands;
}

const ENV_ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/** Reads one tokenized command; `undefined` when it is not one the docs test checks. */
export function parseCommand(tokens: readonly string[]): DocCommand | undefined {
  let rest = [...tokens];
  while (rest[0] !== undefined && ENV_ASSIGNMENT.test(rest[0])) rest = rest.slice(1);
  if (rest[0] === 'npx') rest = rest.slice(1);
  const [program, ...args] = rest;
  if (program === undefined) return undefined;
  if ((JIT_CLIS as readonly string[]).includes(program)) {
    const own = args.indexOf('--') === -1 ? args : args.slice(0, args.indexOf('--'));
    const first = own[0];
    const subcommand = first !== undefined && !first.startsWith('-') ? first : undefined;
    const flags = own.flatMap(flagOf);
    // A bare name (`jit-agent` in prose) says nothing to check.
    if (subcommand === undefined && flags.length === 0) return undefined;
    return { kind: 'jit', cli: program as JitCli, subcommand, flags };
  }
  if (program === 'npm') return parseNpm(args);
  return undefined;
}

/** `npm run [npm options] <script> [npm options] [-- args]`, and `npm test`. */
function parseNpm(args: readonly string[]): DocCommand | undefined {
  const [verb, ...rest] = args;
  const separator = rest.indexOf('--');
  const own = separator === -1 ? rest : rest.slice(0, separator);
  const scriptArgs = separator === -1 ? [] : rest.slice(separator + 1);
  let workspace: string | undefined;
  const positional: string[] = [];
  for (let i = 0; i < own.length; i += 1) {
    const token = own[i] ?? '';
    if (token === '-w' || token === '--workspace') {
      workspace = own[i + 1];
      i += 1;
    } else if (token.startsWith('--workspace=')) {
      workspace = token.slice('--workspace='.length);
    } else if (!token.startsWith('-')) {
      positional.push(token);
    }
  }
  if (verb === 'test' || verb === 't') return { kind: 'npm', script: 'test', workspace, args: scriptArgs };
  if (verb !== 'run' && verb !== 'run-script') return undefined;
  const script = positional[0];
  if (script === undefined) return undefined;
  return { kind: 'npm', script, workspace, args: scriptArgs };
}

/** `--flag`, `--flag=value`, `[--flag`, `-y` → the option's name; anything else → nothing. */
export function flagOf(token: string): string[] {
  const bare = token.replace(/^[[({]+/, '').replace(/[\])},]+$/, '');
  const long = /^(--[A-Za-z0-9][A-Za-z0-9-]*)(=.*)?$/.exec(bare);
  if (long?.[1]) return [long[1]];
  const short = /^(-[A-Za-z])$/.exec(bare);
  if (short?.[1]) return [short[1]];
  return [];
}

/** Every checked command of one Markdown document. */
export function findCommands(file: string, markdown: string): FoundCommand[] {
  const found: FoundCommand[] = [];
  for (const snippet of extractSnippets(markdown)) {
    const marker = NOT_CHECKED.exec(snippet.text);
    const notChecked = marker ? marker[1]?.trim() || '(no reason given)' : undefined;
    // An INI `credential_process = <command>` line is a command line too.
    const text = snippet.text.replace(/^\s*credential_process\s*=\s*/, '');
    let previous: { text: string; command: DocCommand & { kind: 'jit' } } | undefined;
    for (const { tokens, after } of splitCommands(text)) {
      // `jit-grant revoke --list | --clear` lists alternatives: the options continue the command.
      if (after === '|' && tokens[0]?.startsWith('--') && previous) {
        const merged = { ...previous.command, flags: [...previous.command.flags, ...tokens.flatMap(flagOf)] };
        const last = found.at(-1);
        if (last && last.command === previous.command) {
          found[found.length - 1] = { ...last, command: merged, text: `${last.text} | ${tokens.join(' ')}` };
        }
        previous = { text: previous.text, command: merged };
        continue;
      }
      const command = parseCommand(tokens);
      previous = undefined;
      if (!command) continue;
      if (command.kind === 'jit') previous = { text: tokens.join(' '), command };
      found.push({
        file,
        line: snippet.line,
        source: snippet.source,
        text: tokens.join(' '),
        command,
        notChecked,
      });
    }
  }
  return found;
}

/** Folders never searched for documentation: builds, dependencies, generated output. */
const SKIPPED_DIRECTORIES = new Set([
  'node_modules',
  'dist',
  'dist-bundle',
  'out-tsc',
  'cdk.out',
  'tmp',
  'test-results',
  'test-artifacts',
  '.local-aws',
]);

/**
 * The Markdown files whose commands must match the CLIs: the root README, everything under docs/,
 * and every Markdown file of a project (packages/*, stacks, tools/*), nested READMEs included.
 */
export function documentationFiles(repoRoot: string): string[] {
  const files: string[] = [];
  if (isFile(path.join(repoRoot, 'README.md'))) files.push('README.md');
  const walk = (dir: string) => {
    if (!isDirectory(path.join(repoRoot, dir))) return;
    const entries = readdirSync(path.join(repoRoot, dir), { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    );
    for (const entry of entries) {
      const relative = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRECTORIES.has(entry.name) && !entry.name.startsWith('.')) walk(relative);
      } else if (entry.name.endsWith('.md')) {
        files.push(relative);
      }
    }
  };
  for (const dir of ['docs', 'packages', 'stacks', 'tools']) walk(dir);
  return files.map((f) => f.split(path.sep).join('/'));
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export function readDoc(repoRoot: string, file: string): string {
  return readFileSync(path.join(repoRoot, file), 'utf8');
}

/** Where each CLI's build lives (`npm test` builds before it tests). */
export const JIT_CLI_PATHS: Readonly<Record<JitCli, string>> = {
  'jit-grant': 'packages/grant/dist/cli.js',
  'jit-agent': 'packages/agent/dist/cli.js',
  'jit-audit': 'packages/audit/dist/cli.js',
};

/**
 * npm scripts that end in `node <program>.js`, and whether that program has subcommands
 * (`npm run local -- up --accounts x`). The program's path is read from the script itself, so a
 * renamed program is followed; a new one must be added here before docs can pass it arguments.
 */
export const SCRIPT_SUBCOMMANDS: Readonly<Record<string, boolean>> = {
  local: true,
  demo: false,
  bench: false,
  'report:local': false,
};

export interface HelpText {
  readonly exitCode: number;
  readonly text: string;
}

interface PackageJson {
  readonly name?: string;
  readonly scripts?: Record<string, string>;
  readonly workspaces?: readonly string[];
}

/** Runs `node <cli> [sub] --help` once per pair and answers questions about flags. */
export class CliCatalogue {
  readonly #repoRoot: string;
  readonly #cache = new Map<string, Promise<HelpText>>();
  readonly #rootPackage: PackageJson;

  constructor(repoRoot: string) {
    this.#repoRoot = repoRoot;
    this.#rootPackage = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as PackageJson;
  }

  help(cliPath: string, subcommand: string | undefined): Promise<HelpText> {
    const key = `${cliPath}\u0000${subcommand ?? ''}`;
    let cached = this.#cache.get(key);
    if (!cached) {
      const args = [path.join(this.#repoRoot, cliPath), ...(subcommand === undefined ? [] : [subcommand]), '--help'];
      cached = new Promise((resolve, reject) => {
        execFile(
          process.execPath,
          args,
          { cwd: this.#repoRoot, env: { ...process.env, NO_COLOR: '1' }, timeout: 30_000 },
          (error, stdout, stderr) => {
            if (error && typeof error.code !== 'number') {
              reject(error);
              return;
            }
            resolve({ exitCode: typeof error?.code === 'number' ? error.code : 0, text: `${stdout}\n${stderr}` });
          },
        );
      });
      this.#cache.set(key, cached);
    }
    return cached;
  }

  scripts(workspace: string | undefined): Record<string, string> | undefined {
    if (workspace === undefined) return this.#rootPackage.scripts ?? {};
    for (const pattern of this.#rootPackage.workspaces ?? []) {
      const base = pattern.replace(/\/\*$/, '');
      const candidates = pattern.endsWith('/*')
        ? isDirectory(path.join(this.#repoRoot, base))
          ? readdirSync(path.join(this.#repoRoot, base)).map((d) => path.join(base, d))
          : []
        : [base];
      for (const dir of candidates) {
        const file = path.join(this.#repoRoot, dir, 'package.json');
        if (!isFile(file)) continue;
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
        if (pkg.name === workspace || dir === workspace || dir === workspace.replace(/\/$/, ''))
          return pkg.scripts ?? {};
      }
    }
    return undefined;
  }
}

/** Whether a help text lists the option as a word of its own (`--profile` is not `--profile-arn`). */
export function helpMentions(help: string, flag: string): boolean {
  const escaped = flag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^A-Za-z0-9-])${escaped}(?![A-Za-z0-9-])`, 'm').test(help);
}

const PLACEHOLDER = /^(<.*>|…|\.\.\.)$/;

/** The problems of one documented command; an empty list means it matches the CLI. */
export async function checkCommand(command: DocCommand, catalogue: CliCatalogue): Promise<string[]> {
  if (command.kind === 'jit') {
    const cliPath = JIT_CLI_PATHS[command.cli];
    return checkAgainstCli(catalogue, command.cli, cliPath, true, [
      ...(command.subcommand === undefined ? [] : [command.subcommand]),
      ...command.flags,
    ]);
  }
  const scripts = catalogue.scripts(command.workspace);
  if (scripts === undefined) return [`npm workspace "${command.workspace}" does not exist`];
  const body = scripts[command.script];
  const where = command.workspace === undefined ? 'the root package.json' : `workspace ${command.workspace}`;
  if (body === undefined) {
    return [`npm script "${command.script}" is not in ${where}; scripts: ${Object.keys(scripts).join(', ')}`];
  }
  if (command.args.length === 0) return [];
  const cli = /(?:^|&&\s*)node\s+(\S+\.m?js)\s*$/.exec(body)?.[1];
  // Arguments to a script that is not one of our node programs (nx, tsc) cannot be checked by --help.
  if (cli === undefined || command.workspace !== undefined) return [];
  const subcommands = SCRIPT_SUBCOMMANDS[command.script];
  if (subcommands === undefined) {
    return [
      `npm script "${command.script}" runs ${cli}, which the docs test does not know: add it to SCRIPT_SUBCOMMANDS`,
    ];
  }
  const own = command.args.indexOf('--') === -1 ? command.args : command.args.slice(0, command.args.indexOf('--'));
  const first = own[0];
  const tokens =
    subcommands && first !== undefined && !first.startsWith('-')
      ? [first, ...own.slice(1).flatMap(flagOf)]
      : own.flatMap(flagOf);
  return checkAgainstCli(catalogue, `npm run ${command.script}`, cli, subcommands, tokens);
}

async function checkAgainstCli(
  catalogue: CliCatalogue,
  name: string,
  cliPath: string,
  hasSubcommands: boolean,
  tokens: readonly string[],
): Promise<string[]> {
  const first = tokens[0];
  const subcommand = hasSubcommands && first !== undefined && !first.startsWith('-') ? first : undefined;
  const flags = subcommand === undefined ? tokens : tokens.slice(1);
  const helpFor = subcommand === undefined || PLACEHOLDER.test(subcommand) ? undefined : subcommand;
  const help = await catalogue.help(cliPath, helpFor);
  const shown = helpFor === undefined ? `${name} --help` : `${name} ${helpFor} --help`;
  if (help.exitCode !== 0) {
    return [
      helpFor === undefined
        ? `${shown} exited ${help.exitCode} (is ${cliPath} built? npm test builds first)`
        : `${name} has no subcommand "${helpFor}" (${shown} exited ${help.exitCode})`,
    ];
  }
  return flags.filter((flag) => !helpMentions(help.text, flag)).map((flag) => `${shown} does not list ${flag}`);
}

/** Relative link targets (`[text](path#anchor)`) outside code, with their line numbers. */
export function relativeLinks(markdown: string): { line: number; target: string; anchor: string | undefined }[] {
  const links: { line: number; target: string; anchor: string | undefined }[] = [];
  forEachProseLine(markdown, (raw, line) => {
    const prose = raw.replace(/`[^`]*`/g, '');
    for (const match of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const link = match[1] ?? '';
      if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue;
      const [target = '', anchor] = link.split('#');
      links.push({ line, target: decodeURIComponent(target), anchor });
    }
  });
  return links;
}

/** The anchors GitHub gives a document's headings (lower case, punctuation dropped, spaces to hyphens). */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  forEachProseLine(markdown, (raw) => {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(raw)?.[1];
    if (heading === undefined) return;
    const base = heading
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  });
  return anchors;
}

function forEachProseLine(markdown: string, visit: (line: string, lineNo: number) => void): void {
  let fence: string | undefined;
  markdown.split('\n').forEach((raw, index) => {
    const fenceMatch = FENCE.exec(raw);
    if (fenceMatch?.[1]) {
      if (fence === undefined) fence = fenceMatch[1];
      else if (fenceMatch[1][0] === fence[0] && !fenceMatch[2]) fence = undefined;
      return;
    }
    if (fence === undefined) visit(raw, index + 1);
  });
}
