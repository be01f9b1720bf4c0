import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LocalAwsError, LocalAwsErrorCode } from '../errors.js';

/** One account and permission-set role a token may get credentials for. */
export interface SsoAssignment {
  readonly accountId: string;
  readonly roleName: string;
}

/**
 * One signed-in user as the portal knows it. Only a SHA-256 of the access token is kept: the
 * store is the portal's side and has no need for the bearer value itself (the SDK's cache file,
 * which the user owns, holds that).
 */
export interface SsoTokenEntry {
  readonly accessTokenSha256: string;
  /** ISO 8601. */
  readonly expiresAt: string;
  /** The user's name: the role session name of the credentials issued for this token. */
  readonly userName: string;
  readonly assignments: readonly SsoAssignment[];
}

interface StoreFile {
  readonly version: 1;
  readonly tokens: readonly SsoTokenEntry[];
}

/** The portal's token store, inside the environment's state folder. */
export function ssoTokenStoreFile(stateDir: string): string {
  return path.join(stateDir, 'sso-portal', 'tokens.json');
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Unknown, unreadable or malformed store: no token is valid (the portal fails closed). */
export async function readSsoTokens(stateDir: string): Promise<readonly SsoTokenEntry[]> {
  let text: string;
  try {
    text = await readFile(ssoTokenStoreFile(stateDir), 'utf8');
  } catch {
    return [];
  }
  try {
    const parsed = JSON.parse(text) as Partial<StoreFile>;
    return Array.isArray(parsed.tokens) ? parsed.tokens.filter(isEntry) : [];
  } catch {
    return [];
  }
}

function isEntry(value: unknown): value is SsoTokenEntry {
  if (typeof value !== 'object' || value === null) return false;
  const e = value as Record<string, unknown>;
  return (
    typeof e.accessTokenSha256 === 'string' &&
    typeof e.expiresAt === 'string' &&
    typeof e.userName === 'string' &&
    Array.isArray(e.assignments) &&
    e.assignments.every(
      (a: unknown) =>
        typeof a === 'object' &&
        a !== null &&
        typeof (a as Record<string, unknown>).accountId === 'string' &&
        typeof (a as Record<string, unknown>).roleName === 'string',
    )
  );
}

// Entries that expired this long ago are dropped when a new token is issued: the store stays small.
const KEEP_EXPIRED_MS = 60 * 60 * 1000;

/** Adds `entry`, written atomically with mode 0600 in a 0700 folder. */
export async function addSsoToken(stateDir: string, entry: SsoTokenEntry, now: Date): Promise<void> {
  const file = ssoTokenStoreFile(stateDir);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const kept = (await readSsoTokens(stateDir)).filter((e) => Date.parse(e.expiresAt) > now.getTime() - KEEP_EXPIRED_MS);
  const next: StoreFile = { version: 1, tokens: [...kept, entry] };
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
  // writeFile's mode is filtered by the umask; the store must be owner-only whatever the umask.
  await chmod(temporary, 0o600);
  await rename(temporary, file);
}

const ACCOUNT_ID = /^\d{12}$/;
// IAM role names: 1-64 of [\w+=,.@-].
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
// STS role session names: 2-64 of [\w+=,.@-].
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

export function validateAssignments(assignments: readonly SsoAssignment[]): void {
  if (assignments.length === 0) {
    throw new LocalAwsError(LocalAwsErrorCode.UsageInvalid, 'assignments: at least one is needed, got none', {
      suggestion: 'pass [{ accountId: "<12 digits>", roleName: "JitApprover" }]',
    });
  }
  for (const [i, a] of assignments.entries()) {
    if (!ACCOUNT_ID.test(a.accountId)) {
      throw new LocalAwsError(
        LocalAwsErrorCode.UsageInvalid,
        `assignments[${i}].accountId: "${a.accountId}" is not an account id (12 digits)`,
      );
    }
    if (!ROLE_NAME.test(a.roleName)) {
      throw new LocalAwsError(
        LocalAwsErrorCode.UsageInvalid,
        `assignments[${i}].roleName: "${a.roleName}" is not a role name (1-64 of letters, digits and +=,.@_-)`,
      );
    }
  }
}

export function validateUserName(userName: string): void {
  if (!SESSION_NAME.test(userName)) {
    throw new LocalAwsError(
      LocalAwsErrorCode.UsageInvalid,
      `userName: "${userName}" cannot be a role session name (2-64 of letters, digits and +=,.@_-)`,
    );
  }
}
