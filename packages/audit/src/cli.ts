#!/usr/bin/env node
// jit-audit: a thin dispatcher over the audit library's three commands.
import { readFileSync } from 'node:fs';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const HELP = `Usage: jit-audit <command> [options]

The auditor's tools: session reports built from CloudTrail (never from the agent's word) and
verification of the trail's digest chain.

Commands:
  report     per elevated session: calls, denials, writes, out-of-window calls, self-report discrepancies
  sessions   the elevated sessions found in a time range
  verify     validate the digest chain and log files, like \`aws cloudtrail validate-logs\` and stricter
  export     copy the trail bucket to a folder (with signatures and public keys) for offline verify

Options:
  --help       this help; \`jit-audit <command> --help\` for a command's options
  --version    the version

Examples:
  jit-audit report --source s3 --bucket jit-cloudtrail-555555555555-ap-southeast-2 --since 2h --format text
  jit-audit verify --trail-arn arn:aws:cloudtrail:ap-southeast-2:222222222222:trail/jit-trail --start-time 2026-03-25T00:00:00Z

Exit codes: 2 bad input for every command; otherwise per command (see its --help):
  report, sessions: 0 clean, 1 error, 3 needs attention (discrepancies, out-of-window calls)
  verify: 0 all valid, 1 anything invalid, 3 source unavailable
  export: 0 exported, 1 exported but some keys skipped, 3 source unavailable
`;

const [command, ...rest] = process.argv.slice(2);
const io = { stdout: process.stdout, stderr: process.stderr, isTTY: Boolean(process.stdout.isTTY) };

async function main(): Promise<number> {
  switch (command) {
    case 'report': {
      const { runReportCommand } = await import('./report/commands.js');
      return runReportCommand(rest, io);
    }
    case 'sessions': {
      const { runSessionsCommand } = await import('./report/commands.js');
      return runSessionsCommand(rest, io);
    }
    case 'verify': {
      const { runVerifyCommand } = await import('./integrity/verifyCommand.js');
      return runVerifyCommand(rest, { ...io, isTTY: Boolean(process.stderr.isTTY) });
    }
    case 'export': {
      const { runExportCommand } = await import('./integrity/exportCommand.js');
      return runExportCommand(rest, { ...io, isTTY: Boolean(process.stderr.isTTY) });
    }
    case '--version':
    case '-v': {
      const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
      process.stdout.write(`${pkg.version}\n`);
      return 0;
    }
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(HELP);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(
        `jit-audit: unknown command "${command}"; allowed: report, sessions, verify, export (see jit-audit --help)\n`,
      );
      return 2;
  }
}

process.exitCode = await main();
