import { buildReport, findSessions, parseRecord, type Report } from '@jit-access/audit';
import { describe, expect, it } from 'vitest';
import { digestEmail, forEmail, integrityAlertEmail, MAX_EMAIL_CALLS, sessionEmail } from '../../src/email/compose.js';
import type { IntegritySummary } from '../../src/integrity.js';
import type { RunWindow } from '../../src/window.js';
import { callRecord, grantRecord, SECRET_ACCESS_KEY, SESSION_TOKEN } from '../helpers/records.js';

const ACCOUNT = '111111111111';
const T0 = new Date('2026-03-02T10:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const KEY = 'ASIAJITSESSIONKEY001';

function report(
  grantId: string,
  calls: number,
  extra: Record<string, unknown>[] = [],
  accountId = ACCOUNT,
  spacing = 1,
): Report {
  const raw = [
    grantRecord({ grantId, accountId, time: T0, accessKeyId: `${KEY}${grantId.slice(-1)}` }),
    ...Array.from({ length: calls }, (_, i) =>
      callRecord({ grantId, accountId, accessKeyId: `${KEY}${grantId.slice(-1)}`, time: at(10 + i * spacing) }),
    ),
    ...extra,
  ];
  const records = raw.map((r) => {
    const parsed = parseRecord(r);
    if (!parsed.ok) throw new Error(parsed.finding.reason);
    return parsed.record;
  });
  return buildReport({
    sessions: findSessions(records),
    query: { source: 's3://bucket/AWSLogs/' },
    generatedAt: at(3600),
  });
}

const denied = (grantId: string) =>
  callRecord({
    grantId,
    accountId: ACCOUNT,
    accessKeyId: `${KEY}${grantId.slice(-1)}`,
    time: at(300),
    eventSource: 'iam.amazonaws.com',
    eventName: 'CreateUser',
    errorCode: 'AccessDenied',
    readOnly: false,
  });

const window: RunWindow = {
  kind: 'scheduled',
  since: new Date('2026-03-02T10:00:00Z'),
  until: new Date('2026-03-02T11:00:00Z'),
  readSince: new Date('2026-03-02T08:55:00Z'),
  mode: 'session',
  dryRun: false,
};
const valid: IntegritySummary = {
  status: 'valid',
  headline: 'digest chain: valid',
  detail: '2 digest files and 3 log files checked for 1 account (111111111111) in ap-southeast-2',
  problems: [],
  pending: [],
  trails: [],
  problemKey: '',
  deliveries: {
    status: 'not-configured',
    summary: 'not checked: no expected accounts are configured (JIT_REPORT_EXPECTED_ACCOUNTS)',
    accounts: [],
    regions: [],
    silent: [],
  },
};
const silentLine =
  'account 222222222222 (workload-b) in ap-southeast-2 is silent: no digest file since 2026-03-02 09:10:00Z (checked up to 2026-03-02 11:00:00Z), 110 min where one is due every 60 min; its trail was stopped or deleted, or cannot deliver';
const silent: IntegritySummary = {
  ...valid,
  status: 'silent',
  headline: 'digest chain: SILENT account 222222222222',
  problems: [silentLine],
  problemKey: silentLine,
  deliveries: {
    status: 'silent',
    summary:
      '1 of 2 expected accounts delivered no valid digest for longer than 75 min between 2026-03-02 09:00:00Z and 2026-03-02 11:00:00Z: 222222222222 (workload-b)',
    accounts: [ACCOUNT, '222222222222'],
    regions: ['ap-southeast-2'],
    periodMinutes: 60,
    from: '2026-03-02T09:00:00.000Z',
    to: '2026-03-02T11:00:00.000Z',
    silent: [
      {
        accountId: '222222222222',
        region: 'ap-southeast-2',
        from: '2026-03-02T09:10:00.000Z',
        to: '2026-03-02T11:00:00.000Z',
        ongoing: true,
      },
    ],
  },
};
const broken: IntegritySummary = {
  ...valid,
  status: 'broken',
  headline: 'digest chain: BROKEN',
  problems: [
    "Log file\ts3://bucket/AWSLogs/111111111111/CloudTrail/ap-southeast-2/2026/03/02/x.json.gz\tINVALID: hash value doesn't match",
  ],
  problemKey: 'x',
};
const context = {
  window,
  runId: '01JRUN',
  integrity: valid,
  subjectPrefix: '[JIT Access]',
  accountNames: { [ACCOUNT]: 'workload-a' },
};

describe('sessionEmail', () => {
  it('names account, tier and outcome in the subject', () => {
    const email = sessionEmail(report('01JGRANTA', 3, [denied('01JGRANTA')]), context);
    expect(email.subject).toBe(
      '[JIT Access] OK · 111111111111 (workload-a) · tier ops · 4 calls, 1 denied · digest chain: valid',
    );
  });

  it('shows the calls, the denied call and the digest chain verdict in both parts', () => {
    const email = sessionEmail(report('01JGRANTA', 3, [denied('01JGRANTA')]), context);
    for (const part of [email.text, email.html]) {
      expect(part).toContain('Digest chain: valid');
      expect(part).toContain('ec2:DescribeInstances');
      expect(part).toContain('iam:CreateUser');
      expect(part).toContain('AccessDenied');
      expect(part).toContain('restart ECS service');
    }
    expect(email.html).toMatch(/^<!DOCTYPE html>/);
    expect(email.html).not.toMatch(/<script|<link|<img|src=/i);
  });

  it('never contains the credentials CloudTrail recorded, and masks access key ids', () => {
    const email = sessionEmail(report('01JGRANTA', 2), context);
    for (const part of [email.subject, email.text, email.html]) {
      expect(part).not.toContain(SECRET_ACCESS_KEY);
      expect(part).not.toContain(SESSION_TOKEN);
      expect(part).not.toContain(`${KEY}A`);
    }
    expect(email.text).toContain('ASIA…001A');
  });

  it('leads with a broken chain, in the subject and above the report', () => {
    const email = sessionEmail(report('01JGRANTA', 1), { ...context, integrity: broken });
    expect(email.subject).toMatch(/^\[JIT Access\] INTEGRITY BROKEN · .* · digest chain: BROKEN$/);
    expect(email.text.split('\n')[0]).toBe(`Digest chain: BROKEN — ${broken.detail}`);
    expect(email.text).toContain("INVALID: hash value doesn't match");
    expect(email.html).toContain('Digest chain: BROKEN');
  });

  it('says in both parts that expected deliveries were not checked when no accounts are configured', () => {
    const email = sessionEmail(report('01JGRANTA', 1), context);
    for (const part of [email.text, email.html]) {
      expect(part).toContain(
        'Expected deliveries: not checked: no expected accounts are configured (JIT_REPORT_EXPECTED_ACCOUNTS)',
      );
    }
  });

  it('marks a session ATTENTION and names the silent account and since when, in the subject and both parts', () => {
    const email = sessionEmail(report('01JGRANTA', 1), { ...context, integrity: silent });
    expect(email.subject).toBe(
      '[JIT Access] ATTENTION · 111111111111 (workload-a) · tier ops · 1 call, 0 denied · digest chain: SILENT account 222222222222',
    );
    for (const part of [email.text, email.html]) {
      expect(part).toContain('no digest file since 2026-03-02 09:10:00Z');
      expect(part).toContain('delivered no valid digest for longer than 75 min');
    }
  });

  it('shows notes such as a possible repeat before everything else', () => {
    const email = sessionEmail(report('01JGRANTA', 1), {
      ...context,
      notes: ['this one may repeat an earlier e-mail'],
    });
    expect(email.text.startsWith('NOTE: this one may repeat an earlier e-mail\n')).toBe(true);
  });
});

describe('forEmail', () => {
  it('lists every denied call of a long session and says how many calls are left out', () => {
    const big = report('01JGRANTA', MAX_EMAIL_CALLS + 50, [denied('01JGRANTA')], ACCOUNT, 0.4);
    const shown = forEmail(big);
    const session = shown.sessions[0];
    expect(session?.calls).toHaveLength(MAX_EMAIL_CALLS);
    expect(session?.calls.filter((c) => c.outcome === 'denied')).toHaveLength(1);
    expect(session?.counts.calls).toBe(MAX_EMAIL_CALLS + 51);
    expect(session?.notes.at(-1)).toBe(
      `51 of ${MAX_EMAIL_CALLS + 51} calls are not listed in this e-mail (every unsuccessful call is, as far as room allows); the stored JSON report lists every call`,
    );
  });
});

describe('forEmail, continued', () => {
  it('lists calls outside the window before successful ones inside it', () => {
    // 2,100 calls one second apart: the last 1,200 come after the 15-minute window closed.
    const big = report('01JGRANTA', MAX_EMAIL_CALLS + 100);
    const session = forEmail(big).sessions[0];
    const outside = big.sessions[0]?.calls.filter((c) => c.outsideWindow === 'after').length ?? 0;
    expect(outside).toBeGreaterThan(1000);
    expect(session?.calls.filter((c) => c.outsideWindow === 'after')).toHaveLength(outside);
    expect(session?.calls).toHaveLength(MAX_EMAIL_CALLS);
  });

  it('leaves a report with few calls as it is', () => {
    const small = report('01JGRANTA', 3);
    expect(forEmail(small)).toBe(small);
  });
});

describe('digestEmail and integrityAlertEmail', () => {
  it('sums a run up in one digest subject', () => {
    const a = report('01JGRANTA', 2);
    const b = report('01JGRANTB', 1, [], '222222222222');
    const both: Report = {
      ...a,
      sessions: [...a.sessions, ...b.sessions],
      totals: { ...a.totals, sessions: 2, calls: 3 },
    };
    expect(digestEmail(both, context).subject).toBe(
      '[JIT Access] OK · 2 sessions · 2 accounts · tier ops · 3 calls, 0 denied · digest chain: valid',
    );
  });

  it('alerts about a broken chain without any session', () => {
    const email = integrityAlertEmail({ ...context, integrity: broken });
    expect(email.subject).toBe(
      '[JIT Access] INTEGRITY BROKEN · trail logs of 2026-03-02 10:00:00Z → 2026-03-02 11:00:00Z · digest chain: BROKEN',
    );
    expect(email.text).toContain('the evidence may have been altered');
    expect(email.text).toContain("INVALID: hash value doesn't match");
  });

  it('alerts with ATTENTION that an expected account went silent, and says what that means', () => {
    const email = integrityAlertEmail({ ...context, integrity: silent });
    expect(email.subject).toBe(
      '[JIT Access] ATTENTION · trail logs of 2026-03-02 10:00:00Z → 2026-03-02 11:00:00Z · digest chain: SILENT account 222222222222',
    );
    expect(email.text).toContain('has stopped logging');
    expect(email.text).toContain(silentLine);
  });
});
