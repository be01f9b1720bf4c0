#!/usr/bin/env node
// npm run demo: the whole story on the local environment. Exit 0 when every step behaved as
// described, 1 otherwise (so the demo is also an end-to-end test).
import { parseArgs } from 'node:util';
import { makeStyle } from './console.js';
import { runDemo } from './scenario.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const HELP = `Usage: npm run demo [-- --keep] [--verbose]

Starts the local AWS environment, provisions accounts/ and plays the story: standing access, a
request, an approval, work under the grant (and a call the ceiling denies), a 5-minute security
grant, revocation, the auditor's report from CloudTrail, digest verification, and the report
Lambda's e-mail. Leaves nothing running. Exit 0 when every step behaved as described.

  --keep      keep the work folder (request, journal, bucket copy, e-mail) and print where
  --verbose   print every command's full output
  -h, --help  this help
`;

const { values } = parseArgs({
  options: { keep: { type: 'boolean' }, verbose: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

const style = makeStyle(process.stdout);
const indent = (text: string, max = values.verbose ? Number.POSITIVE_INFINITY : 12) => {
  const lines = text
    .trimEnd()
    .split('\n')
    .filter((l) => l.trim() !== '');
  const shown = lines.slice(0, max).map((l) => `      ${l}`);
  if (lines.length > max) shown.push(style.dim(`      … ${lines.length - max} more lines`));
  return shown.join('\n');
};

const result = await runDemo(
  {
    step: (index, title, story) => process.stdout.write(`\n${style.heading(`${index}. ${title}`)}\n   ${story}\n`),
    command: (r, shown) => {
      process.stdout.write(`   ${style.dim('$')} ${shown ?? r.command}   ${style.dim(`→ exit ${r.code}`)}\n`);
      const text = [r.stdout, r.stderr].filter(Boolean).join('\n');
      if (text.trim()) process.stdout.write(`${style.dim(indent(text))}\n`);
    },
    check: (ok, text) => process.stdout.write(`   ${ok ? style.ok('✓') : style.fail('✗')} ${text}\n`),
    note: (text) => process.stdout.write(`   ${style.dim(text)}\n`),
  },
  { keepWorkDir: values.keep === true },
);

process.stdout.write(
  `\n${result.ok ? style.ok('Demo complete') : style.fail(`Demo FAILED (${result.failures.length} check(s))`)} in ${result.seconds.toFixed(0)} s.` +
    `${result.artefacts.reportHtml ? ` The auditors' e-mail: ${result.artefacts.reportHtml}` : ''}\n`,
);
if (values.keep) process.stdout.write(`Work folder: ${result.artefacts.workDir}\n`);
process.exit(result.ok ? 0 : 1);
