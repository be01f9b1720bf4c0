/**
 * The base of every error the product throws on purpose. `code` is stable (scripts and exit
 * codes depend on it); `message` says what was wrong, the value given and what is allowed;
 * `suggestion` is the next step for a human.
 */
export class JitError extends Error {
  readonly code: string;
  readonly suggestion: string | undefined;

  constructor(code: string, message: string, options: { suggestion?: string; cause?: unknown } = {}) {
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

export const CoreErrorCode = {
  ConfigNotFound: 'CONFIG_NOT_FOUND',
  ConfigInvalid: 'CONFIG_INVALID',
  PayloadTooLarge: 'PAYLOAD_TOO_LARGE',
  PayloadNotJson: 'PAYLOAD_NOT_JSON',
  PayloadInvalid: 'PAYLOAD_INVALID',
  PayloadExpired: 'PAYLOAD_EXPIRED',
  PayloadWindowClosed: 'PAYLOAD_WINDOW_CLOSED',
  NameInvalid: 'NAME_INVALID',
  PolicyTooLarge: 'POLICY_TOO_LARGE',
} as const;
export type CoreErrorCode = (typeof CoreErrorCode)[keyof typeof CoreErrorCode];

/** One problem found in the configuration: where it is, what was found, what is allowed. */
export interface ConfigIssue {
  readonly file: string;
  /** Dotted field path inside the file, e.g. `tiers.security.minutes.max`. Empty for the whole file. */
  readonly path: string;
  readonly message: string;
  readonly value?: unknown;
}

export class ConfigError extends JitError {
  readonly issues: readonly ConfigIssue[];

  constructor(
    code: CoreErrorCode,
    issues: readonly ConfigIssue[],
    options: { suggestion?: string; cause?: unknown } = {},
  ) {
    super(code, ConfigError.format(issues), options);
    this.issues = issues;
  }

  static format(issues: readonly ConfigIssue[]): string {
    const lines = issues.map((issue) => {
      const where = issue.path === '' ? issue.file : `${issue.file}: ${issue.path}`;
      return `  - ${where}: ${issue.message}`;
    });
    return `invalid configuration (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${lines.join('\n')}`;
  }
}

export class PayloadError extends JitError {}

export class NameError extends JitError {}

export class PolicyError extends JitError {}
