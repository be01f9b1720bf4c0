import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DEFAULT_WEBHOOK_TOLERANCE_SECONDS,
  verifyWebhook,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
  WebhookError,
} from '@jit-access/core';
import { z } from 'zod';
import { AgentError, AgentErrorCode } from './errors.js';

/** Bodies larger than this are refused before they are read to the end. */
export const MAX_NOTIFICATION_BYTES = 64 * 1024;

/**
 * A grant notification as the listener passes it on. It only wakes the agent: the secret stays
 * the single source of truth and is read again before anything is believed.
 */
export interface GrantNotification {
  readonly account: string;
  readonly grantId?: string;
  /** e.g. `granted` or `revoked`, as the sender names it. */
  readonly event?: string;
  readonly receivedAt: string;
}

const accountId = z.string().regex(/^\d{12}$/);
const notificationBody = z.looseObject({
  // jit-grant sends `account: { id, name }` (its GrantEvent); other senders may send the id.
  account: z.union([accountId, z.looseObject({ id: accountId }).transform((a) => a.id)]).optional(),
  accountId: accountId.optional(),
  AccountId: accountId.optional(),
  grantId: z
    .string()
    .regex(/^[0-9A-HJKMNP-TV-Z]{26}$/)
    .optional(),
  event: z.string().max(64).optional(),
  kind: z.string().max(64).optional(),
});

export const ListenerRejection = {
  MethodNotAllowed: 'METHOD_NOT_ALLOWED',
  TooLarge: 'BODY_TOO_LARGE',
  SignatureMissing: 'SIGNATURE_MISSING',
  SignatureInvalid: 'SIGNATURE_INVALID',
  TimestampInvalid: 'TIMESTAMP_INVALID',
  Stale: 'STALE_OR_REPLAYED',
  Replayed: 'REPLAYED',
  BodyInvalid: 'BODY_INVALID',
} as const;
export type ListenerRejection = (typeof ListenerRejection)[keyof typeof ListenerRejection];

/**
 * Parses a verified notification body. Untrusted even when signed (a misconfigured sender): only
 * the account id, grant id and event name are taken from it.
 */
export function parseGrantNotification(body: string, receivedAt: Date): GrantNotification {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    throw new AgentError(AgentErrorCode.Malformed, `the notification is not JSON (${Buffer.byteLength(body)} bytes)`);
  }
  const parsed = notificationBody.safeParse(data);
  const value = parsed.success ? parsed.data : undefined;
  const account = value?.account ?? value?.accountId ?? value?.AccountId;
  if (!value || !account) {
    throw new AgentError(
      AgentErrorCode.Malformed,
      'the notification is not a grant notification: expected a JSON object with "account" (12 digits, or { "id": 12 digits }) and optionally "grantId" and "event"',
    );
  }
  const event = value.event ?? value.kind;
  return {
    account,
    ...(value.grantId ? { grantId: value.grantId } : {}),
    ...(event ? { event } : {}),
    receivedAt: receivedAt.toISOString(),
  };
}

export interface ListenerOptions {
  /** The HMAC secret shared with jit-grant's webhook notifier. */
  readonly secret: string;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** Replays and stale deliveries older than this are refused. @default 300 */
  readonly toleranceSeconds?: number;
  /** @default 65536 */
  readonly maxBodyBytes?: number;
  /** @default () => new Date() */
  readonly now?: () => Date;
  readonly onNotification: (notification: GrantNotification) => void;
  readonly onRejection?: (rejection: { code: ListenerRejection; status: number; message: string }) => void;
}

export interface Listener {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/**
 * An HTTP listener for signed grant notifications. It verifies the HMAC over
 * `timestamp.body`, refuses deliveries outside the tolerance and replays of a signature already
 * seen within it, and refuses bodies over 64 KiB without reading them. Nothing it receives is
 * echoed back.
 */
export async function startListener(options: ListenerOptions): Promise<Listener> {
  if (options.secret.length === 0) {
    throw new AgentError(AgentErrorCode.Config, 'the listener needs a non-empty HMAC secret', {
      suggestion: 'set JIT_WEBHOOK_SECRET (shared with the grant notifier), or --secret-env / --secret-file',
    });
  }
  const host = options.host ?? '127.0.0.1';
  const tolerance = options.toleranceSeconds ?? DEFAULT_WEBHOOK_TOLERANCE_SECONDS;
  const maxBytes = options.maxBodyBytes ?? MAX_NOTIFICATION_BYTES;
  const now = options.now ?? (() => new Date());
  // Signatures seen within the tolerance: a valid delivery sent twice is a replay.
  const seen = new Map<string, number>();

  const reject = (res: ServerResponse, status: number, code: ListenerRejection, message: string) => {
    options.onRejection?.({ code, status, message });
    res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
    res.end(JSON.stringify({ error: code }));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST') {
      req.resume();
      return reject(res, 405, ListenerRejection.MethodNotAllowed, `method ${req.method ?? '?'} is not allowed`);
    }
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > maxBytes) {
      // Answered without reading: `connection: close` drops the rest of the upload.
      return reject(res, 413, ListenerRejection.TooLarge, `body of ${declared} bytes is over ${maxBytes}`);
    }
    const body = await readBody(req, maxBytes);
    if (body === undefined) {
      return reject(res, 413, ListenerRejection.TooLarge, `body is over ${maxBytes} bytes`);
    }
    const at = now();
    const signature = header(req, WEBHOOK_SIGNATURE_HEADER);
    try {
      verifyWebhook({
        body,
        signature,
        timestamp: header(req, WEBHOOK_TIMESTAMP_HEADER),
        secret: options.secret,
        now: at,
        toleranceSeconds: tolerance,
      });
    } catch (error) {
      if (!(error instanceof WebhookError)) throw error;
      const code =
        error.code === 'WEBHOOK_SIGNATURE_MISSING'
          ? ListenerRejection.SignatureMissing
          : error.code === 'WEBHOOK_TIMESTAMP_INVALID'
            ? ListenerRejection.TimestampInvalid
            : error.code === 'WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE'
              ? ListenerRejection.Stale
              : ListenerRejection.SignatureInvalid;
      return reject(res, 401, code, error.message);
    }
    for (const [sig, expires] of seen) if (expires <= at.getTime()) seen.delete(sig);
    if (signature && seen.has(signature)) {
      return reject(res, 409, ListenerRejection.Replayed, 'this signed delivery was already received');
    }
    if (signature) seen.set(signature, at.getTime() + 2 * tolerance * 1000);
    let notification: GrantNotification;
    try {
      notification = parseGrantNotification(body.toString('utf8'), at);
    } catch (error) {
      return reject(res, 400, ListenerRejection.BodyInvalid, error instanceof Error ? error.message : String(error));
    }
    res.writeHead(204, { connection: 'close' });
    res.end();
    options.onNotification(notification);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new AgentError(
          AgentErrorCode.ListenFailed,
          `cannot listen on ${host}:${options.port ?? 0}: ${error.code ?? error.message}`,
          {
            suggestion: 'pick another --port, or stop whatever holds this one',
            cause: error,
          },
        ),
      ),
    );
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    host,
    port,
    url: `http://${shownHost}:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The body, or undefined as soon as it grows past `max` (the rest is not read). */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > max) {
        done = true;
        req.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) {
        done = true;
        resolve(Buffer.concat(chunks));
      }
    });
    req.on('error', (error) => {
      if (!done) {
        done = true;
        reject(error);
      }
    });
  });
}
