const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
// How CloudTrail renders STS expirations: "Jul 10, 2023, 12:09:47 PM" (UTC; newer renderings put a narrow
// no-break space before AM/PM).
const CLOUDTRAIL_TEXT = /^([A-Za-z]{3}) (\d{1,2}), (\d{4}),? (\d{1,2}):(\d{2}):(\d{2})[\s\u202f]?(AM|PM)$/i;

/**
 * Milliseconds since the epoch for an ISO 8601 time (a time without a zone is UTC, never the machine's local
 * time) or CloudTrail's "Mon D, YYYY, h:mm:ss AM" form; undefined for anything else.
 */
export function parseTime(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  const iso = ISO.exec(text);
  if (iso !== null) {
    const zoned = iso[4] === undefined ? `${text}${iso[1] === undefined ? 'T00:00:00' : ''}Z` : text;
    const ms = Date.parse(zoned);
    return Number.isNaN(ms) ? undefined : ms;
  }
  const match = CLOUDTRAIL_TEXT.exec(text);
  if (match === null) return undefined;
  const [, mon = '', day = '', year = '', hour = '', minute = '', second = '', half = ''] = match;
  const month = MONTHS.indexOf(mon.toLowerCase());
  let h = Number(hour);
  if (month < 0 || h < 1 || h > 12) return undefined;
  if (half.toUpperCase() === 'PM' && h !== 12) h += 12;
  if (half.toUpperCase() === 'AM' && h === 12) h = 0;
  const ms = Date.UTC(Number(year), month, Number(day), h, Number(minute), Number(second));
  return Number.isNaN(ms) ? undefined : ms;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** "8 min", "1 h 5 min", "42 s" — for human renderers. */
export function formatDuration(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  let seconds = Math.round(Math.abs(ms) / 1000);
  if (seconds < 60) return `${sign}${seconds} s`;
  const hours = Math.floor(seconds / 3600);
  seconds -= hours * 3600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  const parts: string[] = [];
  if (hours > 0) parts.push(`${hours} h`);
  if (minutes > 0) parts.push(`${minutes} min`);
  if (seconds > 0 && hours === 0) parts.push(`${seconds} s`);
  return `${sign}${parts.join(' ')}`;
}
