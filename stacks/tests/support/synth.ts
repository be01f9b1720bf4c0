import type { JitConfig } from '@jit-access/core';
import { type SynthResult, synthesize } from '../../src/index.js';
import { ACCOUNTS_DIR, FIXTURES_DIR, fakeBundle, REPO_ROOT, tempDir } from './fixtures.js';

/** Synthesizes every stack for a configuration into a fresh folder, offline, with a stand-in report bundle. */
export function synthAll(options: {
  readonly config?: JitConfig;
  readonly nag?: boolean;
  readonly prefix: string;
}): Promise<SynthResult> {
  return synthesize({
    accountsDir: options.config?.agent.kind === 'roles-anywhere' ? FIXTURES_DIR : ACCOUNTS_DIR,
    repoRoot: REPO_ROOT,
    outdir: tempDir(options.prefix),
    reportBundleDir: fakeBundle(),
    nag: options.nag ?? false,
    ...(options.config ? { config: options.config } : {}),
  });
}
