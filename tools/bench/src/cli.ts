#!/usr/bin/env node
// npm run bench -- [names…] [--runs N]: each benchmark prints its figures beside its baseline,
// measured in the same run. Benchmarks are separate from tests: timing never decides a test.
import { parseArgs } from 'node:util';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const BENCHMARKS: Record<string, { what: string; run: (runs: number | undefined) => Promise<unknown> }> = {
  grant: {
    what: "one grant end to end (jit-grant) beside the article's grant-elevated.sh",
    run: async (runs) => (await import('./grant.js')).runGrantBenchmark(runs === undefined ? {} : { runs }),
  },
  agent: {
    what: "jit-agent exec … -- true beside the article's agent-use-elevated.sh; CLI cold start",
    run: async (runs) => (await import('./agent.js')).runAgentBenchmark(runs === undefined ? {} : { runs }),
  },
  audit: {
    what: 'jit-audit verify vs aws cloudtrail validate-logs (48 digests, 2,016 log files; 0 and 20 ms S3 latency); jit-audit report on 1,000,000 records',
    run: async (runs) => (await import('./audit.js')).runAuditBenchmark(runs === undefined ? {} : { runs }),
  },
  synth: {
    what: 'CDK synth plus every gate for 10, 50 and 200 generated workload accounts',
    run: async () => (await import('./synth.js')).runSynthBenchmark({}),
  },
  'report-lambda': {
    what: 'report Lambda bundle size and handler time for a window of 100,000 records',
    run: async () => (await import('./reportLambda.js')).runReportLambdaBenchmark({}),
  },
};

const HELP = `Usage: npm run bench -- [${Object.keys(BENCHMARKS).join('|')}]... [--runs N]

Runs the named benchmarks (default: all) against the local environment and prints medians side by
side with their baselines, measured in the same run.

${Object.entries(BENCHMARKS)
  .map(([name, b]) => `  ${name.padEnd(14)} ${b.what}`)
  .join('\n')}

  --runs N     timed runs per contender where a benchmark takes it (default: the benchmark's own)
  -h, --help   this help

Example:
  npm run bench -- agent grant --runs 10
`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { runs: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const unknown = positionals.filter((p) => !(p in BENCHMARKS));
if (unknown.length > 0) {
  process.stderr.write(
    `bench: unknown benchmark(s) ${unknown.join(', ')}; allowed: ${Object.keys(BENCHMARKS).join(', ')}\n`,
  );
  process.exit(2);
}
const runs = values.runs === undefined ? undefined : Number(values.runs);
if (runs !== undefined && (!Number.isInteger(runs) || runs < 1 || runs > 1000)) {
  process.stderr.write(`bench: --runs "${values.runs}" is not allowed; use a whole number from 1 to 1000\n`);
  process.exit(2);
}
for (const name of positionals.length > 0 ? positionals : Object.keys(BENCHMARKS)) {
  process.stdout.write(`\n# ${name}: ${BENCHMARKS[name]?.what}\n`);
  await BENCHMARKS[name]?.run(runs);
}
