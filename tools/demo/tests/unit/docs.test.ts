/**
 * The documentation and the CLIs stay in step: every command line shown in README.md, docs/ and the
 * projects' Markdown that starts with jit-grant, jit-agent, jit-audit, `npm run <script>` or
 * `npm test` must name a subcommand that exists and only options that subcommand's `--help` lists.
 * The CLIs run from their builds (`npm test` builds before it tests).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CliCatalogue,
  checkCommand,
  documentationFiles,
  extractSnippets,
  type FoundCommand,
  findCommands,
  flagOf,
  headingAnchors,
  helpMentions,
  JIT_CLIS,
  readDoc,
  relativeLinks,
  splitCommands,
} from '../support/docCommands.js';

const REPO_ROOT = path.resolve(import.meta.dirname, '../../../..');

/**
 * Mismatches known when this test was written, each waiting for its owner. An entry must still
 * occur (the last test fails when it no longer does, so a fixed one gets removed from here).
 */
const KNOWN_MISMATCHES: readonly { file: string; command: string; problem: string; why: string }[] = [];

const isKnown = (found: FoundCommand, problem: string) =>
  KNOWN_MISMATCHES.some((k) => k.file === found.file && k.command === found.text && k.problem === problem);

const documented: FoundCommand[] = documentationFiles(REPO_ROOT).flatMap((file) =>
  findCommands(file, readDoc(REPO_ROOT, file)),
);
const checked = documented.filter((c) => c.notChecked === undefined);

const catalogue = new CliCatalogue(REPO_ROOT);
const problemsOf = new Map<FoundCommand, string[]>();

beforeAll(async () => {
  // One `--help` run per CLI and subcommand, all started at once; the catalogue shares them.
  await Promise.all(checked.map(async (c) => problemsOf.set(c, await checkCommand(c.command, catalogue))));
}, 120_000);

const commandsOf = (markdown: string) => findCommands('doc.md', markdown);

