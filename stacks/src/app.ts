#!/usr/bin/env node
// The CDK app: `npm run synth` (or `cdk synth --app "node stacks/dist/app.js"`). Reads accounts/,
// synthesizes every stack into stacks/cdk.out with the cdk-nag packs applied, offline.
import path from 'node:path';
import { JitError } from '@jit-access/core';
import { formatNagFindings } from './gates/nag.js';
import { synthesize } from './synth.js';

const EXIT = { ok: 0, error: 1, nagFindings: 2 } as const;

async function main(): Promise<number> {
  const stacksDir = path.resolve(import.meta.dirname, '..');
  const repoRoot = path.resolve(stacksDir, '..');
  const recipients = process.env.JIT_REPORT_RECIPIENTS?.split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  const result = await synthesize({
    accountsDir: process.env.JIT_ACCOUNTS_DIR ?? path.join(repoRoot, 'accounts'),
    repoRoot,
    // The CDK CLI passes its output folder in CDK_OUTDIR.
    outdir: process.env.CDK_OUTDIR ?? path.join(stacksDir, 'cdk.out'),
    ...(process.env.JIT_REPORT_BUNDLE_DIR ? { reportBundleDir: process.env.JIT_REPORT_BUNDLE_DIR } : {}),
    ...(process.env.JIT_REPORT_SENDER ? { reportSender: process.env.JIT_REPORT_SENDER } : {}),
    ...(recipients && recipients.length > 0 ? { reportRecipients: recipients } : {}),
  });
  const stacks = result.assembly.stacks;
  console.log(`synthesized ${stacks.length} stacks into ${result.assembly.directory}`);
  for (const stack of stacks)
    console.log(`  ${stack.stackName.padEnd(28)} ${stack.environment.account}/${stack.environment.region}`);
  if (result.bundle.placeholder) {
    console.error(
      `warning: the report Lambda's bundle was not built; the Jit-Report stack uses a placeholder from ${result.bundle.dir}. Do not deploy it.`,
    );
  }
  const findings = result.nag?.findings ?? [];
  if (findings.length > 0) {
    console.error(`cdk-nag: ${findings.length} unacknowledged finding(s):\n${formatNagFindings(findings)}`);
    return EXIT.nagFindings;
  }
  console.log(
    `cdk-nag: AwsSolutions, HIPAA Security, NIST 800-53 R5, PCI DSS 3.2.1: no unacknowledged findings (${result.nag?.acknowledged.length ?? 0} acknowledged with reasons)`,
  );
  return EXIT.ok;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof JitError) {
      console.error(`error: ${error.message}`);
      if (error.suggestion) console.error(`suggestion: ${error.suggestion}`);
    } else {
      console.error(error);
    }
    process.exitCode = EXIT.error;
  },
);
