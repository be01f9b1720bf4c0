import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { elevationStatus, requestElevation } from './app.js';
import { readElevation, refusalError } from './elevation.js';
import { AgentError, AgentErrorCode } from './errors.js';
import { runCapturedWithElevation } from './exec.js';
import { appendJournal, readJournal } from './journal.js';
import type { AgentRuntime } from './runtime.js';

const RULES = [
  'Rules: you cannot approve your own elevation; only a human approver can, with jit-grant.',
  'Grants are time-boxed and expire (see elevation_status); a refused command means no usable grant, so request one instead of retrying.',
  'Credentials are never given to you; commands run under the grant through run_with_elevation.',
  'Everything run here is journalled and compared with CloudTrail, which records every call the credentials make.',
].join(' ');

export const MCP_INSTRUCTIONS = `jit-agent gives this agent time-boxed, human-approved AWS access. Ask with request_elevation, check with elevation_status, work with run_with_elevation, and account for what you did with self_report. ${RULES}`;

const accountField = z.string().min(1).describe('The workload account: its 12-digit id, or its name from accounts/.');

type ToolResult = {
  content: { type: 'text'; text: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
};

function ok(data: Record<string, unknown>): ToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(data, null, 2) }], structuredContent: data };
}

function failure(error: unknown): ToolResult {
  const data =
    error instanceof AgentError || (error as { toJSON?: unknown } | null)?.toJSON instanceof Function
      ? (error as AgentError).toJSON()
      : {
          error: {
            name: 'Error',
            code: 'AGENT_ERROR',
            message: error instanceof Error ? error.message : String(error),
          },
        };
  return { content: [{ type: 'text', text: JSON.stringify(data, null, 2) }], isError: true };
}

async function guarded(run: () => Promise<ToolResult>): Promise<ToolResult> {
  try {
    return await run();
  } catch (error) {
    return failure(error);
  }
}

export interface McpServerOptions {
  /** The directory commands run in. @default process.cwd() */
  readonly cwd?: string;
  /** @default 3600 */
  readonly maxTimeoutSeconds?: number;
}

/**
 * The MCP server: four tools over the same library the CLI uses. No tool returns credentials,
 * and none can widen the agent's access: requests go to humans, and only humans grant.
 */
