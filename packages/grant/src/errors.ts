import { JitError } from '@jit-access/core';

export const GrantErrorCode = {
  /** An option or argument is malformed or out of range (a field, its value and what is allowed). */
  InvalidInput: 'GRANT_INVALID_INPUT',
  /** `--request` names something malformed, expired or not allowed. */
  RequestRefused: 'GRANT_REQUEST_REFUSED',
  /** The configuration in accounts/ could not be read or is invalid. */
  Config: 'GRANT_CONFIG',
  /** No usable approver credentials (no profile, expired SSO token, missing MFA code, ...). */
  ApproverCredentials: 'GRANT_APPROVER_CREDENTIALS',
  /** AWS refused or failed a call before anything was changed. */
  AwsRefused: 'GRANT_AWS_REFUSED',
  /** The packed session policy would exceed STS's limit. */
  SessionPolicyTooLarge: 'GRANT_SESSION_POLICY_TOO_LARGE',
  /** AssumeRole succeeded but the secret was not written; the credentials were discarded. */
  SecretNotWritten: 'GRANT_SECRET_NOT_WRITTEN',
  /**
   * An active grant exists for the account and --replace was not given; or another grant was
   * written after this one's check (a lost race: this grant's session was denied).
   */
  ActiveGrant: 'GRANT_ACTIVE_GRANT_EXISTS',
  /** The approver declined, or confirmation was needed without a terminal. */
  Cancelled: 'GRANT_CANCELLED',
  /**
   * Revocation did not complete: see the message for what is and is not in place. Also a grant
   * that lost a race and whose own session could not be denied.
   */
  RevocationIncomplete: 'GRANT_REVOCATION_INCOMPLETE',
} as const;
export type GrantErrorCode = (typeof GrantErrorCode)[keyof typeof GrantErrorCode];

export class GrantError extends JitError {
  /** The option or field the error is about, when there is one (e.g. `--minutes`). */
  readonly field: string | undefined;

  constructor(
    code: GrantErrorCode,
    message: string,
    options: { suggestion?: string; cause?: unknown; field?: string } = {},
  ) {
    super(code, message, options);
    this.field = options.field;
  }
}

/**
 * Warnings: the command did what it was asked (a grant is in place), but something after the
 * main step failed. They are returned in results, never thrown, and each has its exit code.
 */
export const GrantWarningCode = {
  /** --replace: the new grant is in place, but the replaced grant's sessions are not denied. */
  ReplacedGrantNotRevoked: 'REPLACED_GRANT_NOT_REVOKED',
  /** The previous secret version still carries AWSPREVIOUS: old credentials stay readable. */
  PreviousVersionReadable: 'PREVIOUS_VERSION_READABLE',
  /** The grant's metadata (secret tags) could not be written: `status` cannot show it. */
  MetadataNotRecorded: 'METADATA_NOT_RECORDED',
  /** A notification failed; the grant stays in place. */
  NotificationFailed: 'NOTIFICATION_FAILED',
  /** The approver's session already has a source identity; correlation falls back to the session name. */
  SourceIdentityInherited: 'SOURCE_IDENTITY_INHERITED',
} as const;
export type GrantWarningCode = (typeof GrantWarningCode)[keyof typeof GrantWarningCode];

export interface GrantWarning {
  readonly code: GrantWarningCode;
  readonly message: string;
  readonly suggestion?: string;
}

/** The documented exit codes of `jit-grant` (also in `--help` and docs/runbooks/approver.md). */
export const EXIT_CODES = {
  ok: 0,
  unexpected: 1,
  invalidInput: 2,
  config: 3,
  approverCredentials: 4,
  awsRefused: 5,
  secretNotWritten: 6,
  previousVersionReadable: 7,
  notificationFailed: 8,
  activeGrant: 9,
  cancelled: 10,
  revocationIncomplete: 11,
  metadataNotRecorded: 12,
} as const;

