import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { StacksError, StacksErrorCode } from './errors.js';

/** Where the report Lambda's Nx `bundle` target writes its bundle, relative to the repository root. */
export const REPORT_BUNDLE_DIR = 'packages/report-lambda/dist-bundle';
/** Where the stand-in is written when that bundle does not exist yet, relative to the repository root. */
export const REPORT_PLACEHOLDER_DIR = 'stacks/tmp/report-lambda-placeholder';

const PLACEHOLDER = `// PLACEHOLDER written by stacks (reportBundle.ts): the report Lambda's bundle
// (${REPORT_BUNDLE_DIR}) did not exist when the stacks were synthesized.
// Build it (nx run @jit-access/report-lambda:bundle) and synthesize again before deploying.
export const handler = async () => {
  throw new Error('jit-access report Lambda placeholder: deploy the real bundle');
};
`;

function hasHandler(dir: string): boolean {
  return existsSync(path.join(dir, 'index.mjs')) || existsSync(path.join(dir, 'index.js'));
}

export interface ReportBundle {
  readonly dir: string;
  /** True when the stand-in was used: such a synthesis must not be deployed. */
  readonly placeholder: boolean;
}

/**
 * The report Lambda's bundle directory: the one given, else the report-lambda package's bundle,
 * else a clearly named placeholder (written here) so that the stacks still synthesize and the
 * gates still run before that package has its bundle.
 */
export function resolveReportBundle(options: { readonly repoRoot: string; readonly bundleDir?: string }): ReportBundle {
  if (options.bundleDir !== undefined) {
    if (!hasHandler(options.bundleDir)) {
      throw new StacksError(
        StacksErrorCode.ReportBundleMissing,
        `the report bundle directory ${options.bundleDir} holds no index.mjs or index.js`,
        { suggestion: 'build it with nx run @jit-access/report-lambda:bundle, or leave JIT_REPORT_BUNDLE_DIR unset' },
      );
    }
    return { dir: options.bundleDir, placeholder: false };
  }
  const real = path.join(options.repoRoot, REPORT_BUNDLE_DIR);
  if (hasHandler(real)) return { dir: real, placeholder: false };
  const dir = path.join(options.repoRoot, REPORT_PLACEHOLDER_DIR);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'index.mjs'), PLACEHOLDER);
  return { dir, placeholder: true };
}
