import {
  cloudTrailDigestPrefix,
  dayPrefixes,
  digestLine,
  gapLine,
  type IntegritySource,
  logLine,
  parseCloudTrailDigestKey,
  parseCloudTrailLogKey,
  type VerifyResult,
  verifyTrail,
} from '@jit-access/audit';
import { messageOf } from './errors.js';
import type { LogScope } from './records/readWindow.js';

/**
 * The digest chain for the window a report covers, checked with the audit library (the same verdicts as
 * `aws cloudtrail validate-logs`, plus its strict chain checks), and two more checks the CLI cannot make:
 * every log file the report read must be listed by a digest, unless it is newer than the newest digest
 * (CloudTrail writes digests about once an hour, so the newest files wait for the next one); and every
 * expected account must keep delivering digests. CloudTrail writes a digest for every trail and region
 * each period even when no log file was delivered, so an account without one has a stopped, deleted or
 * failing trail: a chain that merely ends looks valid to every other check.
 *
 * `silent` ranks below `broken` (altered evidence) and above `unverified`.
 */
export type IntegrityStatus = 'valid' | 'broken' | 'silent' | 'unverified';

/** Accounts whose trails must deliver, and the stretch of time in which they must. */
export interface ExpectedDeliveries {
  readonly accountIds: readonly string[];
  /** Regions each account must deliver digests for (the trail's home region at least). */
  readonly regions: readonly string[];
  /** CloudTrail's cadence of digest files for one trail and region (an hour in AWS). */
  readonly periodMs: number;
  /** Digests must keep ending between these times. */
  readonly from: Date;
  readonly to: Date;
  /** Layout of the digests of accounts whose log files the run did not read. */
  readonly organizationId?: string | undefined;
  readonly prefix?: string | undefined;
  /** Shown next to account ids. */
  readonly accountNames?: Readonly<Record<string, string>> | undefined;
}

/** A stretch longer than the silence threshold in which an expected account delivered no valid digest. */
export interface SilentStretch {
  readonly accountId: string;
  readonly region: string;
  /** End of the last valid digest before the silence, or the start of the checked span. */
  readonly from: string;
  /** End of the next valid digest, or the end of the checked span when none came (`ongoing`). */
  readonly to: string;
  readonly ongoing: boolean;
}

export type DeliveryStatus =
  /** Every expected account delivered a digest at least once per period (plus tolerance). */
  | 'delivering'
  /** At least one expected account went silent. */
  | 'silent'
  /** No expected accounts are configured. */
  | 'not-configured'
  /** Nothing could be told: the checked span is shorter than the silence threshold, or the trail could not be read. */
  | 'not-checked';

export interface DeliveryCheck {
  readonly status: DeliveryStatus;
  /** One sentence for the e-mails. */
  readonly summary: string;
  readonly accounts: readonly string[];
  readonly regions: readonly string[];
  readonly periodMinutes?: number;
  readonly from?: string;
  readonly to?: string;
  readonly silent: readonly SilentStretch[];
}

export interface TrailCheck {
  readonly accountId: string;
  readonly region: string;
  readonly trailName: string;
  readonly ok: boolean;
  readonly digests: { readonly valid: number; readonly invalid: number };
  readonly logs: { readonly valid: number; readonly invalid: number };
}

export interface IntegritySummary {
  readonly status: IntegrityStatus;
  /** One line for subjects and headings: `digest chain: valid`, `digest chain: BROKEN`, … */
  readonly headline: string;
  /** What was checked, in one sentence. */
  readonly detail: string;
  /** Each invalid or missing file, gap and error finding (CLI wording where the CLI has one). */
  readonly problems: readonly string[];
  /** Read log files that no digest lists yet because they are newer than the newest digest. */
  readonly pending: readonly string[];
  readonly trails: readonly TrailCheck[];
  /** A stable fingerprint of the problems, to alert once per distinct set. */
  readonly problemKey: string;
  /** Whether every expected account kept delivering digests. */
  readonly deliveries: DeliveryCheck;
}

