import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { Scenario, BASE_TIME } from './integrityScenario.js';
import { runAwsValidateLogs } from './awsCliValidateLogs.js';
import { runVerifyCommand } from '../../src/integrity/index.js';
process.env.AWS_ACCESS_KEY_ID='testing'; process.env.AWS_SECRET_ACCESS_KEY='testing';
const root = await mkdtemp(join(tmpdir(), 'bench-'));
const s = new Scenario(root);
await s.addChain({ from: BASE_TIME, count: 48, logsPerDigest: 42 });
await s.save();
for (const latencyMs of [0, 20]) {
  const child = spawn('npx', ['tsx', 'tests/helpers/srv.tmp.ts', root, String(latencyMs)], { stdio: ['ignore', 'pipe', 'ignore'] });
  const endpoint: string = await new Promise((resolve) => child.stdout.once('data', (d) => resolve(String(d).trim())));
  const args = ['--trail-arn', s.trailArn, '--start-time', '2024-03-01T00:00:00Z', '--end-time', '2024-03-03T00:00:00Z'];
  for (const c of ['1', '16', '32']) {
    const t = performance.now();
    const code = await runVerifyCommand([...args, '--endpoint-url', endpoint, '--concurrency', c], { stdout: { write: () => 0 }, stderr: { write: () => 0 }, isTTY: false });
    console.log(`latency ${latencyMs} concurrency ${c}: ours ${(performance.now() - t).toFixed(0)}ms exit ${code}`);
  }
  const t = performance.now();
  const cli = await runAwsValidateLogs({ endpoint, trailArn: s.trailArn, start: '2024-03-01T00:00:00Z', end: '2024-03-03T00:00:00Z' });
  console.log(`latency ${latencyMs}: cli ${(performance.now() - t).toFixed(0)}ms exit ${cli.exitCode}`);
  child.kill();
}
