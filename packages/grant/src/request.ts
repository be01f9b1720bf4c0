import { type ElevationRequest, JitError, parseElevationRequest } from '@jit-access/core';
import { GrantError, GrantErrorCode } from './errors.js';
import type { GrantOptions } from './grant.js';

/**
 * Reads an agent's elevation request (untrusted text from a file or stdin). Anything malformed,
 * expired or dated in the future is a GrantError for `--request`.
 */
export function readElevationRequest(text: string, now: Date): ElevationRequest {
  try {
    return parseElevationRequest(text, now);
  } catch (error) {
    if (error instanceof JitError) {
      throw new GrantError(GrantErrorCode.RequestRefused, `--request: ${error.message}`, {
        field: '--request',
        ...(error.suggestion === undefined ? {} : { suggestion: error.suggestion }),
        cause: error,
      });
    }
    throw error;
  }
}

/**
 * The grant that approves exactly `request`: its account, tier, minutes and reason, its id as
 * the grant id. The approver may only narrow it further (`scope`) or replace an active grant.
 */
export function grantOptionsForRequest(
  request: ElevationRequest,
  extra: { scope?: readonly string[] | undefined; replace?: boolean | undefined } = {},
): GrantOptions {
  return {
    account: request.account,
    tier: request.tier,
    minutes: request.minutes,
    reason: request.reason,
    grantId: request.id,
    request,
    ...(extra.scope === undefined ? {} : { scope: extra.scope }),
    ...(extra.replace === undefined ? {} : { replace: extra.replace }),
  };
}
