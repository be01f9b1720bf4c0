import { SESSION_PREFIX, SESSION_TAG } from '@jit-access/core';
import type { Outcome } from './classify.js';
import {
  type Caller,
  CorrelationMode,
  type ElevatedSession,
  type GrantEvent,
  type MatchedBy,
  type SessionCall,
} from './correlate.js';
import { compareSelfReport, type SelfReport, type SelfReportComparison, type SelfReportEntry } from './selfReport.js';
import { iso, parseTime } from './time.js';
import { type Finding, FindingKind } from './types.js';
import { defined } from './util.js';

/** Bumped on any incompatible change of the JSON report. */
export const REPORT_VERSION = 1;

/** STS's default session duration when AssumeRole names none. */
const DEFAULT_DURATION_SECONDS = 3600;

export type WindowEndSource = 'jit:until' | 'expiration' | 'durationSeconds' | 'default';

export interface RequestedWindow {
  /** The AssumeRole event's time. */
  readonly start: string;
  readonly end: string;
  /** Where the end comes from: the grant's `jit:until` tag, STS's expiration, the requested duration, STS's default. */
  readonly endSource: WindowEndSource;
  readonly seconds: number;
}

export interface ActualWindow {
  readonly firstCall: string;
  readonly lastCall: string;
  readonly seconds: number;
}

export interface ReportCall extends SessionCall {
  /** Set when the call happened before the grant or after its window closed. */
  readonly outsideWindow?: 'before' | 'after';
}

export interface CallCounts {
  readonly calls: number;
  readonly success: number;
  readonly denied: number;
  readonly throttled: number;
  readonly errors: number;
  readonly writes: number;
  readonly outsideWindow: number;
}

export interface ModifiedResource {
  readonly time: string;
  readonly action: string;
  readonly resources: readonly string[];
}

export interface SessionReport {
  readonly id: string;
  readonly kind: ElevatedSession['kind'];
  readonly grantId?: string;
  readonly accountId?: string;
  readonly roleArn?: string;
  readonly roleName?: string;
  readonly roleSessionName?: string;
  readonly sourceIdentity?: string;
  /** From the grant's session tags: what jit-grant wrote, recorded by CloudTrail. */
  readonly tier?: string;
  readonly approver?: string;
  readonly reason?: string;
  /** Who called AssumeRole, as CloudTrail authenticated it. */
  readonly assumedBy?: Caller;
  readonly grantedAt?: string;
  readonly grantEventId?: string;
  readonly requestedDurationSeconds?: number;
  readonly expiration?: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly accessKeyIds: readonly string[];
  readonly matchedBy: readonly MatchedBy[];
  readonly requestedWindow: RequestedWindow | null;
  readonly actualWindow: ActualWindow | null;
  readonly counts: CallCounts;
  readonly calls: readonly ReportCall[];
  readonly resourcesModified: readonly ModifiedResource[];
  readonly selfReport?: SelfReportComparison;
  /** Things the reader should know that are not errors (e.g. no AssumeRole event in the input). */
  readonly notes: readonly string[];
  /** Why this session needs attention; empty when it does not. */
  readonly attention: readonly string[];
}

export interface ReportQuery {
  readonly source: string;
  readonly since?: string;
  readonly until?: string;
  readonly session?: string;
  readonly selfReport?: string;
}

export interface UnmatchedSelfReport {
  readonly grantId: string;
  readonly lines: readonly number[];
  readonly reportedCalls: number;
}

export interface Report {
  readonly reportVersion: typeof REPORT_VERSION;
  readonly generatedAt: string;
  readonly mode: CorrelationMode;
  readonly query: ReportQuery;
  readonly input: { readonly records: number; readonly files: number };
  readonly totals: CallCounts & { readonly sessions: number; readonly sessionsNeedingAttention: number };
  readonly findings: readonly Finding[];
  /** Grants the agent reported that CloudTrail shows no session for. */
  readonly unmatchedSelfReport: readonly UnmatchedSelfReport[];
  readonly sessions: readonly SessionReport[];
  /** Why the whole report needs attention (exit code 3); empty when clean. */
  readonly attention: readonly string[];
}

export interface BuildReportOptions {
  readonly sessions: readonly ElevatedSession[];
  readonly mode?: CorrelationMode;
  readonly findings?: readonly Finding[];
  readonly selfReport?: SelfReport;
  readonly query: ReportQuery;
  readonly input?: { readonly records: number; readonly files: number };
  readonly generatedAt: Date;
}

