import type { Report, ReportCall, SessionReport } from '../report.js';
import { formatDuration } from '../time.js';
import type { Finding } from '../types.js';

const ACCESS_KEY_ANYWHERE = /\b(AKIA|ASIA)[A-Z0-9]{8,}([A-Z0-9]{4})\b/g;

/** `ASIAXXXXXXXXXXXXWXYZ` → `ASIA…WXYZ`: enough to tell keys apart, not enough to reuse one anywhere. */
export function maskAccessKeyId(id: string): string {
  if (id.length <= 8) return id;
  return `${id.slice(0, 4)}…${id.slice(-4)}`;
}

/** Masks every access key id inside free text (ids appear in error messages and generic session ids). */
export function maskAccessKeys(text: string): string {
  return text.replace(ACCESS_KEY_ANYWHERE, (_match, prefix: string, last: string) => `${prefix}…${last}`);
}

/** `2026-03-25T12:00:00Z` → `2026-03-25 12:00:00Z`. */
export function displayTime(time: string): string {
  const ms = Date.parse(time);
  if (Number.isNaN(ms)) return time;
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, 'Z');
}

/** Time of day only when the call falls on the session's first day (most do), the full time otherwise. */
export function callTime(call: ReportCall, day: string | undefined): string {
  const full = displayTime(call.time);
  return day !== undefined && full.startsWith(day) ? full.slice(11) : full;
}

export function sessionDay(session: SessionReport): string | undefined {
  const first = session.grantedAt ?? session.calls[0]?.time;
  return first === undefined ? undefined : displayTime(first).slice(0, 10);
}

const MATCHED_BY: Record<string, string> = {
  accessKey: 'access key returned by AssumeRole',
  sessionName: 'jit- session name',
  sourceIdentity: 'jit- source identity',
};

