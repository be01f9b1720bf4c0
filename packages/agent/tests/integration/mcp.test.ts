import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ElevatedPayload } from '@jit-access/core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ACCOUNTS_DIR, AGENT_DIR, CLI_COMMAND } from '../support/cli.js';
import { agentEnv, grant, revoke } from '../support/localGrants.js';
import { connectMcp, type McpSession } from '../support/mcp.js';

// The MCP server against the local environment, driven by the SDK's own client over stdio.
// This file owns account 111111111111 (staging).
const ctx = inject('localAws');
const ACCOUNT = '111111111111';

let dir: string;
let journal: string;
let session: McpSession;
const granted: ElevatedPayload[] = [];
const outputs: string[] = [];

async function call(name: string, args: Record<string, unknown>) {
  const r = await session.call(name, args);
  outputs.push(r.text, JSON.stringify(r.data ?? null));
  return r;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'jit-agent-mcp-it-'));
  journal = path.join(dir, 'journal.jsonl');
  const env = agentEnv(ctx, { XDG_CONFIG_HOME: dir, JIT_AGENT_JOURNAL: journal });
  session = await connectMcp(['--config', ACCOUNTS_DIR], env as Record<string, string>);
});
afterAll(async () => {
  await session?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('jit-agent mcp against the local environment', () => {
  it('elevation_status says there is no grant yet', async () => {
    const r = await call('elevation_status', { account: 'staging' });
    expect((r.data as { grants: { status: string }[] }).grants[0]?.status).toBe('inactive');
  });

  it('request_elevation asks with the identity STS reports for the agent', async () => {
    const r = await call('request_elevation', { account: 'staging', tier: 'deploy', minutes: 30, reason: 'ship v2' });
    expect(r.isError).toBe(false);
    expect((r.data as { request: { agent: { arn: string } } }).request.agent.arn).toBe(
      `arn:aws:iam::${ctx.accounts.hub.id}:user/jit-agent`,
    );
  });

  it('run_with_elevation refuses without a grant', async () => {
    const r = await call('run_with_elevation', { account: ACCOUNT, command: ['aws', 'sts', 'get-caller-identity'] });
    expect(r.isError).toBe(true);
    expect(r.text).toContain('AGENT_NO_GRANT');
  });

  it('elevation_status shows the grant once approved, without credentials', async () => {
    const p = await grant(ctx, { account: ACCOUNT });
    granted.push(p);
    const r = await call('elevation_status', { account: ACCOUNT });
    expect((r.data as { grants: unknown[] }).grants[0]).toMatchObject({ status: 'active', grantId: p.GrantId });
  });

  it('run_with_elevation returns the exit code and output of a command run as the elevated role', async () => {
    const p = granted[0] as ElevatedPayload;
    const r = await call('run_with_elevation', {
      account: 'staging',
      command: ['aws', 'sts', 'get-caller-identity', '--output', 'json'],
    });
    expect(r.isError).toBe(false);
    const data = r.data as { exitCode: number; stdout: string; grantId: string };
    expect(data.exitCode).toBe(0);
    expect(data.grantId).toBe(p.GrantId);
    expect(JSON.parse(data.stdout)).toMatchObject({
      Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/AgentElevated-Ops/jit-${p.GrantId}`,
    });
  });

  it('run_with_elevation never returns the credentials, even from a command that prints them', async () => {
    const r = await call('run_with_elevation', { account: ACCOUNT, command: ['env'] });
    const data = r.data as { exitCode: number; stdout: string };
    expect(data.exitCode).toBe(0);
    expect(data.stdout).toContain('AWS_SECRET_ACCESS_KEY=[redacted]');
    expect(data.stdout).toContain('AWS_SESSION_TOKEN=[redacted]');
  });

  it('run_with_elevation returns a failing exit code as data, not as a tool error', async () => {
    const r = await call('run_with_elevation', { account: ACCOUNT, command: ['sh', '-c', 'echo oops >&2; exit 3'] });
    expect(r.isError).toBe(false);
    expect(r.data).toMatchObject({ exitCode: 3, stderr: 'oops\n' });
  });

  it('self_report lists what ran under the grant', async () => {
    const p = granted[0] as ElevatedPayload;
    const r = await call('self_report', { account: ACCOUNT });
    const entries = (r.data as { grantId: string; entries: { command: string[]; exitCode: number; source: string }[] })
      .entries;
    expect(entries.map((e) => [e.command[0], e.exitCode, e.source])).toEqual([
      ['aws', 0, 'mcp'],
      ['env', 0, 'mcp'],
      ['sh', 3, 'mcp'],
    ]);
    expect((r.data as { grantId: string }).grantId).toBe(p.GrantId);
  });

  it('run_with_elevation refuses after the grant is revoked', async () => {
    const p = granted[0] as ElevatedPayload;
    await revoke(ctx, ACCOUNT, p.GrantId);
    const r = await call('run_with_elevation', { account: ACCOUNT, command: ['true'] });
    expect(r.isError).toBe(true);
    expect(r.text).toContain('AGENT_REVOKED');
  });

  it('leaves no credential in any tool result, the journal or the server stderr', async () => {
    const texts = [...outputs, await readFile(journal, 'utf8'), session.stderr()];
    for (const p of granted) {
      for (const text of texts) {
        expect(text).not.toContain(p.SecretAccessKey);
        expect(text).not.toContain(p.SessionToken);
      }
    }
  });
});

describe('jit-agent mcp when its client goes away', () => {
  it('ends quietly (exit 0, no stack trace) when the client closes its end of stdout mid-session', async () => {
    const { spawn } = await import('node:child_process');
    const [command, ...prefix] = CLI_COMMAND;
    const env = agentEnv(ctx, { XDG_CONFIG_HOME: dir, JIT_AGENT_JOURNAL: journal });
    const child = spawn(command, [...prefix, 'mcp', '--config', ACCOUNTS_DIR], {
      cwd: AGENT_DIR,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...(env as Record<string, string>) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const line = (message: unknown) => child.stdin.write(`${JSON.stringify(message)}\n`);
    line({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'gone', version: '1' } },
    });
    await new Promise((resolve) => child.stdout.once('data', resolve));
    child.stdout.destroy();
    line({ jsonrpc: '2.0', method: 'notifications/initialized' });
    line({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    setTimeout(() => child.stdin.end(), 500);

    expect(await exited).toBe(0);
    expect(stderr).not.toMatch(/Unhandled|EPIPE|at .*\.js:\d+/);
  }, 30_000);
});