describe('extracting command lines from Markdown', () => {
  it('reads each logical line of a fenced block, joining backslash continuations, at its first line', () => {
    const found = commandsOf(
      [
        '# Title',
        '',
        '```sh',
        'jit-grant grant production --tier ops \\',
        '  --minutes 15 --reason "restart"',
        'jit-grant status',
        '```',
      ].join('\n'),
    );
    expect(found.map((f) => [f.line, f.source, f.command])).toEqual([
      [4, 'block', { kind: 'jit', cli: 'jit-grant', subcommand: 'grant', flags: ['--tier', '--minutes', '--reason'] }],
      [6, 'block', { kind: 'jit', cli: 'jit-grant', subcommand: 'status', flags: [] }],
    ]);
  });

  it('reads inline code spans, also one that wraps onto the next line', () => {
    const found = commandsOf(
      ['Run `jit-agent status 222222222222 --json` first, then `jit-agent wait', '222222222222 --timeout 15m`.'].join(
        '\n',
      ),
    );
    expect(found.map((f) => [f.line, f.source, f.text])).toEqual([
      [1, 'inline', 'jit-agent status 222222222222 --json'],
      [1, 'inline', 'jit-agent wait 222222222222 --timeout 15m'],
    ]);
  });

  it('does not read code spans across a blank line, nor fenced blocks as inline code', () => {
    const snippets = extractSnippets(['a `jit-agent', '', 'status` b', '```', '`jit-grant status`', '```'].join('\n'));
    expect(snippets).toEqual([{ line: 5, text: '`jit-grant status`', source: 'block' }]);
  });

  it('splits a line at &&, ||, |, ; and & and reads $( … ) as a command of its own', () => {
    expect(
      splitCommands('npm ci && npm run local -- up; eval "$(npm run --silent local -- env --profile agent)"'),
    ).toEqual([
      { tokens: ['npm', 'ci'], after: undefined },
      { tokens: ['npm', 'run', 'local', '--', 'up'], after: '&&' },
      { tokens: ['eval', 'SUBSTITUTION'], after: ';' },
      { tokens: ['npm', 'run', '--silent', 'local', '--', 'env', '--profile', 'agent'], after: undefined },
    ]);
    expect(splitCommands('a | b || c & d').map((c) => [c.tokens[0], c.after])).toEqual([
      ['a', undefined],
      ['b', '|'],
      ['c', '||'],
      ['d', '&'],
    ]);
  });

  it('reads no option inside quotes, in a comment, or after the `--` that starts an exec child', () => {
    const [found] = commandsOf(
      [
        '```sh',
        `jit-agent request production --reason "uses --force" --plan 'aws ecs --cluster web' # --not-this`,
        '```',
        '`jit-agent exec production --cwd /srv -- aws ecs update-service --force-new-deployment`',
      ].join('\n'),
    );
    expect(found?.command).toEqual({
      kind: 'jit',
      cli: 'jit-agent',
      subcommand: 'request',
      flags: ['--reason', '--plan'],
    });
    const exec = commandsOf('`jit-agent exec production --cwd /srv -- aws ecs update-service --force-new-deployment`');
    expect(exec[0]?.command).toEqual({ kind: 'jit', cli: 'jit-agent', subcommand: 'exec', flags: ['--cwd'] });
  });

  it('reads `--list | --clear` alternatives as options of the same command', () => {
    const found = commandsOf('```\njit-grant revoke --list | --clear      # see / remove\n```');
    expect(found.map((f) => f.command)).toEqual([
      { kind: 'jit', cli: 'jit-grant', subcommand: 'revoke', flags: ['--list', '--clear'] },
    ]);
  });

  it('tells npm options, the workspace, the script and its arguments apart', () => {
    const found = commandsOf(
      [
        '```sh',
        'npm run --silent local -- env --profile agent',
        'npm run bundle -w @jit-access/report-lambda',
        'npm test',
        'npm ci',
        '```',
      ].join('\n'),
    );
    expect(found.map((f) => f.command)).toEqual([
      { kind: 'npm', script: 'local', workspace: undefined, args: ['env', '--profile', 'agent'] },
      { kind: 'npm', script: 'bundle', workspace: '@jit-access/report-lambda', args: [] },
      { kind: 'npm', script: 'test', workspace: undefined, args: [] },
    ]);
  });

  it('reads the command of an AWS config credential_process line, and skips env assignments and npx', () => {
    const found = commandsOf(
      [
        '```ini',
        'credential_process = jit-agent credential-process 222222222222 --region ap-southeast-2',
        '```',
        '`JIT_WEBHOOK_SECRET=x npx jit-agent listen --port 8787`',
      ].join('\n'),
    );
    expect(found.map((f) => f.text)).toEqual([
      'jit-agent credential-process 222222222222 --region ap-southeast-2',
      'JIT_WEBHOOK_SECRET=x npx jit-agent listen --port 8787',
    ]);
  });

  it('keeps the reason of a `# not checked` marker', () => {
    const [found] = commandsOf('```sh\njit-grant grant --future-flag x   # not checked: lands with issue 12\n```');
    expect(found?.notChecked).toBe('lands with issue 12');
  });

  it('ignores a bare CLI name in prose and commands of other programs', () => {
    const found = commandsOf(
      [
        '`jit-agent` never prints credentials; `jit-grant` is yours.',
        '```sh',
        'npx vitest run --root stacks',
        'aws sts get-caller-identity --profile jit-agent',
        '```',
      ].join('\n'),
    );
    expect(found).toEqual([]);
  });

  it('takes the option name out of brackets and `=value`, and ignores numbers and placeholders', () => {
    expect(['[--plan]', '--out=x.json', '-y', '-5', '<account>', '…', '--'].flatMap(flagOf)).toEqual([
      '--plan',
      '--out',
      '-y',
    ]);
  });

  it('finds relative links outside code, without their anchors', () => {
    const markdown = [
      'See [the runbook](runbooks/auditor.md#verify), [AWS](https://aws.amazon.com) and [here](#top).',
      '`[not](a-link.md)`',
      '```',
      '[nor](this.md)',
      '```',
      '[test](../packages/core/tests/unit/policy.sim.test.ts "title")',
    ].join('\n');
    expect(relativeLinks(markdown)).toEqual([
      { line: 1, target: 'runbooks/auditor.md', anchor: 'verify' },
      { line: 1, target: '', anchor: 'top' },
      { line: 6, target: '../packages/core/tests/unit/policy.sim.test.ts', anchor: undefined },
    ]);
  });

  it('gives headings the anchors GitHub gives them', () => {
    const markdown = [
      '# Runbook: the auditor',
      '## What is verified where',
      '## `jit-audit` verify',
      '## Notes',
      '## Notes',
    ];
    expect([...headingAnchors(markdown.join('\n'))]).toEqual([
      'runbook-the-auditor',
      'what-is-verified-where',
      'jit-audit-verify',
      'notes',
      'notes-1',
    ]);
  });

  it('matches an option in help text as a word of its own', () => {
    const help = '  --profile-arn <arn>   the profile\n  -y, --yes   do not ask';
    expect(helpMentions(help, '--profile')).toBe(false);
    expect(helpMentions(help, '--profile-arn')).toBe(true);
    expect(helpMentions(help, '-y')).toBe(true);
    expect(helpMentions(help, '--yes')).toBe(true);
  });
});