export interface CheckIntegrityOptions {
  readonly bucket: string;
  /** The window of records read, and the delivery times of the files read. */
  readonly start: Date;
  readonly end: Date;
  /** Accounts and regions whose log files the report read. */
  readonly scopes: readonly LogScope[];
  /** Keys of the log files the report read. */
  readonly logKeys: readonly string[];
  /** The trail that must cover the logs; other trails found are checked too. */
  readonly trailName?: string | undefined;
  /** The integrity source (S3 + ListPublicKeys, or a local export) for the digests of one region. */
  readonly sourceFor: (region: string) => IntegritySource;
  /** Downloads in flight per trail. @default 4 */
  readonly concurrency?: number | undefined;
  /** Problems listed; the rest are counted. @default 50 */
  readonly maxProblems?: number | undefined;
  /** Accounts that must keep delivering digests; their chains are verified even without log files read. */
  readonly expected?: ExpectedDeliveries | undefined;
}

const HOUR = 3_600_000;
const MINUTE = 60_000;

/**
 * How long an account may go without a digest before it counts as silent: one period, plus a quarter of
 * it (CloudTrail's hourly digests are not exactly an hour apart) and at least a minute (the local edge's
 * deliveries slip by seconds under load).
 */
export function silenceThresholdMs(periodMs: number): number {
  return periodMs + Math.max(periodMs / 4, MINUTE);
}

/**
 * The stretches of [from, to] longer than `thresholdMs` in which no digest ended. `ends` are digest end
 * times (ms); the last one at or before `from` starts the first stretch, if known.
 */
export function silentStretchesOf(
  ends: readonly number[],
  from: number,
  to: number,
  thresholdMs: number,
): { from: number; to: number; ongoing: boolean }[] {
  const sorted = [...new Set(ends)].sort((a, b) => a - b);
  const before = sorted.filter((t) => t <= from);
  const points = [before[before.length - 1] ?? from, ...sorted.filter((t) => t > from && t <= to)];
  // Without a digest ending at `to` itself, the last stretch runs on to the end of the span.
  const open = points[points.length - 1] !== to;
  if (open) points.push(to);
  const out: { from: number; to: number; ongoing: boolean }[] = [];
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1] as number;
    const b = points[i] as number;
    if (b - a > thresholdMs) out.push({ from: a, to: b, ongoing: open && i === points.length - 1 });
  }
  return out;
}

/** `2026-03-02 10:00:00Z`, as the e-mails show times. */
function shown(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, 'Z');
}

function minutes(ms: number): string {
  const m = ms / MINUTE;
  return `${Number.isInteger(m) ? m : m.toFixed(1)} min`;
}

async function digestTrails(
  options: CheckIntegrityOptions,
  scope: LogScope,
): Promise<Map<string, { homeRegion: string }>> {
  const base = cloudTrailDigestPrefix({
    prefix: scope.prefix,
    organizationId: scope.organizationId,
    accountId: scope.accountId,
    region: scope.region,
  });
  const trails = new Map<string, { homeRegion: string }>();
  const source = options.sourceFor(scope.region);
  for (const day of dayPrefixes(options.start, new Date(options.end.getTime() + HOUR))) {
    for await (const key of source.listKeys({ bucket: options.bucket, prefix: `${base}/${day}/` })) {
      const parsed = parseCloudTrailDigestKey(key);
      if (parsed !== undefined && !trails.has(parsed.trailName))
        trails.set(parsed.trailName, { homeRegion: parsed.homeRegion });
    }
  }
  return trails;
}

function scopeLabel(scope: { accountId: string; region: string }): string {
  return `account ${scope.accountId} in ${scope.region}`;
}

function accountLabel(accountId: string, names: Readonly<Record<string, string>> | undefined): string {
  const name = names?.[accountId];
  return name === undefined ? accountId : `${accountId} (${name})`;
}

