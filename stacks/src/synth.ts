import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type JitConfig, loadConfig } from '@jit-access/core';
import { App } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { StacksError, StacksErrorCode } from './errors.js';
import { applyNagPacks, type NagCollector } from './gates/nag.js';
import { addJitStacks, type JitStacks } from './jitApp.js';
import { type ReportBundle, resolveReportBundle } from './reportBundle.js';

/** Report settings until the configuration schema carries them (see the stacks README). */
export const DEFAULT_REPORT_SENDER = 'jit-reports@example.com';
export const DEFAULT_REPORT_RECIPIENTS = ['auditors@example.com'] as const;

export interface SynthOptions {
  /** The `accounts/` folder. */
  readonly accountsDir: string;
  /** The repository root (for the report bundle and its placeholder). */
  readonly repoRoot: string;
  /** Where the cloud assembly goes. */
  readonly outdir: string;
  /**
   * The report Lambda's bundle directory.
   * @default the report-lambda package's bundle, else a placeholder (see resolveReportBundle)
   */
  readonly reportBundleDir?: string;
  /** @default DEFAULT_REPORT_SENDER */
  readonly reportSender?: string;
  /** @default DEFAULT_REPORT_RECIPIENTS */
  readonly reportRecipients?: readonly string[];
  /**
   * Run the cdk-nag packs during synthesis.
   * @default true
   */
  readonly nag?: boolean;
  /** A configuration already loaded (the benchmark's generated ones); `accountsDir` is then only used for the CA bundle. */
  readonly config?: JitConfig;
}

export interface SynthResult {
  readonly config: JitConfig;
  readonly assembly: CloudAssembly;
  readonly stacks: JitStacks;
  readonly bundle: ReportBundle;
  readonly nag?: NagCollector;
}

/** Reads `accounts/`, builds every stack and synthesizes them into `outdir`. No AWS calls, no lookups. */
export async function synthesize(options: SynthOptions): Promise<SynthResult> {
  const config = options.config ?? (await loadConfig(options.accountsDir));
  let caBundlePem: string | undefined;
  if (config.agent.kind === 'roles-anywhere' && config.agent.certificate.caBundleFile !== undefined) {
    const file = path.resolve(options.accountsDir, config.agent.certificate.caBundleFile);
    try {
      caBundlePem = await readFile(file, 'utf8');
    } catch (cause) {
      throw new StacksError(
        StacksErrorCode.PropsInvalid,
        `cannot read the agent's CA bundle ${file} (agent.certificate.caBundleFile)`,
        {
          suggestion: 'the path is relative to the accounts/ folder',
          cause,
        },
      );
    }
  }
  const bundle = resolveReportBundle({
    repoRoot: options.repoRoot,
    ...(options.reportBundleDir === undefined ? {} : { bundleDir: options.reportBundleDir }),
  });
  const app = new App({ outdir: options.outdir });
  const stacks = addJitStacks(app, {
    config,
    ...(caBundlePem === undefined ? {} : { caBundlePem }),
    report: {
      bundleDir: bundle.dir,
      sender: options.reportSender ?? DEFAULT_REPORT_SENDER,
      recipients: options.reportRecipients ?? DEFAULT_REPORT_RECIPIENTS,
    },
  });
  const nag = options.nag === false ? undefined : applyNagPacks(app);
  const assembly = app.synth();
  return { config, assembly, stacks, bundle, ...(nag ? { nag } : {}) };
}
