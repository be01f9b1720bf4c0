import { defineProjectConfig } from '../../vitest.shared.mjs';

// Two projects so that a unit run does not start the local environment: only the integration
// project has the global setup (moto + edge + its CloudTrail, one for the whole run).
const base = defineProjectConfig(import.meta.dirname);

export default {
  ...base,
  test: {
    ...base.test,
    include: [],
    projects: [
      { extends: true, test: { name: 'unit', include: ['tests/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          globalSetup: ['../../tools/local-aws/src/testing/globalSetup.ts'],
          testTimeout: 60_000,
          // The *-localenv files share one local environment (its trail and its roles): one file at a
          // time, so a revocation deny attached by one cannot refuse another's calls.
          fileParallelism: false,
        },
      },
    ],
  },
};