function requestedWindow(grants: readonly GrantEvent[], notes: string[]): RequestedWindow | null {
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  let endSource: WindowEndSource = 'default';
  for (const grant of grants) {
    let grantEnd: number | undefined;
    let source: WindowEndSource = 'default';
    const until = grant.tags[SESSION_TAG.until];
    if (until !== undefined) {
      grantEnd = parseTime(until);
      if (grantEnd === undefined)
        notes.push(
          `session tag ${SESSION_TAG.until} ${JSON.stringify(until)} is not a time; window end taken from the credentials`,
        );
      else source = 'jit:until';
    }
    if (grantEnd === undefined && grant.expiration !== undefined)
      [grantEnd, source] = [parseTime(grant.expiration), 'expiration'];
    if (grantEnd === undefined && grant.durationSeconds !== undefined) {
      [grantEnd, source] = [grant.epochMs + grant.durationSeconds * 1000, 'durationSeconds'];
    }
    if (grantEnd === undefined) [grantEnd, source] = [grant.epochMs + DEFAULT_DURATION_SECONDS * 1000, 'default'];
    start = Math.min(start, grant.epochMs);
    if (grantEnd > end) [end, endSource] = [grantEnd, source];
  }
  if (!Number.isFinite(start) || !Number.isFinite(end)) return null;
  return { start: iso(start), end: iso(end), endSource, seconds: Math.round((end - start) / 1000) };
}

function countCalls(calls: readonly ReportCall[]): CallCounts {
  const by = (outcome: Outcome) => calls.filter((c) => c.outcome === outcome).length;
  return {
    calls: calls.length,
    success: by('success'),
    denied: by('denied'),
    throttled: by('throttled'),
    errors: by('error'),
    writes: calls.filter((c) => c.write).length,
    outsideWindow: calls.filter((c) => c.outsideWindow !== undefined).length,
  };
}

function sessionReport(session: ElevatedSession, entries: readonly SelfReportEntry[] | undefined): SessionReport {
  const notes: string[] = [];
  const primary = session.grants[0];
  if (primary === undefined) {
    notes.push('no AssumeRole event for this session in the input: approver, reason and requested window are unknown');
  }
  if (session.grants.length > 1) notes.push(`${session.grants.length} AssumeRole events share this session`);
  const window = requestedWindow(session.grants, notes);
  const startMs = window === null ? undefined : Date.parse(window.start);
  const endMs = window === null ? undefined : Date.parse(window.end);
  const calls: ReportCall[] = session.calls.map((call) => {
    if (startMs !== undefined && call.epochMs < startMs) return { ...call, outsideWindow: 'before' };
    if (endMs !== undefined && call.epochMs > endMs) return { ...call, outsideWindow: 'after' };
    return call;
  });
  const first = calls[0];
  const last = calls[calls.length - 1];
  const counts = countCalls(calls);
  const selfReport = entries === undefined ? undefined : compareSelfReport(session.calls, entries);
  const attention: string[] = [];
  if (counts.outsideWindow > 0) {
    attention.push(`${counts.outsideWindow} call${counts.outsideWindow === 1 ? '' : 's'} outside the requested window`);
  }
  if (selfReport?.discrepancy === true) {
    attention.push(
      `the agent reported ${selfReport.reportedCalls} call${selfReport.reportedCalls === 1 ? '' : 's'}, CloudTrail shows ${selfReport.cloudTrailCalls}`,
    );
  }
  const tags = primary?.tags ?? {};
  return defined({
    id: session.id,
    kind: session.kind,
    grantId: session.grantId,
    accountId: session.accountId,
    roleArn: session.roleArn,
    roleName: session.roleName,
    roleSessionName: session.roleSessionName,
    sourceIdentity: session.sourceIdentity,
    tier: tags[SESSION_TAG.tier],
    approver: tags[SESSION_TAG.approver],
    reason: tags[SESSION_TAG.reason],
    assumedBy: primary?.assumedBy,
    grantedAt: primary?.time,
    grantEventId: primary?.eventId,
    requestedDurationSeconds: primary?.durationSeconds,
    expiration: primary?.expiration,
    tags,
    accessKeyIds: session.accessKeyIds,
    matchedBy: session.matchedBy,
    requestedWindow: window,
    actualWindow:
      first === undefined || last === undefined
        ? null
        : { firstCall: first.time, lastCall: last.time, seconds: Math.round((last.epochMs - first.epochMs) / 1000) },
    counts,
    calls,
    resourcesModified: calls
      .filter((c) => c.write)
      .map((c) => ({ time: c.time, action: c.action, resources: c.resources })),
    selfReport,
    notes,
    attention,
  });
}

function grantKey(value: string): string {
  return value.startsWith(SESSION_PREFIX) ? value.slice(SESSION_PREFIX.length) : value;
}

