import { AgentError, AgentErrorCode } from './errors.js';

const UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/**
 * Parses `90s`, `15m`, `1h`, `1h30m` or a bare number of seconds into milliseconds. `what` names
 * the option in the error.
 */
export function parseDuration(text: string, what: string): number {
  const trimmed = text.trim();
  if (/^\d{1,9}$/.test(trimmed)) return Number(trimmed) * 1000;
  const parts = /^(?:(\d{1,6})h)?(?:(\d{1,7})m(?!s))?(?:(\d{1,9})s)?(?:(\d{1,12})ms)?$/.exec(trimmed);
  if (trimmed === '' || !parts || parts.slice(1).every((p) => p === undefined)) {
    throw new AgentError(
      AgentErrorCode.Usage,
      `${what} "${text}" is not a duration: use e.g. 90s, 15m, 1h, 1h30m, or a number of seconds`,
    );
  }
  const [, h, m, s, ms] = parts;
  return Number(h ?? 0) * UNITS.h + Number(m ?? 0) * UNITS.m + Number(s ?? 0) * UNITS.s + Number(ms ?? 0) * UNITS.ms;
}
