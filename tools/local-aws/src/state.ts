import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LocalAwsError, LocalAwsErrorCode } from './errors.js';
import type { MotoWidening } from './provision/motoPolicy.js';
import type { LocalAccounts } from './provision/provision.js';

export const STATE_FILE = 'state.json';
export const DAEMON_LOG = 'daemon.log';

/** What `up` leaves for `status`, `env` and `down`. Never holds a secret key. */
export type LocalAwsState =
  | { readonly status: 'starting'; readonly daemonPid: number; readonly startedAt: string }
  | {
      readonly status: 'failed';
      readonly daemonPid: number;
      readonly startedAt: string;
      readonly error: { readonly code: string; readonly message: string; readonly suggestion?: string };
    }
  | {
      readonly status: 'ready';
      readonly daemonPid: number;
      readonly startedAt: string;
      readonly readyAt: string;
      readonly endpoint: string;
      readonly region: string;
      readonly motoEndpoint: string;
      readonly motoPid: number;
      readonly motoLogFile: string;
      readonly configFile: string;
      readonly credentialsFile: string;
      readonly plugins: readonly string[];
      readonly accounts: LocalAccounts;
      readonly widenings: readonly MotoWidening[];
    };

export function stateFile(stateDir: string): string {
  return path.join(stateDir, STATE_FILE);
}

/** Writes atomically, so a reader never sees half a file. */
export async function writeState(stateDir: string, state: LocalAwsState): Promise<void> {
  const file = stateFile(stateDir);
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, file);
}

export async function readState(stateDir: string): Promise<LocalAwsState | undefined> {
  let text: string;
  try {
    text = await readFile(stateFile(stateDir), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const state = JSON.parse(text) as LocalAwsState;
    if (typeof state.daemonPid !== 'number' || !['starting', 'failed', 'ready'].includes(state.status)) {
      throw new Error('unexpected shape');
    }
    return state;
  } catch (cause) {
    throw new LocalAwsError(LocalAwsErrorCode.StateInvalid, `${stateFile(stateDir)} is not a local-aws state file`, {
      suggestion: `stop any leftover processes, then delete ${stateDir}`,
      cause,
    });
  }
}

export async function removeState(stateDir: string): Promise<void> {
  await rm(stateFile(stateDir), { force: true });
}

/** Whether a process with this pid exists (signal 0 probes without signalling). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The state a running environment leaves for `status`, `env`, `down` and tools that find it by folder. */
export function readyState(
  env: {
    readonly endpoint: string;
    readonly region: string;
    readonly motoEndpoint: string;
    readonly motoPid: number;
    readonly motoLogFile: string;
    readonly configFile: string;
    readonly credentialsFile: string;
    readonly plugins: readonly string[];
    readonly accounts: LocalAccounts;
    readonly widenings: readonly MotoWidening[];
  },
  owner: { readonly daemonPid: number; readonly startedAt: string },
): LocalAwsState {
  return {
    status: 'ready',
    daemonPid: owner.daemonPid,
    startedAt: owner.startedAt,
    readyAt: new Date().toISOString(),
    endpoint: env.endpoint,
    region: env.region,
    motoEndpoint: env.motoEndpoint,
    motoPid: env.motoPid,
    motoLogFile: env.motoLogFile,
    configFile: env.configFile,
    credentialsFile: env.credentialsFile,
    plugins: env.plugins,
    accounts: env.accounts,
    widenings: env.widenings,
  };
}
