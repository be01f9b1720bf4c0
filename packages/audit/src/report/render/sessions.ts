import type { Report, SessionReport } from '../report.js';
import { displaySessionId, displayTime, headline, maskAccessKeys, queryLine } from './common.js';

/** One line per session, for `jit-audit sessions`. */
export interface SessionSummary {
  readonly id: string;
  readonly kind: SessionReport['kind'];
  readonly grantId?: string;
  readonly accountId?: string;
  readonly roleName?: string;
  readonly tier?: string;
  readonly approver?: string;
  readonly reason?: string;
  readonly grantedAt?: string;
  readonly firstCall?: string;
  readonly lastCall?: string;
  readonly accessKeyIds: readonly string[];
  readonly calls: number;
  readonly denied: number;
  readonly errors: number;
  readonly writes: number;
  readonly outsideWindow: number;
  readonly attention: readonly string[];
}

export function summarizeSession(session: SessionReport): SessionSummary {
  const summary: Record<string, unknown> = {
    id: session.id,
    kind: session.kind,
    grantId: session.grantId,
    accountId: session.accountId,
    roleName: session.roleName,
    tier: session.tier,
    approver: session.approver,
    reason: session.reason,
    grantedAt: session.grantedAt,
    firstCall: session.actualWindow?.firstCall,
    lastCall: session.actualWindow?.lastCall,
    accessKeyIds: session.accessKeyIds,
    calls: session.counts.calls,
    denied: session.counts.denied,
    errors: session.counts.errors + session.counts.throttled,
    writes: session.counts.writes,
    outsideWindow: session.counts.outsideWindow,
    attention: session.attention,
  };
  for (const key of Object.keys(summary)) if (summary[key] === undefined) delete summary[key];
  return summary as unknown as SessionSummary;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]+/g;

function cell(text: string, width: number): string {
  const clean = maskAccessKeys(text.replace(CONTROL, ' '));
  const cut = clean.length > width ? `${clean.slice(0, width - 1)}…` : clean;
  return cut + ' '.repeat(Math.max(0, width - cut.length));
}

export function renderSessionListText(report: Report): string {
  const out = [headline(report), queryLine(report), ''];
  if (report.sessions.length === 0) out.push('No sessions found.');
  else {
    const rows = report.sessions.map((s) => {
      const start = s.grantedAt ?? s.actualWindow?.firstCall;
      return [
        displaySessionId(s),
        s.accountId ?? '-',
        s.roleName ?? '-',
        s.tier ?? '-',
        start === undefined ? '-' : displayTime(start),
        String(s.counts.calls),
        String(s.counts.denied),
        String(s.counts.writes),
        String(s.counts.outsideWindow),
        s.attention.length === 0 ? 'clean' : 'ATTENTION',
      ];
    });
    const head = [
      'SESSION',
      'ACCOUNT',
      'ROLE',
      'TIER',
      'START (UTC)',
      'CALLS',
      'DENIED',
      'WRITES',
      'OUTSIDE',
      'STATUS',
    ];
    const widths = head.map((h, i) =>
      Math.min(i === 2 ? 40 : 32, Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length))),
    );
    out.push(
      head
        .map((h, i) => cell(h, widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    );
    for (const row of rows)
      out.push(
        row
          .map((c, i) => cell(c, widths[i] ?? 0))
          .join('  ')
          .trimEnd(),
      );
  }
  if (report.findings.length > 0)
    out.push('', `${report.findings.length} finding(s): run jit-audit report for details`);
  return `${out.join('\n')}\n`;
}

export function renderSessionListJson(report: Report): string {
  const body = {
    reportVersion: report.reportVersion,
    generatedAt: report.generatedAt,
    mode: report.mode,
    query: report.query,
    input: report.input,
    sessions: report.sessions.map(summarizeSession),
    findings: report.findings,
  };
  return `${JSON.stringify(body, null, 2)}\n`;
}
