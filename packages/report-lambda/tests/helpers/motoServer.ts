import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

/**
 * A moto_server of this test file's own, without IAM enforcement, on a free loopback port: buckets the
 * test writes itself (bad files, tampered objects) stay out of the shared local environment. It is
 * stopped by its own pid only.
 */
export interface OwnMoto {
  readonly endpoint: string;
  readonly pid: number;
  stop(): Promise<void>;
}

const LISTENING = /Running on http:\/\/127\.0\.0\.1:(\d+)/;

export async function startOwnMoto(): Promise<OwnMoto> {
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONUNBUFFERED: '1' };
  delete env.INITIAL_NO_AUTH_ACTION_COUNT;
  delete env.MOTO_ACCOUNT_ID;
  const child: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('moto_server did not start (is moto[server] installed?)');
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`moto_server did not listen within 30 s: ${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = LISTENING.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`moto_server exited with ${code}: ${output}`));
    });
  });
  // Keep draining the pipes so that moto never blocks on a full one.
  child.stdout?.resume();
  child.stderr?.resume();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    pid,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      process.kill(pid, 'SIGTERM');
      await exited;
    },
  };
}

/** The raw messages moto's SES accepted (`/moto-api/data.json`, `ses` → `RawMessage`). */
export async function sentRawMessages(
  endpoint: string,
): Promise<{ source: string; destinations: string[]; raw_data: string }[]> {
  const response = await fetch(`${endpoint}/moto-api/data.json`);
  const data = (await response.json()) as {
    ses?: { RawMessage?: { source: string; destinations: string[]; raw_data: string }[] };
  };
  return data.ses?.RawMessage ?? [];
}
