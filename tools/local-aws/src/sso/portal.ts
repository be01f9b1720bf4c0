import type { EdgeHandler, EdgeRequest, EdgeResponse } from '../edge/types.js';
import { readSsoTokens, type SsoTokenEntry, sha256Hex } from './tokenStore.js';

/** What the portal asks STS for: a session of the assigned role, named after the user. */
export interface SsoAssumeRoleArgs {
  readonly accountId: string;
  readonly roleName: string;
  readonly sessionName: string;
  readonly durationSeconds: number;
}

export interface SsoRoleCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

export interface SsoPortalHandlerOptions {
  /** The environment's state folder (the token store is `sso-portal/tokens.json` in it). */
  readonly stateDir: string;
  /** Issues the role session (the plugin calls moto's STS directly with the local admin). */
  readonly assumeRole: (args: SsoAssumeRoleArgs) => Promise<SsoRoleCredentials>;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /**
   * Session length asked of STS. AWS uses the permission set's session duration (1-12 h);
   * one hour is the default there too. @default 3600
   */
  readonly sessionSeconds?: number;
}

/** The portal's `GetRoleCredentials` route (restJson1, from the SSO service model). */
export const SSO_PORTAL_PATH = '/federation/credentials';
/** The header the SDK sends the access token in. */
export const SSO_BEARER_HEADER = 'x-amz-sso_bearer_token';

/**
 * IAM Identity Center portal `GetRoleCredentials` for tokens in the local token store:
 * `GET /federation/credentials?role_name=<r>&account_id=<a>` with the token in
 * `x-amz-sso_bearer_token`. Errors have AWS's shapes: 400 InvalidRequestException (missing
 * parameter), 401 UnauthorizedException (no, unknown or expired token), 403 ForbiddenException
 * (the token has no assignment for that account and role). The token is never echoed.
 * Any other request is left to the next plugin.
 */
export function createSsoPortalHandler(options: SsoPortalHandlerOptions): EdgeHandler {
  const now = options.now ?? (() => new Date());
  const sessionSeconds = options.sessionSeconds ?? 3600;
  return async (req: EdgeRequest): Promise<EdgeResponse | undefined> => {
    if (req.url.pathname !== SSO_PORTAL_PATH) return undefined;
    if (req.method !== 'GET') {
      return awsError(405, 'InvalidRequestException', `${req.method} is not supported on ${SSO_PORTAL_PATH}`);
    }
    const roleName = req.url.searchParams.get('role_name') ?? '';
    const accountId = req.url.searchParams.get('account_id') ?? '';
    if (roleName === '' || accountId === '') {
      const missing = roleName === '' ? 'role_name' : 'account_id';
      return awsError(400, 'InvalidRequestException', `${missing}: a value is required`);
    }
    const token = req.headers[SSO_BEARER_HEADER] ?? '';
    const entry = token === '' ? undefined : await findToken(options.stateDir, token);
    // Same answer for a missing, unknown or expired token, as the portal gives: nothing to probe.
    if (entry === undefined || Date.parse(entry.expiresAt) <= now().getTime()) {
      return awsError(401, 'UnauthorizedException', 'Session token not found or invalid');
    }
    const assigned = entry.assignments.some((a) => a.accountId === accountId && a.roleName === roleName);
    if (!assigned) return awsError(403, 'ForbiddenException', 'No access');

    const credentials = await options.assumeRole({
      accountId,
      roleName,
      sessionName: entry.userName,
      durationSeconds: sessionSeconds,
    });
    return {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        roleCredentials: {
          accessKeyId: credentials.accessKeyId,
          secretAccessKey: credentials.secretAccessKey,
          sessionToken: credentials.sessionToken,
          expiration: credentials.expiration.getTime(),
        },
      }),
    };
  };
}

async function findToken(stateDir: string, token: string): Promise<SsoTokenEntry | undefined> {
  const hash = sha256Hex(token);
  return (await readSsoTokens(stateDir)).find((e) => e.accessTokenSha256 === hash);
}

function awsError(status: number, type: string, message: string): EdgeResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': type },
    body: JSON.stringify({ message }),
  };
}
