/**
 * Errors of the integrity module (digest writer, verifier, sources, `jit-audit verify`). The shape matches
 * the product's base error (`code`, `suggestion`, `cause`, `toJSON`) so the CLI renders every error alike.
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

export class IntegrityError extends Error {
  readonly code: IntegrityErrorCode;
  readonly suggestion: string | undefined;

  constructor(code: IntegrityErrorCode, message: string, options: IntegrityErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.suggestion = options.suggestion;
  }

  /** A JSON-safe view for `--json` output. Never includes the cause's internals. */
  toJSON(): { error: { name: string; code: string; message: string; suggestion?: string } } {
    return {
      error: {
        name: this.name,
        code: this.code,
        message: this.message,
        ...(this.suggestion === undefined ? {} : { suggestion: this.suggestion }),
      },
    };
  }
}
