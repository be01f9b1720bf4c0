import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { resultLines, runVerifyCommand, summaryText, type VerifyResult } from '../../src/integrity/index.js';
import { runAwsValidateLogs } from '../helpers/awsCliValidateLogs.js';
import { SCENARIOS } from '../helpers/integrityScenarios.js';
import { startLocalTrailServer } from '../helpers/localTrailServer.js';

/**
 * Parity with the real `aws cloudtrail validate-logs` (AWS CLI v1): for each scenario, the CLI and
 * `jit-audit verify` read the same bucket through the same S3 + CloudTrail endpoint and must agree on
 * every file's verdict (the exact per-file status lines), on the gap lines and on the summary block.
 * `jit-audit verify --local` on the same folder must agree too. Where jit-audit goes further (strict
 * chain findings, an empty range), the exit code differs by design and the test says so.
 *
 * The endpoint is a loopback test server (tests/helpers/localTrailServer.ts); pointing `endpoint` at the
 * local environment's edge runs the same comparison there.
 */

const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

beforeAll(() => {
  // Dummy credentials for SigV4; the loopback server does not check them.
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'testing');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'testing');
  vi.stubEnv('AWS_CONFIG_FILE', '/nonexistent');
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', '/nonexistent');
});

async function runOurs(argv: string[]): Promise<{ exitCode: number; result: VerifyResult }> {
  let stdout = '';
  let stderr = '';
  const exitCode = await runVerifyCommand([...argv, '--json'], {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    isTTY: false,
  });
  if (exitCode > 1) throw new Error(`jit-audit verify failed with ${exitCode}: ${stdout}${stderr}`);
  return { exitCode, result: JSON.parse(stdout) as VerifyResult };
}

function sorted(lines: readonly string[]): string[] {
  return [...lines].sort();
}

describe('jit-audit verify agrees with aws cloudtrail validate-logs', () => {
  for (const definition of SCENARIOS.filter((entry) => entry.cliParity)) {
    it(`gives the CLI's verdict for every file: ${definition.name}`, { timeout: 120_000 }, async () => {
      const root = await mkdtemp(join(tmpdir(), 'jit-parity-'));
      roots.push(root);
      const built = await definition.build(root);
      const { scenario } = built;
      const server = await startLocalTrailServer({ exportDir: root, organizationId: scenario.trail.organizationId });
      try {
        const cli = await runAwsValidateLogs({
          endpoint: server.endpoint,
          trailArn: scenario.trailArn,
          start: built.start,
          end: built.end,
          accountId: built.cliOptions?.accountId,
          bucket: built.cliOptions?.bucket,
        });
        const common = [
          '--trail-arn',
          scenario.trailArn,
          '--start-time',
          built.start,
          '--end-time',
          built.end,
          ...(built.cliOptions?.accountId === undefined ? [] : ['--account-id', built.cliOptions.accountId]),
        ];
        const viaEndpoint = await runOurs([...common, '--endpoint-url', server.endpoint, '--concurrency', '4']);
        const viaFolder = await runOurs([...common, '--local', root]);

        const cliLines = sorted(cli.lines);
        const expectedFileCount = built.expected.digests.length + built.expected.logs.length + built.expected.gaps;
        // The CLI's own output matches what was done to the bucket...
        expect(cli.lines).toHaveLength(expectedFileCount);
        // ...and ours matches the CLI's, line for line, through S3 and from the local folder.
        expect(sorted(resultLines(viaEndpoint.result).map((line) => line.text))).toEqual(cliLines);
        expect(sorted(resultLines(viaFolder.result).map((line) => line.text))).toEqual(cliLines);
        expect(summaryText(viaEndpoint.result)).toBe(cli.summary);
        expect(summaryText(viaFolder.result)).toBe(cli.summary);

        const filesValid =
          built.expected.digests.every((digest) => digest.verdict === 'valid') &&
          built.expected.logs.every((log) => log.verdict === 'valid');
        expect(cli.exitCode).toBe(filesValid ? 0 : 1);
        // jit-audit fails where the CLI passes only for its extra findings (or when nothing was verified).
        expect(viaEndpoint.exitCode).toBe(built.expected.ok ? 0 : 1);
        expect(viaFolder.exitCode).toBe(viaEndpoint.exitCode);
      } finally {
        await server.close();
      }
    });
  }
});
