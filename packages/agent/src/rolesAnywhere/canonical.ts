import { createHash } from 'node:crypto';

/**
 * SigV4 canonicalisation, shared by both X.509 algorithms. Roles Anywhere uses SigV4's canonical request
 * and string-to-sign unchanged; only the key, the algorithm name and the extra certificate headers differ.
 */

export const ROLES_ANYWHERE_SERVICE = 'rolesanywhere';
const SCOPE_TERMINATOR = 'aws4_request';

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `YYYYMMDDTHHMMSSZ`, the X-Amz-Date format. */
export function formatAmzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

/** RFC 3986 encoding as SigV4 wants it: everything but the unreserved characters, upper-case hex. */
export function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function canonicalUri(path: string): string {
  if (path === '') return '/';
  return path
    .split('/')
    .map((segment) => uriEncode(segment))
    .join('/');
}

export function canonicalQueryString(params: URLSearchParams): string {
  const pairs: [string, string][] = [];
  for (const [key, value] of params) pairs.push([uriEncode(key), uriEncode(value)]);
  pairs.sort(([ak, av], [bk, bv]) => (ak === bk ? compare(av, bv) : compare(ak, bk)));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

function compare(a: string, b: string): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}

/** SigV4 header value canonicalisation: trim, and collapse runs of spaces into one. */
export function canonicalHeaderValue(value: string): string {
  return value.trim().replace(/ {2,}/g, ' ');
}

export interface CanonicalRequestInput {
  method: string;
  path: string;
  query: URLSearchParams;
  /** Lower-case header names to their values; every entry is signed. */
  headers: ReadonlyMap<string, string>;
  payloadHash: string;
}

export interface CanonicalRequest {
  canonicalRequest: string;
  /** `a;b;c`, sorted. */
  signedHeaders: string;
}

export function buildCanonicalRequest(input: CanonicalRequestInput): CanonicalRequest {
  const names = [...input.headers.keys()].sort(compare);
  const canonicalHeaders = names.map((name) => `${name}:${canonicalHeaderValue(input.headers.get(name) ?? '')}\n`);
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    input.method.toUpperCase(),
    canonicalUri(input.path),
    canonicalQueryString(input.query),
    canonicalHeaders.join(''),
    signedHeaders,
    input.payloadHash,
  ].join('\n');
  return { canonicalRequest, signedHeaders };
}

export function credentialScope(amzDate: string, region: string, service = ROLES_ANYWHERE_SERVICE): string {
  return `${amzDate.slice(0, 8)}/${region}/${service}/${SCOPE_TERMINATOR}`;
}

export function buildStringToSign(algorithm: string, amzDate: string, scope: string, canonicalRequest: string): string {
  return [algorithm, amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
}
