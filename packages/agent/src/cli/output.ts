import type { ElevationState } from '../elevation.js';
import type { JournalEntry } from '../journal.js';

/** Colour only on a terminal, and never with NO_COLOR set. */
export function useColour(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && env.NO_COLOR === undefined && env.TERM !== 'dumb';
}

const CODES = { green: 32, yellow: 33, red: 31, dim: 2, bold: 1 } as const;
export type Colour = keyof typeof CODES;

export function paint(enabled: boolean): (colour: Colour, text: string) => string {
  return (colour, text) => (enabled ? `\u001b[${CODES[colour]}m${text}\u001b[0m` : text);
}

/** Error output: the message, the next step, the stack only when asked. */
export function renderError(error: unknown, options: { json: boolean; verbose: boolean }): string {
  const e = error as { toJSON?: () => unknown; message?: string; suggestion?: string; stack?: string; code?: string };
  if (options.json) {
    const data =
      typeof e?.toJSON === 'function'
        ? e.toJSON()
        : { error: { name: 'Error', code: 'AGENT_ERROR', message: String(e?.message ?? error) } };
    return `${JSON.stringify(data)}\n`;
  }
  const lines = [`error: ${e?.message ?? String(error)}`];
  if (e?.code && typeof e.code === 'string') lines[0] = `error [${e.code}]: ${e.message ?? ''}`;
  if (e?.suggestion) lines.push(`  next: ${e.suggestion}`);
  if (options.verbose && e?.stack) lines.push(e.stack);
  return `${lines.join('\n')}\n`;
}

function minutesLeft(seconds: number): string {
  if (seconds < 60) return `${seconds} s left`;
  return `${Math.floor(seconds / 60)} min left`;
}

/** One or two lines per account, for people. */
export function renderStatus(states: readonly ElevationState[], colour: ReturnType<typeof paint>): string {
  const lines: string[] = [];
  for (const s of states) {
    switch (s.status) {
      case 'active':
        lines.push(
          `${s.account}  ${colour('green', 'ACTIVE')}  tier ${s.tier}, role ${s.roleName}, ${minutesLeft(s.secondsLeft)} (until ${s.usableUntil})`,
          colour('dim', `  grant ${s.grantId}, approved by ${s.approver}: "${s.reason}"`),
        );
        break;
      case 'inactive':
        lines.push(`${s.account}  ${colour('yellow', 'NO GRANT')}${s.note ? ` (${s.note})` : ''}`);
        break;
      case 'revoked':
        lines.push(
          `${s.account}  ${colour('red', 'REVOKED')} at ${s.revokedAt}${s.grantId ? ` (grant ${s.grantId})` : ''}`,
        );
        break;
      case 'expired':
        lines.push(`${s.account}  ${colour('red', 'EXPIRED')}  ${s.message}`);
        break;
      case 'window-closed':
        lines.push(`${s.account}  ${colour('red', 'WINDOW CLOSED')}  ${s.message}`);
        break;
      case 'malformed':
        lines.push(`${s.account}  ${colour('red', 'MALFORMED')}  ${s.message}`);
        break;
      case 'wrong-account':
        lines.push(`${s.account}  ${colour('red', 'WRONG ACCOUNT')}  ${s.message}`);
        break;
      case 'unreadable':
        lines.push(`${s.account}  ${colour('red', 'UNREADABLE')}  ${s.message}`);
        if (s.suggestion) lines.push(colour('dim', `  next: ${s.suggestion}`));
        break;
    }
  }
  return `${lines.join('\n')}\n`;
}

export function renderJournal(entries: readonly JournalEntry[]): string {
  if (entries.length === 0) return 'no journal entries\n';
  return `${entries
    .map(
      (e) =>
        `${e.time}  ${e.grantId}  ${e.account}  exit ${e.exitCode}  [${e.source}]  ${e.command.map(quote).join(' ')}`,
    )
    .join('\n')}\n`;
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
