/**
 * jit-agent beside the article's agent script, in one run against the local environment:
 * - `jit-agent exec <account> -- true` vs `agent-use-elevated.sh <account> true` (read the secret,
 *   check it, run one command with the credentials);
 * - the CLI's cold start: `jit-agent --version` and `jit-agent status <account>`, next to the
 *   runtimes they start from (`node`, and the article's `aws` CLI).
 * Both sides read the same secret through the same edge with the same agent keys.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { newGrantId, secretName, serializeElevatedPayload, sessionNameFor } from '@jit-access/core';
import { type LocalAws, startLocalAws } from '@jit-access/local-aws';
import { compare, formatComparison, type ScriptComparisonOptions, type Summary } from './measure.js';

// src/ and dist/ are both two levels below the repository's tools/ folder.
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * Defaults: 15 timed runs after 2 untimed; account: the first workload account; the article's script: ../shared/seed/scripts/agent-use-elevated.sh.
 */
export interface AgentBenchmarkOptions extends ScriptComparisonOptions {
  /** How to start jit-agent. @default node packages/agent/dist/cli.js (run the build first) */
  readonly agentCommand?: readonly string[];
}

export interface AgentBenchmarkResult {
  readonly exec: readonly Summary[];
  readonly coldStart: readonly Summary[];
  /** The printed tables. */
  readonly report: string;
}

const NAMES = {
  seed: 'agent-use-elevated.sh <acct> true (article)',
  exec: 'jit-agent exec <acct> -- true',
  node: 'node -e "" (runtime floor)',
  aws: 'aws --version (article toolchain)',
  version: 'jit-agent --version',
  status: 'jit-agent status <acct>',
} as const;

export async function runAgentBenchmark(options: AgentBenchmarkOptions = {}): Promise<AgentBenchmarkResult> {
  const print = options.print ?? ((text: string) => process.stdout.write(`${text}\n`));
  const agentCommand = options.agentCommand ?? [process.execPath, path.join(REPO, 'packages/agent/dist/cli.js')];
  const seedScript = options.seedScript ?? path.resolve(REPO, '../shared/seed/scripts/agent-use-elevated.sh');
  const agentEntry = agentCommand[agentCommand.length - 1];
  if (options.agentCommand === undefined && agentEntry !== undefined && !existsSync(agentEntry)) {
    throw new Error(`${agentEntry} does not exist: build first (npm run build), or pass agentCommand`);
  }
  if (!existsSync(seedScript)) throw new Error(`the article's script is missing: ${seedScript}`);

  const ownEnvironment = options.localAws === undefined;
  const local = options.localAws ?? (await startLocalAws());
  const scratch = await mkdtemp(path.join(tmpdir(), 'jit-bench-agent-'));
  try {
    const account = options.account ?? local.accounts.workloads[0]?.id;
    if (account === undefined) throw new Error('the local environment has no workload account');
    await writeGrant(local, account);

    const agent = local.profiles.agent;
    // The same environment for both sides: the agent's keys, the edge, the hub region.
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: scratch,
      AWS_ENDPOINT_URL: local.endpoint,
      AWS_ACCESS_KEY_ID: agent.accessKeyId,
      AWS_SECRET_ACCESS_KEY: agent.secretAccessKey,
      ...(agent.sessionToken === undefined ? {} : { AWS_SESSION_TOKEN: agent.sessionToken }),
      AWS_CONFIG_FILE: path.join(scratch, 'none'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(scratch, 'none'),
      REGION: local.region,
      JIT_REGION: local.region,
      JIT_AGENT_JOURNAL: path.join(scratch, 'journal.jsonl'),
      XDG_CONFIG_HOME: scratch,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    const [agentBin = process.execPath, ...agentArgs] = agentCommand;
    const run = (file: string, args: readonly string[]) => () => runQuietly(file, args, env);
    const contendersExec = [
      { name: NAMES.seed, run: run('bash', [seedScript, account, 'true']) },
      { name: NAMES.exec, run: run(agentBin, [...agentArgs, 'exec', account, '--', 'true']) },
    ];
    const contendersStart = [
      { name: NAMES.node, run: run(process.execPath, ['-e', '']) },
      { name: NAMES.aws, run: run('aws', ['--version']) },
      { name: NAMES.version, run: run(agentBin, [...agentArgs, '--version']) },
      { name: NAMES.status, run: run(agentBin, [...agentArgs, 'status', account]) },
    ];
    // Every contender must succeed once before anything is timed: a fast failure is no result.
    for (const c of [...contendersExec, ...contendersStart]) await c.run();

    const runs = options.runs ?? 15;
    const warmup = options.warmup ?? 2;
    const progress = options.onProgress ? { onProgress: options.onProgress } : {};
    const exec = await compare(contendersExec, { runs, warmup, ...progress });
    const coldStart = await compare(contendersStart, { runs, warmup, ...progress });
    const report = [
      formatComparison(`jit-agent exec vs the article's agent script (account ${account})`, exec, NAMES.seed),
      formatComparison('jit-agent cold start', coldStart, NAMES.aws),
    ].join('\n');
    print(report);
    return { exec, coldStart, report };
  } finally {
    await rm(scratch, { recursive: true, force: true });
    if (ownEnvironment) await local.stop();
  }
}

/** An active grant, as jit-grant writes it: the approver's session in the tier role, in the secret. */
async function writeGrant(local: LocalAws, account: string): Promise<void> {
  const grantId = newGrantId();
  const session = sessionNameFor(grantId);
  const roleName = local.config.tiers.find((t) => t.accountIds.includes(account))?.roleName ?? 'AgentElevated-Ops';
  const roleArn = `arn:aws:iam::${account}:role/${roleName}`;
  const client = {
    endpoint: local.endpoint,
    region: local.region,
    credentials: local.profiles.approver,
    maxAttempts: 1,
  };
  const sts = new STSClient(client);
  const sm = new SecretsManagerClient(client);
  try {
    const out = await sts.send(
      new AssumeRoleCommand({
        RoleArn: roleArn,
        RoleSessionName: session,
        SourceIdentity: session,
        DurationSeconds: 900,
      }),
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error('AssumeRole returned no credentials');
    const now = Date.now();
    const text = serializeElevatedPayload({
      SchemaVersion: 1,
      AccessKeyId: c.AccessKeyId,
      SecretAccessKey: c.SecretAccessKey,
      SessionToken: c.SessionToken,
      Expiration: new Date(now + 15 * 60_000).toISOString(),
      GrantedFor: 'benchmark',
      GrantedAt: new Date(now).toISOString(),
      RoleName: roleName,
      GrantId: grantId,
      AccountId: account,
      RoleArn: roleArn,
      Tier: 'ops',
      SessionName: session,
      SourceIdentity: session,
      Approver: local.accounts.hub.approver.arn,
      EffectiveUntil: new Date(now + 15 * 60_000).toISOString(),
      Region: local.region,
    });
    await sm.send(new PutSecretValueCommand({ SecretId: secretName(account), SecretString: text }));
  } finally {
    sts.destroy();
    sm.destroy();
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
