import { escapeHtml, type Report, renderHtml, renderText, type SessionReport } from '@jit-access/audit';
import type { IntegritySummary } from '../integrity.js';
import type { RunWindow } from '../window.js';
import { headerValue } from './mime.js';

/**
 * The e-mails: the audit library's session report (HTML and text), framed by what this function adds —
 * the digest-chain verdict for the window, the window and run, where the full JSON report is kept, and
 * why the message might repeat an earlier one. The subject names account, tier and outcome, so an auditor
 * can triage from the inbox. Reports come from CloudTrail records, which carry no credentials once
 * parsed (the audit library strips them); access key ids are masked by the renderers.
 */
export interface EmailContent {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

export interface EmailContext {
  readonly window: RunWindow;
  readonly runId: string;
  readonly integrity: IntegritySummary;
  readonly subjectPrefix: string;
  readonly accountNames: Readonly<Record<string, string>>;
  /** `s3://…` of the stored JSON report. */
  readonly storedReport?: string;
  /** Lines shown above the report (e.g. a possible duplicate). */
  readonly notes?: readonly string[];
}

/** Calls listed in one e-mail; the stored JSON report has them all. Denied and failed calls are always listed. */
export const MAX_EMAIL_CALLS = 2000;
const MAX_SUBJECT = 200;

function accountLabel(accountId: string | undefined, names: Readonly<Record<string, string>>): string {
  if (accountId === undefined) return 'unknown account';
  const name = names[accountId];
  return name === undefined ? accountId : `${accountId} (${name})`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function cap(subject: string): string {
  const clean = headerValue(subject);
  return clean.length > MAX_SUBJECT ? `${clean.slice(0, MAX_SUBJECT - 1)}…` : clean;
}

/** OK, ATTENTION or INTEGRITY BROKEN: the word an auditor sorts the inbox by. */
export function verdictOf(report: Report, integrity: IntegritySummary): string {
  if (integrity.status === 'broken') return 'INTEGRITY BROKEN';
  if (report.attention.length > 0 || integrity.status !== 'valid') return 'ATTENTION';
  return 'OK';
}

function chainWords(integrity: IntegritySummary): string {
  return integrity.headline;
}

export function sessionSubject(report: Report, session: SessionReport, context: EmailContext): string {
  const c = session.counts;
  const outcome = [plural(c.calls, 'call'), `${c.denied} denied`];
  if (c.outsideWindow > 0) outcome.push(`${c.outsideWindow} outside window`);
  return cap(
    `${context.subjectPrefix} ${verdictOf(report, context.integrity)} · ${accountLabel(session.accountId, context.accountNames)} · tier ${session.tier ?? 'unknown'} · ${outcome.join(', ')} · ${chainWords(context.integrity)}`,
  );
}

export function digestSubject(report: Report, context: EmailContext): string {
  const t = report.totals;
  const accounts = [...new Set(report.sessions.map((s) => s.accountId ?? 'unknown'))];
  const tiers = [...new Set(report.sessions.map((s) => s.tier ?? 'unknown'))];
  const where =
    accounts.length === 1 ? accountLabel(accounts[0], context.accountNames) : plural(accounts.length, 'account');
  const tier = tiers.length === 1 ? `tier ${tiers[0]}` : `tiers ${tiers.join(', ')}`;
  return cap(
    `${context.subjectPrefix} ${verdictOf(report, context.integrity)} · ${plural(t.sessions, 'session')} · ${where} · ${tier} · ${plural(t.calls, 'call')}, ${t.denied} denied · ${chainWords(context.integrity)}`,
  );
}

/**
 * The sessions as shown in an e-mail: a session with more calls than MAX_EMAIL_CALLS lists its unsuccessful
 * calls first, then its calls outside the window, then the first successful ones, in time order; the counts
 * stay those of every call.
 */
export function forEmail(report: Report): Report {
  let trimmed = false;
  const sessions = report.sessions.map((session) => {
    if (session.calls.length <= MAX_EMAIL_CALLS) return session;
    trimmed = true;
    const keep = new Set<number>();
    const classes = [
      (c: (typeof session.calls)[number]) => c.outcome !== 'success',
      (c: (typeof session.calls)[number]) => c.outsideWindow !== undefined,
      () => true,
    ];
    for (const wanted of classes) {
      session.calls.forEach((call, index) => {
        if (keep.size < MAX_EMAIL_CALLS && wanted(call)) keep.add(index);
      });
    }
    const calls = session.calls.filter((_, index) => keep.has(index));
    return {
      ...session,
      calls,
      notes: [
        ...session.notes,
        `${session.calls.length - calls.length} of ${session.calls.length} calls are not listed in this e-mail (every unsuccessful call is, as far as room allows); the stored JSON report lists every call`,
      ],
    };
  });
  return trimmed ? { ...report, sessions } : report;
}

function deliveriesLine(integrity: IntegritySummary): string {
  return `Expected deliveries: ${integrity.deliveries.summary}`;
}

function integrityText(integrity: IntegritySummary): string[] {
  const lines = [`${integrity.headline.replace(/^d/, 'D')} — ${integrity.detail}`];
  for (const p of integrity.problems) lines.push(`  ${p.replace(/\t/g, '  ')}`);
  lines.push(deliveriesLine(integrity));
  return lines;
}

/** `2026-03-02 10:00:00Z`: the renderers' time format. */
function shown(date: Date): string {
  return date
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, 'Z');
}

function contextText(context: EmailContext): string[] {
  const w = context.window;
  const lines = [
    `Window: ${shown(w.since)} → ${shown(w.until)} (${w.kind}; records read from ${shown(w.readSince)})`,
    `Run: ${context.runId}`,
  ];
  if (context.storedReport !== undefined) lines.push(`Full JSON report: ${context.storedReport}`);
  return lines;
}

const BOX = {
  valid: 'border:1px solid #1a7f37;background:#dafbe1;color:#116329;padding:8px 12px;margin:8px 0;',
  broken: 'border:2px solid #d1242f;background:#ffebe9;color:#82071e;padding:8px 12px;margin:8px 0;',
  unverified: 'border:1px solid #9a6700;background:#fff8c5;color:#7d4e00;padding:8px 12px;margin:8px 0;',
  silent: 'border:2px solid #9a6700;background:#fff8c5;color:#7d4e00;padding:8px 12px;margin:8px 0;',
} as const;
const MUTED = 'color:#59636e;margin:2px 0;font-size:13px;';
const NOTE = 'border:1px solid #9a6700;background:#fff8c5;color:#7d4e00;padding:8px 12px;margin:8px 0;';

function integrityHtml(integrity: IntegritySummary): string {
  const heading = integrity.headline.replace(/^d/, 'D');
  const items =
    integrity.problems.length === 0
      ? ''
      : `<ul style="margin:6px 0 0 0;padding-left:20px;font-family:SFMono-Regular,Consolas,Menlo,monospace;font-size:12px;">${integrity.problems
          .map((p) => `<li>${escapeHtml(p.replace(/\t/g, '  '))}</li>`)
          .join('')}</ul>`;
  return `<div style="${BOX[integrity.status]}"><strong>${escapeHtml(heading)}</strong> — ${escapeHtml(integrity.detail)}${items}<p style="margin:6px 0 0 0;">${escapeHtml(deliveriesLine(integrity))}</p></div>`;
}

function bodyOf(html: string): string {
  const open = html.indexOf('<body');
  const start = open < 0 ? -1 : html.indexOf('>', open);
  const end = html.lastIndexOf('</body>');
  return start < 0 || end < start ? html : html.slice(start + 1, end);
}

function frame(title: string, parts: readonly string[]): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    '</head>',
    '<body style="margin:0;padding:16px;background:#ffffff;color:#1f2328;font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;line-height:1.45;">',
    ...parts,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

const FOOTER_TEXT =
  'Sent by the JIT Access report function in the log archive account, from CloudTrail records (never from the agent). The agent and the approvers cannot change this function or its records.';

function compose(subject: string, report: Report, context: EmailContext): EmailContent {
  const shown = forEmail(report);
  const notes = context.notes ?? [];
  const text = [
    ...notes.map((n) => `NOTE: ${n}`),
    ...integrityText(context.integrity),
    ...contextText(context),
    '',
    renderText(shown, { color: false }).trimEnd(),
    '',
    '--',
    FOOTER_TEXT,
    '',
  ].join('\n');
  const html = frame(subject, [
    ...notes.map((n) => `<div style="${NOTE}"><strong>Note:</strong> ${escapeHtml(n)}</div>`),
    integrityHtml(context.integrity),
    ...contextText(context).map((line) => `<p style="${MUTED}">${escapeHtml(line)}</p>`),
    bodyOf(renderHtml(shown)),
    `<hr style="border:none;border-top:1px solid #d0d7de;margin:24px 0 8px 0;"><p style="${MUTED}">${escapeHtml(FOOTER_TEXT)}</p>`,
  ]);
  return { subject, text, html };
}

/** One session's e-mail; `report` covers exactly that session. */
export function sessionEmail(report: Report, context: EmailContext): EmailContent {
  const session = report.sessions[0];
  const subject = session === undefined ? digestSubject(report, context) : sessionSubject(report, session, context);
  return compose(subject, report, context);
}

/** One e-mail for every session of the run. */
export function digestEmail(report: Report, context: EmailContext): EmailContent {
  return compose(digestSubject(report, context), report, context);
}

/** Sent when the digest chain has problems and no session e-mail of the run said so. */
export function integrityAlertEmail(context: EmailContext): EmailContent {
  const subject = cap(
    `${context.subjectPrefix} ${context.integrity.status === 'broken' ? 'INTEGRITY BROKEN' : 'ATTENTION'} · trail logs of ${shown(context.window.since)} → ${shown(context.window.until)} · ${chainWords(context.integrity)}`,
  );
  const silence =
    ' CloudTrail writes a digest file for every trail and region each period, even without activity: an account without one has stopped logging (its trail was stopped or deleted, or cannot deliver), and what was done in it since is not in the trail. Check the trail status in that account.';
  const lead =
    context.integrity.status === 'broken'
      ? `The CloudTrail log files in the log-archive bucket do not match their signed digests, or a file is not covered by any digest: the evidence may have been altered. Compare with the original object versions (Object Lock keeps them) and treat earlier reports of this period with care.${context.integrity.deliveries.status === 'silent' ? silence : ''}`
      : context.integrity.status === 'silent'
        ? `An expected account delivered no digest files for longer than a digest period.${silence}`
        : 'The CloudTrail log files in the log-archive bucket could not be verified against signed digests for this period.';
  const text = [lead, '', ...integrityText(context.integrity), ...contextText(context), '', '--', FOOTER_TEXT, ''].join(
    '\n',
  );
  const html = frame(subject, [
    `<h1 style="font-size:20px;margin:0 0 8px 0;">Trail integrity</h1>`,
    `<p>${escapeHtml(lead)}</p>`,
    integrityHtml(context.integrity),
    ...contextText(context).map((line) => `<p style="${MUTED}">${escapeHtml(line)}</p>`),
    `<hr style="border:none;border-top:1px solid #d0d7de;margin:24px 0 8px 0;"><p style="${MUTED}">${escapeHtml(FOOTER_TEXT)}</p>`,
  ]);
  return { subject, text, html };
}

/** Sent when the run could not read the trail at all: silence would look like a quiet period. */
export function runFailureEmail(reason: string, context: Omit<EmailContext, 'integrity'>): EmailContent {
  const w = context.window;
  const subject = cap(`${context.subjectPrefix} REPORT FAILED · ${shown(w.since)} → ${shown(w.until)}`);
  const lead =
    'The session report for this window could not be built, so no session of it has been reported; the next run tries again.';
  const lines = [
    `Reason: ${reason}`,
    `Window: ${shown(w.since)} → ${shown(w.until)} (${w.kind})`,
    `Run: ${context.runId}`,
  ];
  const text = [lead, '', ...lines, '', '--', FOOTER_TEXT, ''].join('\n');
  const html = frame(subject, [
    `<div style="${BOX.broken}"><strong>Report failed.</strong> ${escapeHtml(lead)}</div>`,
    ...lines.map((line) => `<p style="${MUTED}">${escapeHtml(line)}</p>`),
    `<hr style="border:none;border-top:1px solid #d0d7de;margin:24px 0 8px 0;"><p style="${MUTED}">${escapeHtml(FOOTER_TEXT)}</p>`,
  ]);
  return { subject, text, html };
}
