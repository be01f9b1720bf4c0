import { JitError } from '@jit-access/core';

/**
 * Errors of the integrity module (digest writer, verifier, sources, `jit-audit verify`). They extend the
 * product's base error (`code`, `suggestion`, `cause`, `toJSON`) so every CLI renders errors alike.
 * Verdicts about files (a bad hash, a missing digest) are results, not errors: an error means the
 * verification itself could not run as asked.
 */
export const IntegrityErrorCode = {
  /** A caller-supplied option is malformed or out of range (exit code 2). */
  InvalidOption: 'INTEGRITY_INVALID_OPTION',
  /** The local export folder or its sidecar is missing or malformed (exit code 2). */
  InvalidExport: 'INTEGRITY_INVALID_EXPORT',
  /** A key or private key given to the writer cannot be used. */
  InvalidKey: 'INTEGRITY_INVALID_KEY',
  /** The trail named by the ARN does not exist in the source. */
  TrailNotFound: 'INTEGRITY_TRAIL_NOT_FOUND',
  /** The source (S3, CloudTrail, the folder) could not be read (exit code 3). */
  SourceUnavailable: 'INTEGRITY_SOURCE_UNAVAILABLE',
  /** A digest could not be decoded; used by `parseDigest`. */
  InvalidDigest: 'INTEGRITY_INVALID_DIGEST',
} as const;
export type IntegrityErrorCode = (typeof IntegrityErrorCode)[keyof typeof IntegrityErrorCode];

export interface IntegrityErrorOptions {
  suggestion?: string;
  cause?: unknown;
}

export class IntegrityError extends JitError {
  declare readonly code: IntegrityErrorCode;

  constructor(code: IntegrityErrorCode, message: string, options: IntegrityErrorOptions = {}) {
    super(code, message, options);
  }
}
