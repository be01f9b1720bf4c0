// One Vitest setup for every project: tests run on TypeScript sources (the
// "@jit-access/source" export condition), so no build is needed before a test run.
import path from 'node:path';
import { defineConfig } from 'vitest/config';

const conditions = ['@jit-access/source', 'node', 'import', 'default'];

/**
 * @param {string} dir the project folder (import.meta.dirname)
 * @param {{ globalSetup?: string[], testTimeout?: number, hookTimeout?: number }} [options]
 */
export function defineProjectConfig(dir, options = {}) {
  return defineConfig({
    root: dir,
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: conditions } },
    test: {
      include: ['tests/**/*.test.ts'],
      environment: 'node',
      testTimeout: options.testTimeout ?? 30_000,
      hookTimeout: options.hookTimeout ?? 120_000,
      globalSetup: options.globalSetup ?? [],
      pool: 'forks',
      // One JSON report per project, summed into one closing line by scripts/test-summary.mjs.
      reporters: [
        'default',
        ['json', { outputFile: path.join(import.meta.dirname, 'test-results', `${path.basename(dir)}.json`) }],
      ],
    },
  });
}
