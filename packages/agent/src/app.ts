import type { ElevationRequest } from '@jit-access/core';
import { type ElevationState, readElevation } from './elevation.js';
import { AgentError, AgentErrorCode } from './errors.js';
import type { ListenerOptions } from './listener.js';
import {
  type ApproverChannels,
  buildElevationRequest,
  type Delivery,
  requestText,
  sendElevationRequest,
} from './request.js';
import type { AgentRuntime } from './runtime.js';
import { readSecretRef, type SecretRef } from './settings.js';

/** The default port of the local listener (`listen`, `wait`) when nothing else is configured. */
export const DEFAULT_LISTENER_PORT = 8787;

/** The states of one account, or of every workload account in the model. */
export async function elevationStatus(runtime: AgentRuntime, account?: string): Promise<ElevationState[]> {
  const ids = account === undefined ? await runtime.workloadAccounts() : [await runtime.resolveAccount(account)];
  const now = new Date();
  const reads = await Promise.all(
    ids.map((id) =>
      readElevation({ account: id, readSecret: runtime.readSecret, now, clockSkewSeconds: runtime.clockSkewSeconds }),
    ),
  );
  return reads.map((r) => r.state);
}

/** The agent's ARN: configured, or asked of STS with the base identity (one of its three permissions). */
export async function agentArn(runtime: AgentRuntime): Promise<string> {
  const configured = runtime.env.JIT_AGENT_ARN ?? runtime.settings.agentArn;
  if (configured) return configured;
  const credentials = await runtime.baseCredentials();
  const region = await runtime.region();
  const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
  const profile = runtime.profile;
  const client = new STSClient({
    region,
    ...(credentials ? { credentials } : profile ? { profile } : {}),
    maxAttempts: 2,
  });
  try {
    const out = await client.send(new GetCallerIdentityCommand({}));
    if (!out.Arn) throw new Error('GetCallerIdentity returned no ARN');
    return out.Arn;
  } catch (error) {
    throw new AgentError(
      AgentErrorCode.Identity,
      `cannot tell who the agent is (sts:GetCallerIdentity): ${error instanceof Error ? error.message : String(error)}`,
      { suggestion: 'check the base identity, or set JIT_AGENT_ARN / agentArn in the settings', cause: error },
    );
  } finally {
    client.destroy();
  }
}

export interface ChannelOverrides {
  readonly webhookUrl?: string;
  readonly webhookSecret?: SecretRef;
  readonly slackWebhook?: SecretRef;
}

/** The approvers' channels from flags, environment and settings (secrets resolved). */
export async function approverChannels(
  runtime: AgentRuntime,
  overrides: ChannelOverrides = {},
): Promise<ApproverChannels> {
  const { env, settings } = runtime;
  const webhookUrl = overrides.webhookUrl ?? env.JIT_APPROVER_WEBHOOK_URL ?? settings.approvers?.webhook?.url;
  const webhookSecretRef =
    overrides.webhookSecret ??
    settings.approvers?.webhook?.secret ??
    (env.JIT_APPROVER_WEBHOOK_SECRET ? { env: 'JIT_APPROVER_WEBHOOK_SECRET' } : undefined);
  const slackRef =
    overrides.slackWebhook ??
    settings.approvers?.slack?.webhookUrl ??
    (env.JIT_SLACK_WEBHOOK_URL ? { env: 'JIT_SLACK_WEBHOOK_URL' } : undefined);
  const channels: { -readonly [K in keyof ApproverChannels]: ApproverChannels[K] } = {};
  if (webhookUrl) {
    if (!webhookSecretRef) {
      throw new AgentError(AgentErrorCode.Config, `the approvers' webhook ${webhookUrl} has no signing secret`, {
        suggestion: 'set JIT_APPROVER_WEBHOOK_SECRET, or approvers.webhook.secret in the settings',
      });
    }
    channels.webhook = {
      url: webhookUrl,
      secret: await readSecretRef(webhookSecretRef, "the approvers' webhook secret", env),
    };
  }
  if (slackRef) channels.slack = { webhookUrl: await readSecretRef(slackRef, 'the Slack webhook URL', env) };
  if (settings.approvers?.timeoutMs) channels.timeoutMs = settings.approvers.timeoutMs;
  return channels;
}

export interface RequestInput {
  readonly account: string;
  readonly tier: string;
  readonly minutes: number;
  readonly reason: string;
  readonly plan?: string;
  readonly validMinutes?: number;
}

export interface RequestOutcome {
  readonly request: ElevationRequest;
  /** The JSON text (what `jit-grant grant --request` reads). */
  readonly text: string;
  /** One per configured channel; empty when none is configured. */
  readonly deliveries: Delivery[];
}

/** Builds a request, checks it against the model when there is one, and sends it to the approvers. */
export async function requestElevation(
  runtime: AgentRuntime,
  input: RequestInput,
  options: { send?: boolean; channels?: ChannelOverrides } = {},
): Promise<RequestOutcome> {
  const account = await runtime.resolveAccount(input.account);
  const config = await runtime.config();
  const validMinutes = input.validMinutes ?? runtime.settings.requestValidMinutes;
  const channels = options.send === false ? {} : await approverChannels(runtime, options.channels);
  const request = buildElevationRequest({
    account,
    tier: input.tier,
    minutes: input.minutes,
    reason: input.reason,
    ...(input.plan === undefined ? {} : { plan: input.plan }),
    agentArn: await agentArn(runtime),
    ...(validMinutes === undefined ? {} : { validMinutes }),
    ...(config ? { config } : {}),
  });
  const deliveries = await sendElevationRequest(request, channels);
  return { request, text: requestText(request), deliveries };
}

export interface ListenerOverrides {
  readonly host?: string;
  readonly port?: number;
  readonly secret?: SecretRef;
}

/**
 * The listener's address and HMAC secret: flags, then settings, then `JIT_WEBHOOK_SECRET`, then
 * the webhook notification target in accounts/ (the same secret jit-grant signs with). Undefined
 * when no secret is known: an unverifiable listener is not started.
 */
export async function listenerSettings(
  runtime: AgentRuntime,
  overrides: ListenerOverrides = {},
): Promise<Omit<ListenerOptions, 'onNotification' | 'onRejection'> | undefined> {
  const { env, settings } = runtime;
  const config = await runtime.config();
  const target = config?.notifications.find((n) => n.kind === 'webhook');
  let ref: SecretRef | undefined =
    overrides.secret ??
    settings.listener?.secret ??
    (env.JIT_WEBHOOK_SECRET ? { env: 'JIT_WEBHOOK_SECRET' } : undefined);
  let portFromTarget: number | undefined;
  if (target?.kind === 'webhook') {
    if (!ref && !('secretId' in target.secret)) ref = target.secret;
    const url = new URL(target.url);
    if (url.port && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) portFromTarget = Number(url.port);
  }
  if (!ref) return undefined;
  const envPort = env.JIT_LISTEN_PORT ? Number(env.JIT_LISTEN_PORT) : undefined;
  return {
    secret: await readSecretRef(ref, 'the listener secret', env),
    host: overrides.host ?? env.JIT_LISTEN_HOST ?? settings.listener?.host ?? '127.0.0.1',
    port: overrides.port ?? envPort ?? settings.listener?.port ?? portFromTarget ?? DEFAULT_LISTENER_PORT,
  };
}
