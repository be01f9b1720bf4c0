/**
 * jit-grant beside the article's approval script, in one run against the local environment:
 * `jit-grant grant <account> --tier ops --minutes 15 --reason … --yes --replace` vs
 * `grant-elevated.sh <account> 15 AgentElevated-Ops …`. Both are timed end to end as processes
 * (start-up included, which is what an approver waits for), with the same approver keys, through
 * the same edge, into the same secret.
 *
 * They do not do the same work: jit-grant also validates against the tier, asks STS for a source
 * identity and session tags, removes AWSPREVIOUS, tags the secret and notifies (SNS in the local
 * accounts/). The ratio is the price of that, next to the script that does none of it.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalAws } from '@jit-access/local-aws';
import { compare, formatComparison, type ScriptComparisonOptions, type Summary } from './measure.js';

// src/ and dist/ are both two levels below the repository's tools/ folder.
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * Defaults: 10 timed runs after 1 untimed; account: the first workload account with the ops tier; the article's script: ../shared/seed/scripts/grant-elevated.sh.
 */
export interface GrantBenchmarkOptions extends ScriptComparisonOptions {
  /** How to start jit-grant. @default node packages/grant/dist/cli.js (run the build first) */
  readonly grantCommand?: readonly string[];
}

export interface GrantBenchmarkResult {
  readonly summaries: readonly Summary[];
  readonly baselineMedianMs: number;
  readonly grantMedianMs: number;
  /** jit-grant's median over the script's. */
  readonly ratio: number;
  readonly report: string;
}

const NAMES = {
  seed: 'grant-elevated.sh <acct> 15 (article)',
  grant: 'jit-grant grant <acct> --tier ops --minutes 15',
} as const;

export async function runGrantBenchmark(options: GrantBenchmarkOptions = {}): Promise<GrantBenchmarkResult> {
  const print = options.print ?? ((text: string) => process.stdout.write(`${text}\n`));
  const grantCommand = options.grantCommand ?? [process.execPath, path.join(REPO, 'packages/grant/dist/cli.js')];
  const seedScript = options.seedScript ?? path.resolve(REPO, '../shared/seed/scripts/grant-elevated.sh');
  const entry = grantCommand[grantCommand.length - 1];
  if (options.grantCommand === undefined && entry !== undefined && !existsSync(entry)) {
    throw new Error(`${entry} does not exist: build first (npx tsc -b packages/grant), or pass grantCommand`);
  }
  if (!existsSync(seedScript)) throw new Error(`the article's script is missing: ${seedScript}`);

  const ownEnvironment = options.localAws === undefined;
  const local = options.localAws ?? (await startLocalAws());
  const scratch = await mkdtemp(path.join(tmpdir(), 'jit-bench-grant-'));
  try {
    const ops = local.config.tiers.find((t) => t.name === 'ops');
    const account = options.account ?? ops?.accountIds[0] ?? local.accounts.workloads[0]?.id;
    if (account === undefined) throw new Error('the local environment has no workload account');
    const approver = local.profiles.approver;
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: scratch,
      AWS_ENDPOINT_URL: local.endpoint,
      AWS_ACCESS_KEY_ID: approver.accessKeyId,
      AWS_SECRET_ACCESS_KEY: approver.secretAccessKey,
      ...(approver.sessionToken === undefined ? {} : { AWS_SESSION_TOKEN: approver.sessionToken }),
      AWS_CONFIG_FILE: path.join(scratch, 'none'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(scratch, 'none'),
      AWS_DEFAULT_REGION: local.region,
      REGION: local.region,
      JIT_CONFIG_DIR: path.join(REPO, 'accounts'),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    const [bin = process.execPath, ...args] = grantCommand;
    const contenders = [
      {
        name: NAMES.seed,
        run: () => runQuietly('bash', [seedScript, account, '15', 'AgentElevated-Ops', 'benchmark'], env),
      },
      {
        name: NAMES.grant,
        run: () =>
          runQuietly(
            bin,
            [
              ...args,
              'grant',
              account,
              '--tier',
              'ops',
              '--minutes',
              '15',
              '--reason',
              'benchmark',
              '--yes',
              '--replace',
            ],
            env,
          ),
      },
    ];
    // Each must succeed once before anything is timed: a fast failure is no result.
    for (const c of contenders) await c.run();

    const progress = options.onProgress ? { onProgress: options.onProgress } : {};
    const summaries = await compare(contenders, { runs: options.runs ?? 10, warmup: options.warmup ?? 1, ...progress });
    const baselineMedianMs = summaries.find((s) => s.name === NAMES.seed)?.medianMs ?? Number.NaN;
    const grantMedianMs = summaries.find((s) => s.name === NAMES.grant)?.medianMs ?? Number.NaN;
    const ratio = grantMedianMs / baselineMedianMs;
    const report = [
      formatComparison(
        `jit-grant vs the article's grant script (account ${account}), one grant end to end`,
        summaries,
        NAMES.seed,
      ),
      `medians: article ${baselineMedianMs.toFixed(1)} ms, jit-grant ${grantMedianMs.toFixed(1)} ms, ratio ${ratio.toFixed(2)}x`,
    ].join('\n');
    print(report);
    return { summaries, baselineMedianMs, grantMedianMs, ratio, report };
  } finally {
    await rm(scratch, { recursive: true, force: true });
    if (ownEnvironment) await local.stop();
  }
}

/** Runs a command with its output discarded; rejects unless it exits 0. */
function runQuietly(file: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      if (stderr.length < 2000) stderr += c.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${path.basename(file)} ${args.join(' ')} exited ${code}: ${stderr.trim().slice(0, 500)}`)),
    );
  });
}
