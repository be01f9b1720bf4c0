import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createLocalFolderSource,
  EXPORT_MANIFEST_FILE,
  exportBucket,
  IntegrityError,
  type IntegritySource,
  parseExportManifest,
  verifyTrail,
} from '../../src/integrity/index.js';
import { createLimiter } from '../../src/integrity/limiter.js';
import { BASE_TIME, Scenario } from '../helpers/integrityScenario.js';

const roots: string[] = [];
async function freshRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'jit-sources-'));
  roots.push(root);
  return root;
}
afterAll(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

async function collect(iterable: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe('createLimiter', () => {
  it('never runs more tasks at once than allowed, and runs high priority tasks first', async () => {
    const limiter = createLimiter(2);
    let active = 0;
    let peak = 0;
    const order: string[] = [];
    const releases: (() => void)[] = [];
    const task = (name: string) => async () => {
      active += 1;
      peak = Math.max(peak, active);
      order.push(name);
      await new Promise<void>((resolve) => releases.push(resolve));
      active -= 1;
    };
    const all = [
      limiter.run('low', task('low-1')),
      limiter.run('low', task('low-2')),
      limiter.run('low', task('low-3')),
      limiter.run('high', task('high-1')),
    ];
    while (order.length < 4) {
      await Promise.resolve();
      await new Promise((resolve) => setImmediate(resolve));
      releases.shift()?.();
    }
    releases.forEach((release) => {
      release();
    });
    await Promise.all(all);
    expect(peak).toBe(2);
    expect(order).toEqual(['low-1', 'low-2', 'high-1', 'low-3']);
  });

  it('passes a failing task’s error to its caller and keeps going', async () => {
    const limiter = createLimiter(1);
    await expect(limiter.run('low', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(limiter.run('low', async () => 7)).resolves.toBe(7);
  });
});

describe('createLocalFolderSource', () => {
  it('lists keys in S3 order after a marker, returns metadata, and says undefined for a missing key', async () => {
    const scenario = new Scenario(await freshRoot());
    const { digests } = await scenario.addChain({ from: BASE_TIME, count: 2 });
    await scenario.save();
    const source = await createLocalFolderSource(scenario.root);
    const first = digests[0];
    if (first === undefined) throw new Error('no digest');
    const keys = await collect(
      source.listKeys({ bucket: scenario.trail.bucket, prefix: 'AWSLogs/111122223333/CloudTrail-Digest/' }),
    );
    expect(keys).toEqual(digests.map((digest) => digest.key));
    const after = await collect(
      source.listKeys({ bucket: scenario.trail.bucket, prefix: 'AWSLogs/', startAfter: first.key }),
    );
    // '-' sorts before '/', so log files (CloudTrail/) come after every digest (CloudTrail-Digest/).
    expect(after).toHaveLength(5);
    expect(after[0]).toBe(digests[1]?.key);
    expect(after.slice(1).every((key) => key.includes('/CloudTrail/'))).toBe(true);
    const object = await source.getObject({ bucket: scenario.trail.bucket, key: first.key });
    expect(object?.metadata).toEqual(first.metadata);
    expect(await source.getObject({ bucket: scenario.trail.bucket, key: 'AWSLogs/none.json.gz' })).toBeUndefined();
    expect(await source.getObject({ bucket: scenario.trail.bucket, key: '../escape' })).toBeUndefined();
    expect(await source.listCommonPrefixes({ bucket: scenario.trail.bucket, prefix: 'AWSLogs/' })).toEqual([
      'AWSLogs/111122223333/',
    ]);
  });

  it('does not follow a symbolic link out of the export', async () => {
    const scenario = new Scenario(await freshRoot());
    await scenario.save();
    const outside = await freshRoot();
    await writeFile(join(outside, 'secret.txt'), 'outside');
    await mkdir(join(scenario.root, 'AWSLogs'), { recursive: true });
    await symlink(outside, join(scenario.root, 'AWSLogs', 'link'));
    const source = await createLocalFolderSource(scenario.root);
    expect(await source.getObject({ bucket: scenario.trail.bucket, key: 'AWSLogs/link/secret.txt' })).toBeUndefined();
    expect(await collect(source.listKeys({ bucket: scenario.trail.bucket, prefix: '' }))).toEqual([]);
  });

  it('refuses a folder without the sidecar, saying what is missing and how to make it', async () => {
    const root = await freshRoot();
    const error = await createLocalFolderSource(root).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(IntegrityError);
    expect((error as IntegrityError).code).toBe('INTEGRITY_INVALID_EXPORT');
    expect((error as IntegrityError).message).toContain(`no ${EXPORT_MANIFEST_FILE}`);
    expect((error as IntegrityError).suggestion).toContain('exportBucket');
  });

  it('refuses a sidecar with a bad field, naming it', () => {
    expect(() => parseExportManifest({ formatVersion: 2, bucket: 'b-b-b' })).toThrow(
      'jit-audit-export.json: formatVersion: got 2; allowed: 1',
    );
    expect(() =>
      parseExportManifest({
        formatVersion: 1,
        bucket: 'bucket',
        exportedAt: '2024-03-01T00:00:00Z',
        metadata: { k: { signature: 5 } },
      }),
    ).toThrow('jit-audit-export.json: metadata["k"].signature: got 5; allowed: a string');
    expect(() =>
      parseExportManifest({
        formatVersion: 1,
        bucket: 'bucket',
        exportedAt: '2024-03-01T00:00:00Z',
        publicKeys: [{ fingerprint: 'f', value: 'not base64!' }],
      }),
    ).toThrow('publicKeys[0].value');
  });
});

/** A bucket held in memory: the smallest IntegritySource, for keys a folder could never hold. */
function memorySource(bucket: string, objects: Record<string, Buffer>): IntegritySource {
  const keys = Object.keys(objects).sort();
  return {
    description: 'memory',
    defaultBucket: bucket,
    async *listKeys({ prefix }) {
      for (const key of keys) if (key.startsWith(prefix)) yield key;
    },
    async listCommonPrefixes() {
      return [];
    },
    async getObject({ key }) {
      const body = objects[key];
      return body === undefined ? undefined : { body, metadata: {} };
    },
    async listPublicKeys() {
      return [];
    },
    async describeTrail() {
      return undefined;
    },
  };
}

describe('exportBucket', () => {
  it('produces an export that verifies exactly like the original', async () => {
    const scenario = new Scenario(await freshRoot());
    await scenario.addChain({ from: BASE_TIME, count: 3 });
    await scenario.save();
    const original = await createLocalFolderSource(scenario.root);
    const destination = join(await freshRoot(), 'export');
    const exported = await exportBucket({
      source: original,
      bucket: scenario.trail.bucket,
      destination,
      trailArns: [scenario.trailArn],
      now: () => new Date('2024-04-01T00:00:00Z'),
    });
    expect(exported).toMatchObject({ objects: 9, digests: 3, publicKeys: 1, skipped: [] });
    const options = {
      start: new Date('2024-03-01T00:00:00Z'),
      end: new Date('2024-03-01T03:00:00Z'),
      trailArn: scenario.trailArn,
    };
    const before = await verifyTrail({ ...options, source: original });
    const after = await verifyTrail({ ...options, source: await createLocalFolderSource(destination) });
    expect({ ...after, source: '' }).toEqual({ ...before, source: '' });
    expect(after.ok).toBe(true);
    const manifest = JSON.parse(await readFile(join(destination, EXPORT_MANIFEST_FILE), 'utf8')) as {
      exportedAt: string;
    };
    expect(manifest.exportedAt).toBe('2024-04-01T00:00:00.000Z');
  });

  it('refuses a destination that already holds files', async () => {
    const destination = await freshRoot();
    await writeFile(join(destination, 'old.txt'), 'x');
    await expect(exportBucket({ source: memorySource('bucket', {}), bucket: 'bucket', destination })).rejects.toThrow(
      /destination: .* holds 1 entry; allowed: an empty or absent folder/,
    );
  });

  it('skips keys a folder cannot hold safely and says why', async () => {
    const destination = join(await freshRoot(), 'export');
    const result = await exportBucket({
      source: memorySource('bucket', {
        'AWSLogs/../../etc/passwd': Buffer.from('x'),
        'AWSLogs/ok.json.gz': Buffer.from('y'),
      }),
      bucket: 'bucket',
      destination,
    });
    expect(result.objects).toBe(1);
    expect(result.skipped).toEqual([{ key: 'AWSLogs/../../etc/passwd', reason: expect.stringContaining('".."') }]);
    expect((await readdir(destination)).sort()).toEqual(['AWSLogs', EXPORT_MANIFEST_FILE]);
  });
});
