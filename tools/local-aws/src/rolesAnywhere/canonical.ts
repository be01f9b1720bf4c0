import { createHash } from 'node:crypto';

/**
 * The verifier's own SigV4 canonicalisation. It is kept apart from the agent's signer on purpose: the two
 * are checked against the same public vectors (Envoy's), so a shared bug cannot hide behind shared code.
 */

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function byCodeUnit(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

export function canonicalRequestOf(args: {
  method: string;
  url: URL;
  /** Lower-case names of the signed headers, in the order the Authorization header lists them. */
  signedHeaders: readonly string[];
  /** Lower-case header name to value. */
  headers: ReadonlyMap<string, string>;
  body: Uint8Array;
}): string {
  const path = args.url.pathname === '' ? '/' : args.url.pathname.split('/').map(rfc3986).join('/');
  const query = [...args.url.searchParams]
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort((a, b) => byCodeUnit(a[0], b[0]) || byCodeUnit(a[1], b[1]))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const headerLines = args.signedHeaders
    .map((name) => `${name}:${(args.headers.get(name) ?? '').trim().replace(/ {2,}/g, ' ')}\n`)
    .join('');
  return [args.method.toUpperCase(), path, query, headerLines, args.signedHeaders.join(';'), sha256Hex(args.body)].join(
    '\n',
  );
}

export function stringToSignOf(algorithm: string, amzDate: string, scope: string, canonicalRequest: string): string {
  return `${algorithm}\n${amzDate}\n${scope}\n${sha256Hex(canonicalRequest)}`;
}
