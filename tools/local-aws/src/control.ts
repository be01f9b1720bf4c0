import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@jit-access/core';
import { LocalAwsError, LocalAwsErrorCode } from './errors.js';
import { findAccountsDir } from './lifecycle.js';
import { signalGroup } from './moto/launcher.js';
import { PROFILE_NAMES } from './profiles.js';
import { DAEMON_LOG, isAlive, type LocalAwsState, readState, removeState } from './state.js';

export type ReadyState = Extract<LocalAwsState, { status: 'ready' }>;

/** `.local-aws/` next to the `accounts/` folder (the repository root), unless JIT_LOCAL_AWS_STATE_DIR says otherwise. */
export function defaultStateDir(accountsDir?: string): string {
  const fromEnv = process.env.JIT_LOCAL_AWS_STATE_DIR;
  if (fromEnv !== undefined && fromEnv !== '') return path.resolve(fromEnv);
  return path.join(path.dirname(path.resolve(accountsDir ?? findAccountsDir(process.cwd()))), '.local-aws');
}

export interface UpOptions {
  readonly stateDir: string;
  readonly accountsDir?: string;
  readonly s3LatencyMs?: number;
  /** @default 120000 */
  readonly timeoutMs?: number;
}

/**
 * Starts the daemon detached (it outlives this process) and waits until it reports ready or
 * failed. When one is already running, returns its state with `alreadyRunning`.
 */
export async function up(options: UpOptions): Promise<{ state: ReadyState; alreadyRunning: boolean }> {
  const existing = await status({ stateDir: options.stateDir });
  if (existing.running && existing.state?.status === 'ready') return { state: existing.state, alreadyRunning: true };
  if (existing.running) {
    throw new LocalAwsError(
      LocalAwsErrorCode.AlreadyRunning,
      `a local environment is already starting (daemon pid ${existing.state?.daemonPid})`,
      { suggestion: 'wait for it, or run `npm run local -- down` first' },
    );
  }
  // Validate accounts/ here, so a bad configuration fails fast with every problem listed.
  await loadConfig(options.accountsDir ?? findAccountsDir(process.cwd()));
  await removeState(options.stateDir);
  mkdirSync(options.stateDir, { recursive: true, mode: 0o700 });

  // The daemon sits next to this module: daemon.js when built, daemon.ts when run from source
  // (then the loader flags this process got, e.g. `--import tsx`, are passed on).
  const extension = path.extname(fileURLToPath(import.meta.url));
  const daemon = fileURLToPath(new URL(`./daemon${extension}`, import.meta.url));
  if (!existsSync(daemon)) {
    throw new LocalAwsError(LocalAwsErrorCode.UsageInvalid, `${daemon} does not exist`, {
      suggestion: 'build first: npx tsc -b tools/local-aws',
    });
  }
  const args = [...process.execArgv, daemon, '--state-dir', options.stateDir];
  if (options.accountsDir !== undefined) args.push('--accounts', path.resolve(options.accountsDir));
  if (options.s3LatencyMs !== undefined) args.push('--s3-latency-ms', String(options.s3LatencyMs));
  const logFd = openSync(path.join(options.stateDir, DAEMON_LOG), 'a', 0o600);
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  let exitCode: number | null | undefined;
  child.once('exit', (code) => {
    exitCode = code;
  });
  child.unref();

  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  while (Date.now() < deadline) {
    const state = await readState(options.stateDir);
    if (state?.status === 'ready') return { state, alreadyRunning: false };
    if (state?.status === 'failed') {
      await removeState(options.stateDir);
      throw new LocalAwsError(failureCode(state.error.code), state.error.message, {
        suggestion: state.error.suggestion ?? `see ${path.join(options.stateDir, DAEMON_LOG)}`,
      });
    }
    if (exitCode !== undefined) {
      throw new LocalAwsError(
        LocalAwsErrorCode.MotoStartFailed,
        `the local-aws daemon exited (code ${String(exitCode)}) before it was ready`,
        {
          suggestion: `see ${path.join(options.stateDir, DAEMON_LOG)}`,
        },
      );
    }
    await delay(100);
  }
  await down({ stateDir: options.stateDir });
  throw new LocalAwsError(
    LocalAwsErrorCode.MotoStartFailed,
    `the local environment was not ready within ${options.timeoutMs ?? 120_000} ms`,
    {
      suggestion: `see ${path.join(options.stateDir, DAEMON_LOG)}`,
    },
  );
}

function failureCode(code: string): LocalAwsErrorCode {
  const known = Object.values(LocalAwsErrorCode) as string[];
  return known.includes(code) ? (code as LocalAwsErrorCode) : LocalAwsErrorCode.ProvisionFailed;
}

export interface StatusResult {
  readonly running: boolean;
  readonly state: LocalAwsState | undefined;
  /** The edge answered /_jit/health and moto is up behind it (only when ready). */
  readonly healthy: boolean;
}

export async function status(options: { stateDir: string }): Promise<StatusResult> {
  const state = await readState(options.stateDir);
  if (state === undefined) return { running: false, state, healthy: false };
  const running = isAlive(state.daemonPid);
  if (!running || state.status !== 'ready') return { running, state, healthy: false };
  try {
    const response = await fetch(`${state.endpoint}/_jit/health`, { signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return { running, state, healthy: response.ok };
  } catch {
    return { running, state, healthy: false };
  }
}

/** Stops the daemon (which stops the edge and moto); kills what is left after 10 s. */
export async function down(options: { stateDir: string }): Promise<{ stopped: readonly number[] }> {
  const state = await readState(options.stateDir);
  if (state === undefined) return { stopped: [] };
  const stopped: number[] = [];
  const pids = [state.daemonPid, ...(state.status === 'ready' ? [state.motoPid] : [])].filter(isAlive);
  if (isAlive(state.daemonPid)) process.kill(state.daemonPid, 'SIGTERM');
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && pids.some(isAlive)) await delay(100);
  if (isAlive(state.daemonPid)) process.kill(state.daemonPid, 'SIGKILL');
  if (state.status === 'ready' && isAlive(state.motoPid)) signalGroup(state.motoPid, 'SIGKILL');
  stopped.push(...pids);
  await removeState(options.stateDir);
  return { stopped };
}

export type ProfileRole = 'admin' | 'approver' | 'agent';

/** The environment variables that point the AWS CLI and SDKs at the local environment. */
export function environmentFor(state: ReadyState, profile?: ProfileRole): Record<string, string> {
  return {
    AWS_CONFIG_FILE: state.configFile,
    AWS_SHARED_CREDENTIALS_FILE: state.credentialsFile,
    AWS_ENDPOINT_URL: state.endpoint,
    AWS_REGION: state.region,
    ...(profile === undefined ? {} : { AWS_PROFILE: PROFILE_NAMES[profile] }),
  };
}