export function matchedByText(session: SessionReport): string {
  if (session.kind !== 'jit') return 'access key';
  return session.matchedBy.map((m) => MATCHED_BY[m] ?? m).join(', ');
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

export function outcomeLabel(call: ReportCall): string {
  const parts: string[] = [];
  switch (call.outcome) {
    case 'success':
      parts.push('ok');
      break;
    case 'denied':
      parts.push(`DENIED ${call.errorCode ?? ''}`.trim());
      break;
    case 'throttled':
      parts.push(`throttled ${call.errorCode ?? ''}`.trim());
      break;
    default:
      parts.push(`error ${call.errorCode ?? ''}`.trim());
  }
  if (call.write) parts.push('write');
  if (call.outsideWindow === 'after') parts.push('AFTER WINDOW');
  if (call.outsideWindow === 'before') parts.push('BEFORE GRANT');
  return parts.join(', ');
}

export function sessionTitle(session: SessionReport): string {
  const who =
    session.kind === 'jit' ? `grant ${session.grantId ?? session.id}` : `session ${displaySessionId(session)}`;
  const where = [session.roleName, session.accountId === undefined ? undefined : `in ${session.accountId}`]
    .filter((x) => x !== undefined)
    .join(' ');
  return where === '' ? who : `${who} — ${where}`;
}

export function windowLine(session: SessionReport): string {
  const w = session.requestedWindow;
  if (w === null) return 'unknown (no AssumeRole event in the input)';
  return `${displayTime(w.start)} → ${displayTime(w.end)} (${formatDuration(w.seconds * 1000)}, end from ${w.endSource})`;
}

export function usedLine(session: SessionReport): string {
  const a = session.actualWindow;
  if (a === null) return 'no calls';
  const of =
    session.requestedWindow === null ? '' : ` of ${formatDuration(session.requestedWindow.seconds * 1000)} granted`;
  return `${displayTime(a.firstCall)} → ${displayTime(a.lastCall)} (${formatDuration(a.seconds * 1000)}${of})`;
}

/** Who called AssumeRole, as CloudTrail authenticated the caller (the approver's real identity). */
export function callerLine(session: SessionReport): string | undefined {
  const by = session.assumedBy;
  return by?.arn ?? by?.invokedBy ?? by?.principalId;
}

/** The `jit:approver` tag jit-grant wrote, i.e. who the grant says approved it. */
export function approverLine(session: SessionReport): string | undefined {
  return session.approver === undefined ? undefined : `${session.approver} (jit:approver tag)`;
}

/** A session id fit for a table: access keys masked, `<arn>#<time>` ids cut to the session name. */
export function displaySessionId(session: { id: string; kind: string; grantId?: string }): string {
  if (session.kind === 'jit') return session.grantId ?? session.id;
  if (/^(AKIA|ASIA)[A-Z0-9]+$/.test(session.id)) return maskAccessKeyId(session.id);
  const [arn = session.id, created = ''] = session.id.split('#');
  const name = arn.slice(arn.lastIndexOf('/') + 1);
  return created === '' ? name : `${name}@${created}`;
}

export function countsLine(session: { counts: SessionReport['counts'] }): string {
  const c = session.counts;
  const parts = [`${c.success} ok`];
  if (c.denied > 0) parts.push(`${c.denied} denied`);
  if (c.throttled > 0) parts.push(`${c.throttled} throttled`);
  if (c.errors > 0) parts.push(`${c.errors} other error${c.errors === 1 ? '' : 's'}`);
  parts.push(plural(c.writes, 'write'));
  if (c.outsideWindow > 0) parts.push(`${c.outsideWindow} outside the window`);
  return parts.join(' · ');
}

export function outsideLine(call: ReportCall, session: SessionReport): string {
  const w = session.requestedWindow;
  if (w === null) return '';
  if (call.outsideWindow === 'after') {
    return `after the window closed at ${displayTime(w.end)} (+${formatDuration(call.epochMs - Date.parse(w.end))})`;
  }
  return `before the grant at ${displayTime(w.start)} (${formatDuration(Date.parse(w.start) - call.epochMs)} early)`;
}

export function selfReportHeadline(session: SessionReport): string | undefined {
  const s = session.selfReport;
  if (s === undefined) return undefined;
  const verdict = s.discrepancy ? 'DIFFERS' : 'matches';
  return `the agent reported ${plural(s.reportedCalls, 'call')}, CloudTrail shows ${s.cloudTrailCalls} (${s.matchedCalls} match) — ${verdict}`;
}

export function findingLine(finding: Finding): string {
  const at = finding.index === undefined ? '' : `#${finding.index}`;
  return `${finding.kind}: ${finding.source}${at} — ${finding.reason}`;
}

export function headline(report: Report): string {
  const t = report.totals;
  const what = report.mode === 'jit' ? 'elevated session' : 'assumed-role session';
  return `${plural(t.sessions, what)}, ${plural(t.calls, 'call')} (${t.denied} denied, ${t.writes} write${t.writes === 1 ? '' : 's'}, ${t.outsideWindow} outside the window)`;
}

export function queryLine(report: Report): string {
  const q = report.query;
  const parts = [`source ${q.source}`];
  if (q.since !== undefined || q.until !== undefined) {
    parts.push(
      `window ${q.since === undefined ? '…' : displayTime(q.since)} → ${q.until === undefined ? '…' : displayTime(q.until)}`,
    );
  }
  if (q.session !== undefined) parts.push(`session ${q.session}`);
  if (q.selfReport !== undefined) parts.push(`self-report ${q.selfReport}`);
  parts.push(`${report.input.records} records in ${plural(report.input.files, 'file')}`);
  return parts.join(' · ');
}

export function calls(session: SessionReport, outcome: ReportCall['outcome']): ReportCall[] {
  return session.calls.filter((c) => c.outcome === outcome);
}

export function truncateText(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** One line for a call's resources, shortened for tables. */
export function resourcesText(call: { resources: readonly string[] }, max = 60): string {
  if (call.resources.length === 0) return '-';
  return truncateText(call.resources.join(', '), max);
}
