/**
 * Vitest global setup: one local environment for a whole test run.
 *
 *   // vitest.config.ts
 *   defineProjectConfig(import.meta.dirname, { globalSetup: ['../../tools/local-aws/src/testing/globalSetup.ts'] })
 *   // a test
 *   import { inject } from 'vitest';
 *   const localAws = inject('localAws');
 *
 * Ports are free loopback ports; teardown stops the edge and moto even when tests fail, and moto
 * exits on its own if the test process dies without a teardown.
 */
import type { TestProject } from 'vitest/node';
import { startLocalAws } from '../lifecycle.js';
import type { LocalAwsTestContext } from './context.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const env = await startLocalAws({
    ...(process.env.JIT_LOCAL_AWS_S3_LATENCY_MS === undefined
      ? {}
      : { s3LatencyMs: Number(process.env.JIT_LOCAL_AWS_S3_LATENCY_MS) }),
  });
  const context: LocalAwsTestContext = {
    endpoint: env.endpoint,
    region: env.region,
    motoEndpoint: env.motoEndpoint,
    accounts: env.accounts,
    profiles: env.profiles,
    configFile: env.configFile,
    credentialsFile: env.credentialsFile,
    stateDir: env.stateDir,
    motoPid: env.motoPid,
    widenings: env.widenings,
  };
  project.provide('localAws', context);
  return () => env.stop();
}
