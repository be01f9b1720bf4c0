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
const CONTROL = /[\u0000-\u001f\u007f-\u009f]+/g;

/**
 * Escapes text for Markdown, inside table cells too: characters that start emphasis, links, code, HTML or
 * cells are backslash-escaped, so a record cannot inject markup (or HTML, which many renderers pass through).
 */
export function escapeMarkdown(text: string): string {
  return maskAccessKeys(text.replace(CONTROL, ' ')).replace(/[\\`*_{}[\]<>|&~#!]/g, (c) => `\\${c}`);
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function callRows(list: readonly ReportCall[], session: SessionReport, detail: (call: ReportCall) => string): string[] {
  const day = sessionDay(session);
  return list.map(
    (call) => `- ${escapeMarkdown(callTime(call, day))} **${escapeMarkdown(call.action)}** — ${detail(call)}`,
  );
}

function errorDetail(call: ReportCall): string {
  const message = call.errorMessage === undefined ? '' : `: ${truncateText(call.errorMessage, 300)}`;
  return escapeMarkdown(`${call.errorCode ?? 'error'}${message}`);
}

function renderSession(session: SessionReport): string[] {
  const day = sessionDay(session);
  const out: string[] = [`## ${escapeMarkdown(sessionTitle(session))}`, ''];
  const verdict =
    session.attention.length === 0
      ? '✅ clean'
      : `⚠️ **needs attention** — ${escapeMarkdown(session.attention.join('; '))}`;
  out.push(verdict, '', row(['', '']), row(['---', '---']));
  const field = (name: string, value: string | undefined) => {
    if (value !== undefined && value !== '') out.push(row([name, escapeMarkdown(value)]));
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

  out.push('', `### Calls (${session.counts.calls})`, '', escapeMarkdown(countsLine(session)), '');
  if (session.calls.length > 0) {
    out.push(row(['#', 'Time (UTC)', 'Action', 'Resources', 'Outcome']), row(['---:', '---', '---', '---', '---']));
    session.calls.forEach((call, i) => {
      out.push(
        row([
          String(i + 1),
          escapeMarkdown(callTime(call, day)),
          escapeMarkdown(call.action),
          escapeMarkdown(resourcesText(call, 80)),
          escapeMarkdown(outcomeLabel(call)),
        ]),
      );
    });
  }
  const section = (title: string, list: ReportCall[], detail: (call: ReportCall) => string) => {
    out.push('', `### ${title} (${list.length})`, '');
    out.push(...(list.length === 0 ? ['None.'] : callRows(list, session, detail)));
  };
  section('Denied attempts', calls(session, 'denied'), errorDetail);
  const throttled = calls(session, 'throttled');
  if (throttled.length > 0) section('Throttled', throttled, errorDetail);
  section('Other errors', calls(session, 'error'), errorDetail);
  section(
    'Resources modified',
    session.calls.filter((c) => c.write),
    (c) => escapeMarkdown(resourcesText(c, 200)),
  );
  if (session.requestedWindow !== null) {
    section(
      'Calls outside the window',
      session.calls.filter((c) => c.outsideWindow !== undefined),
      (c) => escapeMarkdown(outsideLine(c, session)),
    );
  }
  const self = session.selfReport;
  const head = selfReportHeadline(session);
  if (self !== undefined && head !== undefined) {
    out.push('', '### Self-report', '', escapeMarkdown(head), '');
    if (self.unreported.length + self.unconfirmed.length > 0) {
      out.push(row(['Action', 'CloudTrail', 'Reported', '']), row(['---', '---:', '---:', '---']));
      for (const a of self.unreported)
        out.push(
          row([escapeMarkdown(a.action), String(a.cloudTrail), String(a.reported), 'not reported by the agent']),
        );
      for (const a of self.unconfirmed)
        out.push(row([escapeMarkdown(a.action), String(a.cloudTrail), String(a.reported), 'not in CloudTrail']));
    }
    if (self.commandsWithoutCallDetail > 0) {
      out.push('', `${plural(self.commandsWithoutCallDetail, 'journal line')} named a command without its AWS calls.`);
    }
  }
  return out;
}

/** The report as GitHub-flavoured Markdown (tickets, pull requests, wikis). */
export function renderMarkdown(report: Report): string {
  const out: string[] = [
    '# JIT Access session report',
    '',
    `**${escapeMarkdown(headline(report))}**`,
    '',
    escapeMarkdown(queryLine(report)),
    '',
    `Generated ${escapeMarkdown(report.generatedAt)}.`,
  ];
  if (report.attention.length > 0)
    out.push('', `> ⚠️ **Needs attention:** ${escapeMarkdown(report.attention.join('; '))}`);
  for (const session of report.sessions) out.push('', ...renderSession(session));
  if (report.sessions.length === 0) out.push('', 'No sessions found.');
  if (report.unmatchedSelfReport.length > 0) {
    out.push('', '## Self-reported grants with no session in CloudTrail', '');
    for (const u of report.unmatchedSelfReport) {
      out.push(
        `- ${escapeMarkdown(u.grantId)}: ${plural(u.reportedCalls, 'reported call')} (lines ${u.lines.join(', ')})`,
      );
    }
  }
  if (report.findings.length > 0) {
    out.push('', `## Findings (${report.findings.length})`, '');
    for (const finding of report.findings) out.push(`- ${escapeMarkdown(findingLine(finding))}`);
  }
  return `${out.join('\n')}\n`;
}
