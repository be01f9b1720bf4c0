import { IntegrityError, IntegrityErrorCode } from './errors.js';
import type { PublicKeyInfo, TrailInfo } from './source.js';

/**
 * The sidecar of a local bucket export. A plain copy of a bucket keeps the objects but loses what the
 * verifier also needs: each digest's S3 user metadata (`signature`, `signature-algorithm`,
 * `backfill-generation-timestamp`) and CloudTrail's public keys. The sidecar keeps them, next to the
 * copied objects, at `<export root>/jit-audit-export.json`:
 *
 * ```json
 * {
 *   "formatVersion": 1,
 *   "bucket": "log-archive-123456789012",
 *   "prefix": null,
 *   "exportedAt": "2024-03-02T00:00:00Z",
 *   "metadata": { "AWSLogs/…/…_CloudTrail-Digest_….json.gz": { "signature": "9f…", "signature-algorithm": "SHA256withRSA" } },
 *   "publicKeys": [{ "fingerprint": "31e8…", "value": "<base64 of the DER PKCS#1 key>",
 *                    "validityStartTime": "2024-01-01T00:00:00Z", "validityEndTime": null }],
 *   "trails": [{ "arn": "arn:aws:cloudtrail:…", "name": "org-trail", "bucket": "…", "prefix": null,
 *                "homeRegion": "us-east-1", "isOrganizationTrail": true, "logFileValidationEnabled": true }]
 * }
 * ```
 *
 * Every other file under the root is an object whose key is its path relative to the root with `/`
 * separators. `metadata` lists only objects that have user metadata.
 */

export const EXPORT_MANIFEST_FILE = 'jit-audit-export.json';
export const EXPORT_FORMAT_VERSION = 1;

export interface ExportManifestPublicKey {
  readonly fingerprint: string;
  /** Base64 of the DER PKCS#1 public key. */
  readonly value: string;
  readonly validityStartTime: string | null;
  readonly validityEndTime: string | null;
}

export interface ExportManifestTrail {
  readonly arn: string;
  readonly name: string;
  readonly bucket: string;
  readonly prefix: string | null;
  readonly homeRegion: string | null;
  readonly isOrganizationTrail: boolean;
  readonly logFileValidationEnabled: boolean | null;
}

export interface ExportManifest {
  readonly formatVersion: typeof EXPORT_FORMAT_VERSION;
  readonly bucket: string;
  readonly prefix: string | null;
  readonly exportedAt: string;
  readonly metadata: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly publicKeys: readonly ExportManifestPublicKey[];
  readonly trails: readonly ExportManifestTrail[];
}

function invalid(field: string, value: unknown, allowed: string): IntegrityError {
  const shown = JSON.stringify(value);
  return new IntegrityError(
    IntegrityErrorCode.InvalidExport,
    `${EXPORT_MANIFEST_FILE}: ${field}: got ${shown === undefined ? 'nothing' : shown.slice(0, 120)}; allowed: ${allowed}`,
    { suggestion: 'Produce the export with `jit-audit export` (exportBucket()), or fix the sidecar by hand.' },
  );
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nullableTime(field: string, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string' || !ISO.test(value) || Number.isNaN(Date.parse(value))) {
    throw invalid(field, value, 'null or an ISO 8601 timestamp such as 2024-03-01T00:00:00Z');
  }
  return value;
}

function nullableString(field: string, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') throw invalid(field, value, 'null or a string');
  return value;
}