const scopeKey = (accountId: string, region: string) => `${accountId}\u0000${region}`;

/** The scopes read, plus each expected account and region whose log files the run did not read. */
function scopesToCheck(options: CheckIntegrityOptions): { scopes: LogScope[]; expectedOnly: Set<LogScope> } {
  const scopes = [...options.scopes];
  const expectedOnly = new Set<LogScope>();
  const expected = options.expected;
  if (expected === undefined) return { scopes, expectedOnly };
  const read = new Set(options.scopes.map((s) => scopeKey(s.accountId, s.region)));
  for (const accountId of expected.accountIds) {
    for (const region of expected.regions) {
      if (read.has(scopeKey(accountId, region))) continue;
      const scope: LogScope = { accountId, region, organizationId: expected.organizationId, prefix: expected.prefix };
      scopes.push(scope);
      expectedOnly.add(scope);
    }
  }
  return { scopes, expectedOnly };
}

function checkDeliveries(
  expected: ExpectedDeliveries | undefined,
  ends: ReadonlyMap<string, readonly number[]>,
): DeliveryCheck {
  if (expected === undefined || expected.accountIds.length === 0) {
    return {
      status: 'not-configured',
      summary: 'not checked: no expected accounts are configured (JIT_REPORT_EXPECTED_ACCOUNTS)',
      accounts: [],
      regions: [],
      silent: [],
    };
  }
  const from = expected.from.getTime();
  const to = expected.to.getTime();
  const threshold = silenceThresholdMs(expected.periodMs);
  const base = {
    accounts: [...expected.accountIds],
    regions: [...expected.regions],
    periodMinutes: expected.periodMs / MINUTE,
    from: new Date(from).toISOString(),
    to: new Date(Math.max(from, to)).toISOString(),
  };
  const count = `${expected.accountIds.length} expected account${expected.accountIds.length === 1 ? '' : 's'}`;
  if (to - from <= threshold) {
    return {
      ...base,
      status: 'not-checked',
      summary: `not checked: ${shown(from)} → ${shown(Math.max(from, to))} is too short to tell whether the ${count} deliver (a digest is due every ${minutes(expected.periodMs)}; silence counts after ${minutes(threshold)})`,
      silent: [],
    };
  }
  const silent: SilentStretch[] = [];
  for (const accountId of expected.accountIds) {
    for (const region of expected.regions) {
      for (const stretch of silentStretchesOf(ends.get(scopeKey(accountId, region)) ?? [], from, to, threshold)) {
        silent.push({
          accountId,
          region,
          from: new Date(stretch.from).toISOString(),
          to: new Date(stretch.to).toISOString(),
          ongoing: stretch.ongoing,
        });
      }
    }
  }
  const regions = expected.regions.join(', ');
  if (silent.length === 0) {
    return {
      ...base,
      status: 'delivering',
      summary: `all ${count}${expected.accountIds.length <= 10 ? ` (${expected.accountIds.join(', ')})` : ''} delivered a valid digest at least every ${minutes(expected.periodMs)} in ${regions} from ${shown(from)} to ${shown(to)}`,
      silent,
    };
  }
  const silentAccounts = [...new Set(silent.map((s) => s.accountId))];
  return {
    ...base,
    status: 'silent',
    summary: `${silentAccounts.length} of ${count} delivered no valid digest for longer than ${minutes(threshold)} between ${shown(from)} and ${shown(to)}: ${silentAccounts.map((a) => accountLabel(a, expected.accountNames)).join(', ')}`,
    silent,
  };
}

