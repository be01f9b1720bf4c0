import { IntegrityError, IntegrityErrorCode } from './errors.js';

/**
 * CloudTrail's S3 key layout for log files and digest files (per-account and organization trails), and
 * parsers for both. The layout is documented by AWS ("Finding your CloudTrail log files", "CloudTrail
 * digest file structure"); the verifier depends on it to list digests exactly as `validate-logs` does.
 */

const ACCOUNT_ID = /^\d{12}$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;
// CloudTrail trail names: 3-128 characters of letters, digits, '.', '_', '-', starting and ending with a
// letter or digit.
const TRAIL_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{1,126})[A-Za-z0-9]$/;
const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;
const UNIQUE_ID = /^[A-Za-z0-9]{1,64}$/;

export interface LogKeyInput {
  /** Optional S3 key prefix of the trail, without leading or trailing `/`. */
  readonly prefix?: string | undefined;
  /** Set for organization trails (`o-…`). */
  readonly organizationId?: string | undefined;
  readonly accountId: string;
  readonly region: string;
  /** Delivery time; the key keeps it to the minute. */
  readonly time: Date;
  /** CloudTrail's random suffix (16 alphanumerics in practice). */
  readonly uniqueId: string;
}

export interface DigestKeyInput {
  readonly prefix?: string | undefined;
  readonly organizationId?: string | undefined;
  readonly accountId: string;
  /** The region whose events the digest covers (the "source" region of a multi-region trail). */
  readonly region: string;
  readonly trailName: string;
  /** The trail's home region (where it was created). */
  readonly homeRegion: string;
  /** The digest's `digestEndTime`; the key keeps it to the second. */
  readonly endTime: Date;
  /** Backfill digests carry a `_backfill` suffix. @default false */
  readonly backfill?: boolean | undefined;
}

export interface ParsedLogKey {
  readonly prefix: string | undefined;
  readonly organizationId: string | undefined;
  readonly accountId: string;
  readonly region: string;
  readonly time: Date;
  readonly uniqueId: string;
}

export interface ParsedDigestKey {
  readonly prefix: string | undefined;
  readonly organizationId: string | undefined;
  readonly accountId: string;
  readonly region: string;
  readonly trailName: string;
  readonly homeRegion: string;
  readonly endTime: Date;
  readonly backfill: boolean;
}

export interface ParsedTrailArn {
  readonly partition: string;
  readonly homeRegion: string;
  readonly accountId: string;
  readonly trailName: string;
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

function assertValidDate(field: string, value: Date): void {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new IntegrityError(IntegrityErrorCode.InvalidOption, `${field}: expected a valid Date, got ${String(value)}`);
  }
  const year = value.getUTCFullYear();
  if (year < 1000 || year > 9999) {
    throw new IntegrityError(
      IntegrityErrorCode.InvalidOption,
      `${field}: year ${year} cannot be written in CloudTrail's key layout; allowed: years 1000-9999`,
    );
  }
}