export async function createMcpServer(runtime: AgentRuntime, options: McpServerOptions = {}): Promise<McpServer> {
  const { McpServer } = await import('@modelcontextprotocol/sdk/server/mcp.js');
  const { version } = await import('./version.js');
  const server = new McpServer({ name: 'jit-agent', version }, { instructions: MCP_INSTRUCTIONS });
  const maxTimeout = options.maxTimeoutSeconds ?? 3600;

  server.registerTool(
    'request_elevation',
    {
      title: 'Request elevated AWS access',
      description: `Asks the human approvers for time-boxed elevated access to one AWS account, and returns the request (its id, and when it stops being approvable). It does not grant anything: an approver decides, with jit-grant, and may refuse. Ask for the lowest tier and the fewest minutes that do the job, give a reason a human can check, and a plan of the commands you will run. After asking, poll elevation_status. ${RULES}`,
      inputSchema: {
        account: accountField,
        tier: z.string().min(1).describe('The tier, e.g. "ops", "deploy" or "security" (accounts/tiers.yaml).'),
        minutes: z
          .number()
          .int()
          .min(1)
          .max(60)
          .describe('How long the grant should last, within the tier\u2019s range.'),
        reason: z.string().min(1).max(256).describe('Why, in one line a human approver can check.'),
        plan: z.string().max(4096).optional().describe('What you will do with the access, step by step.'),
      },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    (args) =>
      guarded(async () => {
        const outcome = await requestElevation(runtime, {
          account: args.account,
          tier: args.tier,
          minutes: args.minutes,
          reason: args.reason,
          ...(args.plan === undefined ? {} : { plan: args.plan }),
        });
        const delivered = outcome.deliveries.filter((d) => d.ok).map((d) => d.channel);
        const failed = outcome.deliveries.filter((d) => !d.ok);
        const next =
          outcome.deliveries.length === 0
            ? 'No approvers\u2019 channel is configured: show this request to a human approver, who approves it with `jit-grant grant --request <file>`.'
            : failed.length > 0
              ? 'Some channels failed; show this request to a human approver.'
              : 'Sent to the approvers. Call elevation_status to see when the grant is active; do not ask again meanwhile.';
        return ok({
          request: outcome.request,
          delivered,
          ...(failed.length > 0 ? { failed } : {}),
          next,
        });
      }),
  );

  server.registerTool(
    'elevation_status',
    {
      title: 'Elevation status',
      description: `Tells whether a grant is active for an account (or for every workload account): tier, role, the approver's reason, and seconds left. Statuses: active, inactive (no grant), revoked, expired, window-closed, malformed, wrong-account, unreadable. Never returns credentials. ${RULES}`,
      inputSchema: { account: accountField.optional() },
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    (args) =>
      guarded(async () => {
        const states = await elevationStatus(runtime, args.account);
        return ok({ grants: states });
      }),
  );

  server.registerTool(
    'run_with_elevation',
    {
      title: 'Run a command with the active grant',
      description: `Runs one command (an argument list, no shell) with the active grant's credentials and region in its environment, and returns its exit code and output (redacted, bounded). Refuses with an error when no grant is active, it was revoked, it expired or its window closed, or when AWS says the secret's credentials are not the grant's own session. The credentials themselves are never returned. Every run is journalled. ${RULES}`,
      inputSchema: {
        account: accountField,
        command: z
          .array(z.string())
          .min(1)
          .describe('The program and its arguments, e.g. ["aws", "ecs", "update-service", "--cluster", "web", ...].'),
        timeoutSeconds: z.number().int().min(1).max(maxTimeout).optional().describe('Default 120.'),
      },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    },
    (args) =>
      guarded(async () => {
        const account = await runtime.resolveAccount(args.account);
        const result = await runCapturedWithElevation({
          account,
          command: args.command,
          readSecret: runtime.readSecret,
          verifyCredentials: runtime.verifyCredentials,
          journalPath: runtime.journalPath,
          clockSkewSeconds: runtime.clockSkewSeconds,
          removeEnv: runtime.removeEnv(),
          timeoutMs: (args.timeoutSeconds ?? 120) * 1000,
          ...(options.cwd ? { cwd: options.cwd } : {}),
        });
        return ok({
          grantId: result.grantId,
          exitCode: result.exitCode,
          ...(result.signal ? { signal: result.signal } : {}),
          timedOut: result.timedOut,
          truncated: result.truncated,
          stdout: result.stdout,
          stderr: result.stderr,
          ...(result.journalError ? { journalWarning: result.journalError.message } : {}),
        });
      }),
  );

  server.registerTool(
    'self_report',
    {
      title: 'Self-report',
      description: `Your own account of what you did under a grant, which auditors compare with CloudTrail. Returns the journal of a grant (by default the active grant of the account). If you ran commands with the grant's credentials outside run_with_elevation, list them in "actions" so that they are journalled too; report truthfully, the comparison shows any difference. ${RULES}`,
      inputSchema: {
        account: accountField.optional(),
        grantId: z
          .string()
          .regex(/^[0-9A-HJKMNP-TV-Z]{26}$/)
          .optional()
          .describe('A grant id; default: the active grant of the account.'),
        actions: z
          .array(
            z.strictObject({
              command: z.array(z.string()).min(1),
              exitCode: z.number().int(),
            }),
          )
          .max(100)
          .optional()
          .describe('Commands you ran with this grant outside run_with_elevation.'),
      },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    (args) =>
      guarded(async () => {
        let grantId = args.grantId;
        let account = args.account === undefined ? undefined : await runtime.resolveAccount(args.account);
        if (grantId === undefined) {
          if (account === undefined) {
            throw new AgentError(AgentErrorCode.Usage, 'name an account or a grantId');
          }
          const read = await readElevation({
            account,
            readSecret: runtime.readSecret,
            clockSkewSeconds: runtime.clockSkewSeconds,
          });
          if (read.state.status !== 'active') throw refusalError(read.state);
          grantId = read.state.grantId;
        }
        if (args.actions && args.actions.length > 0) {
          if (account === undefined) {
            const previous = (await readJournal(runtime.journalPath, { grantId })).entries[0];
            account = previous?.account;
          }
          if (account === undefined) {
            throw new AgentError(AgentErrorCode.Usage, 'name the account the actions were run in');
          }
          const time = new Date().toISOString();
          for (const action of args.actions) {
            await appendJournal(runtime.journalPath, {
              grantId,
              time,
              account,
              command: action.command,
              exitCode: action.exitCode,
              source: 'mcp',
            });
          }
        }
        const { entries, invalidLines } = await readJournal(runtime.journalPath, { grantId });
        return ok({
          grantId,
          entries,
          ...(invalidLines.length > 0 ? { invalidLines } : {}),
        });
      }),
  );

  return server;
}

/** `jit-agent mcp`: serves the tools on stdin/stdout until the client disconnects. */
export async function runMcpServer(runtime: AgentRuntime, options: McpServerOptions = {}): Promise<void> {
  const server = await createMcpServer(runtime, options);
  const { StdioServerTransport } = await import('@modelcontextprotocol/sdk/server/stdio.js');
  const transport = new StdioServerTransport();
  await server.connect(transport);
  // connect() takes over the transport's callbacks; the server's own hook fires on close.
  await new Promise<void>((resolve) => {
    server.server.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
    // A client that goes away mid-answer closes our stdout (EPIPE): that ends the session, not a crash.
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') resolve();
    });
  });
  await server.close().catch(() => {});
}
