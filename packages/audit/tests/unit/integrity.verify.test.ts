import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  cloudTrailDigestKey,
  createLocalFolderSource,
  IntegrityError,
  type VerifyProgress,
  type VerifyResult,
  verifyTrail,
} from '../../src/integrity/index.js';
import { BASE_TIME, hoursAfterBase, Scenario } from '../helpers/integrityScenario.js';
import { type BuiltScenario, type Expected, SCENARIOS } from '../helpers/integrityScenarios.js';

const roots: string[] = [];
async function freshRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'jit-integrity-'));
  roots.push(root);
  return root;
}
afterAll(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

async function verifyBuilt(built: BuiltScenario, concurrency = 4): Promise<VerifyResult> {
  const { scenario } = built;
  return verifyTrail({
    source: await createLocalFolderSource(scenario.root),
    start: new Date(built.start),
    end: new Date(built.end),
    trailArn: scenario.trailArn,
    accountId: scenario.trail.accountId,
    organizationId: scenario.trail.organizationId,
    prefix: scenario.trail.prefix,
    concurrency,
  });
}

function sortedFiles(files: readonly { key: string; verdict: string; backfill?: boolean }[]) {
  return files
    .map((file) => ({ key: file.key, verdict: file.verdict, backfill: file.backfill ?? false }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function expectVerdicts(result: VerifyResult, expected: Expected): void {
  expect(sortedFiles(result.digests)).toEqual(sortedFiles(expected.digests));
  expect(sortedFiles(result.logs.map((log) => ({ key: log.key, verdict: log.verdict })))).toEqual(
    sortedFiles(expected.logs),
  );
  expect(result.findings.map((finding) => finding.code).sort()).toEqual(expected.findings);
  expect(result.gaps).toHaveLength(expected.gaps);
  expect(result.ok).toBe(expected.ok);
}

describe('verifyTrail on the tampering scenarios (local export)', () => {
  for (const definition of SCENARIOS) {
    it(`gives the expected verdict for every file: ${definition.name}`, async () => {
      const built = await definition.build(await freshRoot());
      const result = await verifyBuilt(built);
      expectVerdicts(result, built.expected);
    });
  }

  it('gives the same result with one download at a time as with many', async () => {
    const definition = SCENARIOS.find((entry) => entry.name === 'two digests in a row deleted');
    if (definition === undefined) throw new Error('scenario missing');
    const built = await definition.build(await freshRoot());
    const serial = await verifyBuilt(built, 1);
    const parallel = await verifyBuilt(built, 32);
    expect(parallel).toEqual(serial);
  });
});

describe('verifyTrail details', () => {
  it('counts like the CLI: valid and invalid digests, backfill digests and log files separately', async () => {
    const definition = SCENARIOS.find((entry) => entry.name === 'backfill digests');
    if (definition === undefined) throw new Error('scenario missing');
    const result = await verifyBuilt(await definition.build(await freshRoot()));
    expect(result.counts).toEqual({
      digests: { valid: 5, invalid: 0 },
      backfillDigests: { valid: 3, invalid: 0 },
      logs: { valid: 13, invalid: 0 },
    });
    expect(result.gaps[0]?.backfill).toBe(true);
  });

  it('reports the hole left by two deleted digests as a chain break spanning both hours', async () => {
    const definition = SCENARIOS.find((entry) => entry.name === 'two digests in a row deleted');
    if (definition === undefined) throw new Error('scenario missing');
    const result = await verifyBuilt(await definition.build(await freshRoot()));
    const chainBreak = result.findings.find((finding) => finding.code === 'chain-break');
    expect(chainBreak?.message).toContain('between 2024-03-01T02:00:31Z and 2024-03-01T04:00:31Z');
  });

  it('names the window in which logging stopped', async () => {
    const definition = SCENARIOS.find((entry) => entry.name.startsWith('logging stopped'));
    if (definition === undefined) throw new Error('scenario missing');
    const result = await verifyBuilt(await definition.build(await freshRoot()));
    expect(result.gaps).toEqual([
      expect.objectContaining({ backfill: false, from: '2024-03-01T03:00:31Z', to: '2024-03-01T05:00:31Z' }),
    ]);
  });

  it('stops with a chain-loop finding when two digests name each other, instead of walking forever', async () => {
    const scenario = new Scenario(await freshRoot());
    const log = await scenario.addLogFile(hoursAfterBase(0.5));
    const secondKey = cloudTrailDigestKey({ ...scenario.location, endTime: hoursAfterBase(2) });
    const first = await scenario.addDigest({
      start: BASE_TIME,
      end: hoursAfterBase(1),
      logs: [log],
      previous: { bucket: scenario.trail.bucket, key: secondKey, signature: '00', hashValue: '0'.repeat(64) },
    });
    await scenario.addDigest({ start: hoursAfterBase(1), end: hoursAfterBase(2), logs: [], previous: first });
    await scenario.save();
    const result = await verifyTrail({
      source: await createLocalFolderSource(scenario.root),
      start: new Date('2024-03-01T00:00:00Z'),
      end: new Date('2024-03-01T02:00:00Z'),
      trailArn: scenario.trailArn,
    });
    expect(result.findings.map((finding) => finding.code)).toContain('chain-loop');
    expect(result.ok).toBe(false);
  });

  it('reports digests hidden from the CLI behind a key with an unreadable timestamp', async () => {
    const scenario = new Scenario(await freshRoot());
    await scenario.addChain({ from: BASE_TIME, count: 2 });
    const tail = await scenario.addChain({ from: hoursAfterBase(24), count: 1 });
    // Sorts after the 2024/03/01 digests and before 2024/03/02 ones: the CLI's listing stops at it.
    const planted =
      'AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/03/01/111122223333_CloudTrail-Digest_us-east-1_jit-trail_us-east-1_zzzzzzzzzzzzzzzz.json.gz';
    await scenario.put(planted, Buffer.from('x'));
    await scenario.save();
    const result = await verifyTrail({
      source: await createLocalFolderSource(scenario.root),
      start: new Date('2024-03-01T00:00:00Z'),
      end: new Date('2024-03-02T02:00:00Z'),
      trailArn: scenario.trailArn,
    });
    expect(result.digests.map((digest) => digest.key)).not.toContain(tail.digests[0]?.key);
    expect(result.findings.map((finding) => finding.code).sort()).toEqual([
      'listing-cut-short',
      'unrecognised-digest-key',
    ]);
    expect(result.ok).toBe(false);
  });

  it('reports every public key it used, for comparison with ListPublicKeys', async () => {
    const definition = SCENARIOS[0];
    if (definition === undefined) throw new Error('scenario missing');
    const built = await definition.build(await freshRoot());
    const result = await verifyBuilt(built);
    expect(result.publicKeys.map((key) => key.fingerprint)).toEqual([built.scenario.keys.primary.fingerprint]);
  });

  it('gives every digest "unknown-key" and an error when the source has no public key for the range', async () => {
    const scenario = new Scenario(await freshRoot());
    await scenario.addChain({ from: BASE_TIME, count: 2 });
    scenario.publishedKeys = [];
    await scenario.save();
    const result = await verifyTrail({
      source: await createLocalFolderSource(scenario.root),
      start: new Date('2024-03-01T00:00:00Z'),
      end: new Date('2024-03-01T02:00:00Z'),
      trailArn: scenario.trailArn,
    });
    expect(result.digests.map((digest) => digest.verdict)).toEqual(['unknown-key', 'unknown-key']);
    expect(result.findings.map((finding) => finding.code).sort()).toEqual(['no-public-keys']);
  });

  it('leaves out the checks beyond the CLI when strictChain is false, but never passes an empty range', async () => {
    const trailing = SCENARIOS.find((entry) => entry.name.includes('second gzip member'));
    const empty = SCENARIOS.find((entry) => entry.name === 'an empty bucket');
    if (trailing === undefined || empty === undefined) throw new Error('scenario missing');
    for (const [definition, ok] of [
      [trailing, true],
      [empty, false],
    ] as const) {
      const built = await definition.build(await freshRoot());
      const result = await verifyTrail({
        source: await createLocalFolderSource(built.scenario.root),
        start: new Date(built.start),
        end: new Date(built.end),
        trailArn: built.scenario.trailArn,
        strictChain: false,
      });
      expect(result.ok).toBe(ok);
    }
  });

  it('emits progress events that end with every digest and log file checked', async () => {
    const definition = SCENARIOS[0];
    if (definition === undefined) throw new Error('scenario missing');
    const built = await definition.build(await freshRoot());
    const events: VerifyProgress[] = [];
    await verifyTrail({
      source: await createLocalFolderSource(built.scenario.root),
      start: new Date(built.start),
      end: new Date(built.end),
      trailArn: built.scenario.trailArn,
      onProgress: (progress) => events.push(progress),
    });
    expect(events[0]?.phase).toBe('listing');
    expect(events.at(-1)).toEqual({
      phase: 'done',
      digestsListed: 6,
      digestsChecked: 6,
      logsQueued: 12,
      logsChecked: 12,
    });
  });
});

describe('verifyTrail input checks', () => {
  it('refuses a start after the end, naming both values', async () => {
    const scenario = new Scenario(await freshRoot());
    await scenario.save();
    const error = await verifyTrail({
      source: await createLocalFolderSource(scenario.root),
      start: new Date('2024-03-02T00:00:00Z'),
      end: new Date('2024-03-01T00:00:00Z'),
      trailArn: scenario.trailArn,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(IntegrityError);
    expect((error as IntegrityError).code).toBe('INTEGRITY_INVALID_OPTION');
    expect((error as IntegrityError).message).toBe(
      'start: got 2024-03-02T00:00:00.000Z, which is after end 2024-03-01T00:00:00.000Z; allowed: a start at or before the end',
    );
  });

  it('refuses a malformed trail ARN and an out-of-range concurrency', async () => {
    const scenario = new Scenario(await freshRoot());
    await scenario.save();
    const local = await createLocalFolderSource(scenario.root);
    const base = { source: local, start: new Date('2024-03-01T00:00:00Z'), end: new Date('2024-03-01T01:00:00Z') };
    await expect(verifyTrail({ ...base, trailArn: 'arn:aws:s3:::bucket' })).rejects.toThrow(
      /trail ARN: got "arn:aws:s3:::bucket"/,
    );
    await expect(verifyTrail({ ...base, trailArn: scenario.trailArn, concurrency: 0 })).rejects.toThrow(
      'concurrency: got 0; allowed: an integer from 1 to 256',
    );
  });
});