interface Attribution {
  readonly bySession: Map<string, SelfReportEntry[]>;
  readonly unmatched: UnmatchedSelfReport[];
  readonly findings: Finding[];
}

/**
 * Which journal lines belong to which session: by `grantId` (with or without `jit-`); lines without one go to
 * the only session when there is exactly one. Lines for grants CloudTrail shows nothing of are kept aside:
 * they are discrepancies too, unless the report was asked for another session.
 */
function attribute(sessions: readonly ElevatedSession[], selfReport: SelfReport, query: ReportQuery): Attribution {
  const bySession = new Map<string, SelfReportEntry[]>();
  const index = new Map<string, string>();
  for (const session of sessions) {
    bySession.set(session.id, []);
    for (const name of [session.grantId, session.sourceIdentity, session.roleSessionName, session.id]) {
      if (name !== undefined && !index.has(grantKey(name))) index.set(grantKey(name), session.id);
    }
  }
  const unmatched = new Map<string, SelfReportEntry[]>();
  const orphans: SelfReportEntry[] = [];
  const wanted = query.session === undefined ? undefined : grantKey(query.session);
  for (const entry of selfReport.entries) {
    if (entry.grantId === undefined) {
      orphans.push(entry);
      continue;
    }
    const key = grantKey(entry.grantId);
    const id = index.get(key);
    if (id !== undefined) bySession.get(id)?.push(entry);
    else if (wanted === undefined || wanted === key) {
      const list = unmatched.get(key) ?? [];
      list.push(entry);
      unmatched.set(key, list);
    }
  }
  const findings: Finding[] = [];
  const only = sessions.length === 1 ? sessions[0] : undefined;
  if (only !== undefined) bySession.get(only.id)?.push(...orphans);
  else if (orphans.length > 0) {
    findings.push({
      kind: FindingKind.UnattributedSelfReport,
      source: selfReport.source,
      index: orphans[0]?.line ?? 0,
      reason: `${orphans.length} self-report line${orphans.length === 1 ? '' : 's'} without grantId cannot be compared: the report covers ${sessions.length} sessions (use --session, or write grantId in the journal)`,
    });
  }
  return {
    bySession,
    unmatched: [...unmatched.entries()].map(([grantId, entries]) => ({
      grantId,
      lines: entries.map((e) => e.line),
      reportedCalls: entries.reduce((n, e) => n + e.calls.length, 0),
    })),
    findings,
  };
}

/** Builds the session report from correlated sessions, the agent's journal and the input's findings. */
export function buildReport(options: BuildReportOptions): Report {
  const mode = options.mode ?? CorrelationMode.Jit;
  const findings: Finding[] = [...(options.findings ?? [])];
  let attribution: Attribution | undefined;
  if (options.selfReport !== undefined) {
    findings.push(...options.selfReport.findings);
    attribution = attribute(options.sessions, options.selfReport, options.query);
    findings.push(...attribution.findings);
  }
  const sessions = options.sessions.map((session) => {
    let entries = attribution?.bySession.get(session.id);
    // Generic mode reports sessions of other principals too; only those the journal speaks of are compared.
    if (mode === CorrelationMode.AllAssumedRoles && entries !== undefined && entries.length === 0) entries = undefined;
    return sessionReport(session, entries);
  });
  const all = sessions.flatMap((s) => s.calls);
  const counts = countCalls(all);
  const attention: string[] = [];
  const needing = sessions.filter((s) => s.attention.length > 0).length;
  if (counts.outsideWindow > 0) attention.push(`${counts.outsideWindow} call(s) outside the requested window`);
  const discrepant = sessions.filter((s) => s.selfReport?.discrepancy === true).length;
  if (discrepant > 0) attention.push(`${discrepant} session(s) whose self-report differs from CloudTrail`);
  const unmatched = attribution?.unmatched ?? [];
  if (unmatched.length > 0)
    attention.push(`${unmatched.length} grant(s) in the self-report with no session in CloudTrail`);
  if (findings.length > 0)
    attention.push(`${findings.length} finding(s): some input could not be read, the report may be incomplete`);
  if (options.query.session !== undefined && sessions.length === 0) {
    attention.push(`no session matches ${JSON.stringify(options.query.session)} in the input`);
  }
  return {
    reportVersion: REPORT_VERSION,
    generatedAt: options.generatedAt.toISOString(),
    mode,
    query: options.query,
    input: options.input ?? { records: 0, files: 0 },
    totals: { ...counts, sessions: sessions.length, sessionsNeedingAttention: needing },
    findings,
    unmatchedSelfReport: unmatched,
    sessions,
    attention,
  };
}
