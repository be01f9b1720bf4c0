import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runExportCommand, runVerifyCommand, type VerifyResult } from '../../src/integrity/index.js';
import { type BuiltScenario, SCENARIOS } from '../helpers/integrityScenarios.js';
import { startLocalTrailServer } from '../helpers/localTrailServer.js';

const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

async function build(name: string): Promise<BuiltScenario> {
  const definition = SCENARIOS.find((entry) => entry.name === name);
  if (definition === undefined) throw new Error(`no scenario ${name}`);
  const root = await mkdtemp(join(tmpdir(), 'jit-command-'));
  roots.push(root);
  return definition.build(root);
}

async function run(
  argv: string[],
  options: { isTTY?: boolean; env?: Record<string, string | undefined>; now?: () => Date } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runVerifyCommand(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    isTTY: options.isTTY ?? false,
    env: options.env ?? {},
    now: options.now,
  });
  return { code, stdout, stderr };
}

function localArgs(built: BuiltScenario, ...extra: string[]): string[] {
  return [
    '--local',
    built.scenario.root,
    '--trail-arn',
    built.scenario.trailArn,
    '--start-time',
    built.start,
    '--end-time',
    built.end,
    ...extra,
  ];
}

describe('jit-audit verify', () => {
  it('exits 0 for an intact trail and prints the CLI-style summary', async () => {
    const built = await build('valid chain');
    const { code, stdout, stderr } = await run(localArgs(built));
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toContain(
      'Results requested for 2024-03-01T00:00:00Z to 2024-03-01T06:00:00Z\nResults found for 2024-03-01T00:00:31Z to 2024-03-01T06:00:00Z:\n\n6/6 digest files valid\n12/12 log files valid\n',
    );
    expect(stdout).toContain('Strict chain checks (beyond aws cloudtrail validate-logs): no problems');
    expect(stdout).not.toContain('\tvalid');
    expect(stdout).toContain('These keys come from the export sidecar');
  });

  it('exits 1 and names the altered log file', async () => {
    const built = await build('a log file altered');
    const { code, stdout } = await run(localArgs(built));
    expect(code).toBe(1);
    expect(stdout).toMatch(
      /^Log file\ts3:\/\/jit-log-archive\/AWSLogs\/.*_u000000000000006\.json\.gz\tINVALID: hash value doesn't match$/m,
    );
    expect(stdout).toContain('11/12 log files valid, 1/12 log files INVALID');
  });

  it('lists every file with --verbose', async () => {
    const built = await build('valid chain');
    const { stdout } = await run(localArgs(built, '--verbose'));
    expect(stdout.split('\n').filter((line) => line.endsWith('\tvalid'))).toHaveLength(18);
  });

  it('prints the full result with --json', async () => {
    const built = await build('a digest deleted');
    const { code, stdout } = await run(localArgs(built, '--json'));
    const result = JSON.parse(stdout) as VerifyResult;
    expect(code).toBe(1);
    expect(result.counts.digests).toEqual({ valid: 5, invalid: 1 });
    expect(result.findings.map((finding) => finding.code)).toEqual(['chain-break']);
  });

  it('exits 1 with "No digests found" for an empty bucket instead of passing silently', async () => {
    const built = await build('an empty bucket');
    const { code, stdout } = await run(localArgs(built));
    expect(code).toBe(1);
    expect(stdout).toContain('No digests found');
    expect(stdout).toContain('no-digests');
  });

  it('passes appended gzip data with --cli-compatible, and fails it by default', async () => {
    const built = await build('a log file with a second gzip member appended');
    expect((await run(localArgs(built))).code).toBe(1);
    expect((await run(localArgs(built, '--cli-compatible'))).code).toBe(0);
  });

  it('requires --account-id for an organization trail and finds the organization id itself', async () => {
    const built = await build('an organization trail with a key prefix and an altered log file');
    const missing = await run(localArgs(built));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--account-id: missing');
    const { code, stdout } = await run(localArgs(built, '--account-id', built.scenario.trail.accountId, '--json'));
    const result = JSON.parse(stdout) as VerifyResult;
    expect(code).toBe(1);
    expect(result.trail).toMatchObject({
      organizationId: 'o-a1b2c3d4e5',
      prefix: 'cloudtrail/prod',
      bucket: 'jit-org-archive',
    });
    expect(result.counts.logs).toEqual({ valid: 11, invalid: 1 });
  });

  it('finds the organization layout from the bucket when --s3-bucket is given and the trail is not described', async () => {
    const built = await build('an organization trail with a key prefix and an altered log file');
    built.scenario.describeTrailInSidecar = false;
    await built.scenario.save();
    const { code, stdout } = await run(
      localArgs(
        built,
        '--s3-bucket',
        'jit-org-archive',
        '--s3-prefix',
        'cloudtrail/prod',
        '--account-id',
        built.scenario.trail.accountId,
        '--json',
      ),
    );
    expect(code).toBe(1);
    expect((JSON.parse(stdout) as VerifyResult).trail.organizationId).toBe('o-a1b2c3d4e5');
  });

  it('uses the injected clock when --end-time is not given', async () => {
    const built = await build('valid chain');
    const args = localArgs(built).slice(0, -2);
    const { stdout } = await run(args, { now: () => new Date('2024-03-01T03:00:00Z') });
    expect(stdout).toContain('Results requested for 2024-03-01T00:00:00Z to 2024-03-01T03:00:00Z');
  });

  it('draws a progress bar on a terminal only, and honours NO_COLOR', async () => {
    const built = await build('a log file altered');
    const tty = await run(localArgs(built), { isTTY: true });
    expect(tty.stderr).toContain('\r');
    expect(tty.stdout).toContain('\u001b[31mINVALID');
    const plain = await run(localArgs(built), { isTTY: false });
    expect(plain.stderr).toBe('');
    const noColor = await run(localArgs(built), { isTTY: true, env: { NO_COLOR: '1' } });
    expect(noColor.stdout).not.toContain('\u001b[');
  });

  it('shows help with an example', async () => {
    const { code, stdout } = await run(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('Example:');
    expect(stdout).toContain('jit-audit verify --trail-arn');
  });
});

describe('jit-audit verify bad input (exit 2, nothing verified)', () => {
  const arn = 'arn:aws:cloudtrail:us-east-1:111122223333:trail/jit-trail';

  it('refuses --start-time after --end-time, naming the flag, both values and what is allowed', async () => {
    const { code, stderr } = await run([
      '--trail-arn',
      arn,
      '--start-time',
      '2024-03-02T00:00:00Z',
      '--end-time',
      '2024-03-01T00:00:00Z',
      '--local',
      '/nonexistent',
    ]);
    expect(code).toBe(2);
    expect(stderr).toBe(
      'jit-audit verify: --start-time: got 2024-03-02T00:00:00Z, which is after --end-time 2024-03-01T00:00:00Z; allowed: a time at or before --end-time\n',
    );
  });

  it.each([
    [['--trail-arn', arn, '--start-time', 'yesterday'], '--start-time: got "yesterday"'],
    [['--trail-arn', arn, '--start-time', '2024-02-30'], '--start-time: got "2024-02-30", which is not a real time'],
    [['--start-time', '2024-03-01'], '--trail-arn: missing'],
    [['--trail-arn', 'trail', '--start-time', '2024-03-01'], 'trail ARN: got "trail"'],
    [['--trail-arn', arn, '--start-time', '2024-03-01', '--bogus'], "Unknown option '--bogus'"],
    [['--trail-arn', arn, '--start-time', '2024-03-01', '--concurrency', '0'], '--concurrency: got "0"'],
    [['--trail-arn', arn, '--start-time', '2024-03-01', '--account-id', '12'], '--account-id: got "12"'],
    [['--trail-arn', arn, '--start-time', '2024-03-01', '--s3-prefix', 'logs/'], '--s3-prefix: got "logs/"'],
    [['--trail-arn', arn, '--start-time', '2024-03-01', '--local', '/nonexistent-jit'], 'no jit-audit-export.json'],
  ])('refuses %j', async (argv, message) => {
    const { code, stderr } = await run(argv, { now: () => new Date('2024-03-05T00:00:00Z') });
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });

  it('prints the error as JSON with --json', async () => {
    const { code, stdout } = await run(['--trail-arn', arn, '--start-time', 'soon', '--json']);
    expect(code).toBe(2);
    expect(JSON.parse(stdout)).toEqual({
      error: {
        name: 'IntegrityError',
        code: 'INTEGRITY_INVALID_OPTION',
        message: expect.stringContaining('--start-time: got "soon"'),
      },
      exitCode: 2,
    });
  });

  it('exits 3 when the source cannot be reached', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'testing');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'testing');
    vi.stubEnv('AWS_MAX_ATTEMPTS', '1');
    try {
      const { code, stderr } = await run([
        '--trail-arn',
        arn,
        '--start-time',
        '2024-03-01',
        '--end-time',
        '2024-03-02',
        '--endpoint-url',
        'http://127.0.0.1:9',
      ]);
      expect(code).toBe(3);
      expect(stderr).toContain('cloudtrail:DescribeTrails failed');
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('jit-audit export', () => {
  it('exports through S3 and CloudTrail into a folder that verifies exactly like the bucket', async () => {
    const built = await build('a digest moved to a later key');
    const server = await startLocalTrailServer({ exportDir: built.scenario.root, pageSize: 7 });
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'testing');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'testing');
    try {
      const parent = await mkdtemp(join(tmpdir(), 'jit-export-'));
      roots.push(parent);
      const out = join(parent, 'copy');
      let stdout = '';
      const code = await runExportCommand(
        [
          '--s3-bucket',
          built.scenario.trail.bucket,
          '--out',
          out,
          '--trail-arn',
          built.scenario.trailArn,
          '--endpoint-url',
          server.endpoint,
          '--json',
        ],
        { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: () => true }, isTTY: false },
      );
      expect(code).toBe(0);
      expect(JSON.parse(stdout)).toMatchObject({ objects: 18, digests: 6, publicKeys: 1, skipped: [] });
      const range = [
        '--start-time',
        built.start,
        '--end-time',
        built.end,
        '--trail-arn',
        built.scenario.trailArn,
        '--json',
      ];
      const remote = JSON.parse((await run([...range, '--endpoint-url', server.endpoint])).stdout) as VerifyResult;
      const local = JSON.parse((await run([...range, '--local', out])).stdout) as VerifyResult;
      expect({ ...local, source: '' }).toEqual({ ...remote, source: '' });
      expect(local.findings.map((finding) => finding.code).sort()).toEqual(['chain-break', 'unreferenced-digest']);
    } finally {
      vi.unstubAllEnvs();
      await server.close();
    }
  });

  it('refuses to run without --out', async () => {
    let stderr = '';
    const code = await runExportCommand(['--s3-bucket', 'b'], {
      stdout: { write: () => true },
      stderr: { write: (text: string) => (stderr += text) },
      isTTY: false,
    });
    expect(code).toBe(2);
    expect(stderr).toContain('--out: missing');
  });
});
