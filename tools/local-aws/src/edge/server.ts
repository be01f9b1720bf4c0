import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { LocalAwsError, LocalAwsErrorCode } from '../errors.js';
import { isMotoReady } from '../moto/launcher.js';
import { fixJsonProtocolError } from './motoFixups.js';
import { parseAwsCall } from './parseAwsCall.js';
import type { AwsCallInfo, EdgeExchange, EdgePlugin, EdgeRequest, EdgeResponse } from './types.js';

export interface EdgeOptions {
  /** Where unhandled requests go, e.g. `http://127.0.0.1:5000`. */
  readonly motoEndpoint: string;
  /** Tried in order for `handle`; every `observe` sees every exchange. @default [] */
  readonly plugins?: readonly EdgePlugin[];
  /**
   * Added before S3 GET and HEAD requests go to moto, to make benchmarks against the local
   * environment resemble S3 (about 20 ms per request). @default 0
   */
  readonly s3LatencyMs?: number;
  /** Region for calls whose signature names none. @default 'us-east-1' */
  readonly defaultRegion?: string;
  /** Port on 127.0.0.1. @default 0 (a free port) */
  readonly port?: number;
  /** Receives one line per problem the edge swallows (observer errors, moto unreachable). @default ignore */
  readonly log?: (line: string) => void;
}

export interface Edge {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly port: number;
  /** Stops listening, waits for pending observers, then stops every plugin. */
  stop(): Promise<void>;
}

// Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection and are never forwarded.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

// Requests that would switch IAM enforcement off or wipe the provisioned accounts. They stay
// available on moto's own endpoint for the provisioner; clients of the edge never need them.
const BLOCKED_MOTO_API = new Set(['/moto-api/reset', '/moto-api/reset-auth']);

