import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  buildReport,
  type ElevatedSession,
  type IntegritySource,
  type Report,
  renderJson,
  type SessionReport,
} from '@jit-access/audit';
import { newGrantId } from '@jit-access/core';
import {
  digestEmail,
  type EmailContent,
  type EmailContext,
  integrityAlertEmail,
  runFailureEmail,
  sessionEmail,
} from './email/compose.js';
import type { Mailer } from './email/send.js';
import { messageOf } from './errors.js';
import { checkIntegrity, type ExpectedDeliveries, type IntegritySummary } from './integrity.js';
import { type Claim, DeliveryLedger } from './ledger.js';
import { readWindow, type WindowRead } from './records/readWindow.js';
import type { ReportSettings } from './settings.js';
import { type RunWindow, resolveWindow } from './window.js';

export interface ReportDependencies {
  readonly settings: ReportSettings;
  readonly s3: Pick<S3Client, 'send'>;
  readonly mailer: Mailer;
  /** Where the digests of one region are verified: S3 plus that region's `ListPublicKeys`. */
  readonly integritySourceFor: (region: string) => IntegritySource;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** Keep each e-mail's HTML and text in the result (`report:local` writes them to files). @default false */
  readonly includeContent?: boolean;
  /** Log files streamed at once. @default 4 */
  readonly concurrency?: number;
  /**
   * No digests are expected before this time: silence before it is not reported. The local runner passes
   * the local environment's start (it has no trail before). @default no limit
   */
  readonly expectDigestsFrom?: Date;
}

export type SessionOutcome =
  /** E-mailed by this run. */
  | 'sent'
  /** E-mailed by an earlier run. */
  | 'already-sent'
  /** Another run holds the claim right now. */
  | 'in-progress-elsewhere'
  /** Its credentials are still valid after the window: a later run reports it whole. */
  | 'deferred'
  | 'dry-run'
  | 'send-failed'
  /** Not tried because an earlier send of this run failed. */
  | 'not-attempted';

export interface SessionEntry {
  readonly id: string;
  readonly accountId?: string;
  readonly tier?: string;
  readonly calls: number;
  readonly denied: number;
  readonly closesAt?: string;
  readonly outcome: SessionOutcome;
  readonly messageId?: string;
}

export type EmailKind = 'session' | 'digest' | 'integrity-alert' | 'run-failure';

export interface EmailEntry {
  readonly kind: EmailKind;
  readonly deliveryId: string;
  readonly subject: string;
  readonly recipients: readonly string[];
  readonly status: 'sent' | 'dry-run' | 'failed';
  readonly messageId?: string;
  readonly error?: string;
  readonly storedReport?: string;
  readonly html?: string;
  readonly text?: string;
}

