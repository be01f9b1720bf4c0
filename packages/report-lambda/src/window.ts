import { ReportLambdaError, ReportLambdaErrorCode } from './errors.js';
import { REPORT_MODES, type ReportMode, type ReportSettings } from './settings.js';

/**
 * Which stretch of CloudTrail a run covers. A scheduled run covers the `windowMinutes` that ended
 * `deliveryLagMinutes` before its scheduled time (aligned, so consecutive runs tile time without gaps and a
 * retry covers the same window); an on-demand run covers the window it is given.
 */
export interface RunWindow {
  readonly kind: 'scheduled' | 'on-demand';
  /** Sessions that end in [since, until] are reported. */
  readonly since: Date;
  readonly until: Date;
  /** Records are read from here: the grants of sessions that end in the window happened up to `lookback` earlier. */
  readonly readSince: Date;
  readonly mode: ReportMode;
  /** Build the e-mails and return them; claim nothing and send nothing. */
  readonly dryRun: boolean;
}

/** What the function accepts when invoked by hand (`aws lambda invoke --payload …`). */
export interface OnDemandEvent {
  readonly since: string;
  readonly until: string;
  readonly mode?: ReportMode;
  readonly dryRun?: boolean;
}

const MINUTE = 60_000;
const ZONED_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const ON_DEMAND_KEYS = new Set(['since', 'until', 'mode', 'dryRun']);

function invalid(message: string, suggestion?: string): ReportLambdaError {
  return new ReportLambdaError(ReportLambdaErrorCode.InvalidEvent, message, {
    suggestion:
      suggestion ??
      'invoke with a schedule event, or with {"since":"2026-01-01T00:00:00Z","until":"2026-01-01T06:00:00Z"}',
  });
}

function parseZoned(field: string, value: unknown): Date {
  if (typeof value !== 'string' || !ZONED_TIME.test(value) || Number.isNaN(Date.parse(value))) {
    throw invalid(
      `${field} ${JSON.stringify(value)} is not valid: an ISO 8601 time with a zone, such as 2026-01-01T00:00:00Z`,
    );
  }
  return new Date(Date.parse(value));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A scheduler event: EventBridge rules send `{source: 'aws.events', time, …}`, EventBridge Scheduler sends `{}` by default. */
function isScheduleEvent(event: unknown): event is { time?: unknown } {
  if (event === undefined || event === null) return true;
  if (!isObject(event)) return false;
  if (Object.keys(event).length === 0) return true;
  return (
    event.source === 'aws.events' || event['detail-type'] === 'Scheduled Event' || event.source === 'aws.scheduler'
  );
}

/** The window of a run for an event; `now` is used when a schedule event carries no time. */
export function resolveWindow(event: unknown, settings: ReportSettings, now: Date): RunWindow {
  const lookback = settings.lookbackMinutes * MINUTE;
  if (isScheduleEvent(event)) {
    const time = event?.time === undefined ? now : parseZoned('time', event.time);
    const period = settings.windowMinutes * MINUTE;
    const until = new Date(Math.floor(time.getTime() / period) * period - settings.deliveryLagMinutes * MINUTE);
    const since = new Date(until.getTime() - period);
    return {
      kind: 'scheduled',
      since,
      until,
      readSince: new Date(since.getTime() - lookback),
      mode: settings.mode,
      dryRun: false,
    };
  }
  if (!isObject(event)) {
    throw invalid(`event ${JSON.stringify(event)?.slice(0, 80)} is not valid: expected a JSON object`);
  }
  const unknown = Object.keys(event).filter((key) => !ON_DEMAND_KEYS.has(key));
  if (unknown.length > 0) {
    throw invalid(
      `event field${unknown.length === 1 ? '' : 's'} ${unknown.map((k) => JSON.stringify(k)).join(', ')} not allowed: an on-demand event has since, until and optionally mode and dryRun`,
    );
  }
  const since = parseZoned('since', event.since);
  const until = parseZoned('until', event.until);
  if (since.getTime() >= until.getTime()) {
    throw invalid(
      `since ${event.since as string} is not before until ${event.until as string}: the window must not be empty`,
    );
  }
  const maxMs = settings.maxWindowHours * 60 * MINUTE;
  if (until.getTime() - since.getTime() > maxMs) {
    throw invalid(
      `window ${event.since as string} → ${event.until as string} is longer than ${settings.maxWindowHours} h: allowed at most JIT_REPORT_MAX_WINDOW_HOURS`,
      'split the window into several invocations, or use `jit-audit report` for long periods',
    );
  }
  let mode = settings.mode;
  if (event.mode !== undefined) {
    if (typeof event.mode !== 'string' || !(REPORT_MODES as readonly string[]).includes(event.mode)) {
      throw invalid(`mode ${JSON.stringify(event.mode)} is not valid: one of ${REPORT_MODES.join(', ')}`);
    }
    mode = event.mode as ReportMode;
  }
  if (event.dryRun !== undefined && typeof event.dryRun !== 'boolean') {
    throw invalid(`dryRun ${JSON.stringify(event.dryRun)} is not valid: true or false`);
  }
  return {
    kind: 'on-demand',
    since,
    until,
    readSince: new Date(since.getTime() - lookback),
    mode,
    dryRun: event.dryRun === true,
  };
}
