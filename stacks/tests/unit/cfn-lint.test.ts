import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CfnLintFinding, formatCfnLintFindings, readAssembly, runCfnLint } from '../../src/gates/index.js';
import { exampleConfig, tempDir, withOrganization, withRolesAnywhere } from '../support/fixtures.js';
import { synthAll } from '../support/synth.js';

let files: string[];
let findings: CfnLintFinding[];

beforeAll(async () => {
  const config = await exampleConfig();
  const a = await synthAll({ prefix: 'lint' });
  const b = await synthAll({ prefix: 'lint-org', config: withRolesAnywhere(withOrganization(config)) });
  const templates = [...(await readAssembly(a.assembly.directory)), ...(await readAssembly(b.assembly.directory))];
  files = templates.map((t) => t.file);
  findings = await runCfnLint(files);
}, 300_000);

describe('cfn-lint gate', () => {
  it('lints every synthesized template (example, and an organization with Roles Anywhere)', () => {
    // 12 stacks for the example; 8 with an organization (one trail instead of five).
    expect(files.length).toBe(12 + 8);
  });

  it('reports no error and no warning on any template', () => {
    expect(formatCfnLintFindings(findings.filter((f) => f.level !== 'Informational'))).toBe('');
  });

  it('reports a broken template (the gate can fail)', async () => {
    const file = path.join(tempDir('broken'), 'broken.template.json');
    writeFileSync(
      file,
      JSON.stringify({
        Resources: {
          Bucket: { Type: 'AWS::S3::Bucket', Properties: { VersioningConfiguration: { Status: 'Sometimes' } } },
        },
      }),
    );
    const found = await runCfnLint([file]);
    expect(found.some((f) => f.level === 'Error' && f.file === file)).toBe(true);
  });

  it('refuses to pass when cfn-lint cannot run', async () => {
    await expect(runCfnLint(files.slice(0, 1), { executable: 'cfn-lint-does-not-exist' })).rejects.toMatchObject({
      code: 'STACK_LINT_UNAVAILABLE',
    });
  });
});