describe('checking a command against the CLI it names', () => {
  const problems = async (markdown: string) => {
    const [found] = commandsOf(markdown);
    if (!found) throw new Error(`no command found in ${markdown}`);
    return checkCommand(found.command, catalogue);
  };

  it('fails a doc that uses an option the CLI does not have, naming the option', async () => {
    expect(await problems('`jit-grant grant production --tier ops --minutes 15 --reason "x" --frobnicate`')).toEqual([
      'jit-grant grant --help does not list --frobnicate',
    ]);
  });

  it('fails a doc that names a subcommand the CLI does not have', async () => {
    const [problem, ...rest] = await problems('`jit-agent teleport 222222222222`');
    expect(rest).toEqual([]);
    expect(problem).toMatch(/^jit-agent has no subcommand "teleport"/);
  });

  it("accepts a subcommand's own options and the common ones", async () => {
    expect(await problems('`jit-grant revoke production --all-sessions --profile approver --json`')).toEqual([]);
    expect(await problems('`jit-audit verify --local ./copy --trail-arn arn --start-time 2026-03-01`')).toEqual([]);
  });

  it('fails an npm script that package.json does not have', async () => {
    const [problem] = await problems('`npm run teleport`');
    expect(problem).toMatch(/^npm script "teleport" is not in the root package.json; scripts: .*\blocal\b/);
  });

  it('checks the arguments an npm script hands to one of our programs', async () => {
    expect(await problems('`npm run local -- up --s3-latency-ms 20`')).toEqual([]);
    expect(await problems('`npm run local -- up --frobnicate`')).toEqual([
      'npm run local up --help does not list --frobnicate',
    ]);
    const [problem] = await problems('`npm run local -- teleport`');
    expect(problem).toMatch(/^npm run local has no subcommand "teleport"/);
    expect(await problems('`npm run demo -- --frobnicate`')).toEqual([
      'npm run demo --help does not list --frobnicate',
    ]);
  });

  it('finds a workspace script by package name', async () => {
    expect(await problems('`npm run bundle -w @jit-access/report-lambda`')).toEqual([]);
    expect(await problems('`npm run teleport -w @jit-access/report-lambda`')).toEqual([
      'npm script "teleport" is not in workspace @jit-access/report-lambda; scripts: bundle',
    ]);
  });
});

describe('the documentation matches the CLIs', () => {
  it('shows commands of every CLI and npm script, across the docs', () => {
    const clis = new Set(checked.flatMap((c) => (c.command.kind === 'jit' ? [c.command.cli] : ['npm'])));
    expect([...clis].sort()).toEqual([...JIT_CLIS, 'npm'].sort());
    // A floor, so that an extraction that silently finds nothing cannot pass.
    expect(checked.length).toBeGreaterThanOrEqual(80);
  });

  it.each(checked.map((c) => [`${c.file}:${c.line} ${c.text}`, c] as const))('%s', (_name, found) => {
    const problems = (problemsOf.get(found) ?? ['not checked: the help runs did not finish']).filter(
      (p) => !isKnown(found, p),
    );
    expect(problems).toEqual([]);
  });

  it('links only to files and headings that exist (every "where verified" cell names a real test)', () => {
    const broken = documentationFiles(REPO_ROOT).flatMap((file) =>
      relativeLinks(readDoc(REPO_ROOT, file)).flatMap((link) => {
        const target = link.target === '' ? file : path.join(path.dirname(file), link.target);
        const shown = `${file}:${link.line} ${link.target}${link.anchor === undefined ? '' : `#${link.anchor}`}`;
        if (!existsSync(path.resolve(REPO_ROOT, target))) return [shown];
        if (link.anchor === undefined || !target.endsWith('.md')) return [];
        return headingAnchors(readDoc(REPO_ROOT, target)).has(link.anchor) ? [] : [`${shown} (no such heading)`];
      }),
    );
    expect(broken).toEqual([]);
  });

  it('gives a reason for every line marked "# not checked"', () => {
    const unchecked = documented.filter((c) => c.notChecked !== undefined);
    expect(unchecked.filter((c) => c.notChecked === '(no reason given)').map((c) => `${c.file}:${c.line}`)).toEqual([]);
  });

  it('still needs every known mismatch (remove an entry once its owner fixes it)', () => {
    const stale = KNOWN_MISMATCHES.filter(
      (k) => !checked.some((c) => c.file === k.file && c.text === k.command && problemsOf.get(c)?.includes(k.problem)),
    );
    expect(stale).toEqual([]);
  });
});
