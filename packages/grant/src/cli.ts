#!/usr/bin/env node
import { createInterface } from 'node:readline/promises';
import { main } from './cli/main.js';

// The SDK warns about Node versions on stderr at its first client; an approver cannot act on
// it, and it would bury the summary they must read.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}

process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  readStdin,
  ask: process.stdin.isTTY ? ask : undefined,
  env: process.env,
  cwd: process.cwd(),
});
