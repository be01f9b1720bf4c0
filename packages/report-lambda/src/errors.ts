import { JitError } from '@jit-access/core';

export const ReportLambdaErrorCode = {
  /** An environment variable of the function is missing or malformed. */
  InvalidSettings: 'REPORT_LAMBDA_INVALID_SETTINGS',
  /** The invocation event is neither a schedule event nor a valid on-demand window. */
  InvalidEvent: 'REPORT_LAMBDA_INVALID_EVENT',
  /** SES did not accept a report: the only failure of the data path that fails the invocation. */
  SendFailed: 'REPORT_LAMBDA_SEND_FAILED',
  /** `report:local` could not find or read the local environment. */
  LocalEnvironment: 'REPORT_LAMBDA_LOCAL_ENVIRONMENT',
} as const;
export type ReportLambdaErrorCode = (typeof ReportLambdaErrorCode)[keyof typeof ReportLambdaErrorCode];

/** Every error the report function throws on purpose; anything else is a bug. */
export class ReportLambdaError extends JitError {
  override readonly code: ReportLambdaErrorCode;

  constructor(code: ReportLambdaErrorCode, message: string, options: { suggestion?: string; cause?: unknown } = {}) {
    super(code, message, options);
    this.code = code;
  }
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) {
    const name = error.name !== 'Error' && !error.message.startsWith(error.name) ? `${error.name}: ` : '';
    return `${name}${error.message}`;
  }
  return String(error);
}