export interface RunResult {
  readonly runId: string;
  readonly window: {
    readonly kind: RunWindow['kind'];
    readonly since: string;
    readonly until: string;
    readonly readSince: string;
    readonly mode: RunWindow['mode'];
    readonly dryRun: boolean;
  };
  readonly input: {
    readonly files: number;
    readonly records: number;
    readonly relevantRecords: number;
    readonly bytes: number;
    readonly findings: number;
  };
  readonly integrity: Pick<IntegritySummary, 'status' | 'headline' | 'detail' | 'problems' | 'deliveries'>;
  readonly sessions: readonly SessionEntry[];
  readonly emails: readonly EmailEntry[];
  /** Problems that did not stop the run (a record that could not be written, …). */
  readonly warnings: readonly string[];
  /** False when an e-mail could not be sent: the invocation must fail so that retries and alarms see it. */
  readonly ok: boolean;
  /** Why the run could not read the trail, when it could not. */
  readonly failure?: string;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function closesAt(session: SessionReport): number | undefined {
  const times = [session.requestedWindow?.end, session.expiration, session.actualWindow?.lastCall]
    .map((t) => (t === undefined ? Number.NaN : Date.parse(t)))
    .filter((t) => Number.isFinite(t));
  return times.length === 0 ? undefined : Math.max(...times);
}

function entryOf(session: SessionReport, outcome: SessionOutcome, messageId?: string): SessionEntry {
  const closes = closesAt(session);
  return {
    id: session.id,
    ...(session.accountId === undefined ? {} : { accountId: session.accountId }),
    ...(session.tier === undefined ? {} : { tier: session.tier }),
    calls: session.counts.calls,
    denied: session.counts.denied,
    ...(closes === undefined ? {} : { closesAt: new Date(closes).toISOString() }),
    outcome,
    ...(messageId === undefined ? {} : { messageId }),
  };
}

export function sessionDeliveryId(session: { id: string }): string {
  return `session-${session.id}`;
}

/**
 * The stretch in which every expected account must have delivered a digest each period: from one period
 * before the window (a scheduled run starts just after its window, so the window alone is never longer
 * than a period plus tolerance) to the end of what was read, but no later than digests can have arrived
 * (`now` minus the delivery lag).
 */
function expectedDeliveries(
  settings: ReportSettings,
  window: RunWindow,
  read: WindowRead,
  end: Date,
  now: Date,
  notBefore: Date | undefined,
): ExpectedDeliveries | undefined {
  if (settings.expectedAccounts.length === 0) return undefined;
  const periodMs = settings.digestPeriodMinutes * MINUTE;
  const from = Math.max(window.since.getTime() - periodMs, notBefore?.getTime() ?? Number.NEGATIVE_INFINITY);
  const to = Math.min(end.getTime(), now.getTime() - settings.deliveryLagMinutes * MINUTE);
  // An organization trail's layout, as configured or as the log files read show it.
  const organizations = [...new Set(read.scopes.map((s) => s.organizationId).filter((o) => o !== undefined))];
  const organizationId = settings.organizationId ?? (organizations.length === 1 ? organizations[0] : undefined);
  return {
    accountIds: settings.expectedAccounts,
    regions: settings.regions ?? [settings.region],
    periodMs,
    from: new Date(from),
    to: new Date(to),
    organizationId,
    prefix: settings.trailPrefix,
    accountNames: settings.accountNames,
  };
}

/**
 * One run of the report: read the window, verify the digests, e-mail each finished session once. Never
 * throws for what it finds in the bucket; `ok` is false only when an e-mail could not be sent (or its
 * delivery could not be recorded, so sending would risk duplicates).
 */
export async function runReport(event: unknown, deps: ReportDependencies): Promise<RunResult> {
  const now = deps.now ?? (() => new Date());
  const settings = deps.settings;
  const window = resolveWindow(event, settings, now());
  const runId = newGrantId(now());
  const warnings: string[] = [];
  const emails: EmailEntry[] = [];
  const lateDeliveryMs = settings.deliveryLagMinutes * MINUTE + HOUR;
  const ledger = new DeliveryLedger({
    client: deps.s3,
    bucket: settings.bucket,
    prefix: settings.statePrefix,
    leaseMs: settings.claimLeaseSeconds * 1000,
    now,
    runId,
  });
  const windowSummary = {
    kind: window.kind,
    since: window.since.toISOString(),
    until: window.until.toISOString(),
    readSince: window.readSince.toISOString(),
    mode: window.mode,
    dryRun: window.dryRun,
  };
  const send = async (
    kind: EmailKind,
    deliveryId: string,
    content: EmailContent,
    storedReport?: string,
  ): Promise<EmailEntry> => {
    const base = {
      kind,
      deliveryId,
      subject: content.subject,
      recipients: settings.recipients,
      ...(storedReport === undefined ? {} : { storedReport }),
      ...(deps.includeContent === true ? { html: content.html, text: content.text } : {}),
    };
    if (window.dryRun) return { ...base, status: 'dry-run' };
    try {
      const { messageId } = await deps.mailer.send({
        from: settings.sender,
        to: settings.recipients,
        subject: content.subject,
        text: content.text,
        html: content.html,
        date: now(),
        headers: { 'X-Jit-Report-Delivery': deliveryId, 'X-Jit-Report-Run': runId },
      });
      return { ...base, status: 'sent', messageId };
    } catch (error) {
      return { ...base, status: 'failed', error: messageOf(error) };
    }
  };

  let read: WindowRead;
  try {
    read = await readWindow({
      client: deps.s3,
      bucket: settings.bucket,
      prefix: settings.trailPrefix,
      organizationId: settings.organizationId,
      accountIds: settings.accountIds,
      regions: settings.regions,
      since: window.readSince,
      until: window.until,
      lateDeliveryMs,
      tierRoles: settings.tierRoles,
      concurrency: deps.concurrency,
    });
  } catch (error) {
    // Nothing can be reported; tell the auditors rather than stay silent (a quiet inbox means "no sessions").
    const failure = `cannot read the trail in s3://${settings.bucket}/${settings.trailPrefix ?? ''}: ${messageOf(error)}`;
    const content = runFailureEmail(failure, {
      window,
      runId,
      subjectPrefix: settings.subjectPrefix,
      accountNames: settings.accountNames,
    });
    const email = await send('run-failure', `run-failure-${runId}`, content);
    emails.push(email);
    return {
      runId,
      window: windowSummary,
      input: { files: 0, records: 0, relevantRecords: 0, bytes: 0, findings: 0 },
      integrity: {
        status: 'unverified',
        headline: 'digest chain: NOT VERIFIED',
        detail: failure,
        problems: [],
        deliveries: {
          status: settings.expectedAccounts.length === 0 ? 'not-configured' : 'not-checked',
          summary:
            settings.expectedAccounts.length === 0
              ? 'not checked: no expected accounts are configured (JIT_REPORT_EXPECTED_ACCOUNTS)'
              : 'not checked: the trail could not be read',
          accounts: settings.expectedAccounts,
          regions: [],
          silent: [],
        },
      },
      sessions: [],
      emails,
      warnings,
      ok: email.status !== 'failed',
      failure,
    };
  }

  const integrityEnd = new Date(window.until.getTime() + lateDeliveryMs);
  const expected = expectedDeliveries(settings, window, read, integrityEnd, now(), deps.expectDigestsFrom);
  const integrity = await checkIntegrity({
    bucket: settings.bucket,
    start: new Date(Math.min(window.readSince.getTime(), expected?.from.getTime() ?? Number.POSITIVE_INFINITY)),
    end: integrityEnd,
    scopes: read.scopes,
    logKeys: read.logKeys,
    trailName: settings.trailName,
    sourceFor: deps.integritySourceFor,
    expected,
  });

  const query = {
    source: `s3://${settings.bucket}/${settings.trailPrefix === undefined ? '' : `${settings.trailPrefix}/`}AWSLogs/`,
    since: window.readSince.toISOString(),
    until: window.until.toISOString(),
  };
  const reportOf = (sessions: readonly ElevatedSession[]): Report =>
    buildReport({
      sessions,
      findings: read.findings,
      query,
      input: { records: read.records, files: read.files },
      generatedAt: now(),
    });
  const context = (extra: Partial<EmailContext> = {}): EmailContext => ({
    window,
    runId,
    integrity,
    subjectPrefix: settings.subjectPrefix,
    accountNames: settings.accountNames,
    ...extra,
  });
  const s3Uri = (key: string) => `s3://${settings.bucket}/${key}`;
  const storeReport = async (key: string, report: Report): Promise<string | undefined> => {
    try {
      await ledger.putIfAbsent(key, renderJson(report));
      return s3Uri(key);
    } catch (error) {
      warnings.push(`cannot store the JSON report at ${s3Uri(key)}: ${messageOf(error)}`);
      return undefined;
    }
  };
  const unconfirmedNote = (claim: Claim): string[] =>
    claim.afterUnconfirmedAttempt === undefined
      ? []
      : [
          `A run at ${claim.afterUnconfirmedAttempt.claimedAt} started sending this report and stopped before recording the outcome. If you received that e-mail, this one repeats it.`,
        ];

  const all = read.sessions.map((session) => ({ session, report: reportOf([session]) }));
  const entries = new Map<string, SessionEntry>();
  const due: typeof all = [];
  for (const item of all) {
    const summary = item.report.sessions[0];
    if (summary === undefined) continue;
    const closes = closesAt(summary);
    if (closes !== undefined && closes > window.until.getTime())
      entries.set(item.session.id, entryOf(summary, 'deferred'));
    else due.push(item);
  }

  let failed = false;
  let integrityCarried = false;
  if (window.dryRun) {
    for (const item of due) {
      const summary = item.report.sessions[0] as SessionReport;
      const state = await ledger.state(sessionDeliveryId(item.session)).catch(() => undefined);
      entries.set(item.session.id, entryOf(summary, state?.status === 'sent' ? 'already-sent' : 'dry-run'));
    }
    const shown = due.filter((item) => entries.get(item.session.id)?.outcome === 'dry-run');
    if (window.mode === 'digest' && shown.length > 0) {
      emails.push(
        await send('digest', `digest-${runId}`, digestEmail(reportOf(shown.map((i) => i.session)), context())),
      );
    } else {
      for (const item of shown) {
        emails.push(await send('session', sessionDeliveryId(item.session), sessionEmail(item.report, context())));
      }
    }
  } else if (window.mode === 'session') {
    for (const item of due) {
      const summary = item.report.sessions[0] as SessionReport;
      const deliveryId = sessionDeliveryId(item.session);
      if (failed) {
        entries.set(item.session.id, entryOf(summary, 'not-attempted'));
        continue;
      }
      let claimed: Awaited<ReturnType<DeliveryLedger['claim']>>;
      try {
        claimed = await ledger.claim(deliveryId, { kind: 'session', window: windowSummary });
      } catch (error) {
        failed = true;
        warnings.push(`cannot record the delivery of ${deliveryId}, not sent: ${messageOf(error)}`);
        entries.set(item.session.id, entryOf(summary, 'send-failed'));
        continue;
      }
      if (claimed.status === 'sent') {
        entries.set(item.session.id, entryOf(summary, 'already-sent'));
        continue;
      }
      if (claimed.status === 'busy') {
        entries.set(item.session.id, entryOf(summary, 'in-progress-elsewhere'));
        continue;
      }
      const claim = claimed.claim;
      const stored = await storeReport(ledger.reportKey(claim), item.report);
      const content = sessionEmail(
        item.report,
        context({ notes: unconfirmedNote(claim), ...(stored === undefined ? {} : { storedReport: stored }) }),
      );
      const email = await send('session', deliveryId, content, stored);
      emails.push(email);
      if (email.status === 'failed') {
        failed = true;
        await ledger.release(claim, email.error ?? 'send failed').catch((error: unknown) => {
          warnings.push(
            `cannot release the claim on ${deliveryId}: ${messageOf(error)}; it is retried after the lease`,
          );
        });
        entries.set(item.session.id, entryOf(summary, 'send-failed'));
        continue;
      }
      integrityCarried ||= integrity.status !== 'valid';
      entries.set(item.session.id, entryOf(summary, 'sent', email.messageId));
      await ledger
        .confirm(claim, {
          messageId: email.messageId ?? 'unknown',
          subject: email.subject,
          recipients: settings.recipients,
          kind: 'session',
        })
        .catch((error: unknown) => {
          warnings.push(
            `sent ${deliveryId} but cannot record it: ${messageOf(error)}; a run after the lease may send it again, marked as a possible repeat`,
          );
        });
    }
  } else {
    const claims: { item: (typeof due)[number]; claim: Claim }[] = [];
    for (const item of due) {
      const summary = item.report.sessions[0] as SessionReport;
      let claimed: Awaited<ReturnType<DeliveryLedger['claim']>>;
      try {
        claimed = await ledger.claim(sessionDeliveryId(item.session), { kind: 'digest', window: windowSummary });
      } catch (error) {
        failed = true;
        warnings.push(
          `cannot record the delivery of ${sessionDeliveryId(item.session)}, not sent: ${messageOf(error)}`,
        );
        entries.set(item.session.id, entryOf(summary, 'send-failed'));
        continue;
      }
      if (claimed.status === 'sent') entries.set(item.session.id, entryOf(summary, 'already-sent'));
      else if (claimed.status === 'busy') entries.set(item.session.id, entryOf(summary, 'in-progress-elsewhere'));
      else claims.push({ item, claim: claimed.claim });
    }
    if (claims.length > 0) {
      const report = reportOf(claims.map((c) => c.item.session));
      const stored = await storeReport(`${settings.statePrefix}digests/${runId}.json`, report);
      const notes = claims.flatMap((c) => unconfirmedNote(c.claim).map((n) => `${c.item.session.id}: ${n}`));
      const content = digestEmail(
        report,
        context({ notes, ...(stored === undefined ? {} : { storedReport: stored }) }),
      );
      const email = await send('digest', `digest-${runId}`, content, stored);
      emails.push(email);
      for (const { item, claim } of claims) {
        const summary = item.report.sessions[0] as SessionReport;
        const deliveryId = sessionDeliveryId(item.session);
        if (email.status === 'failed') {
          failed = true;
          await ledger.release(claim, email.error ?? 'send failed').catch((error: unknown) => {
            warnings.push(
              `cannot release the claim on ${deliveryId}: ${messageOf(error)}; it is retried after the lease`,
            );
          });
          entries.set(item.session.id, entryOf(summary, 'send-failed'));
        } else {
          integrityCarried ||= integrity.status !== 'valid';
          entries.set(item.session.id, entryOf(summary, 'sent', email.messageId));
          await ledger
            .confirm(claim, {
              messageId: email.messageId ?? 'unknown',
              subject: email.subject,
              recipients: settings.recipients,
              kind: 'digest',
            })
            .catch((error: unknown) => {
              warnings.push(`sent ${deliveryId} but cannot record it: ${messageOf(error)}`);
            });
        }
      }
    }
  }

  // Tampering must reach the auditors even in a window without sessions: one alert per distinct problem set.
  if (integrity.status !== 'valid' && integrity.problems.length > 0 && !failed) {
    const deliveryId = `integrity-${createHash('sha256').update(integrity.problemKey).digest('hex').slice(0, 32)}`;
    if (window.dryRun) {
      if (!integrityCarried) emails.push(await send('integrity-alert', deliveryId, integrityAlertEmail(context())));
    } else {
      try {
        const claimed = await ledger.claim(deliveryId, { kind: 'integrity-alert', window: windowSummary });
        if (claimed.status === 'claimed' && integrityCarried) {
          // A session e-mail of this run carried these problems: record them as told, send nothing more.
          await ledger.confirm(claimed.claim, {
            messageId: 'in-session-email',
            subject: '',
            recipients: settings.recipients,
            kind: 'integrity-alert',
          });
        } else if (claimed.status === 'claimed') {
          const email = await send(
            'integrity-alert',
            deliveryId,
            integrityAlertEmail(context({ notes: unconfirmedNote(claimed.claim) })),
          );
          emails.push(email);
          if (email.status === 'failed') {
            failed = true;
            await ledger.release(claimed.claim, email.error ?? 'send failed').catch(() => undefined);
          } else {
            await ledger
              .confirm(claimed.claim, {
                messageId: email.messageId ?? 'unknown',
                subject: email.subject,
                recipients: settings.recipients,
                kind: 'integrity-alert',
              })
              .catch((error: unknown) => warnings.push(`sent ${deliveryId} but cannot record it: ${messageOf(error)}`));
          }
        }
      } catch (error) {
        failed = true;
        warnings.push(`cannot record the integrity alert ${deliveryId}, not sent: ${messageOf(error)}`);
      }
    }
  }

  const result: RunResult = {
    runId,
    window: windowSummary,
    input: {
      files: read.files,
      records: read.records,
      relevantRecords: read.relevantRecords,
      bytes: read.bytes,
      findings: read.findingCount,
    },
    integrity: {
      status: integrity.status,
      headline: integrity.headline,
      detail: integrity.detail,
      problems: integrity.problems,
      deliveries: integrity.deliveries,
    },
    sessions: all.flatMap((item) => {
      const entry = entries.get(item.session.id);
      return entry === undefined ? [] : [entry];
    }),
    emails,
    warnings,
    ok: !failed,
  };
  if (!window.dryRun) {
    // The run's own record: what it read, what it found and what it sent (no e-mail bodies).
    const date = window.until.toISOString().slice(0, 10).replace(/-/g, '/');
    const record = { ...result, emails: result.emails.map(({ html: _html, text: _text, ...rest }) => rest) };
    await ledger
      .putIfAbsent(`${settings.statePrefix}runs/${date}/${runId}.json`, `${JSON.stringify(record, null, 2)}\n`)
      .catch((error: unknown) => warnings.push(`cannot store the run record: ${messageOf(error)}`));
  }
  return result;
}