/** `2024-03-01T05:00:31Z`: the timestamp format of digest fields and the CLI's output. */
export function formatIsoSeconds(date: Date): string {
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}T${pad(
    date.getUTCHours(),
  )}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}Z`;
}

/** `20240301T050031Z`: the timestamp in a digest key. */
export function formatDigestKeyTime(date: Date): string {
  return `${date.getUTCFullYear()}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}T${pad(
    date.getUTCHours(),
  )}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}Z`;
}

/** `20240301T0500Z`: the timestamp in a log file key. */
export function formatLogKeyTime(date: Date): string {
  return `${date.getUTCFullYear()}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}T${pad(
    date.getUTCHours(),
  )}${pad(date.getUTCMinutes())}Z`;
}

function datePath(date: Date): string {
  return `${date.getUTCFullYear()}/${pad(date.getUTCMonth() + 1)}/${pad(date.getUTCDate())}`;
}

/**
 * Parses a compact UTC timestamp `YYYYMMDDTHHMMSSZ` (or `YYYYMMDDTHHMMZ` when `withSeconds` is false).
 * Returns undefined unless the text is exactly that and names a real instant (no 31 February).
 */
export function parseCompactTime(text: string, withSeconds = true): Date | undefined {
  const match = (
    withSeconds ? /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/ : /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z$/
  ).exec(text);
  if (match === null) return undefined;
  const [, y, mo, d, h, mi, s] = match;
  const date = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? '0')));
  const roundTrip = withSeconds ? formatDigestKeyTime(date) : formatLogKeyTime(date);
  return roundTrip === text ? date : undefined;
}

function assertPattern(field: string, value: unknown, pattern: RegExp, allowed: string): asserts value is string {
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw new IntegrityError(
      IntegrityErrorCode.InvalidOption,
      `${field}: got ${JSON.stringify(value)}; allowed: ${allowed}`,
    );
  }
}

function assertPrefix(prefix: string | undefined): void {
  if (prefix === undefined) return;
  if (
    typeof prefix !== 'string' ||
    prefix === '' ||
    prefix.startsWith('/') ||
    prefix.endsWith('/') ||
    prefix.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')
  ) {
    throw new IntegrityError(
      IntegrityErrorCode.InvalidOption,
      `prefix: got ${JSON.stringify(prefix)}; allowed: a non-empty S3 key prefix without leading or trailing '/', empty, '.' or '..' segments`,
    );
  }
}

function awsLogsRoot(prefix: string | undefined, organizationId: string | undefined, accountId: string): string {
  const org = organizationId === undefined ? '' : `${organizationId}/`;
  return `${prefix === undefined ? '' : `${prefix}/`}AWSLogs/${org}${accountId}`;
}

function validateCommon(input: {
  prefix?: string | undefined;
  organizationId?: string | undefined;
  accountId: string;
  region: string;
}): void {
  assertPrefix(input.prefix);
  if (input.organizationId !== undefined) {
    assertPattern(
      'organizationId',
      input.organizationId,
      ORGANIZATION_ID,
      "'o-' followed by 10-32 lowercase letters or digits",
    );
  }
  assertPattern('accountId', input.accountId, ACCOUNT_ID, 'a 12-digit AWS account id');
  assertPattern('region', input.region, REGION, 'an AWS region code such as us-east-1');
}

/** The S3 key CloudTrail gives a log file. */
export function cloudTrailLogKey(input: LogKeyInput): string {
  validateCommon(input);
  assertValidDate('time', input.time);
  assertPattern('uniqueId', input.uniqueId, UNIQUE_ID, '1-64 letters or digits');
  const root = awsLogsRoot(input.prefix, input.organizationId, input.accountId);
  return `${root}/CloudTrail/${input.region}/${datePath(input.time)}/${input.accountId}_CloudTrail_${input.region}_${formatLogKeyTime(
    input.time,
  )}_${input.uniqueId}.json.gz`;
}

/** The S3 key CloudTrail gives a digest file. */
export function cloudTrailDigestKey(input: DigestKeyInput): string {
  validateCommon(input);
  assertPattern(
    'trailName',
    input.trailName,
    TRAIL_NAME,
    "3-128 letters, digits, '.', '_' or '-', starting and ending with a letter or digit",
  );
  assertPattern('homeRegion', input.homeRegion, REGION, 'an AWS region code such as us-east-1');
  assertValidDate('endTime', input.endTime);
  const root = awsLogsRoot(input.prefix, input.organizationId, input.accountId);
  const suffix = input.backfill === true ? '_backfill' : '';
  return `${root}/CloudTrail-Digest/${input.region}/${datePath(input.endTime)}/${input.accountId}_CloudTrail-Digest_${input.region}_${
    input.trailName
  }_${input.homeRegion}_${formatDigestKeyTime(input.endTime)}${suffix}.json.gz`;
}

/** The key prefix under which a trail's digests for one region live (what `validate-logs` lists). */
export function cloudTrailDigestPrefix(input: {
  prefix?: string | undefined;
  organizationId?: string | undefined;
  accountId: string;
  region: string;
}): string {
  validateCommon(input);
  return `${awsLogsRoot(input.prefix, input.organizationId, input.accountId)}/CloudTrail-Digest/${input.region}`;
}

const LOG_KEY =
  /^(?:(.+)\/)?AWSLogs\/(?:(o-[a-z0-9]{10,32})\/)?(\d{12})\/CloudTrail\/([a-z0-9-]+)\/(\d{4})\/(\d{2})\/(\d{2})\/(\d{12})_CloudTrail_([a-z0-9-]+)_(\d{8}T\d{4}Z)_([A-Za-z0-9]{1,64})\.json\.gz$/;

const DIGEST_KEY =
  /^(?:(.+)\/)?AWSLogs\/(?:(o-[a-z0-9]{10,32})\/)?(\d{12})\/CloudTrail-Digest\/([a-z0-9-]+)\/(\d{4})\/(\d{2})\/(\d{2})\/(\d{12})_CloudTrail-Digest_([a-z0-9-]+)_(.+)_([a-z]{2}(?:-[a-z]+)+-\d{1,2})_(\d{8}T\d{6}Z)(_backfill)?\.json\.gz$/;

function prefixOrUndefined(prefix: string | undefined): string | undefined {
  if (prefix === undefined) return undefined;
  try {
    assertPrefix(prefix);
    return prefix;
  } catch {
    return '\u0000';
  }
}

/** Parses a log file key; undefined when the key is not in CloudTrail's layout or is inconsistent. */
export function parseCloudTrailLogKey(key: string): ParsedLogKey | undefined {
  if (typeof key !== 'string') return undefined;
  const match = LOG_KEY.exec(key);
  if (match === null) return undefined;
  const [, rawPrefix, organizationId, accountId, region, y, mo, d, fileAccount, fileRegion, stamp, uniqueId] = match;
  if (accountId === undefined || region === undefined || stamp === undefined || uniqueId === undefined)
    return undefined;
  const prefix = prefixOrUndefined(rawPrefix);
  if (prefix === '\u0000') return undefined;
  if (fileAccount !== accountId || fileRegion !== region || !REGION.test(region)) return undefined;
  const time = parseCompactTime(stamp, false);
  if (time === undefined || datePath(time) !== `${y}/${mo}/${d}`) return undefined;
  return { prefix, organizationId, accountId, region, time, uniqueId };
}

/** Parses a digest key; undefined when the key is not in CloudTrail's layout or is inconsistent. */
export function parseCloudTrailDigestKey(key: string): ParsedDigestKey | undefined {
  if (typeof key !== 'string') return undefined;
  const match = DIGEST_KEY.exec(key);
  if (match === null) return undefined;
  const [
    ,
    rawPrefix,
    organizationId,
    accountId,
    region,
    y,
    mo,
    d,
    fileAccount,
    fileRegion,
    trailName,
    homeRegion,
    stamp,
    backfill,
  ] = match;
  if (
    accountId === undefined ||
    region === undefined ||
    trailName === undefined ||
    homeRegion === undefined ||
    stamp === undefined
  ) {
    return undefined;
  }
  const prefix = prefixOrUndefined(rawPrefix);
  if (prefix === '\u0000') return undefined;
  if (fileAccount !== accountId || fileRegion !== region || !REGION.test(region) || !TRAIL_NAME.test(trailName)) {
    return undefined;
  }
  const endTime = parseCompactTime(stamp, true);
  if (endTime === undefined || datePath(endTime) !== `${y}/${mo}/${d}`) return undefined;
  return {
    prefix,
    organizationId,
    accountId,
    region,
    trailName,
    homeRegion,
    endTime,
    backfill: backfill !== undefined,
  };
}

/** Parses `arn:<partition>:cloudtrail:<home-region>:<account>:trail/<name>`. */
export function parseTrailArn(arn: string): ParsedTrailArn {
  const match = /^arn:(aws[a-z-]*):cloudtrail:([a-z0-9-]+):(\d{12}):trail\/(.+)$/.exec(arn);
  const [, partition, homeRegion, accountId, trailName] = match ?? [];
  if (
    partition === undefined ||
    homeRegion === undefined ||
    accountId === undefined ||
    trailName === undefined ||
    !REGION.test(homeRegion) ||
    !TRAIL_NAME.test(trailName)
  ) {
    throw new IntegrityError(
      IntegrityErrorCode.InvalidOption,
      `trail ARN: got ${JSON.stringify(arn)}; allowed: arn:aws:cloudtrail:<home-region>:<12-digit account>:trail/<trail name>`,
      { suggestion: 'Copy the ARN from `aws cloudtrail describe-trails` (TrailARN).' },
    );
  }
  return { partition, homeRegion, accountId, trailName };
}

export function isValidAccountId(value: string): boolean {
  return ACCOUNT_ID.test(value);
}

export function isValidRegion(value: string): boolean {
  return REGION.test(value);
}

export function isValidOrganizationId(value: string): boolean {
  return ORGANIZATION_ID.test(value);
}
