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
 * `aws cloudtrail validate-logs`, plus its strict chain checks), and one more check the CLI cannot make:
 * every log file the report read must be listed by a digest, unless it is newer than the newest digest
 * (CloudTrail writes digests about once an hour, so the newest files wait for the next one).
 */
export type IntegrityStatus = 'valid' | 'broken' | 'unverified';

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
}

const HOUR = 3_600_000;

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

/** Checks the digests of every account and region the report read; never throws for what it finds. */
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
  let digestCount = 0;
  let logCount = 0;

  for (const scope of options.scopes) {
    const scopeId = `${scope.accountId}\u0000${scope.region}`;
    let found: Map<string, { homeRegion: string }>;
    try {
      found = await digestTrails(options, scope);
    } catch (error) {
      unverified = true;
      problem(`cannot list the digests of ${scopeLabel(scope)}: ${messageOf(error)}`);
      continue;
    }
    if (options.trailName !== undefined && !found.has(options.trailName)) {
      unverified = true;
      problem(
        `no digest files of trail ${options.trailName} for ${scopeLabel(scope)}: its log files cannot be verified`,
      );
    }
    if (found.size === 0 && options.trailName === undefined) {
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
      for (const digest of result.digests) {
        if (digest.verdict !== 'valid') {
          broken = true;
          problem(digestLine(digest));
        } else if (digest.digestEndTime !== undefined) {
          const end = Date.parse(digest.digestEndTime);
          if (end > (newestDigest.get(scopeId) ?? Number.NEGATIVE_INFINITY)) newestDigest.set(scopeId, end);
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

  const pending: string[] = [];
  for (const key of options.logKeys) {
    if (covered.has(key)) continue;
    const parsed = parseCloudTrailLogKey(key);
    const newest = parsed === undefined ? undefined : newestDigest.get(`${parsed.accountId}\u0000${parsed.region}`);
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

  const status: IntegrityStatus = broken ? 'broken' : unverified ? 'unverified' : 'valid';
  const headline =
    options.scopes.length === 0
      ? 'digest chain: nothing to verify'
      : status === 'valid'
        ? 'digest chain: valid'
        : status === 'broken'
          ? 'digest chain: BROKEN'
          : 'digest chain: NOT VERIFIED';
  const accounts = [...new Set(options.scopes.map((s) => s.accountId))].sort();
  const regions = [...new Set(options.scopes.map((s) => s.region))].sort();
  const what =
    options.scopes.length === 0
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
  };
}
