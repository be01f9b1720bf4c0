import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { AGENT_DIR, CLI_COMMAND } from './cli.js';

export interface McpSession {
  readonly client: Client;
  /** Everything the server wrote to stderr. */
  stderr(): string;
  /** Calls a tool; returns its text and structured content. */
  call(name: string, args: Record<string, unknown>): Promise<{ isError: boolean; text: string; data: unknown }>;
  close(): Promise<void>;
}

/** Starts `jit-agent mcp` and connects the SDK's own client to it over stdio. */
export async function connectMcp(args: readonly string[], env: Record<string, string>): Promise<McpSession> {
  const [command, ...prefix] = CLI_COMMAND;
  const transport = new StdioClientTransport({
    command,
    args: [...prefix, 'mcp', ...args],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    cwd: AGENT_DIR,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  const client = new Client({ name: 'jit-agent-tests', version: '0.0.0' });
  await client.connect(transport);
  return {
    client,
    stderr: () => stderr,
    call: async (name, toolArgs) => {
      const result = await client.callTool({ name, arguments: toolArgs });
      const content = result.content as { type: string; text?: string }[];
      const text = content.map((c) => c.text ?? '').join('\n');
      let data: unknown = result.structuredContent;
      if (data === undefined) {
        try {
          data = JSON.parse(text);
        } catch {
          // A protocol-level error (e.g. schema validation) is plain text.
        }
      }
      return { isError: result.isError === true, text, data };
    },
    close: () => client.close(),
  };
}
