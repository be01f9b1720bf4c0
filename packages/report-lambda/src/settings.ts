import { isAccountId } from '@jit-access/core';
import { ReportLambdaError, ReportLambdaErrorCode } from './errors.js';

/**
 * The function's configuration, read from environment variables that the report stack sets. Every value
 * is checked at start-up and all problems are reported together, so a misconfigured deployment fails its
 * first invocation with one message instead of sending wrong reports.
 */
export const REPORT_ENV = {
  /** Required. The log-archive bucket the trail delivers to. */
  bucket: 'JIT_REPORT_BUCKET',
  /** The trail's S3 key prefix, without leading or trailing `/`. Default: none. */
  trailPrefix: 'JIT_REPORT_TRAIL_PREFIX',
  /** `o-…` of an organization trail (layout `AWSLogs/<o-id>/<account>/`). Default: both layouts are searched. */
  organizationId: 'JIT_REPORT_ORGANIZATION_ID',
  /** Comma-separated account ids to read. Default: every account found in the bucket. */
  accountIds: 'JIT_REPORT_ACCOUNT_IDS',
  /** Comma-separated regions to read. Default: every region found. */
  regions: 'JIT_REPORT_REGIONS',
  /** The trail whose digests must cover the logs. Default: every trail whose digests are in the bucket. */
  trailName: 'JIT_REPORT_TRAIL_NAME',
  /** Required. The verified SES identity the reports come from. */
  sender: 'JIT_REPORT_SENDER',
  /** Required. Comma-separated auditor addresses (at most 50, SES's limit per message). */
  recipients: 'JIT_REPORT_RECIPIENTS',
  /** `session` (one e-mail per session, the default) or `digest` (one e-mail per run). */
  mode: 'JIT_REPORT_MODE',
  /** SES configuration set for delivery events. Default: none. */
  configurationSet: 'JIT_REPORT_CONFIGURATION_SET',
  /** Minutes between scheduled runs: each run covers one such window. Default 60. */
  windowMinutes: 'JIT_REPORT_WINDOW_MINUTES',
  /** Minutes CloudTrail may take to deliver a log file; the window ends this long before the run. Default 15. */
  deliveryLagMinutes: 'JIT_REPORT_DELIVERY_LAG_MINUTES',
  /** Minutes before the window read as well, for the grants of sessions that end inside it. Default 65. */
  lookbackMinutes: 'JIT_REPORT_LOOKBACK_MINUTES',
  /** Longest on-demand window accepted, in hours. Default 24. */
  maxWindowHours: 'JIT_REPORT_MAX_WINDOW_HOURS',
  /** Where the function keeps its own records in the bucket. Default `jit-reports/`. */
  statePrefix: 'JIT_REPORT_STATE_PREFIX',
  /** Seconds a claim on a session protects it from other runs; at least the function timeout. Default 960. */
  claimLeaseSeconds: 'JIT_REPORT_CLAIM_LEASE_SECONDS',
  /** Comma-separated tier role names; their sessions are read even without a `jit-` name. Default: none. */
  tierRoles: 'JIT_REPORT_TIER_ROLES',
  /** Comma-separated `<account id>=<name>` pairs shown next to account ids. Default: none. */
  accountNames: 'JIT_REPORT_ACCOUNT_NAMES',
  /** Start of every subject. Default `[JIT Access]`. */
  subjectPrefix: 'JIT_REPORT_SUBJECT_PREFIX',
  /**
   * Comma-separated account ids whose trails must keep delivering: each needs a digest file at least every
   * digest period, or the run names it as silent. Default: none (the check is not made).
   */
  expectedAccounts: 'JIT_REPORT_EXPECTED_ACCOUNTS',
  /** Minutes between the digest files of one trail and region: 60 in AWS; the local edge's cadence locally. Default 60. */
  digestPeriodMinutes: 'JIT_REPORT_DIGEST_PERIOD_MINUTES',
} as const;

export const REPORT_MODES = ['session', 'digest'] as const;
export type ReportMode = (typeof REPORT_MODES)[number];

export interface ReportSettings {
  readonly region: string;
  readonly bucket: string;
  readonly trailPrefix?: string;
  readonly organizationId?: string;
  readonly accountIds?: readonly string[];
  readonly regions?: readonly string[];
  readonly trailName?: string;
  readonly sender: string;
  readonly recipients: readonly string[];
  readonly mode: ReportMode;
  readonly configurationSet?: string;
  readonly windowMinutes: number;
  readonly deliveryLagMinutes: number;
  readonly lookbackMinutes: number;
  readonly maxWindowHours: number;
  /** Ends with `/`. */
  readonly statePrefix: string;
  readonly claimLeaseSeconds: number;
  readonly tierRoles: readonly string[];
  readonly accountNames: Readonly<Record<string, string>>;
  readonly subjectPrefix: string;
  /** Accounts whose trails must deliver a digest every period; empty when the check is not configured. */
  readonly expectedAccounts: readonly string[];
  readonly digestPeriodMinutes: number;
}

