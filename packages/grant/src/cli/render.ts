import { isControlCharacter, JitError } from '@jit-access/core';
import type { GrantWarning } from '../errors.js';
import type { GrantResult, GrantSummary } from '../grant.js';
import type { RevocationListing, RevokeResult } from '../revoke.js';
import type { AccountStatus } from '../status.js';

export interface Style {
  readonly ok: (text: string) => string;
  readonly warn: (text: string) => string;
  readonly bad: (text: string) => string;
  readonly dim: (text: string) => string;
}

export function style(color: boolean): Style {
  const wrap = (code: number) => (text: string) => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
  return { ok: wrap(32), warn: wrap(33), bad: wrap(31), dim: wrap(2) };
}

// Values that came from outside (a request's reason or plan, tags) are shown without control
// characters, so they cannot rewrite the terminal the approver is reading.
export function printable(text: string, allowNewlines = false): string {
  let out = '';
  for (const ch of text) out += isControlCharacter(ch.codePointAt(0) ?? 0, allowNewlines) ? '?' : ch;
  return out;
}

function lines(rows: readonly (readonly [string, string])[]): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${`${k}:`.padEnd(width + 1)} ${printable(v)}`).join('\n');
}

function minutesFrom(now: Date, iso: string): number {
  return Math.round((Date.parse(iso) - now.getTime()) / 60_000);
}

export function renderSummary(summary: GrantSummary, now: Date): string {
  const { plan } = summary;
  const until = new Date(now.getTime() + plan.minutes * 60_000).toISOString();
  const rows: [string, string][] = [
    ['Account', `${plan.account.name} (${plan.account.id})`],
    ['Tier', `${plan.tier.name}: ${plan.tier.description}`],
    ['Role', plan.roleArn],
    [
      'Window',
      `${plan.minutes} min, until about ${until}${plan.durationSeconds > plan.minutes * 60 ? ' (session policy ends it; STS credentials last 15 min)' : ''}`,
    ],
    ['Reason', plan.reason],
    ['Scope', plan.scope.length > 0 ? plan.scope.join(', ') : 'everything the tier allows'],
    ['Grant id', plan.grantId],
    ['Approver', summary.approver.arn],
  ];
  if (summary.replacing) {
    rows.push([
      'Replaces',
      `active grant ${summary.replacing.grantId ?? '?'} (${summary.replacing.tier ?? '?'}) until ${summary.replacing.until ?? '?'}; its sessions will be denied`,
    ]);
  }
  const head = summary.request
    ? `Agent request ${summary.request.id} from ${summary.request.agent.arn}\n  (created ${summary.request.createdAt}, expires ${summary.request.expiresAt})\n${
        summary.request.plan
          ? `  Plan:\n${summary.request.plan
              .split('\n')
              .map((l) => `    ${printable(l)}`)
              .join('\n')}\n`
          : ''
      }`
    : '';
  return `${head}About to grant elevated access:\n${lines(rows)}\n`;
}

export function renderGrant(result: GrantResult, now: Date, s: Style): string {
  const left = minutesFrom(now, result.effectiveUntil);
  const rows: [string, string][] = [
    ['Role', result.roleArn],
    ['Account', `${result.account.name} (${result.account.id})`],
    ['Tier', result.tier],
    ['Window', `${result.minutes} min, until ${result.effectiveUntil} (${left} min left)`],
    [
      'Expires',
      `${result.expiration}${result.sessionPolicy ? ' (STS); the session policy ends use at the window' : ''}`,
    ],
    ['Grant id', result.grantId],
    [
      'CloudTrail',
      result.correlation === 'source-identity'
        ? `source identity ${result.sourceIdentity}`
        : `role session name ${result.sessionName} (source identity was already set)`,
    ],
    ['Secret', `${result.secretName}${result.previousVersionRemoved ? ' (previous version no longer readable)' : ''}`],
    ['Reason', result.reason],
  ];
  if (result.scope.length > 0) rows.push(['Scope', result.scope.join(', ')]);
  if (result.replaced) {
    const r = result.replaced;
    rows.push([
      'Replaced',
      r.revoked
        ? `grant ${r.grantId}, revoked: ${r.denies[0]?.policyName ?? 'deny'} on ${r.denies.map((d) => d.roleArn).join(', ')}`
        : `grant ${r.grantId}, NOT revoked: its credentials still work (see the warning)`,
    ]);
  }
  for (const n of result.notifications) {
    rows.push(['Notified', `${n.target}: ${n.ok ? 'ok' : `FAILED (${n.error ?? 'error'})`}`]);
  }
  return `${s.ok('Elevated access granted')}\n${lines(rows)}\n`;
}

export function renderWarnings(warnings: readonly GrantWarning[], s: Style): string {
  return warnings
    .map(
      (w) =>
        `${s.warn('warning:')} ${printable(w.message)}${w.suggestion ? `\n  ${s.dim(`→ ${w.suggestion}`)}` : ''}\n`,
    )
    .join('');
}

export function renderRevoke(result: RevokeResult, s: Style): string {
  const rows: [string, string][] = [
    ['Account', `${result.account.name} (${result.account.id})`],
    [
      'Revoked',
      result.allSessions ? `every session issued before ${result.revokedAt}` : `grant ${result.grantId ?? '?'}`,
    ],
    [
      'Secret',
      result.leftInPlace === undefined
        ? `${result.secretName}: placeholder${result.previousVersionRemoved ? ', previous version no longer readable' : ''}`
        : `${result.secretName}: the secret holds grant ${result.leftInPlace}, left in place`,
    ],
  ];
  for (const d of result.denies) rows.push(['Deny', `${d.policyName} on ${d.roleArn}`]);
  for (const n of result.notifications) {
    rows.push(['Notified', `${n.target}: ${n.ok ? 'ok' : `FAILED (${n.error ?? 'error'})`}`]);
  }
  return `${s.ok('Elevation revoked')} (issued credentials are denied by the role policy)\n${lines(rows)}\n`;
}

export function renderStatus(statuses: readonly AccountStatus[], s: Style): string {
  return statuses
    .map((st) => {
      const head = `${st.account.name} (${st.account.id})`;
      if (st.error) return `${head}: ${s.bad('unknown')} (${printable(st.error)})\n`;
      const g = st.grant;
      let body: string;
      if (st.state === 'active' && g) {
        body = `${s.ok('ACTIVE')} ${g.tier ?? '?'}, ${st.minutesLeft} min left (until ${g.until ?? '?'})\n${lines([
          ['Grant', g.grantId ?? '?'],
          ['Approver', g.approver ?? '?'],
          ['Reason', g.reason ?? '?'],
        ])}`;
      } else if (st.state === 'expired' && g) {
        body = `expired (${g.tier ?? '?'}, window closed ${g.until ?? '?'}; grant ${g.grantId ?? '?'})`;
      } else if (st.state === 'revoked' && g) {
        body = `revoked at ${g.revokedAt ?? '?'} (grant ${g.grantId ?? '?'})`;
      } else {
        body = 'no grant';
      }
      const previous = st.previousVersionReadable
        ? `\n  ${s.warn('warning:')} an old secret version still has AWSPREVIOUS and is readable`
        : '';
      return `${head}: ${body}${previous}\n`;
    })
    .join('');
}

export function renderRevocations(listing: RevocationListing, s: Style, now: Date): string {
  const out = listing.denies.map(
    (d) =>
      `${d.account.name} ${d.roleArn.split('/').pop()} ${d.policyName}: ${d.kind === 'grant' ? `grant ${d.target}` : `sessions issued before ${d.target}`}; targets expire ${d.targetsExpireAt}${d.clearable ? s.dim(' (clearable)') : ` (${Math.max(0, minutesFrom(now, d.targetsExpireAt))} min)`}\n`,
  );
  if (out.length === 0) out.push('no revocation denies\n');
  for (const e of listing.errors) out.push(`${s.warn('warning:')} ${printable(e)}\n`);
  return out.join('');
}

export function renderError(error: unknown, s: Style, verbose: boolean): string {
  if (error instanceof JitError) {
    let text = `${s.bad('error:')} ${printable(error.message, true)}\n`;
    if (error.suggestion) text += `  ${s.dim(`→ ${error.suggestion}`)}\n`;
    if (verbose) {
      text += `  code: ${error.code}\n`;
      if (error.cause instanceof Error)
        text += `  cause: ${error.cause.name}: ${printable(error.cause.message, true)}\n`;
      if (error.stack) text += `${error.stack}\n`;
    }
    return text;
  }
  const message = error instanceof Error ? error.message : String(error);
  return `${s.bad('error:')} unexpected: ${printable(message)}\n${verbose && error instanceof Error && error.stack ? `${error.stack}\n` : '  → run again with --verbose and report it\n'}`;
}

export function errorJson(error: unknown, exitCode: number): string {
  if (error instanceof JitError) return `${JSON.stringify({ ...error.toJSON(), exitCode }, null, 2)}\n`;
  return `${JSON.stringify({ error: { name: 'Error', code: 'UNEXPECTED', message: error instanceof Error ? error.message : String(error) }, exitCode }, null, 2)}\n`;
}
