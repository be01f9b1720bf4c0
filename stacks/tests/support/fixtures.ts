import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type JitConfig, loadConfig } from '@jit-access/core';

export const STACKS_DIR = path.resolve(import.meta.dirname, '../..');
export const REPO_ROOT = path.resolve(STACKS_DIR, '..');
export const ACCOUNTS_DIR = path.join(REPO_ROOT, 'accounts');
export const FIXTURES_DIR = path.join(STACKS_DIR, 'tests', 'fixtures');

/** The example configuration in accounts/. */
export function exampleConfig(): Promise<JitConfig> {
  return loadConfig(ACCOUNTS_DIR);
}

/** A fresh temporary folder for one test file's cloud assembly. */
export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), `jit-stacks-${prefix}-`));
}

/** A report bundle stand-in for stack tests (the real one is the report-lambda package's). */
export function fakeBundle(): string {
  const dir = tempDir('bundle');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'index.mjs'), 'export const handler = async () => ({ sent: 0 });\n');
  return dir;
}

/** The example configuration with an AWS Organization (one organization trail). */
export function withOrganization(config: JitConfig): JitConfig {
  return { ...config, organizationId: 'o-a1b2c3d4e5', management: { id: '666666666666', name: 'management' } };
}

/** The example configuration with a Roles Anywhere agent. */
export function withRolesAnywhere(config: JitConfig): JitConfig {
  return {
    ...config,
    agent: {
      kind: 'roles-anywhere',
      roleName: 'JitAgentRole',
      certificate: { commonName: 'jit-agent.example.internal', caBundleFile: 'agent-ca.pem' },
    },
  };
}