/** Starts the edge on 127.0.0.1. */
export async function startEdge(options: EdgeOptions): Promise<Edge> {
  const plugins = [...(options.plugins ?? [])];
  const log = options.log ?? (() => {});
  const s3LatencyMs = options.s3LatencyMs ?? 0;
  const moto = new URL(options.motoEndpoint);
  const agent = new Agent({ keepAlive: true });
  const pendingObservers = new Set<Promise<void>>();

  const observe = (exchange: EdgeExchange): void => {
    const observers = plugins.filter((plugin) => plugin.observe !== undefined);
    if (observers.length === 0) return;
    const run = (async () => {
      for (const plugin of observers) {
        try {
          await plugin.observe?.(exchange);
        } catch (error) {
          log(`edge: observer "${plugin.name}" failed on ${describe(exchange.call)}: ${errorText(error)}`);
        }
      }
    })();
    pendingObservers.add(run);
    void run.finally(() => pendingObservers.delete(run));
  };

  const forward = (
    incoming: IncomingMessage,
    body: Buffer,
    outgoing: ServerResponse,
    fixup: boolean,
  ): Promise<EdgeResponse> =>
    new Promise((resolve, reject) => {
      const headers: OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(incoming.headers)) {
        // The body is already complete, so moto gets no `Expect: 100-continue` (never signed by SDKs).
        if (value !== undefined && !HOP_BY_HOP.has(name) && name !== 'expect') headers[name] = value;
      }
      // The Host header is part of every SigV4 signature and moto verifies signatures, so the
      // client's Host (the edge's address) goes through unchanged; only the body length is ours.
      if (body.length > 0 || incoming.headers['content-length'] !== undefined) {
        headers['content-length'] = String(body.length);
      }
      const upstream = httpRequest(
        {
          host: moto.hostname,
          port: moto.port,
          method: incoming.method,
          path: incoming.url,
          headers,
          agent,
          setHost: false,
        },
        (response) => {
          const status = response.statusCode ?? 502;
          const responseHeaders = flattenHeaders(response.headers);
          const chunks: Buffer[] = [];
          // Errors are small and may need rewriting, so they are buffered; successes stream.
          const buffered = fixup && status >= 400;
          if (!buffered) outgoing.writeHead(status, forwardableHeaders(response.headers));
          response.on('data', (chunk: Buffer) => {
            chunks.push(chunk);
            if (!buffered) outgoing.write(chunk);
          });
          response.on('error', reject);
          response.on('end', () => {
            let result: EdgeResponse = { status, headers: responseHeaders, body: Buffer.concat(chunks) };
            if (buffered) {
              result = fixJsonProtocolError(result);
              sendBuffered(outgoing, result);
            } else {
              outgoing.end();
            }
            resolve(result);
          });
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });

  const server = createServer((incoming, outgoing) => {
    void (async () => {
      const startedAt = new Date();
      const body = await readBody(incoming);
      const url = requestUrl(incoming, port);
      const path = url.pathname;

      if (path === '/_jit/health' && incoming.method === 'GET') {
        const motoUp = await isMotoReady(options.motoEndpoint);
        sendBuffered(
          outgoing,
          json(motoUp ? 200 : 503, { status: motoUp ? 'ok' : 'moto-unreachable', plugins: plugins.map((p) => p.name) }),
        );
        return;
      }
      if (path.startsWith('/moto-api/')) {
        if (BLOCKED_MOTO_API.has(path.replace(/\/+$/, '')) && incoming.method === 'POST') {
          sendBuffered(
            outgoing,
            json(403, {
              error: `${path} is not served through the edge: it would switch IAM enforcement off or wipe the provisioned accounts`,
            }),
          );
          return;
        }
        await forward(incoming, body, outgoing, false);
        return;
      }

      const req: EdgeRequest = {
        method: incoming.method ?? 'GET',
        url,
        headers: flattenHeaders(incoming.headers),
        body,
      };
      const call = parseAwsCall(
        req,
        options.defaultRegion === undefined ? {} : { defaultRegion: options.defaultRegion },
      );

      for (const plugin of plugins) {
        if (plugin.handle === undefined) continue;
        let handled: EdgeResponse | undefined;
        try {
          handled = await plugin.handle(req);
        } catch (error) {
          log(`edge: handler "${plugin.name}" failed on ${describe(call)}: ${errorText(error)}`);
          handled = json(500, { __type: 'InternalFailure', message: `local edge plugin "${plugin.name}" failed` });
        }
        if (handled !== undefined) {
          sendBuffered(outgoing, handled);
          observe({ req, res: handled, call, startedAt, finishedAt: new Date(), handledBy: plugin.name });
          return;
        }
      }

      if (s3LatencyMs > 0 && call.service === 's3' && (req.method === 'GET' || req.method === 'HEAD')) {
        await delay(s3LatencyMs);
      }
      const res = await forward(incoming, body, outgoing, req.headers['x-amz-target'] !== undefined);
      observe({ req, res, call, startedAt, finishedAt: new Date(), handledBy: 'moto' });
    })().catch((error: unknown) => {
      log(`edge: ${incoming.method ?? '?'} ${incoming.url ?? '?'} failed: ${errorText(error)}`);
      if (!outgoing.headersSent) {
        sendBuffered(
          outgoing,
          json(502, { __type: 'ServiceUnavailable', message: 'the local edge could not reach moto' }),
        );
      } else {
        outgoing.destroy();
      }
    });
  });

  let port = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) =>
      reject(
        new LocalAwsError(
          LocalAwsErrorCode.EdgeStartFailed,
          `the edge cannot listen on 127.0.0.1:${options.port ?? 0}`,
          {
            cause: error,
          },
        ),
      ),
    );
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      agent.destroy();
      await Promise.allSettled([...pendingObservers]);
      for (const plugin of plugins) {
        try {
          await plugin.stop?.();
        } catch (error) {
          log(`edge: stopping plugin "${plugin.name}" failed: ${errorText(error)}`);
        }
      }
    })();
    return stopping;
  };

  return { endpoint: `http://127.0.0.1:${port}`, port, stop };
}

function readBody(incoming: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => resolve(Buffer.concat(chunks)));
    incoming.on('error', reject);
  });
}

function requestUrl(incoming: IncomingMessage, port: number): URL {
  const fallback = `http://127.0.0.1:${port}`;
  try {
    return new URL(incoming.url ?? '/', `http://${incoming.headers.host ?? `127.0.0.1:${port}`}`);
  } catch {
    return new URL(incoming.url ?? '/', fallback);
  }
}

function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

function forwardableHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

function sendBuffered(outgoing: ServerResponse, response: EdgeResponse): void {
  const body = typeof response.body === 'string' ? Buffer.from(response.body, 'utf8') : response.body;
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(response.headers)) {
    const lower = name.toLowerCase();
    if (!HOP_BY_HOP.has(lower) && lower !== 'content-length') headers[lower] = value;
  }
  headers['content-length'] = String(body.length);
  outgoing.writeHead(response.status, headers);
  outgoing.end(body);
}

function json(status: number, value: unknown): EdgeResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) };
}

function describe(call: AwsCallInfo): string {
  return `${call.service}:${call.action ?? '?'}`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