export const EXIT_CODE_HELP: readonly (readonly [number, string])[] = [
  [EXIT_CODES.ok, 'done'],
  [EXIT_CODES.unexpected, 'unexpected error (a bug: run again with --verbose and report it)'],
  [EXIT_CODES.invalidInput, 'invalid input or options (nothing was changed)'],
  [EXIT_CODES.config, 'configuration in accounts/ missing or invalid (nothing was changed)'],
  [EXIT_CODES.approverCredentials, 'no usable approver credentials: SSO login or MFA needed (nothing was changed)'],
  [EXIT_CODES.awsRefused, 'AWS refused or failed a call before anything was changed'],
  [EXIT_CODES.secretNotWritten, 'role assumed but the secret was not written; the credentials were discarded'],
  [
    EXIT_CODES.previousVersionReadable,
    'granted/revoked, but the previous secret version is still readable (AWSPREVIOUS)',
  ],
  [EXIT_CODES.notificationFailed, 'granted/revoked, but a notification failed'],
  [
    EXIT_CODES.activeGrant,
    'an active grant exists for the account, or another grant was written first (use --replace, or revoke it first)',
  ],
  [EXIT_CODES.cancelled, 'cancelled: not confirmed (or no terminal to confirm on and no --yes)'],
  [
    EXIT_CODES.revocationIncomplete,
    'revocation incomplete (revoke, or the grant replaced by --replace): read the message for what is and is not in place',
  ],
  [
    EXIT_CODES.metadataNotRecorded,
    'granted, but the grant metadata (secret tags) was not recorded: status cannot see it',
  ],
];

const ERROR_EXIT: Record<GrantErrorCode, number> = {
  [GrantErrorCode.InvalidInput]: EXIT_CODES.invalidInput,
  [GrantErrorCode.RequestRefused]: EXIT_CODES.invalidInput,
  [GrantErrorCode.Config]: EXIT_CODES.config,
  [GrantErrorCode.ApproverCredentials]: EXIT_CODES.approverCredentials,
  [GrantErrorCode.AwsRefused]: EXIT_CODES.awsRefused,
  [GrantErrorCode.SessionPolicyTooLarge]: EXIT_CODES.invalidInput,
  [GrantErrorCode.SecretNotWritten]: EXIT_CODES.secretNotWritten,
  [GrantErrorCode.ActiveGrant]: EXIT_CODES.activeGrant,
  [GrantErrorCode.Cancelled]: EXIT_CODES.cancelled,
  [GrantErrorCode.RevocationIncomplete]: EXIT_CODES.revocationIncomplete,
};

/** The exit code for an error thrown by a command. */
export function exitCodeForError(error: unknown): number {
  if (error instanceof GrantError) return ERROR_EXIT[error.code as GrantErrorCode] ?? EXIT_CODES.unexpected;
  if (error instanceof JitError) {
    if (error.code.startsWith('CONFIG_')) return EXIT_CODES.config;
    if (error.code.startsWith('REQUEST_')) return EXIT_CODES.invalidInput;
    if (error.code === 'POLICY_TOO_LARGE') return EXIT_CODES.invalidInput;
    return EXIT_CODES.unexpected;
  }
  return EXIT_CODES.unexpected;
}

const WARNING_EXIT: Record<GrantWarningCode, number> = {
  [GrantWarningCode.ReplacedGrantNotRevoked]: EXIT_CODES.revocationIncomplete,
  [GrantWarningCode.PreviousVersionReadable]: EXIT_CODES.previousVersionReadable,
  [GrantWarningCode.MetadataNotRecorded]: EXIT_CODES.metadataNotRecorded,
  [GrantWarningCode.NotificationFailed]: EXIT_CODES.notificationFailed,
  [GrantWarningCode.SourceIdentityInherited]: EXIT_CODES.ok,
};

// The most serious warning decides: a replaced grant's credentials that still work outrank
// readable old credentials, which outrank invisible metadata, which outranks a missed notification.
const WARNING_RANK: readonly GrantWarningCode[] = [
  GrantWarningCode.ReplacedGrantNotRevoked,
  GrantWarningCode.PreviousVersionReadable,
  GrantWarningCode.MetadataNotRecorded,
  GrantWarningCode.NotificationFailed,
];

/** The exit code for a command that completed with these warnings. */
export function exitCodeForWarnings(warnings: readonly GrantWarning[]): number {
  for (const code of WARNING_RANK) {
    if (warnings.some((w) => w.code === code)) return WARNING_EXIT[code];
  }
  return EXIT_CODES.ok;
}
