/**
 * `npm run demo` is the product's main job and its end-to-end test: it must finish with every step
 * behaving as described, leave nothing running and print no credential.
 *
 * The docs' commands are run too: each file's walkthroughs (blocks marked `<!-- doc-test: run -->`) run
 * as a script against a local environment of their own, and every other command line the docs show must
 * have been exercised by a walkthrough or by the demo, or sit in a block that says why it cannot run here.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { documentationFiles, findCommands, readDoc } from '../support/docCommands.js';
import {
  type CommandShape,
  demoShapes,
  findAwsCommands,
  isExercised,
  markedBlocks,
  runWalkthroughs,
  shapeOf,
  shapesIn,
} from '../support/docWalkthroughs.js';

const run = promisify(execFile);
const REPO_ROOT = path.resolve(import.meta.dirname, '../../../..');
/** Credential-shaped values beyond access key ids (which are identifiers, not secrets). */
const CREDENTIAL =
  /"?(SecretAccessKey|SessionToken|aws_secret_access_key|aws_session_token)"?\s*[:=]\s*"?[A-Za-z0-9/+=]{20,}/;

/**
 * Commands no test here can run, and what runs them instead. Keep it short: a command that can run on
 * the local environment belongs in a walkthrough.
 */
const EXERCISED_ELSEWHERE: readonly { program: string; by: string }[] = [
  { program: 'npm test', by: '.ci/run runs it on a fresh clone; this test is one of its tests' },
];

/** Shapes of everything that ran successfully: the demo's commands and the walkthroughs that passed. */
const ran: CommandShape[] = [];

describe('npm run demo', () => {
  it('plays the whole story on the local environment and every step passes', async () => {
    const { stdout } = await run('npm', ['run', '--silent', 'demo'], {
      cwd: REPO_ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 180_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    expect(stdout).toContain('Demo complete');
    expect(stdout).not.toContain('✗');
    for (const step of [
      '1. Standing access',
      '3. The approver approves exactly that request',
      '6. The approver revokes',
      "7. The auditor's report, from CloudTrail",
      '8. Log integrity',
      '9. The independent report Lambda',
    ]) {
      expect(stdout).toContain(step);
    }
    expect(stdout).not.toMatch(CREDENTIAL);
    ran.push(...demoShapes(stdout), ...shapesIn('npm run demo'));
  }, 200_000);
});

const documents = documentationFiles(REPO_ROOT).map((file) => ({ file, markdown: readDoc(REPO_ROOT, file) }));
const walkthroughs = documents
  .map(({ file, markdown }) => ({ file, blocks: markedBlocks(markdown).filter((b) => b.kind === 'run') }))
  .filter((w) => w.blocks.length > 0);

describe("the docs' commands", () => {
  it('has walkthroughs in the runbooks and the local environment README', () => {
    expect(walkthroughs.map((w) => w.file)).toEqual(
      expect.arrayContaining([
        'docs/runbooks/agent.md',
        'docs/runbooks/approver.md',
        'docs/runbooks/auditor.md',
        'docs/runbooks/platform.md',
        'tools/local-aws/README.md',
      ]),
    );
  });

  it.each(walkthroughs)(
    '$file: its walkthroughs run to the end and print no credential',
    async ({ file, blocks }) => {
      const result = await runWalkthroughs(REPO_ROOT, file, blocks, { timeoutMs: 240_000 });
      const tail = result.output.split('\n').slice(-40).join('\n');
      expect(result.exitCode, `${file} walkthrough failed (exit ${result.exitCode}):\n${tail}`).toBe(0);
      expect(result.secrets.length, 'the local environment wrote its credentials file').toBeGreaterThan(0);
      for (const secret of result.secrets) expect(result.output.includes(secret)).toBe(false);
      expect(result.output).not.toMatch(CREDENTIAL);
      ran.push(...blocks.flatMap((b) => shapesIn(b.text)));
    },
    300_000,
  );

  it('gives a reason for every block marked "not run"', () => {
    const unexplained = documents.flatMap(({ file, markdown }) =>
      markedBlocks(markdown)
        .filter((b) => b.kind === 'not run' && (b.reason ?? '').length < 10)
        .map((b) => `${file}:${b.line}`),
    );
    expect(unexplained).toEqual([]);
  });

  it('ran every command line the docs show, unless its block says why it cannot run here', () => {
    expect(ran.length, 'the demo and the walkthroughs ran first').toBeGreaterThan(50);
    const missing: string[] = [];
    for (const { file, markdown } of documents) {
      const exempt = new Set<number>();
      for (const block of markedBlocks(markdown)) {
        if (block.kind !== 'not run') continue;
        for (let line = block.firstLine; line <= block.lastLine; line += 1) exempt.add(line);
      }
      const shown = [
        ...findCommands(file, markdown).map((c) => ({ line: c.line, text: c.text, shape: shapeOf(c) })),
        ...findAwsCommands(file, markdown),
      ];
      for (const { line, text, shape } of shown) {
        if (exempt.has(line)) continue;
        if (EXERCISED_ELSEWHERE.some((e) => e.program === shape.program)) continue;
        if (!isExercised(shape, ran)) missing.push(`${file}:${line}: ${text}`);
      }
    }
    expect(missing, 'add these to a walkthrough (or mark their block "not run" with the reason)').toEqual([]);
  });
});
