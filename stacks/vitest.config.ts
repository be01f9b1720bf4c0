import { defineProjectConfig } from '../vitest.shared.mjs';

// Synthesizing every stack and simulating thousands of IAM requests takes tens of seconds on a
// busy two-core machine: generous timeouts, so that load never fails a correct test.
export default defineProjectConfig(import.meta.dirname, { testTimeout: 180_000, hookTimeout: 300_000 });
