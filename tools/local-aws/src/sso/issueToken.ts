import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LocalAwsError, LocalAwsErrorCode } from '../errors.js';
import { addSsoToken, type SsoAssignment, sha256Hex, validateAssignments, validateUserName } from './tokenStore.js';

export interface IssueLocalSsoTokenOptions {
  /** The environment's state folder (`LocalAwsTestContext.stateDir`, `jit-local-aws` state). */
  readonly stateDir: string;
  readonly assignments: readonly SsoAssignment[];
  /** How long the token is valid; AWS's default is 8 hours. @default 28800 */
  readonly expiresInSeconds?: number;
  /** The signed-in user: the role session name of the credentials. @default 'jit-sso-user' */
  readonly userName?: string;
  /** The start URL the profile names. @default 'https://jit-local.awsapps.com/start' */
  readonly startUrl?: string;
  /** The `[sso-session <name>]` a profile points to. @default 'jit-local' */
  readonly sessionName?: string;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

/** One file of the SDK's SSO token cache: `~/.aws/sso/cache/<fileName>`. */
export interface SsoCacheFile {
  readonly fileName: string;
  readonly contents: {
    readonly startUrl: string;
    readonly region: string;
    readonly accessToken: string;
    readonly expiresAt: string;
  };
}

export interface IssuedLocalSsoToken {
  /** The bearer token. A secret: write it only into the cache file. */
  readonly accessToken: string;
  /** ISO 8601, as the SDK's cache holds it. */
  readonly expiresAt: string;
  readonly startUrl: string;
  readonly sessionName: string;
  readonly region: string;
  readonly cache: {
    /** For a profile with `sso_session = <sessionName>`: the cache key is the session name. */
    readonly ssoSession: SsoCacheFile;
    /** For a legacy profile with `sso_start_url` only: the cache key is the start URL. */
    readonly legacy: SsoCacheFile;
  };
}

/**
 * "Signs in" to the local portal: records a new access token for `assignments` in the portal's
 * store, and returns what `aws sso login` would cache, for either profile form. The cache file
 * name is the SHA-1 (hex) of the session name or, for legacy profiles, of the start URL, as the
 * SDK computes it (`getSSOTokenFilepath`). The entry carries no refresh token or client
 * registration, so an expired token is not refreshed: the SDK asks for `aws sso login`.
 */
export async function issueLocalSsoToken(options: IssueLocalSsoTokenOptions): Promise<IssuedLocalSsoToken> {
  const expiresInSeconds = options.expiresInSeconds ?? 28_800;
  if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 1 || expiresInSeconds > 90 * 86_400) {
    throw new LocalAwsError(
      LocalAwsErrorCode.UsageInvalid,
      `expiresInSeconds: ${expiresInSeconds} is not allowed (a whole number of seconds, 1 to 7776000)`,
    );
  }
  validateAssignments(options.assignments);
  const userName = options.userName ?? 'jit-sso-user';
  validateUserName(userName);
  const now = (options.now ?? (() => new Date()))();
  const startUrl = options.startUrl ?? 'https://jit-local.awsapps.com/start';
  const sessionName = options.sessionName ?? 'jit-local';
  const region = options.region ?? 'us-east-1';

  const accessToken = `jitlocal-${randomBytes(32).toString('base64url')}`;
  // Whole seconds, as the portal states expiry.
  const expiresAt = new Date(Math.floor(now.getTime() / 1000) * 1000 + expiresInSeconds * 1000)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z');
  await addSsoToken(
    options.stateDir,
    {
      accessTokenSha256: sha256Hex(accessToken),
      expiresAt,
      userName,
      assignments: options.assignments.map((a) => ({ accountId: a.accountId, roleName: a.roleName })),
    },
    now,
  );
  const contents = { startUrl, region, accessToken, expiresAt };
  return {
    accessToken,
    expiresAt,
    startUrl,
    sessionName,
    region,
    cache: {
      ssoSession: { fileName: ssoCacheFileName(sessionName), contents },
      legacy: { fileName: ssoCacheFileName(startUrl), contents },
    },
  };
}

/** `<sha1 hex of key>.json`, the SDK's name for a cached SSO token. */
export function ssoCacheFileName(key: string): string {
  return `${createHash('sha1').update(key).digest('hex')}.json`;
}

/**
 * Writes both cache files of `issued` under `<home>/.aws/sso/cache/` (folder 0700, files 0600),
 * where the SDK looks when HOME is `home`. Returns the two paths.
 */
export async function writeLocalSsoTokenCache(
  home: string,
  issued: IssuedLocalSsoToken,
): Promise<{ ssoSession: string; legacy: string }> {
  const dir = path.join(home, '.aws', 'sso', 'cache');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const write = async (file: SsoCacheFile): Promise<string> => {
    const target = path.join(dir, file.fileName);
    await writeFile(target, `${JSON.stringify(file.contents, null, 2)}\n`, { mode: 0o600 });
    await chmod(target, 0o600);
    return target;
  };
  return { ssoSession: await write(issued.cache.ssoSession), legacy: await write(issued.cache.legacy) };
}

/**
 * The hub role an SSO sign-in gets locally: named like the first approver principal of the
 * configuration that is a plain role ARN in the hub (accounts/jit.yaml: JitApprover). In AWS
 * this is the approvers' permission-set role; patterns such as `AWSReservedSSO_*` cannot name
 * one, so without a plain role the name is `JitApprover`.
 */
export function localSsoApproverRole(config: {
  readonly hub: { readonly id: string };
  readonly approvers: { readonly principals: readonly string[] };
}): { readonly roleName: string; readonly path: string; readonly arn: string } {
  const prefix = `arn:aws:iam::${config.hub.id}:role/`;
  for (const principal of config.approvers.principals) {
    if (!principal.startsWith(prefix) || /[*?]/.test(principal)) continue;
    const rest = principal.slice(prefix.length);
    const slash = rest.lastIndexOf('/');
    const roleName = rest.slice(slash + 1);
    if (roleName === '') continue;
    const rolePath = slash === -1 ? '/' : `/${rest.slice(0, slash)}/`;
    return { roleName, path: rolePath, arn: principal };
  }
  return { roleName: 'JitApprover', path: '/', arn: `${prefix}JitApprover` };
}