/** Validates a parsed sidecar; throws an IntegrityError naming the first bad field. */
export function parseExportManifest(value: unknown): ExportManifest {
  if (!isRecord(value)) throw invalid('(root)', value, 'a JSON object');
  if (value.formatVersion !== EXPORT_FORMAT_VERSION) {
    throw invalid('formatVersion', value.formatVersion, String(EXPORT_FORMAT_VERSION));
  }
  if (typeof value.bucket !== 'string' || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(value.bucket)) {
    throw invalid('bucket', value.bucket, 'an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)');
  }
  const prefix = nullableString('prefix', value.prefix);
  const exportedAt = nullableTime('exportedAt', value.exportedAt);
  if (exportedAt === null) throw invalid('exportedAt', value.exportedAt, 'an ISO 8601 timestamp');

  const metadataIn = value.metadata ?? {};
  if (!isRecord(metadataIn)) throw invalid('metadata', metadataIn, 'an object of object key -> metadata object');
  const metadata: Record<string, Record<string, string>> = {};
  for (const [key, entry] of Object.entries(metadataIn)) {
    if (!isRecord(entry)) throw invalid(`metadata[${JSON.stringify(key)}]`, entry, 'an object of string values');
    const clean: Record<string, string> = {};
    for (const [name, text] of Object.entries(entry)) {
      if (typeof text !== 'string') {
        throw invalid(`metadata[${JSON.stringify(key)}].${name}`, text, 'a string');
      }
      clean[name.toLowerCase()] = text;
    }
    metadata[key] = clean;
  }

  const keysIn = value.publicKeys ?? [];
  if (!Array.isArray(keysIn)) throw invalid('publicKeys', keysIn, 'an array');
  const publicKeys = keysIn.map((entry: unknown, index): ExportManifestPublicKey => {
    if (!isRecord(entry)) throw invalid(`publicKeys[${index}]`, entry, 'an object');
    if (typeof entry.fingerprint !== 'string' || entry.fingerprint === '') {
      throw invalid(`publicKeys[${index}].fingerprint`, entry.fingerprint, 'a non-empty string');
    }
    if (typeof entry.value !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(entry.value)) {
      throw invalid(`publicKeys[${index}].value`, entry.value, 'base64 of a DER PKCS#1 public key');
    }
    return {
      fingerprint: entry.fingerprint,
      value: entry.value,
      validityStartTime: nullableTime(`publicKeys[${index}].validityStartTime`, entry.validityStartTime),
      validityEndTime: nullableTime(`publicKeys[${index}].validityEndTime`, entry.validityEndTime),
    };
  });

  const trailsIn = value.trails ?? [];
  if (!Array.isArray(trailsIn)) throw invalid('trails', trailsIn, 'an array');
  const trails = trailsIn.map((entry: unknown, index): ExportManifestTrail => {
    if (!isRecord(entry)) throw invalid(`trails[${index}]`, entry, 'an object');
    for (const field of ['arn', 'name', 'bucket'] as const) {
      if (typeof entry[field] !== 'string') throw invalid(`trails[${index}].${field}`, entry[field], 'a string');
    }
    if (typeof entry.isOrganizationTrail !== 'boolean') {
      throw invalid(`trails[${index}].isOrganizationTrail`, entry.isOrganizationTrail, 'true or false');
    }
    const validation = entry.logFileValidationEnabled;
    if (validation !== undefined && validation !== null && typeof validation !== 'boolean') {
      throw invalid(`trails[${index}].logFileValidationEnabled`, validation, 'true, false or null');
    }
    return {
      arn: entry.arn as string,
      name: entry.name as string,
      bucket: entry.bucket as string,
      prefix: nullableString(`trails[${index}].prefix`, entry.prefix),
      homeRegion: nullableString(`trails[${index}].homeRegion`, entry.homeRegion),
      isOrganizationTrail: entry.isOrganizationTrail,
      logFileValidationEnabled: (validation as boolean | null | undefined) ?? null,
    };
  });

  return {
    formatVersion: EXPORT_FORMAT_VERSION,
    bucket: value.bucket,
    prefix,
    exportedAt,
    metadata,
    publicKeys,
    trails,
  };
}

export function manifestPublicKey(key: PublicKeyInfo): ExportManifestPublicKey {
  return {
    fingerprint: key.fingerprint,
    value: key.value.toString('base64'),
    validityStartTime: key.validityStartTime === undefined ? null : key.validityStartTime.toISOString(),
    validityEndTime: key.validityEndTime === undefined ? null : key.validityEndTime.toISOString(),
  };
}

export function manifestTrail(trail: TrailInfo): ExportManifestTrail {
  return {
    arn: trail.arn,
    name: trail.name,
    bucket: trail.bucket,
    prefix: trail.prefix ?? null,
    homeRegion: trail.homeRegion ?? null,
    isOrganizationTrail: trail.isOrganizationTrail,
    logFileValidationEnabled: trail.logFileValidationEnabled ?? null,
  };
}

/** Maps an S3 key to path segments under the export root; undefined for keys a folder cannot hold safely. */
export function keyToSegments(key: string): string[] | undefined {
  if (key === '' || key.includes('\0') || key.includes('\\')) return undefined;
  const segments = key.split('/');
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) return undefined;
  if (segments.length === 1 && segments[0] === EXPORT_MANIFEST_FILE) return undefined;
  return segments;
}
