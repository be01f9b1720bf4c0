/**
 * The background process behind `npm run local -- up`: runs the local environment until it gets
 * SIGTERM or SIGINT. `up` starts it detached; it reports through <state-dir>/state.json and logs
 * to stdout (which `up` sends to <state-dir>/daemon.log).
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { LocalAwsError } from './errors.js';
import { type LocalAws, startLocalAws } from './lifecycle.js';
import { readyState, removeState, writeState } from './state.js';

// The SDK's Node-version notice would only clutter the daemon's log.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { values } = parseArgs({
  options: {
    'state-dir': { type: 'string' },
    accounts: { type: 'string' },
    's3-latency-ms': { type: 'string' },
  },
  strict: true,
});

const stateDir = values['state-dir'];
if (stateDir === undefined) {
  process.stderr.write('daemon: --state-dir is required\n');
  process.exit(2);
}
const startedAt = new Date().toISOString();
const logFile = path.join(stateDir, 'edge.log');
writeFileSync(logFile, '', { mode: 0o600 });
const log = (line: string): void => {
  appendFileSync(logFile, `${new Date().toISOString()} ${line}\n`, { mode: 0o600 });
};

let env: LocalAws | undefined;
let stopping = false;

const shutdown = async (signal: string): Promise<void> => {
  if (stopping) return;
  stopping = true;
  log(`daemon: ${signal}, stopping`);
  try {
    await env?.stop();
  } finally {
    await removeState(stateDir);
    process.exit(0);
  }
};
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

await writeState(stateDir, { status: 'starting', daemonPid: process.pid, startedAt });
try {
  env = await startLocalAws({
    stateDir,
    ...(values.accounts === undefined ? {} : { accountsDir: values.accounts }),
    ...(values['s3-latency-ms'] === undefined ? {} : { s3LatencyMs: Number(values['s3-latency-ms']) }),
    log,
  });
  if (stopping) {
    await env.stop();
  } else {
    await writeState(stateDir, readyState(env, { daemonPid: process.pid, startedAt }));
    log(`daemon: ready (edge ${env.endpoint})`);
  }
} catch (error) {
  const known = error instanceof LocalAwsError || (error instanceof Error && 'code' in error);
  const detail =
    error instanceof Error
      ? {
          code: known ? String((error as Error & { code: unknown }).code) : 'UNEXPECTED',
          message: error.message,
          ...('suggestion' in error && typeof error.suggestion === 'string' ? { suggestion: error.suggestion } : {}),
        }
      : { code: 'UNEXPECTED', message: String(error) };
  log(`daemon: failed: ${detail.message}${error instanceof Error && error.stack ? `\n${error.stack}` : ''}`);
  await writeState(stateDir, { status: 'failed', daemonPid: process.pid, startedAt, error: detail });
  process.exit(1);
}
