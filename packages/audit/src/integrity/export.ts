import { mkdir, readdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { IntegrityError, IntegrityErrorCode } from './errors.js';
import {
  EXPORT_FORMAT_VERSION,
  EXPORT_MANIFEST_FILE,
  type ExportManifest,
  keyToSegments,
  manifestPublicKey,
  manifestTrail,
} from './exportManifest.js';
import { parseCloudTrailDigestKey } from './keys.js';
import { createLimiter } from './limiter.js';
import type { IntegritySource, PublicKeyInfo } from './source.js';

export interface ExportBucketOptions {
  readonly source: IntegritySource;
  readonly bucket: string;
  /** Raw key prefix to copy, e.g. `AWSLogs/` or `logs/AWSLogs/o-abc/123456789012/`. @default '' (everything) */
  readonly prefix?: string | undefined;
  /** An empty or absent folder. */
  readonly destination: string;
  /** Trails to describe in the sidecar (bucket, prefix, organization flag) so offline verification needs fewer flags. */
  readonly trailArns?: readonly string[] | undefined;
  /** @default 16 */
  readonly concurrency?: number | undefined;
  readonly onProgress?: ((progress: { readonly listed: number; readonly copied: number }) => void) | undefined;
  /** @default () => new Date() */
  readonly now?: (() => Date) | undefined;
}

export interface ExportBucketResult {
  readonly destination: string;
  readonly manifestPath: string;
  readonly objects: number;
  readonly bytes: number;
  readonly digests: number;
  readonly publicKeys: number;
  /** Keys that a folder cannot hold (e.g. `..` segments) or that vanished while copying. */
  readonly skipped: readonly { readonly key: string; readonly reason: string }[];
}

const DAY = 86_400_000;

/**
 * Copies a trail bucket (or part of it) into a folder and writes the `jit-audit-export.json` sidecar with
 * the digests' metadata and the public keys covering them, so `jit-audit verify --local` works offline.
 */
export async function exportBucket(options: ExportBucketOptions): Promise<ExportBucketResult> {
  const destination = resolve(options.destination);
  const prefix = options.prefix ?? '';
  let existing: string[] = [];
  try {
    existing = await readdir(destination);
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ENOENT') throw error;
  }
  if (existing.length > 0) {
    throw new IntegrityError(
      IntegrityErrorCode.InvalidOption,
      `destination: ${destination} holds ${existing.length} entr${existing.length === 1 ? 'y' : 'ies'}; allowed: an empty or absent folder`,
      { suggestion: 'Export into a new folder so old and new objects cannot mix.' },
    );
  }
  await mkdir(destination, { recursive: true });

  const limiter = createLimiter(options.concurrency ?? 16);
  const metadata: Record<string, Record<string, string>> = {};
  const skipped: { key: string; reason: string }[] = [];
  let listed = 0;
  let copied = 0;
  let bytes = 0;
  let digests = 0;
  let earliest: number | undefined;
  let latest: number | undefined;
  const widen = (ms: number): void => {
    earliest = earliest === undefined ? ms : Math.min(earliest, ms);
    latest = latest === undefined ? ms : Math.max(latest, ms);
  };
  const inFlight = new Set<Promise<void>>();
  const queueLimit = (options.concurrency ?? 16) * 4;

  for await (const key of options.source.listKeys({ bucket: options.bucket, prefix })) {
    listed += 1;
    const segments = keyToSegments(key);
    if (segments === undefined) {
      skipped.push({ key, reason: 'the key cannot be stored as a path (empty, "." or ".." segments, or a backslash)' });
      continue;
    }
    const digestKey = parseCloudTrailDigestKey(key);
    if (digestKey !== undefined) {
      digests += 1;
      widen(digestKey.endTime.getTime());
    }
    // Backpressure: a bucket may hold millions of keys; queue only a few batches ahead of the downloads.
    while (inFlight.size >= queueLimit) await Promise.race(inFlight);
    const task: Promise<void> = limiter
      .run('low', async () => {
        const object = await options.source.getObject({ bucket: options.bucket, key });
        if (object === undefined) {
          skipped.push({ key, reason: 'deleted while the export ran' });
          return;
        }
        const path = join(destination, ...segments);
        try {
          await mkdir(dirname(path), { recursive: true });
          await writeFile(path, object.body, { flag: 'wx' });
        } catch (error) {
          skipped.push({
            key,
            reason: `cannot write ${path}: ${error instanceof Error ? error.message : String(error)}`,
          });
          return;
        }
        if (Object.keys(object.metadata).length > 0) metadata[key] = { ...object.metadata };
        const generated = object.metadata['backfill-generation-timestamp'];
        if (generated !== undefined && !Number.isNaN(Date.parse(generated))) widen(Date.parse(generated));
        bytes += object.body.byteLength;
        copied += 1;
        options.onProgress?.({ listed, copied });
      })
      .finally(() => inFlight.delete(task));
    // Observed by Promise.race/all below; this branch only keeps an early failure from going unhandled.
    task.catch(() => undefined);
    inFlight.add(task);
  }
  await Promise.all(inFlight);

  let publicKeys: PublicKeyInfo[] = [];
  if (earliest !== undefined && latest !== undefined) {
    publicKeys = await options.source.listPublicKeys({ start: new Date(earliest - DAY), end: new Date(latest + DAY) });
  }
  const trails = [];
  for (const arn of options.trailArns ?? []) {
    const trail = await options.source.describeTrail(arn);
    if (trail === undefined) {
      throw new IntegrityError(IntegrityErrorCode.TrailNotFound, `trailArns: ${arn} is not a trail the source knows`);
    }
    trails.push(manifestTrail(trail));
  }
  const sortedMetadata: Record<string, Record<string, string>> = {};
  for (const key of Object.keys(metadata).sort()) {
    const entry = metadata[key];
    if (entry !== undefined) sortedMetadata[key] = entry;
  }
  const manifest: ExportManifest = {
    formatVersion: EXPORT_FORMAT_VERSION,
    bucket: options.bucket,
    prefix: prefix === '' ? null : prefix,
    exportedAt: (options.now?.() ?? new Date()).toISOString(),
    metadata: sortedMetadata,
    publicKeys: publicKeys.map(manifestPublicKey),
    trails,
  };
  const manifestPath = join(destination, EXPORT_MANIFEST_FILE);
  // Written last and renamed into place: a half-finished export has no sidecar and is refused.
  await writeFile(`${manifestPath}.tmp`, `${JSON.stringify(manifest, null, 2)}\n`, { flag: 'wx' });
  await rename(`${manifestPath}.tmp`, manifestPath);
  return { destination, manifestPath, objects: copied, bytes, digests, publicKeys: publicKeys.length, skipped };
}
