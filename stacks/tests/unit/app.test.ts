import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { JitConfig } from '@jit-access/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  REPORT_PLACEHOLDER_DIR,
  resolveReportBundle,
  STACK_NAMES,
  type SynthResult,
  synthesize,
} from '../../src/index.js';
import {
  ACCOUNTS_DIR,
  exampleConfig,
  fakeBundle,
  tempDir,
  withOrganization,
  withRolesAnywhere,
} from '../support/fixtures.js';
import { synthAll } from '../support/synth.js';

let config: JitConfig;
let result: SynthResult;

beforeAll(async () => {
  config = await exampleConfig();
  result = await synthAll({ prefix: 'app' });
});

describe('the CDK app', () => {
  it('synthesizes every stack of the example into its own account and region', () => {
    const envs = Object.fromEntries(
      result.assembly.stacks.map((s) => [s.stackName, `${s.environment.account}/${s.environment.region}`]),
    );
    const at = (account: string) => `${account}/${config.region}`;
    expect(envs).toEqual({
      'Jit-Hub': at('444444444444'),
      'Jit-LogArchive': at('555555555555'),
      'Jit-Report': at('555555555555'),
      'Jit-Workload-identity': at('333333333333'),
      'Jit-Workload-production': at('222222222222'),
      'Jit-Workload-staging': at('111111111111'),
      'Jit-Trail-tooling': at('444444444444'),
      'Jit-Trail-log-archive': at('555555555555'),
      'Jit-Trail-identity': at('333333333333'),
      'Jit-Trail-production': at('222222222222'),
      'Jit-Trail-staging': at('111111111111'),
      'Jit-Workload-StackSet': 'unknown-account/unknown-region',
    });
  });

  it('records the deploy order: every trail after the log archive, the report after it too', () => {
    const stacks = new Map(result.assembly.stacks.map((s) => [s.stackName, s]));
    for (const s of result.assembly.stacks.filter((x) => x.stackName.startsWith('Jit-Trail-'))) {
      expect(s.dependencies.map((d) => d.id)).toContain(STACK_NAMES.logArchive);
    }
    expect(stacks.get(STACK_NAMES.report)?.dependencies.map((d) => d.id)).toContain(STACK_NAMES.logArchive);
  });

  it('uses no context lookups: the assembly needs no AWS account to synthesize', () => {
    const manifest = JSON.parse(readFileSync(path.join(result.assembly.directory, 'manifest.json'), 'utf8')) as {
      missing?: unknown[];
    };
    expect(manifest.missing ?? []).toEqual([]);
  });

  it('makes one organization trail, in the management account, when the configuration has an organization', async () => {
    const org = await synthAll({ prefix: 'app-org', config: withOrganization(config) });
    const trails = org.assembly.stacks.filter((s) => s.stackName.includes('Trail'));
    expect(trails.map((s) => `${s.stackName} ${s.environment.account}`)).toEqual(['Jit-OrgTrail 666666666666']);
  });

  it('reads the Roles Anywhere CA bundle named by the configuration, relative to accounts/', async () => {
    const ra = await synthAll({ prefix: 'app-ra', config: withRolesAnywhere(config) });
    const hub = ra.assembly.getStackByName(STACK_NAMES.hub).template as { Resources: Record<string, { Type: string }> };
    expect(Object.values(hub.Resources).some((r) => r.Type === 'AWS::RolesAnywhere::TrustAnchor')).toBe(true);
  });

  it('fails with the file named when the CA bundle cannot be read', async () => {
    await expect(
      synthesize({
        accountsDir: ACCOUNTS_DIR,
        repoRoot: tempDir('repo'),
        outdir: tempDir('out'),
        reportBundleDir: fakeBundle(),
        config: withRolesAnywhere(config),
      }),
    ).rejects.toThrow(/cannot read the agent's CA bundle .*agent-ca\.pem \(agent\.certificate\.caBundleFile\)/);
  });
});

describe('the report bundle', () => {
  it('uses a clearly named placeholder when the report-lambda bundle has not been built, and says so', () => {
    const repoRoot = tempDir('repo');
    const bundle = resolveReportBundle({ repoRoot });
    expect(bundle.placeholder).toBe(true);
    expect(bundle.dir).toBe(path.join(repoRoot, REPORT_PLACEHOLDER_DIR));
    expect(readFileSync(path.join(bundle.dir, 'index.mjs'), 'utf8')).toMatch(/PLACEHOLDER/);
  });

  it('uses the bundle given', () => {
    const dir = fakeBundle();
    expect(resolveReportBundle({ repoRoot: tempDir('repo'), bundleDir: dir })).toEqual({ dir, placeholder: false });
  });

  it('fails for a bundle directory without a handler', () => {
    const dir = tempDir('empty');
    expect(() => resolveReportBundle({ repoRoot: tempDir('repo'), bundleDir: dir })).toThrow(
      /holds no index\.mjs or index\.js/,
    );
    expect(existsSync(path.join(dir, 'index.mjs'))).toBe(false);
  });
});