export const SETTING_DEFAULTS = {
  mode: 'session',
  windowMinutes: 60,
  deliveryLagMinutes: 15,
  lookbackMinutes: 65,
  maxWindowHours: 24,
  statePrefix: 'jit-reports/',
  claimLeaseSeconds: 960,
  subjectPrefix: '[JIT Access]',
  digestPeriodMinutes: 60,
} as const;

/** SES accepts at most 50 recipients per message. */
export const MAX_RECIPIENTS = 50;

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;
const TRAIL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]$/;
const EMAIL =
  /^[^\s@<>()",;:\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;
const PREFIX = /^[A-Za-z0-9!_.*'()/-]+$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const CONFIGURATION_SET = /^[A-Za-z0-9_-]{1,64}$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
const CONTROL = /[\u0000-\u001f\u007f]/;

export type Environment = Readonly<Record<string, string | undefined>>;

/** Reads and checks the settings; throws one error listing every problem. */
export function parseSettings(env: Environment): ReportSettings {
  const problems: string[] = [];
  const raw = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const bad = (name: string, value: string, allowed: string) => {
    problems.push(`${name}=${JSON.stringify(value)} is not valid: ${allowed}`);
  };
  const required = (name: string, allowed: string): string => {
    const value = raw(name);
    if (value === undefined) problems.push(`${name} is not set: expected ${allowed}`);
    return value ?? '';
  };
  const list = (name: string, pattern: RegExp, allowed: string): string[] | undefined => {
    const value = raw(name);
    if (value === undefined) return undefined;
    const items = value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
    for (const item of items) if (!pattern.test(item)) bad(name, item, allowed);
    return items.length === 0 ? undefined : [...new Set(items)];
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const value = raw(name);
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) {
      bad(name, value, `a whole number from ${min} to ${max}`);
      return fallback;
    }
    return n;
  };
  const matching = (name: string, pattern: RegExp, allowed: string): string | undefined => {
    const value = raw(name);
    if (value !== undefined && !pattern.test(value)) bad(name, value, allowed);
    return value;
  };

  const region = raw('AWS_REGION') ?? raw('AWS_DEFAULT_REGION');
  if (region === undefined) problems.push('AWS_REGION is not set: expected the region the function runs in');
  else if (!REGION.test(region)) bad('AWS_REGION', region, 'a region code such as eu-west-1');

  const bucket = required(REPORT_ENV.bucket, 'the log-archive bucket name');
  if (bucket !== '' && !BUCKET.test(bucket)) bad(REPORT_ENV.bucket, bucket, 'an S3 bucket name');

  const trailPrefix = raw(REPORT_ENV.trailPrefix);
  if (trailPrefix !== undefined && (!PREFIX.test(trailPrefix) || /^\/|\/$/.test(trailPrefix))) {
    bad(REPORT_ENV.trailPrefix, trailPrefix, "a key prefix without leading or trailing '/'");
  }
  const organizationId = matching(
    REPORT_ENV.organizationId,
    ORGANIZATION_ID,
    "'o-' followed by 10-32 lowercase letters or digits",
  );
  const accountIds =
    raw(REPORT_ENV.accountIds) === undefined
      ? undefined
      : list(REPORT_ENV.accountIds, /^\d{12}$/, '12-digit account ids separated by commas');
  const regions = list(REPORT_ENV.regions, REGION, 'region codes separated by commas');
  const trailName = matching(
    REPORT_ENV.trailName,
    TRAIL_NAME,
    "a trail name: 3-128 letters, digits, '.', '_' or '-', starting and ending with a letter or digit",
  );

  const sender = required(REPORT_ENV.sender, 'the verified SES address reports are sent from');
  if (sender !== '' && !EMAIL.test(sender))
    bad(REPORT_ENV.sender, sender, 'one e-mail address such as reports@example.com');
  const recipientsRaw = required(REPORT_ENV.recipients, 'auditor e-mail addresses separated by commas');
  const recipients =
    recipientsRaw === '' ? [] : (list(REPORT_ENV.recipients, EMAIL, 'e-mail addresses separated by commas') ?? []);
  if (recipientsRaw !== '' && recipients.length === 0) {
    bad(REPORT_ENV.recipients, recipientsRaw, 'at least one e-mail address');
  }
  if (recipients.length > MAX_RECIPIENTS) {
    problems.push(
      `${REPORT_ENV.recipients} lists ${recipients.length} addresses: SES sends to at most ${MAX_RECIPIENTS}; use a distribution list`,
    );
  }

  const modeRaw = raw(REPORT_ENV.mode) ?? SETTING_DEFAULTS.mode;
  const mode = (REPORT_MODES as readonly string[]).includes(modeRaw) ? (modeRaw as ReportMode) : undefined;
  if (mode === undefined) bad(REPORT_ENV.mode, modeRaw, `one of ${REPORT_MODES.join(', ')}`);

  const configurationSet = matching(REPORT_ENV.configurationSet, CONFIGURATION_SET, 'an SES configuration set name');
  const windowMinutes = integer(REPORT_ENV.windowMinutes, SETTING_DEFAULTS.windowMinutes, 5, 1440);
  const deliveryLagMinutes = integer(REPORT_ENV.deliveryLagMinutes, SETTING_DEFAULTS.deliveryLagMinutes, 0, 1440);
  const lookbackMinutes = integer(REPORT_ENV.lookbackMinutes, SETTING_DEFAULTS.lookbackMinutes, 0, 1440);
  const maxWindowHours = integer(REPORT_ENV.maxWindowHours, SETTING_DEFAULTS.maxWindowHours, 1, 744);
  const claimLeaseSeconds = integer(REPORT_ENV.claimLeaseSeconds, SETTING_DEFAULTS.claimLeaseSeconds, 60, 86_400);

  let statePrefix = raw(REPORT_ENV.statePrefix) ?? SETTING_DEFAULTS.statePrefix;
  if (!PREFIX.test(statePrefix) || statePrefix.startsWith('/') || statePrefix.startsWith('AWSLogs/')) {
    bad(REPORT_ENV.statePrefix, statePrefix, "a key prefix outside AWSLogs/, without a leading '/'");
  }
  if (!statePrefix.endsWith('/')) statePrefix = `${statePrefix}/`;

  const tierRoles = list(REPORT_ENV.tierRoles, ROLE_NAME, 'IAM role names separated by commas') ?? [];

  const accountNames: Record<string, string> = {};
  for (const pair of list(
    REPORT_ENV.accountNames,
    /^\d{12}=[^=]{1,64}$/,
    '<12-digit id>=<name> pairs separated by commas',
  ) ?? []) {
    const [id = '', name = ''] = pair.split('=');
    if (isAccountId(id) && !CONTROL.test(name)) accountNames[id] = name.trim();
  }

  const expectedAccounts =
    list(REPORT_ENV.expectedAccounts, /^\d{12}$/, '12-digit account ids separated by commas') ?? [];
  const expectedRaw = raw(REPORT_ENV.expectedAccounts);
  // A value that names no account must not switch a security check off unnoticed.
  if (expectedRaw !== undefined && expectedAccounts.length === 0) {
    bad(REPORT_ENV.expectedAccounts, expectedRaw, 'at least one 12-digit account id');
  }
  const digestPeriodMinutes = integer(REPORT_ENV.digestPeriodMinutes, SETTING_DEFAULTS.digestPeriodMinutes, 1, 1440);

  const subjectPrefix = raw(REPORT_ENV.subjectPrefix) ?? SETTING_DEFAULTS.subjectPrefix;
  if (CONTROL.test(subjectPrefix) || subjectPrefix.length > 40) {
    bad(REPORT_ENV.subjectPrefix, subjectPrefix, 'at most 40 characters without control characters');
  }

  if (problems.length > 0 || region === undefined || mode === undefined) {
    throw new ReportLambdaError(
      ReportLambdaErrorCode.InvalidSettings,
      `the report function is misconfigured:\n  - ${problems.join('\n  - ')}`,
      { suggestion: 'fix the environment variables of the function (the report stack sets them)' },
    );
  }
  return {
    region,
    bucket,
    ...(trailPrefix === undefined ? {} : { trailPrefix }),
    ...(organizationId === undefined ? {} : { organizationId }),
    ...(accountIds === undefined ? {} : { accountIds }),
    ...(regions === undefined ? {} : { regions }),
    ...(trailName === undefined ? {} : { trailName }),
    sender,
    recipients,
    mode,
    ...(configurationSet === undefined ? {} : { configurationSet }),
    windowMinutes,
    deliveryLagMinutes,
    lookbackMinutes,
    maxWindowHours,
    statePrefix,
    claimLeaseSeconds,
    tierRoles,
    accountNames,
    subjectPrefix,
    expectedAccounts,
    digestPeriodMinutes,
  };
}
