import { defineProjectConfig } from '../../vitest.shared.mjs';

// Two projects so that a unit run does not start the local environment: only the integration
// project has the global setup (moto + edge, one for the whole run).
const base = defineProjectConfig(import.meta.dirname);

export default {
  ...base,
  test: {
    ...base.test,
    // Each project names its own files (a project's include is added to the root's, not replacing it).
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
        },
      },
    ],
  },
};
