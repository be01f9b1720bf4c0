import { JitError } from '@jit-access/core';

export const LocalAwsErrorCode = {
  MotoMissing: 'MOTO_MISSING',
  MotoStartFailed: 'MOTO_START_FAILED',
  EdgeStartFailed: 'EDGE_START_FAILED',
  ProvisionFailed: 'PROVISION_FAILED',
  EnforcementOff: 'ENFORCEMENT_OFF',
  AlreadyRunning: 'ALREADY_RUNNING',
  NotRunning: 'NOT_RUNNING',
  StateInvalid: 'STATE_INVALID',
  UsageInvalid: 'USAGE_INVALID',
} as const;
export type LocalAwsErrorCode = (typeof LocalAwsErrorCode)[keyof typeof LocalAwsErrorCode];

/**
 * The one error type of the local environment. `code` is stable (the CLI maps it to an exit
 * code); `message` says what went wrong and with which value; `suggestion` is the next step.
 */
export class LocalAwsError extends JitError {
  declare readonly code: LocalAwsErrorCode;

  constructor(code: LocalAwsErrorCode, message: string, options: { suggestion?: string; cause?: unknown } = {}) {
    super(code, message, options);
  }
}
