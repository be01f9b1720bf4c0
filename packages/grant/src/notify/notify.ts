import { readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { type JitConfig, type NotificationTarget, type SecretRef, signWebhook } from '@jit-access/core';
import { type AwsClients, describeAwsError } from '../aws/clients.js';
import { eventSummary, type GrantEvent } from './event.js';

export interface NotifyDeps {
  readonly config: JitConfig;
  readonly clients: AwsClients;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** Waits between retries; tests pass one that does not wait. @default a real timer */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface NotificationOutcome {
  readonly kind: NotificationTarget['kind'];
  /** Where it went, safe to print: a webhook's origin and path, never a Slack URL or a query. */
  readonly target: string;
  readonly ok: boolean;
  readonly attempts: number;
  readonly error?: string;
}

const RETRY_BASE_MS = 250;

class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** Sends `event` to every configured target; never throws: each outcome says what happened. */
export async function notifyAll(
  targets: readonly NotificationTarget[],
  event: GrantEvent,
  deps: NotifyDeps,
): Promise<NotificationOutcome[]> {
  return Promise.all(targets.map((target) => notifyOne(target, event, deps)));
}

async function notifyOne(
  target: NotificationTarget,
  event: GrantEvent,
  deps: NotifyDeps,
): Promise<NotificationOutcome> {
  const name = describeTarget(target, deps.config);
  let attempts = 0;
  try {
    if (target.kind === 'sns') {
      attempts = 1;
      await publishSns(target.topicName, event, deps);
    } else if (target.kind === 'webhook') {
      const secret = await resolveSecret(target.secret, deps, 'webhook secret');
      const body = JSON.stringify(event);
      attempts = await withRetries(target.retries, deps, async () => {
        const signed = signWebhook(body, secret, (deps.now ?? (() => new Date()))());
        await post(
          target.url,
          body,
          {
            ...signed.headers,
            'x-jit-event': event.event,
            'x-jit-delivery': `${event.grantId ?? 'all'}-${event.event}`,
          },
          target.timeoutMs,
          deps,
        );
      });
    } else {
      const url = await resolveSecret(target.webhookUrl, deps, 'Slack webhook URL');
      const body = JSON.stringify(slackMessage(event));
      // Slack's incoming webhooks take one delivery per message; one retry covers a blip.
      attempts = await withRetries(1, deps, () => post(url, body, {}, target.timeoutMs, deps));
    }
    return { kind: target.kind, target: name, ok: true, attempts };
  } catch (error) {
    return {
      kind: target.kind,
      target: name,
      ok: false,
      attempts: error instanceof RetriesExhausted ? error.attempts : Math.max(attempts, 1),
      error: error instanceof Error ? error.message : String(error),
    };
  }
}

class RetriesExhausted extends Error {
  constructor(
    message: string,
    readonly attempts: number,
  ) {
    super(message);
  }
}

async function withRetries(retries: number, deps: NotifyDeps, send: () => Promise<void>): Promise<number> {
  const sleep = deps.sleep ?? ((ms: number) => delay(ms));
  for (let attempt = 1; ; attempt++) {
    try {
      await send();
      return attempt;
    } catch (error) {
      const retryable = error instanceof DeliveryError ? error.retryable : true;
      if (!retryable || attempt > retries) {
        const message = error instanceof Error ? error.message : String(error);
        throw new RetriesExhausted(attempt > 1 ? `${message} (after ${attempt} attempts)` : message, attempt);
      }
      await sleep(RETRY_BASE_MS * 2 ** (attempt - 1));
    }
  }
}

async function post(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
  deps: NotifyDeps,
): Promise<void> {
  const doFetch = deps.fetch ?? fetch;
  let response: Response;
  try {
    response = await doFetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'jit-grant', ...headers },
      body,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    throw new DeliveryError(
      timedOut ? `no answer within ${timeoutMs} ms` : `could not connect${cause ? ` (${cause})` : ''}`,
      true,
    );
  }
  // The body is read so the connection can be reused, but never shown: a receiver's error page
  // is not ours to print.
  await response.arrayBuffer().catch(() => undefined);
  if (!response.ok) {
    throw new DeliveryError(
      `the receiver answered HTTP ${response.status}`,
      response.status === 429 || response.status >= 500,
    );
  }
}

async function publishSns(topicName: string, event: GrantEvent, deps: NotifyDeps): Promise<void> {
  const { PublishCommand } = await import('@aws-sdk/client-sns');
  const topicArn = snsTopicArn(deps.config, topicName);
  try {
    await (await deps.clients.sns()).send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: asciiSubject(eventSummary(event)),
        Message: JSON.stringify(event),
        MessageAttributes: {
          event: { DataType: 'String', StringValue: event.event },
          account: { DataType: 'String', StringValue: event.account.id },
        },
      }),
    );
  } catch (error) {
    throw new Error(describeAwsError(`sns:Publish ${topicArn}`, error));
  }
}

