import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  /** The AWS action: X-Amz-Target's operation (JSON protocols) or Action= (query protocols). */
  readonly action: string | undefined;
  readonly body: string;
}

export type Intercept = (seen: SeenRequest, res: ServerResponse) => boolean | 'hang';

/** Told each forwarded exchange whose request `keep` selected, with the answer's status and body. */
export interface ProxyOptions {
  readonly keep?: (seen: SeenRequest) => boolean;
  readonly answered?: (seen: SeenRequest, status: number, body: string) => void;
}

/**
 * A loopback proxy in front of the local environment's edge. It records every request and lets a
 * test answer some of them itself (to inject throttling, a hang, or an STS refusal moto cannot
 * produce); everything else reaches the edge unchanged, Host header included (SigV4 signs it).
 */
export async function startProxy(target: string, intercept: Intercept = () => false, options: ProxyOptions = {}) {
  const seen: SeenRequest[] = [];
  const upstream = new URL(target);
  const hanging = new Set<ServerResponse>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const text = body.toString('utf8');
      const targetHeader = req.headers['x-amz-target'];
      const action =
        typeof targetHeader === 'string'
          ? targetHeader.split('.').pop()
          : (new URLSearchParams(text).get('Action') ?? undefined);
      const entry: SeenRequest = { method: req.method ?? 'GET', url: req.url ?? '/', action, body: text };
      seen.push(entry);
      const handled = intercept(entry, res);
      if (handled === 'hang') {
        hanging.add(res);
        return;
      }
      if (handled) return;
      const out = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, 'content-length': String(body.length) },
          setHost: false,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          if (options.keep?.(entry) && options.answered) {
            const parts: Buffer[] = [];
            answer.on('data', (c: Buffer) => parts.push(c));
            answer.on('end', () =>
              options.answered?.(entry, answer.statusCode ?? 0, Buffer.concat(parts).toString('utf8')),
            );
          }
          answer.pipe(res);
        },
      );
      out.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      out.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    seen,
    count: (action: string) => seen.filter((s) => s.action === action).length,
    stop: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function jsonError(res: ServerResponse, status: number, type: string, message: string): true {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type });
  res.end(JSON.stringify({ __type: type, message }));
  return true;
}

export function queryError(res: ServerResponse, status: number, code: string, message: string): true {
  res.writeHead(status, { 'content-type': 'text/xml' });
  res.end(
    `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>`,
  );
  return true;
}
