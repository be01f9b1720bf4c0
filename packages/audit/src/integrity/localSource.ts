import { readdir, readFile, realpath } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { IntegrityError, IntegrityErrorCode } from './errors.js';
import { EXPORT_MANIFEST_FILE, type ExportManifest, keyToSegments, parseExportManifest } from './exportManifest.js';
import { compareKeys, type IntegritySource, type PublicKeyInfo, type SourceObject, type TrailInfo } from './source.js';

/**
 * A local copy of the trail bucket plus its `jit-audit-export.json` sidecar (see exportManifest.ts).
 * Auditors often receive exactly this. The public keys come from the sidecar: whoever made the export
 * could have replaced them, so confirm the fingerprints against `aws cloudtrail list-public-keys` (the
 * verifier reports the fingerprints it used).
 */
export interface LocalFolderSource extends IntegritySource {
  readonly root: string;
  readonly manifest: ExportManifest;
}

function isNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}

async function walk(root: string, relative: string[], out: string[]): Promise<void> {
  const entries = await readdir(join(root, ...relative), { withFileTypes: true });
  for (const entry of entries) {
    // Symbolic links are not followed: an export must not make the verifier read outside its root.
    if (entry.isDirectory()) {
      await walk(root, [...relative, entry.name], out);
    } else if (entry.isFile()) {
      if (relative.length === 0 && entry.name === EXPORT_MANIFEST_FILE) continue;
      out.push([...relative, entry.name].join('/'));
    }
  }
}

export async function createLocalFolderSource(directory: string): Promise<LocalFolderSource> {
  const root = resolve(directory);
  let text: string;
  try {
    text = await readFile(join(root, EXPORT_MANIFEST_FILE), 'utf8');
  } catch (error) {
    throw new IntegrityError(
      IntegrityErrorCode.InvalidExport,
      `--local ${directory}: no ${EXPORT_MANIFEST_FILE} in that folder; allowed: the root of an export made by exportBucket()`,
      {
        cause: error,
        suggestion: `A plain copy of the bucket loses the digests' signatures; create the export with exportBucket() or add ${EXPORT_MANIFEST_FILE} (see packages/audit/src/integrity/README.md).`,
      },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new IntegrityError(IntegrityErrorCode.InvalidExport, `${EXPORT_MANIFEST_FILE}: not valid JSON`, {
      cause: error,
    });
  }
  const manifest = parseExportManifest(parsed);
  const realRoot = await realpath(root);
  let keys: string[] | undefined;

  const allKeys = async (): Promise<string[]> => {
    if (keys === undefined) {
      const found: string[] = [];
      await walk(root, [], found);
      keys = found.sort(compareKeys);
    }
    return keys;
  };

  const assertBucket = (bucket: string): void => {
    if (bucket !== manifest.bucket) {
      throw new IntegrityError(
        IntegrityErrorCode.InvalidOption,
        `--s3-bucket: got ${JSON.stringify(bucket)}, which is not in this export; allowed: ${JSON.stringify(manifest.bucket)} (the bucket it holds)`,
      );
    }
  };

  const publicKeys: PublicKeyInfo[] = manifest.publicKeys.map((key) => ({
    fingerprint: key.fingerprint,
    value: Buffer.from(key.value, 'base64'),
    validityStartTime: key.validityStartTime === null ? undefined : new Date(key.validityStartTime),
    validityEndTime: key.validityEndTime === null ? undefined : new Date(key.validityEndTime),
  }));

  return {
    root,
    manifest,
    description: `local export ${root} (bucket ${manifest.bucket})`,
    defaultBucket: manifest.bucket,

    async *listKeys({ bucket, prefix, startAfter }) {
      assertBucket(bucket);
      for (const key of await allKeys()) {
        if (!key.startsWith(prefix)) continue;
        if (startAfter !== undefined && compareKeys(key, startAfter) <= 0) continue;
        yield key;
      }
    },

    async listCommonPrefixes({ bucket, prefix }) {
      assertBucket(bucket);
      const found = new Set<string>();
      for (const key of await allKeys()) {
        if (!key.startsWith(prefix)) continue;
        const slash = key.indexOf('/', prefix.length);
        if (slash !== -1) found.add(key.slice(0, slash + 1));
      }
      return [...found].sort(compareKeys);
    },

    async getObject({ bucket, key }): Promise<SourceObject | undefined> {
      if (bucket !== manifest.bucket) return undefined;
      const segments = keyToSegments(key);
      if (segments === undefined) return undefined;
      let body: Buffer;
      try {
        const path = await realpath(join(root, ...segments));
        // A symbolic link inside the export must not make the verifier read a file outside it.
        if (!path.startsWith(realRoot + sep)) return undefined;
        body = await readFile(path);
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
      return { body, metadata: manifest.metadata[key] ?? {} };
    },

    async listPublicKeys({ start, end }) {
      return publicKeys.filter(
        (key) =>
          (key.validityStartTime === undefined || key.validityStartTime.getTime() <= end.getTime()) &&
          (key.validityEndTime === undefined || key.validityEndTime.getTime() >= start.getTime()),
      );
    },

    async describeTrail(arn): Promise<TrailInfo | undefined> {
      const trail = manifest.trails.find((entry) => entry.arn === arn);
      if (trail === undefined) return undefined;
      return {
        arn: trail.arn,
        name: trail.name,
        bucket: trail.bucket,
        prefix: trail.prefix ?? undefined,
        homeRegion: trail.homeRegion ?? undefined,
        isOrganizationTrail: trail.isOrganizationTrail,
        logFileValidationEnabled: trail.logFileValidationEnabled ?? undefined,
      };
    },
  };
}