export function snsTopicArn(config: JitConfig, topicName: string): string {
  return `arn:aws:sns:${config.region}:${config.hub.id}:${topicName}`;
}

// SNS subjects: ASCII, no line breaks, at most 100 characters.
function asciiSubject(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 100);
}

/** A target as it may be printed: no secrets (Slack URLs are secrets, queries may hold tokens). */
export function describeTarget(target: NotificationTarget, config: JitConfig): string {
  if (target.kind === 'sns') return `sns ${snsTopicArn(config, target.topicName)}`;
  if (target.kind === 'slack') return 'slack incoming webhook';
  try {
    const url = new URL(target.url);
    return `webhook ${url.origin}${url.pathname}`;
  } catch {
    return 'webhook';
  }
}

/** Reads a shared secret from a file, Secrets Manager or the environment. Never prints it. */
export async function resolveSecret(ref: SecretRef, deps: NotifyDeps, what: string): Promise<string> {
  let value: string | undefined;
  if ('file' in ref) {
    try {
      value = await readFile(ref.file, 'utf8');
    } catch (error) {
      throw new Error(`cannot read the ${what} from ${ref.file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  } else if ('env' in ref) {
    value = (deps.env ?? process.env)[ref.env];
    if (value === undefined) throw new Error(`the ${what} is not set: environment variable ${ref.env} is empty`);
  } else {
    const { GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
    try {
      const out = await (await deps.clients.secrets()).send(new GetSecretValueCommand({ SecretId: ref.secretId }));
      value = out.SecretString;
    } catch (error) {
      throw new Error(
        `cannot read the ${what}: ${describeAwsError(`secretsmanager:GetSecretValue ${ref.secretId}`, error)}`,
      );
    }
  }
  const trimmed = value?.trim() ?? '';
  if (trimmed === '') throw new Error(`the ${what} is empty`);
  return trimmed;
}

function mrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A Slack Block Kit message: readable at a glance, with the grant id to search CloudTrail by. */
export function slackMessage(event: GrantEvent): object {
  const field = (label: string, value: string) => ({ type: 'mrkdwn', text: `*${label}*\n${mrkdwn(value)}` });
  const fields = [field('Account', `${event.account.name} (${event.account.id})`)];
  if (event.tier) fields.push(field('Tier', event.tier));
  if (event.event === 'granted' && event.effectiveUntil) fields.push(field('Until', event.effectiveUntil));
  if (event.event === 'revoked') fields.push(field('Revoked', event.allSessions ? 'all sessions' : 'this grant'));
  fields.push(field('Approver', event.approver));
  if (event.roleArn) fields.push(field('Role', event.roleArn));
  const blocks: object[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: event.event === 'granted' ? 'JIT elevation granted' : 'JIT elevation revoked' },
    },
    { type: 'section', fields: fields.slice(0, 10) },
  ];
  if (event.reason) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*Reason*\n${mrkdwn(event.reason)}` } });
  }
  if (event.scope && event.scope.length > 0) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: `*Scope*\n${event.scope.map((s) => `\`${mrkdwn(s)}\``).join('\n')}` },
    });
  }
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `grant \`${event.grantId ?? 'all'}\` · ${mrkdwn(event.at)}` }],
  });
  return { text: eventSummary(event), blocks };
}
