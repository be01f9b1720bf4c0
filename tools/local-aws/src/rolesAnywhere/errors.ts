/** Errors of the local Roles Anywhere service and CA (configuration and openssl failures, not refusals). */
export const LocalRolesAnywhereErrorCode = {
  InvalidOption: 'LOCAL_ROLES_ANYWHERE_INVALID_OPTION',
  InvalidTrustAnchor: 'LOCAL_ROLES_ANYWHERE_INVALID_TRUST_ANCHOR',
  OpensslFailed: 'LOCAL_ROLES_ANYWHERE_OPENSSL_FAILED',
  CaIncomplete: 'LOCAL_ROLES_ANYWHERE_CA_INCOMPLETE',
} as const;
export type LocalRolesAnywhereErrorCode =
  (typeof LocalRolesAnywhereErrorCode)[keyof typeof LocalRolesAnywhereErrorCode];

export class LocalRolesAnywhereError extends Error {
  readonly code: LocalRolesAnywhereErrorCode;
  readonly suggestion: string | undefined;

  constructor(
    code: LocalRolesAnywhereErrorCode,
    message: string,
    options: { suggestion?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.suggestion = options.suggestion;
  }
}