function silenceLine(stretch: SilentStretch, expected: ExpectedDeliveries): string {
  const from = Date.parse(stretch.from);
  const to = Date.parse(stretch.to);
  const when = stretch.ongoing
    ? `no digest file since ${shown(from)} (checked up to ${shown(to)})`
    : `no digest file from ${shown(from)} to ${shown(to)}`;
  return `account ${accountLabel(stretch.accountId, expected.accountNames)} in ${stretch.region} is silent: ${when}, ${minutes(to - from)} where one is due every ${minutes(expected.periodMs)}; its trail was stopped or deleted, or cannot deliver`;
}

/**
 * Checks the digests of every account and region the report read, and of every expected account and
 * region; never throws for what it finds.
 */
export async function checkIntegrity(options: CheckIntegrityOptions): Promise<IntegritySummary> {
  const maxProblems = options.maxProblems ?? 50;
  const problems: string[] = [];
  let problemCount = 0;
  const problem = (line: string) => {
    problemCount += 1;
    if (problems.length < maxProblems) problems.push(line);
  };
  let broken = false;
  let unverified = false;
  const trails: TrailCheck[] = [];
  const covered = new Set<string>();
  /** Newest digest end per scope: files delivered after it wait for the next digest. */
  const newestDigest = new Map<string, number>();
  /** End times of the valid digests per account and region: evidence that the trail was delivering. */
  const digestEnds = new Map<string, number[]>();
  let digestCount = 0;
  let logCount = 0;
  const { scopes, expectedOnly } = scopesToCheck(options);

  for (const scope of scopes) {
    const scopeId = scopeKey(scope.accountId, scope.region);
    // Without log files read, a missing digest is the silence check's finding, not an unverifiable file.
    const logsRead = !expectedOnly.has(scope);
    let found: Map<string, { homeRegion: string }>;
    try {
      found = await digestTrails(options, scope);
    } catch (error) {
      unverified = true;
      problem(`cannot list the digests of ${scopeLabel(scope)}: ${messageOf(error)}`);
      continue;
    }
    if (logsRead && options.trailName !== undefined && !found.has(options.trailName)) {
      unverified = true;
      problem(
        `no digest files of trail ${options.trailName} for ${scopeLabel(scope)}: its log files cannot be verified`,
      );
    }
    if (logsRead && found.size === 0 && options.trailName === undefined) {
      unverified = true;
      problem(`no digest files for ${scopeLabel(scope)}: its log files cannot be verified`);
    }
    for (const [trailName, { homeRegion }] of found) {
      let result: VerifyResult;
      try {
        result = await verifyTrail({
          source: options.sourceFor(scope.region),
          bucket: options.bucket,
          start: options.start,
          end: options.end,
          trailName,
          accountId: scope.accountId,
          region: scope.region,
          homeRegion,
          organizationId: scope.organizationId,
          prefix: scope.prefix,
          concurrency: options.concurrency ?? 4,
        });
      } catch (error) {
        unverified = true;
        problem(`cannot verify trail ${trailName} for ${scopeLabel(scope)}: ${messageOf(error)}`);
        continue;
      }
      const c = result.counts;
      trails.push({
        accountId: scope.accountId,
        region: scope.region,
        trailName,
        ok: result.ok,
        digests: {
          valid: c.digests.valid + c.backfillDigests.valid,
          invalid: c.digests.invalid + c.backfillDigests.invalid,
        },
        logs: c.logs,
      });
      digestCount += c.digests.valid + c.digests.invalid + c.backfillDigests.valid + c.backfillDigests.invalid;
      logCount += c.logs.valid + c.logs.invalid;
      // Only the configured trail's digests show that it delivers; another trail's would hide its silence.
      const showsDelivery = options.trailName === undefined || trailName === options.trailName;
      for (const digest of result.digests) {
        if (digest.verdict !== 'valid') {
          broken = true;
          problem(digestLine(digest));
        } else if (digest.digestEndTime !== undefined) {
          const end = Date.parse(digest.digestEndTime);
          if (end > (newestDigest.get(scopeId) ?? Number.NEGATIVE_INFINITY)) newestDigest.set(scopeId, end);
          if (showsDelivery && Number.isFinite(end)) {
            const ends = digestEnds.get(scopeId) ?? [];
            ends.push(end);
            digestEnds.set(scopeId, ends);
          }
        }
      }
      for (const log of result.logs) {
        covered.add(log.key);
        if (log.verdict !== 'valid') {
          broken = true;
          problem(logLine(log));
        }
      }
      for (const gap of result.gaps) {
        broken = true;
        problem(`${gapLine(gap)}: the chain restarts, logging or validation was interrupted`);
      }
      for (const finding of result.findings) {
        if (finding.code === 'no-digests' || finding.code === 'no-public-keys') {
          if (finding.code === 'no-digests' && !logsRead) continue;
          unverified = true;
          problem(`${trailName}, ${scopeLabel(scope)}: ${finding.message}`);
        } else if (finding.severity === 'error') {
          broken = true;
          problem(`${finding.code}: ${finding.message}`);
        } else {
          problem(`warning ${finding.code}: ${finding.message}`);
        }
      }
    }
  }

  const deliveries = checkDeliveries(options.expected, digestEnds);
  if (options.expected !== undefined) {
    for (const stretch of deliveries.silent) problem(silenceLine(stretch, options.expected));
  }
  const silent = deliveries.status === 'silent';

  const pending: string[] = [];
  for (const key of options.logKeys) {
    if (covered.has(key)) continue;
    const parsed = parseCloudTrailLogKey(key);
    const newest = parsed === undefined ? undefined : newestDigest.get(scopeKey(parsed.accountId, parsed.region));
    if (parsed !== undefined && newest !== undefined && parsed.time.getTime() >= newest - 60_000) {
      // Key times are cut to the minute: a file delivered in the digest's last minute may belong to the next.
      pending.push(key);
    } else if (parsed !== undefined && newest === undefined) {
      // No valid digest at all for this scope: already reported as unverified (or broken) above.
    } else {
      broken = true;
      problem(`Log file\ts3://${options.bucket}/${key}\tINVALID: not listed in any digest (added after delivery?)`);
    }
  }
  if (problemCount > problems.length) problems.push(`… and ${problemCount - problems.length} more problems`);

  const status: IntegrityStatus = broken ? 'broken' : silent ? 'silent' : unverified ? 'unverified' : 'valid';
  const silentAccounts = [...new Set(deliveries.silent.map((s) => s.accountId))];
  const headline =
    scopes.length === 0
      ? 'digest chain: nothing to verify'
      : status === 'valid'
        ? 'digest chain: valid'
        : status === 'broken'
          ? 'digest chain: BROKEN'
          : status === 'silent'
            ? silentAccounts.length > 3
              ? `digest chain: ${silentAccounts.length} SILENT accounts`
              : `digest chain: SILENT account${silentAccounts.length === 1 ? '' : 's'} ${silentAccounts.join(', ')}`
            : 'digest chain: NOT VERIFIED';
  const accounts = [...new Set(scopes.map((s) => s.accountId))].sort();
  const regions = [...new Set(scopes.map((s) => s.region))].sort();
  const what =
    scopes.length === 0
      ? 'no log files in the window, nothing to verify'
      : `${digestCount} digest file${digestCount === 1 ? '' : 's'} and ${logCount} log file${logCount === 1 ? '' : 's'} checked for ${accounts.length} account${accounts.length === 1 ? '' : 's'} (${accounts.join(', ')}) in ${regions.join(', ')}`;
  const pendingNote =
    pending.length === 0
      ? ''
      : `; ${pending.length} newest log file${pending.length === 1 ? ' is' : 's are'} not yet covered by a digest (the next run checks ${pending.length === 1 ? 'it' : 'them'})`;
  return {
    status,
    headline,
    detail: `${what}${pendingNote}`,
    problems,
    pending,
    trails,
    problemKey: problems.join('\n'),
    deliveries,
  };
}
