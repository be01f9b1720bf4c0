import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseElevationRequest } from '@jit-access/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNTS_DIR } from '../support/cli.js';
import { ACCOUNT, GRANT_ID } from '../support/grants.js';
import { connectMcp, type McpSession } from '../support/mcp.js';

// The MCP server through the SDK's own client over stdio, for the tools that need no AWS.
let dir: string;
let journal: string;
let session: McpSession;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'jit-agent-mcp-'));
  journal = path.join(dir, 'journal.jsonl');
  const line = JSON.stringify({
    grantId: GRANT_ID,
    time: '2026-03-25T13:01:00.000Z',
    account: ACCOUNT,
    command: ['aws', 'ecs', 'list-services'],
    exitCode: 0,
    source: 'exec',
  });
  await writeFile(journal, `${line}\n`);
  session = await connectMcp(['--config', ACCOUNTS_DIR], {
    XDG_CONFIG_HOME: dir,
    JIT_AGENT_JOURNAL: journal,
    JIT_AGENT_ARN: 'arn:aws:iam::444444444444:user/jit-agent',
    // An endpoint where nothing listens: any AWS call fails fast instead of reaching AWS.
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEEXAMPLE00',
    AWS_SECRET_ACCESS_KEY: 'not-a-real-secret-key-0000000000',
  });
});
afterAll(async () => {
  await session?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('jit-agent mcp', () => {
  it('offers the four tools, each description stating the rules', async () => {
    const { tools } = await session.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      'elevation_status',
      'request_elevation',
      'run_with_elevation',
      'self_report',
    ]);
    for (const tool of tools) {
      expect(tool.description).toContain('you cannot approve your own elevation');
      expect(tool.description).toContain('expire');
    }
    expect(session.client.getInstructions()).toContain('cannot approve');
  });

  it('request_elevation returns a request jit-grant accepts and says a human must approve it', async () => {
    const r = await session.call('request_elevation', {
      account: 'production',
      tier: 'ops',
      minutes: 15,
      reason: 'restart the api service',
      plan: 'aws ecs update-service --force-new-deployment',
    });
    expect(r.isError).toBe(false);
    const data = r.data as { request: unknown; next: string; delivered: string[] };
    expect(parseElevationRequest(JSON.stringify(data.request), new Date())).toMatchObject({ account: ACCOUNT });
    expect(data.next).toContain('human approver');
    expect(data.delivered).toEqual([]);
  });

  it('request_elevation refuses a window outside the tier, naming what is allowed', async () => {
    const r = await session.call('request_elevation', {
      account: ACCOUNT,
      tier: 'security',
      minutes: 30,
      reason: 'rotate a key',
    });
    expect(r.isError).toBe(true);
    expect(r.text).toContain('AGENT_REQUEST_INVALID');
    expect(r.text).toContain('allowed 5');
  });

  it('elevation_status reports an unreachable secret as a state, not a crash', async () => {
    const r = await session.call('elevation_status', { account: ACCOUNT });
    expect(r.isError).toBe(false);
    expect((r.data as { grants: { status: string }[] }).grants[0]?.status).toBe('unreadable');
  });

  it('run_with_elevation refuses without an active grant and runs nothing', async () => {
    const marker = path.join(dir, 'ran');
    const r = await session.call('run_with_elevation', {
      account: ACCOUNT,
      command: [process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, '')`],
    });
    expect(r.isError).toBe(true);
    expect(r.text).toContain('AGENT_UNREADABLE');
    await expect(readFile(marker)).rejects.toThrow();
  });

  it('self_report returns the journal of a grant and records reported actions as mcp', async () => {
    const r = await session.call('self_report', {
      account: ACCOUNT,
      grantId: GRANT_ID,
      actions: [{ command: ['aws', 'ecs', 'describe-services'], exitCode: 0 }],
    });
    expect(r.isError).toBe(false);
    const entries = (r.data as { entries: { command: string[]; source: string }[] }).entries;
    expect(entries.map((e) => [e.command.join(' '), e.source])).toEqual([
      ['aws ecs list-services', 'exec'],
      ['aws ecs describe-services', 'mcp'],
    ]);
  });

  it('refuses arguments outside a tool schema', async () => {
    const r = await session.call('run_with_elevation', { account: ACCOUNT, command: [] });
    expect(r.isError).toBe(true);
  });
});
