/**
 * Timing helpers for benchmarks. Benchmarks run our code beside a baseline in the same process
 * run, so machine noise affects both; figures are medians of repeated runs.
 */
import { performance } from 'node:perf_hooks';
import type { LocalAws } from '@jit-access/local-aws';

export interface Sample {
  readonly name: string;
  readonly runs: readonly number[];
}

export interface Summary {
  readonly name: string;
  readonly runs: number;
  readonly medianMs: number;
  readonly p90Ms: number;
  readonly minMs: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

export function summarize(sample: Sample): Summary {
  return {
    name: sample.name,
    runs: sample.runs.length,
    medianMs: median(sample.runs),
    p90Ms: percentile(sample.runs, 90),
    minMs: Math.min(...sample.runs),
  };
}

/**
 * Runs each contender `runs` times, interleaved (A, B, A, B …) so that a burst of noise hits both,
 * after `warmup` untimed rounds.
 */
export async function compare(
  contenders: readonly { name: string; run: () => Promise<unknown> }[],
  options: { runs: number; warmup?: number; onProgress?: (done: number, total: number) => void },
): Promise<Summary[]> {
  const samples = contenders.map((c) => ({ name: c.name, runs: [] as number[] }));
  for (let i = 0; i < (options.warmup ?? 1); i++) for (const c of contenders) await c.run();
  const total = options.runs * contenders.length;
  let done = 0;
  for (let i = 0; i < options.runs; i++) {
    for (const [index, c] of contenders.entries()) {
      const start = performance.now();
      await c.run();
      samples[index]?.runs.push(performance.now() - start);
      options.onProgress?.(++done, total);
    }
  }
  return samples.map(summarize);
}

/** A plain-text table with the first row as the baseline and a ratio column against it. */
export function formatComparison(title: string, summaries: readonly Summary[], baselineName?: string): string {
  const baseline = summaries.find((s) => s.name === baselineName) ?? summaries[0];
  const rows = summaries.map((s) => [
    s.name,
    String(s.runs),
    s.medianMs.toFixed(1),
    s.p90Ms.toFixed(1),
    baseline ? `${(s.medianMs / baseline.medianMs).toFixed(2)}x` : '',
  ]);
  return formatTable(title, ['contender', 'runs', 'median ms', 'p90 ms', `vs ${baseline?.name ?? ''}`], rows);
}

export function formatTable(title: string, header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [`\n## ${title}`, line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/**
 * What the benchmarks that compare a CLI with the article's script on the local environment take.
 * Each benchmark's own options say its defaults.
 */
export interface ScriptComparisonOptions {
  /** Timed runs per contender. */
  readonly runs?: number;
  /** Untimed rounds first. */
  readonly warmup?: number;
  /** The workload account to use. */
  readonly account?: string;
  /** The article's script (under ../shared/seed/scripts). */
  readonly seedScript?: string;
  /** A running local environment; one is started (and stopped) when absent. */
  readonly localAws?: LocalAws;
  /** Where the tables go. @default process.stdout */
  readonly print?: (text: string) => void;
  readonly onProgress?: (done: number, total: number) => void;
}
