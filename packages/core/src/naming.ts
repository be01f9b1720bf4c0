import { ulid } from 'ulid';
import { CoreErrorCode, NameError } from './errors.js';

/** Every secret the product writes lives under this prefix, one per workload account. */
export const SECRET_PREFIX = 'agent/elevated/';
/** Role session names and source identities of elevated sessions start with this. */
export const SESSION_PREFIX = 'jit-';
/** Session tag keys the grant sets; CloudTrail records them on the AssumeRole event. */
export const SESSION_TAG = {
  grant: 'jit:grant',
  tier: 'jit:tier',
  approver: 'jit:approver',
  reason: 'jit:reason',
  until: 'jit:until',
} as const;

/**
 * The IAM path of the roles IAM Identity Center creates for permission sets
 * (`AWSReservedSSO_<set>_<random>`), optionally followed by a region segment.
 */
export const IDENTITY_CENTER_ROLE_PATH = '/aws-reserved/sso.amazonaws.com/';

// Only the literal path counts: a pattern with a wildcard before it (role/*AWSReservedSSO_*)
// could also match roles anyone in the account can create.
const IDENTITY_CENTER_ROLE = /^arn:aws:iam::\d{12}:role\/aws-reserved\/sso\.amazonaws\.com\//;

/**
 * Whether an approver principal (ARN or pattern) names IAM Identity Center roles only: its role
 * path starts with `/aws-reserved/sso.amazonaws.com/`. Their sessions' MFA is the identity
 * provider's; IAM does not mark them with `aws:MultiFactorAuthPresent`.
 */
export function isIdentityCenterRole(principal: string): boolean {
  return IDENTITY_CENTER_ROLE.test(principal);
}

const ACCOUNT_ID = /^\d{12}$/;
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
// STS: RoleSessionName and SourceIdentity are 2-64 characters of [\w+=,.@-].
const STS_NAME = /^[\w+=,.@-]{2,64}$/;

export function isAccountId(value: string): boolean {
  return ACCOUNT_ID.test(value);
}

function assertAccountId(accountId: string): void {
  if (!isAccountId(accountId)) {
    throw new NameError(
      CoreErrorCode.NameInvalid,
      `account id "${accountId}" is not valid: an AWS account id is exactly 12 digits`,
    );
  }
}

export function secretName(accountId: string): string {
  assertAccountId(accountId);
  return `${SECRET_PREFIX}${accountId}`;
}

/**
 * The ARN pattern of one workload account's secret in the hub. Secrets Manager appends a
 * hyphen and six random characters to the name; `??????` matches exactly those six, so the
 * pattern matches this one secret and not `agent/elevated/<id>-anything-longer`.
 */
export function secretArnPattern(region: string, hubAccountId: string, accountId: string): string {
  assertAccountId(hubAccountId);
  return `arn:aws:secretsmanager:${region}:${hubAccountId}:secret:${secretName(accountId)}-??????`;
}

export function roleArn(accountId: string, roleName: string): string {
  assertAccountId(accountId);
  return `arn:aws:iam::${accountId}:role/${roleName}`;
}

/**
 * A new grant id: a ULID, so ids sort by creation time and fit STS's name rules. Its time is
 * exactly `now` (requests are checked against it), and 80 random bits keep ids made in the same
 * millisecond apart.
 */
export function newGrantId(now: Date = new Date()): string {
  return ulid(now.getTime());
}

export function isGrantId(value: string): boolean {
  return ULID.test(value);
}

/** The role session name and source identity of a grant: `jit-<grantId>`. */
export function sessionNameFor(grantId: string): string {
  if (!isGrantId(grantId)) {
    throw new NameError(
      CoreErrorCode.NameInvalid,
      `grant id "${grantId}" is not valid: expected a 26-character ULID (Crockford base32, upper case)`,
    );
  }
  const name = `${SESSION_PREFIX}${grantId}`;
  // Guards the invariant should the prefix or the id format ever change.
  if (!STS_NAME.test(name)) {
    throw new NameError(CoreErrorCode.NameInvalid, `session name "${name}" breaks STS's 2-64 [\\w+=,.@-] rule`);
  }
  return name;
}

/** The grant id inside a `jit-<grantId>` session name or source identity, if it is one. */
export function grantIdFromSessionName(value: string): string | undefined {
  if (!value.startsWith(SESSION_PREFIX)) return undefined;
  const id = value.slice(SESSION_PREFIX.length);
  return isGrantId(id) ? id : undefined;
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** The creation time inside a ULID grant id (its first 10 characters, ms since the epoch). */
export function grantIdTime(grantId: string): Date {
  let ms = 0;
  for (const ch of grantId.slice(0, 10)) ms = ms * 32 + CROCKFORD.indexOf(ch);
  return new Date(ms);
}

function compactTime(at: Date): string {
  return at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The name of the inline policy that revokes one grant on an elevated role. It carries the time
 * of the revocation: the deny may only be cleared once every session issued before it has expired,
 * and the grant id's own time cannot be trusted for that (it comes from the agent's request).
 */
export function revokeGrantPolicyName(grantId: string, revokedAt: Date): string {
  return `JitRevoke-${sessionNameFor(grantId).slice(SESSION_PREFIX.length)}-${compactTime(revokedAt)}`;
}

/** Reads a revocation deny's name: which grant (or all sessions) and when it was written. */
export function parseRevokePolicyName(
  name: string,
): { readonly grantId?: string; readonly revokedAt: Date } | undefined {
  const m = /^JitRevoke(?:-([0-9A-HJKMNP-TV-Z]{26}))?(?:All)?-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(name);
  if (!m || (m[1] === undefined) !== name.startsWith('JitRevokeAll-')) return undefined;
  const revokedAt = new Date(`${m[2]}-${m[3]}-${m[4]}T${m[5]}:${m[6]}:${m[7]}Z`);
  if (Number.isNaN(revokedAt.getTime())) return undefined;
  return m[1] === undefined ? { revokedAt } : { grantId: m[1], revokedAt };
}

/** The name of the inline policy that revokes every session issued before `before`. */
export function revokeAllPolicyName(before: Date): string {
  return `JitRevokeAll-${compactTime(before)}`;
}

export const MANAGED_POLICY_NAMES = {
  ceiling: 'JitDenyCeiling',
  boundary: 'JitWorkloadBoundary',
  tier: (tierName: string) => `JitTier-${tierName}`,
} as const;
