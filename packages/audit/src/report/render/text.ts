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

export interface TextRenderOptions {
  /** ANSI colour (only on a TTY, and never when NO_COLOR is set: the caller decides). @default false */
  readonly color?: boolean;
}

// CloudTrail fields are attacker-influenced (error messages echo request input): control characters would
// let a record rewrite the auditor's terminal, so they never reach it.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]+/g;

function clean(text: string): string {
  return maskAccessKeys(text.replace(CONTROL, ' '));
}

interface Paint {
  bold(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  green(text: string): string;
  dim(text: string): string;
}

function painter(color: boolean): Paint {
  const wrap = (open: number, close: number) => (text: string) =>
    color ? `\u001b[${open}m${text}\u001b[${close}m` : text;
  return { bold: wrap(1, 22), red: wrap(31, 39), yellow: wrap(33, 39), green: wrap(32, 39), dim: wrap(2, 22) };
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

function callTable(session: SessionReport, paint: Paint): string[] {
  const day = sessionDay(session);
  const rows = session.calls.map((call, i) => [
    String(i + 1),
    callTime(call, day),
    clean(truncateText(call.action, 48)),
    clean(resourcesText(call, 56)),
    clean(outcomeLabel(call)),
  ]);
  const widths = [0, 1, 2, 3].map((col) => Math.max(...rows.map((r) => (r[col] ?? '').length)));
  return rows.map((row, i) => {
    const call = session.calls[i] as ReportCall;
    const cells = row.slice(0, 4).map((cell, col) => pad(cell, widths[col] ?? 0));
    let outcome = row[4] ?? '';
    if (call.outcome === 'denied') outcome = paint.red(outcome);
    else if (call.outsideWindow !== undefined || call.outcome !== 'success') outcome = paint.yellow(outcome);
    return `  ${cells.join('  ')}  ${outcome}`;
  });
}

function errorLines(list: readonly ReportCall[], day: string | undefined): string[] {
  return list.map((call) => {
    const message = call.errorMessage === undefined ? '' : `: ${truncateText(call.errorMessage, 200)}`;
    return clean(`  ${callTime(call, day)}  ${call.action} — ${call.errorCode ?? 'error'}${message}`);
  });
}

function renderSession(session: SessionReport, paint: Paint): string[] {
  const day = sessionDay(session);
  const title = clean(sessionTitle(session));
  const out: string[] = [paint.bold(`━━ ${title} ${'━'.repeat(Math.max(3, 72 - title.length))}`)];
  const field = (name: string, value: string | undefined) => {
    if (value !== undefined && value !== '') out.push(`${pad(`${name}:`, 15)}${clean(value)}`);
  };
  field('Account', session.accountId);
  field('Role', session.roleArn ?? session.roleName);
  field('Tier', session.tier);
  field('Approver', approverLine(session));
  field('AssumeRole by', callerLine(session));
  field('Reason', session.reason);
  field('Requested', windowLine(session));
  field('Used', usedLine(session));
  field('Session name', session.roleSessionName);
  field('Source id', session.sourceIdentity);
  field('Access keys', session.accessKeyIds.map(maskAccessKeyId).join(', '));
  field('Matched by', matchedByText(session));
  for (const note of session.notes) field('Note', note);
  out.push('');
  out.push(paint.bold(`Calls (${session.counts.calls}): ${countsLine(session)}`));
  if (session.calls.length === 0) out.push('  none');
  else out.push(...callTable(session, paint));

  const denied = calls(session, 'denied');
  out.push('', paint.bold(`Denied attempts (${denied.length})${denied.length === 0 ? ': none' : ':'}`));
  out.push(...errorLines(denied, day).map(paint.red));
  const throttled = calls(session, 'throttled');
  if (throttled.length > 0) {
    out.push('', paint.bold(`Throttled (${throttled.length}):`), ...errorLines(throttled, day));
  }
  const errors = calls(session, 'error');
  out.push('', paint.bold(`Other errors (${errors.length})${errors.length === 0 ? ': none' : ':'}`));
  out.push(...errorLines(errors, day));

  const modified = session.resourcesModified;
  out.push('', paint.bold(`Resources modified (${modified.length})${modified.length === 0 ? ': none' : ':'}`));
  for (const m of session.calls.filter((c) => c.write)) {
    out.push(clean(`  ${callTime(m, day)}  ${m.action}  ${resourcesText(m, 100)}`));
  }

  const outside = session.calls.filter((c) => c.outsideWindow !== undefined);
  if (session.requestedWindow !== null) {
    out.push('', paint.bold(`Outside the window (${outside.length})${outside.length === 0 ? ': none' : ':'}`));
    for (const call of outside) {
      out.push(paint.yellow(clean(`  ${callTime(call, day)}  ${call.action}  ${outsideLine(call, session)}`)));
    }
  }

  const self = session.selfReport;
  const selfHead = selfReportHeadline(session);
  if (self !== undefined && selfHead !== undefined) {
    out.push('', paint.bold('Self-report: ') + (self.discrepancy ? paint.red(selfHead) : paint.green(selfHead)));
    for (const a of self.unreported) {
      out.push(
        clean(`  in CloudTrail, not reported: ${a.action} (CloudTrail ${a.cloudTrail}, reported ${a.reported})`),
      );
    }
    for (const a of self.unconfirmed) {
      out.push(
        clean(`  reported, not in CloudTrail: ${a.action} (reported ${a.reported}, CloudTrail ${a.cloudTrail})`),
      );
    }
    if (self.commandsWithoutCallDetail > 0) {
      out.push(`  ${plural(self.commandsWithoutCallDetail, 'journal line')} named a command without its AWS calls`);
    }
  }
  out.push(
    '',
    session.attention.length === 0
      ? paint.green('Verdict: clean')
      : paint.red(clean(`Verdict: NEEDS ATTENTION — ${session.attention.join('; ')}`)),
  );
  return out;
}

/** The human report: one block per session, in the spirit of the article's example, with the evidence behind it. */
export function renderText(report: Report, options: TextRenderOptions = {}): string {
  const paint = painter(options.color === true);
  const out: string[] = [
    paint.bold(`JIT Access session report — ${headline(report)}`),
    clean(queryLine(report)),
    `generated ${report.generatedAt}`,
  ];
  if (report.attention.length > 0) out.push(paint.red(clean(`Needs attention: ${report.attention.join('; ')}`)));
  for (const session of report.sessions) out.push('', ...renderSession(session, paint));
  if (report.sessions.length === 0) out.push('', 'No sessions found.');
  if (report.unmatchedSelfReport.length > 0) {
    out.push('', paint.bold('Self-reported grants with no session in CloudTrail:'));
    for (const u of report.unmatchedSelfReport) {
      out.push(clean(`  ${u.grantId}: ${plural(u.reportedCalls, 'reported call')} (lines ${u.lines.join(', ')})`));
    }
  }
  if (report.findings.length > 0) {
    out.push('', paint.bold(`Findings (${report.findings.length}): input that could not be used`));
    for (const finding of report.findings) out.push(clean(`  ${findingLine(finding)}`));
  }
  return `${out.join('\n')}\n`;
}
