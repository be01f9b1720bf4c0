/**
 * Synthesis plus every gate (cdk-nag's four packs, cfn-lint, IAM simulation of the invariants on
 * the synthesized templates) for generated configurations of 10, 50 and 200 workload accounts:
 * time per phase, peak memory, and how both grow with the number of accounts. Each size runs in
 * a fresh process (its peak memory is its own).
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatTable } from './measure.js';
import type { SynthWorkerRequest, SynthWorkerResult } from './synthWorker.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
// src/ and dist/ are both two levels below the repository's tools/ folder.
const REPO = path.resolve(HERE, '../../..');

export interface SynthBenchmarkOptions {
  /** Numbers of workload accounts. @default [10, 50, 200] */
  readonly sizes?: readonly number[];
  /** Run cfn-lint on every template. @default true */
  readonly cfnLint?: boolean;
  /** Run the IAM invariants on the templates. @default true */
  readonly iam?: boolean;
  /** The repository root (for accounts/). @default this repository */
  readonly repoRoot?: string;
  /** Where the table goes. @default process.stdout */
  readonly print?: (text: string) => void;
  readonly onProgress?: (accounts: number) => void;
}

export type { SynthWorkerResult as SynthBenchmarkRow } from './synthWorker.js';

function runInChild(request: SynthWorkerRequest): Promise<SynthWorkerResult> {
  const ext = path.extname(fileURLToPath(import.meta.url));
  const worker = path.join(HERE, `synthWorker${ext}`);
  return new Promise((resolve, reject) => {
    // The child inherits this process's loader flags (tsx and the source condition when run from
    // source), so it runs the same code the parent would.
    const child = fork(worker, ['--jit-synth-worker'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    let answered = false;
    child.once('message', (message: { ok: boolean; result?: SynthWorkerResult; error?: string }) => {
      answered = true;
      if (message.ok && message.result) resolve(message.result);
      else
        reject(new Error(`synth benchmark for ${request.accounts} accounts failed: ${message.error ?? 'no result'}`));
    });
    child.once('exit', (code) => {
      if (!answered) reject(new Error(`synth benchmark worker for ${request.accounts} accounts exited with ${code}`));
    });
    child.send(request);
  });
}

const seconds = (ms: number | null) => (ms === null ? '-' : (ms / 1000).toFixed(1));

/** Runs the benchmark for each size, prints one table, and returns the rows. */
export async function runSynthBenchmark(options: SynthBenchmarkOptions = {}): Promise<SynthWorkerResult[]> {
  const sizes = options.sizes ?? [10, 50, 200];
  const print = options.print ?? ((text: string) => process.stdout.write(`${text}\n`));
  const rows: SynthWorkerResult[] = [];
  for (const accounts of sizes) {
    options.onProgress?.(accounts);
    rows.push(
      await runInChild({
        accounts,
        repoRoot: options.repoRoot ?? REPO,
        cfnLint: options.cfnLint ?? true,
        iam: options.iam ?? true,
      }),
    );
  }
  const first = rows[0];
  const total = (r: SynthWorkerResult) => r.synthMs + (r.lintMs ?? 0) + (r.iamMs ?? 0);
  const table = rows.map((r) => [
    String(r.accounts),
    String(r.stacks),
    (r.templateBytes / 1024).toFixed(0),
    seconds(r.synthMs),
    seconds(r.lintMs),
    seconds(r.iamMs),
    `${r.simulationsRun}/${r.simulationsRequested}`,
    seconds(total(r)),
    r.peakRssMb.toFixed(0),
    first ? `${(total(r) / total(first)).toFixed(1)}x / ${(r.accounts / first.accounts).toFixed(0)}x` : '',
    String(r.nagFindings + r.lintProblems + r.iamFailures),
  ]);
  print(
    formatTable(
      'synth + gates (cdk-nag x4, cfn-lint, IAM simulation) by number of workload accounts',
      [
        'accounts',
        'stacks',
        'KiB',
        'synth+nag s',
        'cfn-lint s',
        'IAM s',
        'simulated/checks',
        'total s',
        'peak MB',
        'time / accounts growth',
        'gate failures',
      ],
      table,
    ),
  );
  print(
    'IAM checks of identical tier roles in different accounts are simulated once (decisions memoized with the account id abstracted).',
  );
  return rows;
}
