import { JitError } from '@jit-access/core';

export const ReportErrorCode = {
  /** A command-line option or library argument is outside what is allowed. */
  InvalidInput: 'REPORT_INVALID_INPUT',
  /** A source (S3, LookupEvents, a folder) could not be read at all. */
  SourceFailed: 'REPORT_SOURCE_FAILED',
  /** LookupEvents kept answering ThrottlingException after every retry. */
  Throttled: 'REPORT_THROTTLED',
} as const;
export type ReportErrorCode = (typeof ReportErrorCode)[keyof typeof ReportErrorCode];

/** Every error `jit-audit report` / `sessions` throws on purpose. */
export class ReportError extends JitError {
  override readonly code: ReportErrorCode;

  constructor(code: ReportErrorCode, message: string, options: { suggestion?: string; cause?: unknown } = {}) {
    super(code, message, options);
    this.code = code;
  }
}

export function invalidInput(field: string, value: unknown, allowed: string, suggestion?: string): ReportError {
  const shown = typeof value === 'string' ? `"${value}"` : JSON.stringify(value);
  return new ReportError(
    ReportErrorCode.InvalidInput,
    `${field} ${shown} is not valid: ${allowed}`,
    suggestion === undefined ? {} : { suggestion },
  );
}
