import {
  ELEVATION_REQUEST_KIND,
  ELEVATION_REQUEST_VERSION,
  type ElevationRequest,
  findTier,
  type JitConfig,
  newGrantId,
  RequestError,
  reasonProblem,
  serializeElevationRequest,
  signWebhook,
} from '@jit-access/core';
import { AgentError, AgentErrorCode } from './errors.js';

export interface BuildRequestOptions {
  /** The workload account id. */
  readonly account: string;
  readonly tier: string;
  readonly minutes: number;
  readonly reason: string;
  /** What the agent will do with the elevation, for the approver to read. */
  readonly plan?: string;
  /** The agent's identity (its base identity's ARN). */
  readonly agentArn: string;
  /** @default new Date() */
  readonly now?: Date;
  /** How long the request stays approvable. @default 30 */
  readonly validMinutes?: number;
  /** With the accounts/ model, the tier, the account and the minutes are checked before anything is sent. */
  readonly config?: JitConfig;
}

/**
 * Builds the request `jit-grant grant --request` consumes. With the accounts/ model it refuses
 * what an approver would have to refuse anyway (unknown tier, account outside the tier, minutes
 * outside its range), naming the field, the value and what is allowed.
 */
export function buildElevationRequest(options: BuildRequestOptions): ElevationRequest {
  const now = options.now ?? new Date();
  const validMinutes = options.validMinutes ?? 30;
  if (!Number.isInteger(validMinutes) || validMinutes < 1 || validMinutes > 1440) {
    throw invalid(`valid-for ${String(validMinutes)} minutes is not allowed: expected 1 to 1440`);
  }
  if (!Number.isInteger(options.minutes) || options.minutes < 1) {
    throw invalid(`minutes ${String(options.minutes)} is not allowed: expected a whole number of minutes`);
  }
  const problem = reasonProblem(options.reason);
  if (problem) throw invalid(`reason ${problem}`);
  if (options.config) checkAgainstConfig(options.config, options);
  const request: ElevationRequest = {
    kind: ELEVATION_REQUEST_KIND,
    version: ELEVATION_REQUEST_VERSION,
    id: newGrantId(now),
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + validMinutes * 60_000).toISOString(),
    account: options.account,
    tier: options.tier,
    minutes: options.minutes,
    reason: options.reason,
    ...(options.plan === undefined ? {} : { plan: options.plan }),
    agent: { arn: options.agentArn },
  };
  // The core's schema is the contract with jit-grant: validate against it, not a copy of it.
  try {
    serializeElevationRequest(request);
  } catch (error) {
    if (error instanceof RequestError) throw invalid(error.message, error);
    throw error;
  }
  return request;
}

function checkAgainstConfig(config: JitConfig, options: BuildRequestOptions): void {
  const tier = findTier(config, options.tier);
  if (!tier) {
    throw invalid(`tier "${options.tier}" does not exist; allowed: ${config.tiers.map((t) => t.name).join(', ')}`);
  }
  if (!tier.accountIds.includes(options.account)) {
    throw invalid(
      `tier "${tier.name}" is not available for account ${options.account}; it is for: ${tier.accountIds.join(', ') || 'no account'}`,
    );
  }
  const { min, max } = tier.minutes;
  if (options.minutes < min || options.minutes > max) {
    throw invalid(
      `minutes ${options.minutes} is outside the ${tier.name} tier's window: allowed ${min === max ? `${min}` : `${min} to ${max}`}`,
    );
  }
}

function invalid(message: string, cause?: unknown): AgentError {
  return new AgentError(AgentErrorCode.RequestInvalid, message, cause === undefined ? {} : { cause });
}

/** The request's JSON text: what goes to stdout, the file, and the webhook body. */
export function requestText(request: ElevationRequest): string {
  return serializeElevationRequest(request);
}

/** The subset of fetch used to deliver requests; inject one in tests. */
export type PostFunction = (
  url: string,
  init: { method: 'POST'; headers: Record<string, string>; body: string; signal: AbortSignal },
) => Promise<{ status: number; ok: boolean }>;

export interface ApproverChannels {
  /** A signed webhook (HMAC-SHA256, X-Jit-Signature / X-Jit-Timestamp). */
  readonly webhook?: { readonly url: string; readonly secret: string };
  /** A Slack incoming webhook. Its URL is a secret and never appears in output. */
  readonly slack?: { readonly webhookUrl: string };
  /** @default 5000 */
  readonly timeoutMs?: number;
}

export interface Delivery {
  readonly channel: 'webhook' | 'slack';
  readonly ok: boolean;
  readonly status?: number;
  readonly error?: string;
}

/**
 * Sends a request to the approvers' channels. Never through AWS: the base identity has no
 * permission to notify anyone, and must not get one. Failures are reported per channel, not thrown.
 */
export async function sendElevationRequest(
  request: ElevationRequest,
  channels: ApproverChannels,
  options: { now?: Date; post?: PostFunction } = {},
): Promise<Delivery[]> {
  const post: PostFunction = options.post ?? ((url, init) => fetch(url, init));
  const timeoutMs = channels.timeoutMs ?? 5_000;
  const deliveries: Promise<Delivery>[] = [];
  if (channels.webhook) {
    const { url, secret } = channels.webhook;
    const body = requestText(request);
    const signed = signWebhook(body, secret, options.now ?? new Date());
    deliveries.push(
      deliver('webhook', `the approvers' webhook at ${origin(url)}`, () =>
        post(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'jit-agent', ...signed.headers },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        }),
      ),
    );
  }
  if (channels.slack) {
    const { webhookUrl } = channels.slack;
    deliveries.push(
      deliver('slack', 'the Slack webhook', () =>
        post(webhookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ text: slackText(request) }),
          signal: AbortSignal.timeout(timeoutMs),
        }),
      ),
    );
  }
  return Promise.all(deliveries);
}

async function deliver(
  channel: Delivery['channel'],
  label: string,
  send: () => Promise<{ status: number; ok: boolean }>,
): Promise<Delivery> {
  try {
    const response = await send();
    return response.ok
      ? { channel, ok: true, status: response.status }
      : { channel, ok: false, status: response.status, error: `${label} answered HTTP ${response.status}` };
  } catch (error) {
    // The error text of fetch can hold the URL; for Slack that URL is the secret, so say less.
    const why = (error as { name?: string }).name === 'TimeoutError' ? 'timed out' : 'could not be reached';
    return { channel, ok: false, error: `${label} ${why}` };
  }
}

function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'an invalid URL';
  }
}

// Slack reads <…> as links and mentions (<!channel>); the agent's text must not ping anyone.
function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The Slack message: the request in words, then the exact JSON for `jit-grant grant --request`. */
export function slackText(request: ElevationRequest): string {
  const lines = [
    `*Elevation request* \`${request.id}\``,
    `Account: ${slackEscape(request.account)} | Tier: ${slackEscape(request.tier)} | ${request.minutes} min`,
    `Reason: ${slackEscape(request.reason)}`,
    ...(request.plan ? [`Plan: ${slackEscape(request.plan)}`] : []),
    `Agent: ${slackEscape(request.agent.arn)}`,
    `Approvable until ${request.expiresAt}. Save the JSON below and run: jit-grant grant --request <file>`,
    `\`\`\`${slackEscape(JSON.stringify(request))}\`\`\``,
  ];
  return lines.join('\n');
}
