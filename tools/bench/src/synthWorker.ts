/**
 * One size of the synth benchmark, in a process of its own so that its peak memory is its own:
 * generate a configuration of N workload accounts, synthesize every stack with the cdk-nag packs,
 * lint every template with cfn-lint, and run the IAM invariants on the synthesized templates.
 * Started by synth.ts with fork(); reports one JSON message and exits.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { type JitConfig, parseConfig } from '@jit-access/core';
import { simulate } from '@jit-access/policy-sim';
import { synthesize } from '@jit-access/stacks';
import { checkIamInvariants, readAssembly, runCfnLint } from '@jit-access/stacks/gates';

export interface SynthWorkerRequest {
  readonly accounts: number;
  readonly repoRoot: string;
  readonly cfnLint: boolean;
  readonly iam: boolean;
}

export interface SynthWorkerResult {
  readonly accounts: number;
  readonly stacks: number;
  readonly templateBytes: number;
  readonly synthMs: number;
  readonly nagFindings: number;
  readonly nagAcknowledged: number;
  /** Null when cfn-lint was not run. */
  readonly lintMs: number | null;
  readonly lintProblems: number;
  /** Null when the IAM gate was not run. */
  readonly iamMs: number | null;
  readonly iamChecks: number;
  readonly iamFailures: number;
  readonly simulationsRequested: number;
  readonly simulationsRun: number;
  /** Peak resident set size of this process, in MB. */
  readonly peakRssMb: number;
}

/**
 * The example configuration from accounts/, with an organization (one trail: per-account trails
 * do not scale past about 90 accounts) and N generated workload accounts: every account has ops
 * and security, every other one deploy too.
 */
export function generatedConfig(repoRoot: string, accounts: number): JitConfig {
  const dir = path.join(repoRoot, 'accounts');
  const org = readFileSync(path.join(dir, 'jit.yaml'), 'utf8')
    .replace(/^#?\s*organizationId:.*$/m, '')
    .replace(/^#?\s*management:.*$/m, '');
  const workloads = Array.from({ length: accounts }, (_, i) => ({
    file: `workloads/bench-${i}.yaml`,
    text: `id: "${String(100_000_000_000 + i)}"\nname: bench-${i}\ntiers: [ops, security${i % 2 === 0 ? ', deploy' : ''}]\n`,
  }));
  return parseConfig({
    org: {
      file: 'jit.yaml',
      text: `${org}\norganizationId: o-benchmark01\nmanagement: { id: "666666666666", name: management }\n`,
    },
    tiers: { file: 'tiers.yaml', text: readFileSync(path.join(dir, 'tiers.yaml'), 'utf8') },
    workloads,
  });
}

export async function runOneSize(request: SynthWorkerRequest): Promise<SynthWorkerResult> {
  const config = generatedConfig(request.repoRoot, request.accounts);
  const outdir = mkdtempSync(path.join(tmpdir(), `jit-bench-synth-${request.accounts}-`));
  try {
    const t0 = performance.now();
    const synth = await synthesize({
      accountsDir: path.join(request.repoRoot, 'accounts'),
      repoRoot: request.repoRoot,
      outdir,
      config,
    });
    const synthMs = performance.now() - t0;
    const templates = await readAssembly(synth.assembly.directory);
    const templateBytes = templates.reduce((n, t) => n + JSON.stringify(t.template).length, 0);

    const t1 = performance.now();
    const lint = request.cfnLint ? await runCfnLint(templates.map((t) => t.file)) : [];
    const lintMs = request.cfnLint ? performance.now() - t1 : null;

    const t2 = performance.now();
    const iam = request.iam
      ? await checkIamInvariants({ config, templates, simulate, memoizeAcrossAccounts: true })
      : undefined;
    const iamMs = request.iam ? performance.now() - t2 : null;

    return {
      accounts: request.accounts,
      stacks: templates.length,
      templateBytes,
      synthMs,
      nagFindings: synth.nag?.findings.length ?? 0,
      nagAcknowledged: synth.nag?.acknowledged.length ?? 0,
      lintMs,
      lintProblems: lint.filter((f) => f.level !== 'Informational').length,
      iamMs,
      iamChecks: iam?.checks.reduce((n, c) => n + c.checked, 0) ?? 0,
      iamFailures: iam?.checks.reduce((n, c) => n + c.failures.length, 0) ?? 0,
      simulationsRequested: iam?.requested ?? 0,
      simulationsRun: iam?.simulated ?? 0,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

// Run as a forked child: take the request from the parent, answer with the result.
if (process.send && process.argv.includes('--jit-synth-worker')) {
  process.once('message', (message: SynthWorkerRequest) => {
    runOneSize(message).then(
      (result) => process.send?.({ ok: true, result }, () => process.exit(0)),
      (error: unknown) =>
        process.send?.({ ok: false, error: error instanceof Error ? error.message : String(error) }, () =>
          process.exit(1),
        ),
    );
  });
}
