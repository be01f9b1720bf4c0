import { describe, expect, it } from 'vitest';
import { parseSettings, REPORT_ENV } from '../../src/settings.js';
import { resolveWindow } from '../../src/window.js';

const settings = parseSettings({
  AWS_REGION: 'ap-southeast-2',
  [REPORT_ENV.bucket]: 'log-archive-bucket',
  [REPORT_ENV.sender]: 'jit-reports@example.com',
  [REPORT_ENV.recipients]: 'auditor@example.com',
});
const NOW = new Date('2026-03-02T12:00:07Z');
const schedule = (time: string) => ({ source: 'aws.events', 'detail-type': 'Scheduled Event', time, detail: {} });

function error(event: unknown): string {
  try {
    resolveWindow(event, settings, NOW);
  } catch (e) {
    return `${(e as { code: string }).code}: ${(e as Error).message}`;
  }
  return 'no error';
}

describe('resolveWindow', () => {
  it('covers the hour that ended the delivery lag before the scheduled time', () => {
    const window = resolveWindow(schedule('2026-03-02T12:00:00Z'), settings, NOW);
    expect(window).toMatchObject({ kind: 'scheduled', mode: 'session', dryRun: false });
    expect(window.since.toISOString()).toBe('2026-03-02T10:45:00.000Z');
    expect(window.until.toISOString()).toBe('2026-03-02T11:45:00.000Z');
    expect(window.readSince.toISOString()).toBe('2026-03-02T09:40:00.000Z');
  });

  it('gives a late or retried invocation the same window, and the next schedule the next one', () => {
    const first = resolveWindow(schedule('2026-03-02T12:00:00Z'), settings, NOW);
    const late = resolveWindow(schedule('2026-03-02T12:04:59Z'), settings, NOW);
    const next = resolveWindow(schedule('2026-03-02T13:00:00Z'), settings, NOW);
    expect(late.since).toEqual(first.since);
    expect(next.since).toEqual(first.until);
  });

  it('uses the clock for EventBridge Scheduler events, which carry nothing', () => {
    expect(resolveWindow({}, settings, NOW).until.toISOString()).toBe('2026-03-02T11:45:00.000Z');
    expect(resolveWindow(undefined, settings, NOW).kind).toBe('scheduled');
  });

  it('takes an explicit window, mode and dry run on demand', () => {
    const window = resolveWindow(
      { since: '2026-03-01T00:00:00Z', until: '2026-03-01T06:00:00+02:00', mode: 'digest', dryRun: true },
      settings,
      NOW,
    );
    expect(window).toMatchObject({ kind: 'on-demand', mode: 'digest', dryRun: true });
    expect(window.until.toISOString()).toBe('2026-03-01T04:00:00.000Z');
  });

  it('refuses bad on-demand events, naming the field and what is allowed', () => {
    expect(error({ since: '2026-03-01', until: '2026-03-01T06:00:00Z' })).toBe(
      'REPORT_LAMBDA_INVALID_EVENT: since "2026-03-01" is not valid: an ISO 8601 time with a zone, such as 2026-01-01T00:00:00Z',
    );
    expect(error({ since: '2026-03-01T06:00:00Z', until: '2026-03-01T06:00:00Z' })).toContain('is not before until');
    expect(error({ since: '2026-03-01T00:00:00Z', until: '2026-03-03T00:00:00Z' })).toContain('longer than 24 h');
    expect(error({ since: '2026-03-01T00:00:00Z', until: '2026-03-01T01:00:00Z', mode: 'weekly' })).toContain(
      'mode "weekly" is not valid: one of session, digest',
    );
    expect(error({ since: '2026-03-01T00:00:00Z', until: '2026-03-01T01:00:00Z', bucket: 'other' })).toContain(
      'event field "bucket" not allowed',
    );
    expect(error('run now')).toContain('expected a JSON object');
  });
});
