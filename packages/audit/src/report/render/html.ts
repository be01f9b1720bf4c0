import type { Report, ReportCall, SessionReport } from '../report.js';
import {
  approverLine,
  callerLine,
  calls,
  callTime,
  countsLine,
  findingLine,
  headline,
  maskAccessKeyId,
  maskAccessKeys,
  matchedByText,
  outcomeLabel,
  outsideLine,
  plural,
  queryLine,
  resourcesText,
  selfReportHeadline,
  sessionDay,
  sessionTitle,
  truncateText,
  usedLine,
  windowLine,
} from './common.js';

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]+/g;
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attribute values; masks access key ids. */
export function escapeHtml(text: string): string {
  return maskAccessKeys(text.replace(CONTROL, ' ')).replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

// Inline styles only: mail clients drop <style> blocks and external CSS; no scripts, no images, no links out.
const S = {
  body: 'margin:0;padding:16px;background:#ffffff;color:#1f2328;font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;line-height:1.45;',
  h1: 'font-size:20px;margin:0 0 8px 0;',
  h2: 'font-size:17px;margin:28px 0 8px 0;padding-top:12px;border-top:2px solid #d0d7de;',
  h3: 'font-size:15px;margin:18px 0 6px 0;',
  muted: 'color:#59636e;margin:2px 0;',
  alert: 'border:1px solid #d1242f;background:#ffebe9;color:#82071e;padding:8px 12px;margin:12px 0;',
  ok: 'border:1px solid #1a7f37;background:#dafbe1;color:#116329;padding:6px 12px;margin:8px 0;',
  table: 'border-collapse:collapse;margin:4px 0;',
  th: 'text-align:left;border:1px solid #d0d7de;background:#f6f8fa;padding:4px 8px;font-weight:600;',
  td: 'border:1px solid #d0d7de;padding:4px 8px;vertical-align:top;',
  key: 'border:1px solid #d0d7de;padding:4px 8px;background:#f6f8fa;font-weight:600;white-space:nowrap;vertical-align:top;',
  mono: 'font-family:SFMono-Regular,Consolas,Menlo,monospace;font-size:12px;',
  denied: 'border:1px solid #d0d7de;padding:4px 8px;background:#ffebe9;color:#82071e;',
  warn: 'border:1px solid #d0d7de;padding:4px 8px;background:#fff8c5;color:#7d4e00;',
  list: 'margin:4px 0;padding-left:20px;',
} as const;

function table(head: readonly string[] | undefined, rows: readonly string[]): string {
  const header =
    head === undefined ? '' : `<tr>${head.map((h) => `<th style="${S.th}">${escapeHtml(h)}</th>`).join('')}</tr>`;
  return `<table style="${S.table}">${header}${rows.join('')}</table>`;
}

function td(html: string, style: string = S.td): string {
  return `<td style="${style}">${html}</td>`;
}

function callRow(call: ReportCall, i: number, day: string | undefined): string {
  const outcomeStyle =
    call.outcome === 'denied'
      ? S.denied
      : call.outsideWindow !== undefined || call.outcome !== 'success'
        ? S.warn
        : S.td;
  return `<tr>${td(String(i + 1))}${td(escapeHtml(callTime(call, day)), `${S.td}${S.mono}`)}${td(
    escapeHtml(call.action),
    `${S.td}${S.mono}`,
  )}${td(escapeHtml(resourcesText(call, 100)), `${S.td}${S.mono}`)}${td(escapeHtml(outcomeLabel(call)), outcomeStyle)}</tr>`;
}

function list(items: readonly string[]): string {
  return items.length === 0
    ? `<p style="${S.muted}">None.</p>`
    : `<ul style="${S.list}">${items.map((i) => `<li>${i}</li>`).join('')}</ul>`;
}

function errorItems(items: readonly ReportCall[], day: string | undefined): string[] {
  return items.map((call) => {
    const message = call.errorMessage === undefined ? '' : `: ${truncateText(call.errorMessage, 300)}`;
    return `<span style="${S.mono}">${escapeHtml(callTime(call, day))} ${escapeHtml(call.action)}</span> — ${escapeHtml(
      `${call.errorCode ?? 'error'}${message}`,
    )}`;
  });
}

function renderSession(session: SessionReport): string {
  const day = sessionDay(session);
  const parts: string[] = [`<h2 style="${S.h2}">${escapeHtml(sessionTitle(session))}</h2>`];
  parts.push(
    session.attention.length === 0
      ? `<div style="${S.ok}">Clean: every call inside the window${session.selfReport === undefined ? '' : ', self-report matches'}.</div>`
      : `<div style="${S.alert}"><strong>Needs attention:</strong> ${escapeHtml(session.attention.join('; '))}</div>`,
  );
  const fields: string[] = [];
  const field = (name: string, value: string | undefined) => {
    if (value !== undefined && value !== '')
      fields.push(`<tr>${td(escapeHtml(name), S.key)}${td(escapeHtml(value))}</tr>`);
  };
  field('Account', session.accountId);
  field('Role', session.roleArn ?? session.roleName);
  field('Tier', session.tier);
  field('Approver', approverLine(session));
  field('AssumeRole by', callerLine(session));
  field('Reason', session.reason);
  field('Requested window', windowLine(session));
  field('Used', usedLine(session));
  field('Session name', session.roleSessionName);
  field('Source identity', session.sourceIdentity);
  field('Access keys', session.accessKeyIds.map(maskAccessKeyId).join(', '));
  field('Matched by', matchedByText(session));
  for (const note of session.notes) field('Note', note);
  parts.push(table(undefined, fields));

  parts.push(
    `<h3 style="${S.h3}">Calls (${session.counts.calls})</h3><p style="${S.muted}">${escapeHtml(countsLine(session))}</p>`,
  );
  if (session.calls.length > 0) {
    parts.push(
      table(
        ['#', 'Time (UTC)', 'Action', 'Resources', 'Outcome'],
        session.calls.map((c, i) => callRow(c, i, day)),
      ),
    );
  }
  const denied = calls(session, 'denied');
  parts.push(`<h3 style="${S.h3}">Denied attempts (${denied.length})</h3>`, list(errorItems(denied, day)));
  const throttled = calls(session, 'throttled');
  if (throttled.length > 0)
    parts.push(`<h3 style="${S.h3}">Throttled (${throttled.length})</h3>`, list(errorItems(throttled, day)));
  const errors = calls(session, 'error');
  parts.push(`<h3 style="${S.h3}">Other errors (${errors.length})</h3>`, list(errorItems(errors, day)));
  const writes = session.calls.filter((c) => c.write);
  parts.push(
    `<h3 style="${S.h3}">Resources modified (${writes.length})</h3>`,
    list(
      writes.map(
        (c) =>
          `<span style="${S.mono}">${escapeHtml(callTime(c, day))} ${escapeHtml(c.action)}</span> — ${escapeHtml(resourcesText(c, 200))}`,
      ),
    ),
  );
  if (session.requestedWindow !== null) {
    const outside = session.calls.filter((c) => c.outsideWindow !== undefined);
    parts.push(
      `<h3 style="${S.h3}">Calls outside the window (${outside.length})</h3>`,
      list(
        outside.map(
          (c) =>
            `<span style="${S.mono}">${escapeHtml(callTime(c, day))} ${escapeHtml(c.action)}</span> — ${escapeHtml(outsideLine(c, session))}`,
        ),
      ),
    );
  }
  const self = session.selfReport;
  const head = selfReportHeadline(session);
  if (self !== undefined && head !== undefined) {
    parts.push(
      `<h3 style="${S.h3}">Self-report</h3><p style="${self.discrepancy ? S.alert : S.ok}">${escapeHtml(head)}</p>`,
    );
    const rows = [
      ...self.unreported.map(
        (a) =>
          `<tr>${td(escapeHtml(a.action), `${S.td}${S.mono}`)}${td(String(a.cloudTrail))}${td(String(a.reported))}${td('not reported by the agent')}</tr>`,
      ),
      ...self.unconfirmed.map(
        (a) =>
          `<tr>${td(escapeHtml(a.action), `${S.td}${S.mono}`)}${td(String(a.cloudTrail))}${td(String(a.reported))}${td('not in CloudTrail')}</tr>`,
      ),
    ];
    if (rows.length > 0) parts.push(table(['Action', 'CloudTrail', 'Reported', ''], rows));
    if (self.commandsWithoutCallDetail > 0) {
      parts.push(
        `<p style="${S.muted}">${plural(self.commandsWithoutCallDetail, 'journal line')} named a command without its AWS calls.</p>`,
      );
    }
  }
  return parts.join('\n');
}

/** A self-contained HTML page (inline CSS, no scripts or remote content) that mail clients display as is. */
export function renderHtml(report: Report): string {
  const body: string[] = [
    `<h1 style="${S.h1}">JIT Access session report</h1>`,
    `<p style="margin:2px 0;"><strong>${escapeHtml(headline(report))}</strong></p>`,
    `<p style="${S.muted}">${escapeHtml(queryLine(report))}</p>`,
    `<p style="${S.muted}">Generated ${escapeHtml(report.generatedAt)}</p>`,
  ];
  if (report.attention.length > 0) {
    body.push(
      `<div style="${S.alert}"><strong>Needs attention:</strong> ${escapeHtml(report.attention.join('; '))}</div>`,
    );
  }
  for (const session of report.sessions) body.push(renderSession(session));
  if (report.sessions.length === 0) body.push(`<p>No sessions found.</p>`);
  if (report.unmatchedSelfReport.length > 0) {
    body.push(
      `<h2 style="${S.h2}">Self-reported grants with no session in CloudTrail</h2>`,
      list(
        report.unmatchedSelfReport.map((u) =>
          escapeHtml(`${u.grantId}: ${plural(u.reportedCalls, 'reported call')} (lines ${u.lines.join(', ')})`),
        ),
      ),
    );
  }
  if (report.findings.length > 0) {
    body.push(
      `<h2 style="${S.h2}">Findings (${report.findings.length})</h2>`,
      list(report.findings.map((f) => escapeHtml(findingLine(f)))),
    );
  }
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>JIT Access session report</title>',
    '</head>',
    `<body style="${S.body}">`,
    ...body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
