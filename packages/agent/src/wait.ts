import { setTimeout as delay } from 'node:timers/promises';
import { type ActiveElevation, type ElevationState, readElevation } from './elevation.js';
import { AgentError, AgentErrorCode } from './errors.js';
import { type GrantNotification, type Listener, type ListenerOptions, startListener } from './listener.js';
import type { SecretReader } from './secretReader.js';

/** Progress, for a CLI to show (never credentials). */
export type WaitEvent =
  | { readonly type: 'checked'; readonly state: ElevationState }
  | { readonly type: 'listening'; readonly url: string }
  | { readonly type: 'fallback'; readonly reason: string; readonly pollIntervalMs: number }
  | { readonly type: 'notification'; readonly notification: GrantNotification }
  | { readonly type: 'rejected'; readonly code: string; readonly message: string };

export interface WaitOptions {
  readonly account: string;
  readonly readSecret: SecretReader;
  /** Give up after this long. */
  readonly timeoutMs: number;
  /** The local listener; without one (no secret configured) the wait polls. */
  readonly listener?: Omit<ListenerOptions, 'onNotification' | 'onRejection'>;
  /** The slow re-check used only when no listener can be bound. @default 60000 */
  readonly pollIntervalMs?: number;
  /** @default () => new Date() */
  readonly now?: () => Date;
  readonly clockSkewSeconds?: number;
  /** Waits between polls. @default node:timers/promises setTimeout */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly onEvent?: (event: WaitEvent) => void;
  readonly signal?: AbortSignal;
}

export interface WaitResult {
  readonly state: ActiveElevation;
  /** How the grant was noticed. */
  readonly via: 'already-active' | 'notification' | 'poll';
}

/**
 * `jit-agent wait`: returns as soon as a grant for the account is active. Event-driven: it binds
 * a local listener and reads the secret again only when a verified notification for the account
 * arrives. Only when no listener can be bound does it fall back to a slow re-check of the secret.
 */
export async function waitForGrant(options: WaitOptions): Promise<WaitResult> {
  const now = options.now ?? (() => new Date());
  const deadline = now().getTime() + options.timeoutMs;
  const emit = options.onEvent ?? (() => {});
  const check = async (): Promise<ActiveElevation | undefined> => {
    const read = await readElevation({
      account: options.account,
      readSecret: options.readSecret,
      now: now(),
      ...(options.clockSkewSeconds === undefined ? {} : { clockSkewSeconds: options.clockSkewSeconds }),
    });
    emit({ type: 'checked', state: read.state });
    return read.state.status === 'active' ? read.state : undefined;
  };

  const controller = new AbortController();
  const abort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', abort, { once: true });
  try {
    // A grant may already be there; and a notification sent before we listened would be lost.
    const initial = await check();
    if (initial) return { state: initial, via: 'already-active' };

    let listener: Listener | undefined;
    let wake: (() => void) | undefined;
    const pending: GrantNotification[] = [];
    let fallbackReason: string | undefined;
    if (options.listener) {
      try {
        listener = await startListener({
          ...options.listener,
          onNotification: (notification) => {
            emit({ type: 'notification', notification });
            if (notification.account !== options.account) return;
            pending.push(notification);
            wake?.();
          },
          onRejection: (r) => emit({ type: 'rejected', code: r.code, message: r.message }),
        });
      } catch (error) {
        if (!(error instanceof AgentError) || error.code !== AgentErrorCode.ListenFailed) throw error;
        fallbackReason = error.message;
      }
    } else {
      fallbackReason = 'no listener secret is configured, so notifications cannot be verified';
    }

    if (listener) {
      emit({ type: 'listening', url: listener.url });
      try {
        for (;;) {
          const remaining = deadline - now().getTime();
          if (remaining <= 0) throw timeout(options);
          if (pending.length === 0) {
            const woke = await new Promise<boolean>((resolve) => {
              const timer = setTimeout(() => resolve(false), remaining);
              const onAbort = () => {
                clearTimeout(timer);
                resolve(false);
              };
              controller.signal.addEventListener('abort', onAbort, { once: true });
              wake = () => {
                clearTimeout(timer);
                controller.signal.removeEventListener('abort', onAbort);
                resolve(true);
              };
            });
            wake = undefined;
            if (controller.signal.aborted) throw aborted();
            if (!woke) continue;
          }
          pending.length = 0;
          const active = await check();
          if (active) return { state: active, via: 'notification' };
        }
      } finally {
        await listener.close();
      }
    }

    const pollIntervalMs = options.pollIntervalMs ?? 60_000;
    emit({ type: 'fallback', reason: fallbackReason ?? 'no listener', pollIntervalMs });
    const sleep = options.sleep ?? ((ms, signal) => delay(ms, undefined, { signal }).then(() => undefined));
    for (;;) {
      const remaining = deadline - now().getTime();
      if (remaining <= 0) throw timeout(options);
      try {
        await sleep(Math.min(pollIntervalMs, remaining), controller.signal);
      } catch (error) {
        if (controller.signal.aborted) throw aborted();
        throw error;
      }
      const active = await check();
      if (active) return { state: active, via: 'poll' };
    }
  } finally {
    options.signal?.removeEventListener('abort', abort);
  }
}

function timeout(options: WaitOptions): AgentError {
  return new AgentError(
    AgentErrorCode.WaitTimeout,
    `no grant for account ${options.account} arrived within ${Math.round(options.timeoutMs / 1000)} s`,
    { suggestion: 'check that the request reached an approver; run jit-agent status to see the current state' },
  );
}

function aborted(): AgentError {
  return new AgentError(AgentErrorCode.WaitTimeout, 'the wait was interrupted');
}
