import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseElevationRequest } from '@jit-access/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMAND_HELP } from '../../src/cli/help.js';
import { ACCOUNTS_DIR, AGENT_DIR, runCli } from '../support/cli.js';
import { ACCOUNT, GRANT_ID } from '../support/grants.js';

// CLI behaviour that needs no AWS: arguments, help, exit codes, requests, the journal.
let dir: string;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'jit-agent-cli-'));
  env = { XDG_CONFIG_HOME: dir, JIT_AGENT_JOURNAL: path.join(dir, 'journal.jsonl') };
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('jit-agent CLI', () => {
  it('prints its version', async () => {
    const { version } = JSON.parse(readFileSync(path.join(AGENT_DIR, 'package.json'), 'utf8')) as { version: string };
    const r = await runCli(['--version'], env);
    expect(r).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('prints help with an example and the exit codes', async () => {
    const r = await runCli(['--help'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Example:');
    expect(r.stdout).toContain('10  no grant (placeholder)');
  });

  it.each(Object.keys(COMMAND_HELP))('prints help with an example for %s', async (command) => {
    const r = await runCli([command, '--help'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Example');
  });

  it('exits 2 on an unknown command and on an unknown option', async () => {
    expect((await runCli(['elevate'], env)).code).toBe(2);
    const r = await runCli(['status', ACCOUNT, '--colour'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Unknown option '--colour'");
  });

  it('prints errors as JSON on stdout with --json', async () => {
    const r = await runCli(['status', ACCOUNT, '--json'], env);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'AGENT_CONFIG', suggestion: expect.any(String) } });
  });

  it('exits 3 with the next step when no hub region is known', async () => {
    const r = await runCli(['status', ACCOUNT], env);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('next: pass --region');
  });

  it('exits 2 when exec has no "--" before the command', async () => {
    const r = await runCli(['exec', ACCOUNT, '--region', 'ap-southeast-2'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('exec needs "--"');
  });

  it('refuses an account name it cannot look up', async () => {
    const r = await runCli(['credential-process', 'production', '--region', 'ap-southeast-2'], env);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
  });

  it('writes a request that jit-grant can parse, without sending it anywhere', async () => {
    const r = await runCli(
      [
        'request',
        'production',
        '--config',
        ACCOUNTS_DIR,
        '--tier',
        'ops',
        '--minutes',
        '15',
        '--reason',
        'restart the api service',
        '--plan',
        'aws ecs update-service --force-new-deployment',
        '--no-send',
      ],
      { ...env, JIT_AGENT_ARN: 'arn:aws:iam::444444444444:user/jit-agent' },
    );
    expect(r.code).toBe(0);
    const request = parseElevationRequest(r.stdout, new Date());
    expect(request).toMatchObject({ account: ACCOUNT, tier: 'ops', minutes: 15 });
  });

  it('writes the request to --out', async () => {
    const out = path.join(dir, 'request.json');
    const r = await runCli(
      ['request', ACCOUNT, '--tier', 'ops', '--minutes', '15', '--reason', 'check logs', '--no-send', '--out', out],
      { ...env, JIT_AGENT_ARN: 'arn:aws:iam::444444444444:user/jit-agent', JIT_REGION: 'ap-southeast-2' },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^request [0-9A-Z]{26} written to /);
    expect(parseElevationRequest(readFileSync(out, 'utf8'), new Date()).reason).toBe('check logs');
  });

  it('exits 20 on a request outside the tier, naming what is allowed', async () => {
    const r = await runCli(
      [
        'request',
        ACCOUNT,
        '--config',
        ACCOUNTS_DIR,
        '--tier',
        'security',
        '--minutes',
        '30',
        '--reason',
        'x',
        '--no-send',
      ],
      { ...env, JIT_AGENT_ARN: 'arn:aws:iam::444444444444:user/jit-agent' },
    );
    expect(r.code).toBe(20);
    expect(r.stderr).toContain("outside the security tier's window: allowed 5");
  });

  it('exits 21 when the approvers cannot be reached, and still prints the request', async () => {
    const r = await runCli(
      [
        'request',
        ACCOUNT,
        '--tier',
        'ops',
        '--minutes',
        '15',
        '--reason',
        'check logs',
        '--webhook-url',
        'http://127.0.0.1:9/',
      ],
      {
        ...env,
        JIT_AGENT_ARN: 'arn:aws:iam::444444444444:user/jit-agent',
        JIT_REGION: 'ap-southeast-2',
        JIT_APPROVER_WEBHOOK_SECRET: 'approver-secret',
      },
    );
    expect(r.code).toBe(21);
    expect(JSON.parse(r.stdout)).toMatchObject({ kind: 'jit-elevation-request' });
    expect(r.stderr).toContain("the approvers' webhook at http://127.0.0.1:9 could not be reached");
  });

  it('prints the journal of one grant', async () => {
    const journal = path.join(dir, 'report.jsonl');
    const line = (grantId: string, command: string[]) =>
      JSON.stringify({
        grantId,
        time: '2026-03-25T13:01:00.000Z',
        account: ACCOUNT,
        command,
        exitCode: 0,
        source: 'exec',
      });
    await writeFile(
      journal,
      `${line(GRANT_ID, ['aws', 's3', 'ls'])}\n${line('01JQ8000000000000000000000', ['true'])}\n`,
    );

    const human = await runCli(['report', '--grant', GRANT_ID], { ...env, JIT_AGENT_JOURNAL: journal });
    const json = await runCli(['report', '--grant', GRANT_ID, '--json'], { ...env, JIT_AGENT_JOURNAL: journal });

    expect(human.stdout).toContain(`${GRANT_ID}  ${ACCOUNT}  exit 0  [exec]  aws s3 ls`);
    expect(human.stdout).not.toContain('true');
    expect((JSON.parse(json.stdout) as { entries: unknown[] }).entries).toHaveLength(1);
  });
});
