import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { LocalAwsError, LocalAwsErrorCode } from '../errors.js';

export interface MotoOptions {
  /** The log file moto's stdout and stderr go to (created or truncated). */
  readonly logFile: string;
  /** @default process.env.JIT_LOCAL_AWS_PYTHON, else the first python3 on PATH that has moto */
  readonly python?: string;
  /** How long to wait for moto to listen. @default 30000 */
  readonly startTimeoutMs?: number;
}

export interface MotoServer {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly port: number;
  /** moto's pid; it leads its own process group, so `-pid` addresses the whole group. */
  readonly pid: number;
  readonly logFile: string;
  stop(): Promise<void>;
}

export const MOTO_INSTALL_HINT = 'install it with: pip install "moto[server]" (moto 5.x, Python 3.9 or newer)';

// moto runs under a tiny wrapper that exits when its parent goes away, so a crashed test run or
// a SIGKILLed daemon never leaves an orphaned moto behind. Port 0 lets the kernel pick a free
// port without a race; werkzeug prints the one it got.
const WRAPPER = [
  'import os, sys, threading, time',
  'parent = os.getppid()',
  'def watch():',
  '    while True:',
  '        time.sleep(0.5)',
  '        if os.getppid() != parent:',
  '            os._exit(0)',
  'threading.Thread(target=watch, daemon=True).start()',
  // moto 5.2 checks SigV4 signatures against the URL its web server has already percent-decoded,
  // so any S3 query with "/" or ":" (ListObjects Prefix, Marker) fails with SignatureDoesNotMatch.
  // Sign-check against the raw query string the client sent instead.
  'import moto.core.authorization as _auth',
  '_check = _auth.ActionAuthenticatorMixin._authenticate_and_authorize_action',
  'def _raw_query_check(self, iam_request_cls, resource="*"):',
  '    from flask import has_request_context, request as _req',
  '    from urllib.parse import urlsplit, urlunsplit',
  '    uri = self.uri',
  '    if has_request_context() and _req.query_string:',
  '        self.uri = urlunsplit(urlsplit(uri)._replace(query=_req.query_string.decode("latin-1")))',
  '    try:',
  '        return _check(self, iam_request_cls, resource)',
  '    finally:',
  '        self.uri = uri',
  '_auth.ActionAuthenticatorMixin._authenticate_and_authorize_action = _raw_query_check',
  'from moto.server import main',
  'main(sys.argv[1:])',
].join('\n');

const LISTENING = /Running on http:\/\/127\.0\.0\.1:(\d+)/;

/**
 * Starts `moto_server` on a free loopback port with IAM enforcement on from its first request
 * (`INITIAL_NO_AUTH_ACTION_COUNT=0`). The provisioner opens a bootstrap window through
 * `/moto-api/reset-auth` and closes it again; see provision/provision.ts.
 */
export async function startMoto(options: MotoOptions): Promise<MotoServer> {
  const python = options.python ?? process.env.JIT_LOCAL_AWS_PYTHON ?? findPythonWithMoto();
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const env: NodeJS.ProcessEnv = { ...process.env, INITIAL_NO_AUTH_ACTION_COUNT: '0', PYTHONUNBUFFERED: '1' };
  // MOTO_ACCOUNT_ID would pin every request to one account and break the multi-account model.
  delete env.MOTO_ACCOUNT_ID;

  const logFd = openSync(options.logFile, 'w', 0o600);
  let child: ChildProcess;
  try {
    child = spawn(python, ['-c', WRAPPER, '-H', '127.0.0.1', '-p', '0'], {
      detached: true,
      stdio: ['ignore', logFd, logFd],
      env,
    });
  } finally {
    closeSync(logFd);
  }

  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: Error | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    });
    child.once('error', (error) => {
      spawnError = error;
      resolve();
    });
  });

  const stop = async (): Promise<void> => {
    if (exited !== undefined || spawnError !== undefined || child.pid === undefined) return;
    signalGroup(child.pid, 'SIGTERM');
    const stopped = await Promise.race([exitPromise.then(() => true), delay(5_000).then(() => false)]);
    if (!stopped) {
      signalGroup(child.pid, 'SIGKILL');
      await exitPromise;
    }
  };

  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (spawnError !== undefined) {
      const missing = (spawnError as NodeJS.ErrnoException).code === 'ENOENT';
      throw new LocalAwsError(
        missing ? LocalAwsErrorCode.MotoMissing : LocalAwsErrorCode.MotoStartFailed,
        missing
          ? `cannot run "${python}": no such program; the local environment needs Python 3 with moto`
          : `cannot start moto with "${python}": ${spawnError.message}`,
        {
          suggestion: missing
            ? `install Python 3 and moto (${MOTO_INSTALL_HINT}), or set JIT_LOCAL_AWS_PYTHON to your Python`
            : `see ${options.logFile}`,
          cause: spawnError,
        },
      );
    }
    const log = readLog(options.logFile);
    if (exited !== undefined) {
      if (/ModuleNotFoundError|No module named/.test(log)) {
        const module = /No module named '([^']+)'/.exec(log)?.[1] ?? 'moto';
        throw new LocalAwsError(
          LocalAwsErrorCode.MotoMissing,
          `Python moto is not installed for "${python}" (missing module "${module}")`,
          { suggestion: MOTO_INSTALL_HINT },
        );
      }
      throw new LocalAwsError(
        LocalAwsErrorCode.MotoStartFailed,
        `moto exited before listening (exit code ${String(exited.code)}, signal ${String(exited.signal)})`,
        { suggestion: `see ${options.logFile}:\n${log.split('\n').slice(-10).join('\n')}` },
      );
    }
    const port = LISTENING.exec(log)?.[1];
    if (port !== undefined && child.pid !== undefined) {
      const endpoint = `http://127.0.0.1:${port}`;
      if (await isMotoReady(endpoint)) {
        return { endpoint, port: Number(port), pid: child.pid, logFile: options.logFile, stop };
      }
    }
    await delay(50);
  }
  await stop();
  throw new LocalAwsError(LocalAwsErrorCode.MotoStartFailed, `moto did not listen within ${timeoutMs} ms`, {
    suggestion: `see ${options.logFile}`,
  });
}

/** True when moto answers its own API (cheap, changes nothing). */
export async function isMotoReady(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(`${endpoint}/moto-api/config`, { signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

/** Signals a whole process group; a group that is already gone is not an error. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

let pythonWithMoto: string | undefined;

/**
 * The first `python3` on PATH that can import moto, else plain `python3` (whose failure then gives
 * the clear "moto missing" message). Task runners put the directory of the `node` binary early on
 * PATH (/usr/bin here), ahead of a pyenv or virtualenv Python that holds moto.
 */
export function findPythonWithMoto(env: NodeJS.ProcessEnv = process.env): string {
  if (pythonWithMoto !== undefined) return pythonWithMoto;
  const seen = new Set<string>();
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, 'python3');
    if (seen.has(candidate) || !existsSync(candidate)) continue;
    seen.add(candidate);
    const probe = spawnSync(candidate, ['-c', 'import moto'], { stdio: 'ignore', timeout: 15_000 });
    if (probe.status === 0) {
      pythonWithMoto = candidate;
      return candidate;
    }
  }
  return 'python3';
}
