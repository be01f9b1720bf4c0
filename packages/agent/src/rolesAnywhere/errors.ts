/**
 * Errors of the Roles Anywhere client. Messages name the field, the value given (never key material or
 * credentials) and what is allowed. The shape matches the product's base error (`code`, `suggestion`,
 * `cause`, `toJSON`) so a CLI can render it the same way.
 */
export const RolesAnywhereErrorCode = {
  InvalidOption: 'ROLES_ANYWHERE_INVALID_OPTION',
  InvalidCertificate: 'ROLES_ANYWHERE_INVALID_CERTIFICATE',
  InvalidPrivateKey: 'ROLES_ANYWHERE_INVALID_PRIVATE_KEY',
  KeyCertificateMismatch: 'ROLES_ANYWHERE_KEY_CERTIFICATE_MISMATCH',
  UnsupportedKeyType: 'ROLES_ANYWHERE_UNSUPPORTED_KEY_TYPE',
  CertificateExpired: 'ROLES_ANYWHERE_CERTIFICATE_EXPIRED',
  CertificateNotYetValid: 'ROLES_ANYWHERE_CERTIFICATE_NOT_YET_VALID',
  RequestFailed: 'ROLES_ANYWHERE_REQUEST_FAILED',
  ServiceError: 'ROLES_ANYWHERE_SERVICE_ERROR',
  InvalidResponse: 'ROLES_ANYWHERE_INVALID_RESPONSE',
} as const;
export type RolesAnywhereErrorCode = (typeof RolesAnywhereErrorCode)[keyof typeof RolesAnywhereErrorCode];

export interface RolesAnywhereErrorOptions {
  suggestion?: string;
  cause?: unknown;
  /** HTTP status of a service error. */
  status?: number;
  /** The service's error type (`x-amzn-ErrorType`), e.g. `AccessDeniedException`. */
  serviceErrorType?: string;
}

export class RolesAnywhereError extends Error {
  readonly code: RolesAnywhereErrorCode;
  readonly suggestion: string | undefined;
  readonly status: number | undefined;
  readonly serviceErrorType: string | undefined;

  constructor(code: RolesAnywhereErrorCode, message: string, options: RolesAnywhereErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.suggestion = options.suggestion;
    this.status = options.status;
    this.serviceErrorType = options.serviceErrorType;
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
