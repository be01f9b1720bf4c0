import { spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_CODE_HELP, EXIT_CODES, exitCodeForWarnings, GrantWarningCode, main } from '../../src/index.js';
import { captureIo } from '../support/io.js';
import { ACCOUNTS_DIR } from '../support/local.js';

const PACKAGE = path.resolve(import.meta.dirname, '../..');

describe('jit-grant --help', () => {
  it('documents every exit code, with an example', async () => {
    const io = captureIo();
    expect(await main(['--help'], io)).toBe(0);
    for (const code of Object.values(EXIT_CODES)) {
      const line = EXIT_CODE_HELP.find(([c]) => c === code);
      expect(line, `exit code ${code} has help text`).toBeDefined();
      expect(io.out()).toContain(`${String(code).padStart(2)}  ${line?.[1]}`);
    }
    expect(io.out()).toMatch(
      /Example:\n {2}jit-grant grant production --tier ops --minutes 15 --reason "restart ECS service"/,
    );
  });

  it.each(['grant', 'revoke', 'status'])('has help with an example and the exit codes for %s', async (command) => {
    const io = captureIo();
    expect(await main([command, '--help'], io)).toBe(0);
    expect(io.out()).toMatch(/Examples?:\n {2}jit-grant /);
    expect(io.out()).toContain('Exit codes:');
  });

  it('prints the help and exits 2 without a command', async () => {
    const io = captureIo();
    expect(await main([], io)).toBe(EXIT_CODES.invalidInput);
    expect(io.err()).toContain('Usage:');
  });

  it('refuses an unknown command with exit code 2', async () => {
    const io = captureIo();
    expect(await main(['approve'], io)).toBe(EXIT_CODES.invalidInput);
    expect(io.err()).toBe(
      'error: unknown command "approve"; commands: grant, revoke, status\n  → see jit-grant --help\n',
    );
  });

  it('exits 3 for a configuration folder without jit.yaml', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'jit-grant-empty-'));
    const io = captureIo();
    expect(await main(['status', '--config', dir], io)).toBe(EXIT_CODES.config);
    expect(io.err()).toMatch(/jit\.yaml: cannot read .*jit\.yaml/);
  });

  it('exits 3 for an invalid configuration, naming the file and field', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'jit-grant-bad-config-'));
    await writeFile(path.join(dir, 'jit.yaml'), 'region: mars-1\n');
    await writeFile(path.join(dir, 'tiers.yaml'), 'tiers: {}\n');
    const io = captureIo();
    expect(await main(['status', '--config', dir], io)).toBe(EXIT_CODES.config);
    expect(io.err()).toMatch(/jit\.yaml: region: must be an AWS region/);
  });

  it('refuses a --timeout that is not milliseconds in range', async () => {
    const io = captureIo();
    expect(await main(['status', '--timeout', '5s', '--config', ACCOUNTS_DIR], io)).toBe(EXIT_CODES.invalidInput);
    expect(io.err()).toMatch(/--timeout: "5s" is not allowed: milliseconds from 100 to 120000/);
  });

  it('runs as a program: `--help` exits 0 and loads no AWS SDK client', () => {
    const run = (args: string[]) =>
      spawnSync(
        process.execPath,
        [
          '--conditions=@jit-access/source',
          '--import',
          'tsx',
          '--import',
          './tests/support/trace-sdk-loads.mjs',
          'src/cli.ts',
          ...args,
        ],
        { cwd: PACKAGE, encoding: 'utf8', env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_PROFILE: '' } },
      );
    const help = run(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('jit-grant: approve, revoke and inspect');
    expect(help.stderr).not.toMatch(/loaded @aws-sdk\/client-/);
    // The same trace sees a client when a command does call AWS (so the check above can fail).
    const status = run([
      'status',
      '--config',
      ACCOUNTS_DIR,
      '--endpoint-url',
      'http://127.0.0.1:9',
      '--timeout',
      '100',
    ]);
    expect(status.stderr).toMatch(/loaded @aws-sdk\/client-secrets-manager/);
  });
});

describe('exit codes of warnings', () => {
  const w = (code: (typeof GrantWarningCode)[keyof typeof GrantWarningCode]) => ({ code, message: code });

  it('is 0 for a grant whose only warning is the source-identity fallback', () => {
    expect(exitCodeForWarnings([w(GrantWarningCode.SourceIdentityInherited)])).toBe(0);
  });

  it('puts a readable previous version before missing metadata before a failed notification', () => {
    expect(
      exitCodeForWarnings([
        w(GrantWarningCode.NotificationFailed),
        w(GrantWarningCode.MetadataNotRecorded),
        w(GrantWarningCode.PreviousVersionReadable),
      ]),
    ).toBe(EXIT_CODES.previousVersionReadable);
    expect(exitCodeForWarnings([w(GrantWarningCode.NotificationFailed), w(GrantWarningCode.MetadataNotRecorded)])).toBe(
      EXIT_CODES.metadataNotRecorded,
    );
    expect(exitCodeForWarnings([w(GrantWarningCode.NotificationFailed)])).toBe(EXIT_CODES.notificationFailed);
  });
});
