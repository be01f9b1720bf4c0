import { type CreateSessionOptions, createSession, type RolesAnywhereCredentials } from './client.js';
import { RolesAnywhereError, RolesAnywhereErrorCode } from './errors.js';

export interface FromRolesAnywhereOptions extends CreateSessionOptions {
  /**
   * Fetch new credentials this many seconds before the current ones expire, so a request signed just
   * before expiry does not reach AWS with dead credentials.
   * @default 300
   */
  refreshBeforeExpirySeconds?: number;
}

/**
 * An AWS SDK v3 credential provider: `new S3Client({ credentials: fromRolesAnywhere({...}) })`.
 * Calls made while a refresh is under way share it; a failed refresh is not cached.
 */
export type RolesAnywhereCredentialProvider = (options?: {
  forceRefresh?: boolean;
}) => Promise<RolesAnywhereCredentials>;

export function fromRolesAnywhere(options: FromRolesAnywhereOptions): RolesAnywhereCredentialProvider {
  const margin = options.refreshBeforeExpirySeconds ?? 300;
  if (!Number.isFinite(margin) || margin < 0 || margin > 3600) {
    throw new RolesAnywhereError(
      RolesAnywhereErrorCode.InvalidOption,
      `refreshBeforeExpirySeconds ${String(margin)} is out of range; allowed: 0 to 3600`,
    );
  }
  const now = options.now ?? (() => new Date());
  const { refreshBeforeExpirySeconds: _margin, ...sessionOptions } = options;
  let current: RolesAnywhereCredentials | undefined;
  let inFlight: Promise<RolesAnywhereCredentials> | undefined;

  return async (call) => {
    const fresh = current !== undefined && current.expiration.getTime() - margin * 1000 > now().getTime();
    if (fresh && call?.forceRefresh !== true && current !== undefined) return current;
    inFlight ??= createSession(sessionOptions)
      .then((credentials) => {
        current = credentials;
        return credentials;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
}
