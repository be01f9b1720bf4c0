#!/usr/bin/env node
// The entry point stays tiny: --version and --help load nothing else, and each command loads
// only what it uses (the AWS SDK and the MCP SDK on first use).

const argv = process.argv.slice(2);
// The SDK warns on every run under Node 20 about its future Node 22 requirement: noise in every
// command's stderr that an agent cannot act on. The runbook states the Node requirement instead.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const [first] = argv;

async function main(): Promise<number> {
  if (first === '--version' || first === '-V' || first === 'version') {
    const { version } = await import('./version.js');
    process.stdout.write(`${version}\n`);
    return 0;
  }
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const { MAIN_HELP } = await import('./cli/help.js');
    process.stdout.write(`${MAIN_HELP}\n`);
    return first === undefined ? 2 : 0;
  }
  const { run } = await import('./cli/commands.js');
  return run(argv);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`jit-agent: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
