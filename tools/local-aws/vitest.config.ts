import { defineProjectConfig } from '../../vitest.shared.mjs';

// One local environment (moto + edge) for the whole run; unit tests do not use it.
export default defineProjectConfig(import.meta.dirname, { globalSetup: ['src/testing/globalSetup.ts'] });
