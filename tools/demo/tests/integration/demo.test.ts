/**
 * `npm run demo` is the product's main job and its end-to-end test: it must finish with every
 * step behaving as described, leave nothing running and print no credential.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const CLI = path.resolve(import.meta.dirname, '../../dist/cli.js');

describe('npm run demo', () => {
  it('plays the whole story on the local environment and every step passes', async () => {
    const { stdout } = await run(process.execPath, [CLI], {
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 180_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    expect(stdout).toContain('Demo complete');
    expect(stdout).not.toContain('✗');
    for (const step of [
      '1. Standing access',
      '3. The approver approves exactly that request',
      '6. The approver revokes',
      "7. The auditor's report, from CloudTrail",
      '8. Log integrity',
      '9. The independent report Lambda',
    ]) {
      expect(stdout).toContain(step);
    }
    // Nothing credential-shaped beyond access key ids (which are identifiers, not secrets).
    expect(stdout).not.toMatch(/"?(SecretAccessKey|SessionToken)"?\s*[:=]\s*"?[A-Za-z0-9/+=]{20,}/);
  }, 200_000);
});
