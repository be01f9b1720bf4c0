/**
 * Parser for the Authorization header of a Roles Anywhere request:
 * `AWS4-X509-RSA-SHA256 Credential=<serial>/<yyyymmdd>/<region>/rolesanywhere/aws4_request,
 *  SignedHeaders=<a;b;c>, Signature=<hex>`.
 * The header is untrusted input: the parser returns a typed result and never throws.
 */

export const X509_ALGORITHMS = ['AWS4-X509-RSA-SHA256', 'AWS4-X509-ECDSA-SHA256'] as const;
export type X509Algorithm = (typeof X509_ALGORITHMS)[number];

export interface ParsedX509Authorization {
  algorithm: X509Algorithm;
  /** The credential's identifier: the certificate's serial number in decimal. */
  serialDecimal: string;
  /** `yyyymmdd` from the credential scope. */
  scopeDate: string;
  region: string;
  service: string;
  /** `<yyyymmdd>/<region>/<service>/aws4_request` */
  scope: string;
  /** Lower-case, sorted, unique. */
  signedHeaders: string[];
  /** Lower-case hex. */
  signature: string;
}

export type AuthorizationParseFailureCode = 'MALFORMED_AUTHORIZATION' | 'UNSUPPORTED_ALGORITHM';

export type AuthorizationParseResult =
  | { ok: true; value: ParsedX509Authorization }
  | { ok: false; code: AuthorizationParseFailureCode; message: string };

/** Longer than any real header (a 4096-bit RSA signature is 1024 hex characters). */
const MAX_LENGTH = 8192;

function malformed(message: string): AuthorizationParseResult {
  return { ok: false, code: 'MALFORMED_AUTHORIZATION', message };
}

export function parseX509Authorization(header: unknown): AuthorizationParseResult {
  if (typeof header !== 'string') return malformed('the Authorization header is missing');
  if (header.length > MAX_LENGTH) {
    return malformed(`the Authorization header is ${header.length} characters long; at most ${MAX_LENGTH} allowed`);
  }
  const space = header.indexOf(' ');
  if (space <= 0) return malformed('the Authorization header has no algorithm followed by a space');
  const algorithm = header.slice(0, space);
  if (!(X509_ALGORITHMS as readonly string[]).includes(algorithm)) {
    return {
      ok: false,
      code: 'UNSUPPORTED_ALGORITHM',
      message: `the Authorization algorithm "${algorithm.slice(0, 40)}" is not supported; allowed: ${X509_ALGORITHMS.join(', ')}`,
    };
  }

  const fields = new Map<string, string>();
  for (const part of header.slice(space + 1).split(',')) {
    const item = part.trim();
    const eq = item.indexOf('=');
    const name = eq < 0 ? item : item.slice(0, eq);
    if (name !== 'Credential' && name !== 'SignedHeaders' && name !== 'Signature') {
      return malformed(
        `the Authorization header has an unexpected part "${name.slice(0, 40)}"; allowed: Credential, SignedHeaders, Signature`,
      );
    }
    if (eq < 0) return malformed(`the Authorization part ${name} has no value`);
    if (fields.has(name)) return malformed(`the Authorization header has ${name} twice`);
    fields.set(name, item.slice(eq + 1));
  }
  const credential = fields.get('Credential');
  const signedHeadersText = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (credential === undefined || signedHeadersText === undefined || signature === undefined) {
    return malformed('the Authorization header needs Credential, SignedHeaders and Signature');
  }

  const scopeParts = credential.split('/');
  if (scopeParts.length !== 5) {
    return malformed('Credential must be <serial>/<yyyymmdd>/<region>/<service>/aws4_request');
  }
  const [serialDecimal, scopeDate, region, service, terminator] = scopeParts as [
    string,
    string,
    string,
    string,
    string,
  ];
  if (!/^(0|[1-9]\d{0,63})$/.test(serialDecimal)) {
    return malformed('the Credential serial must be the certificate serial number in decimal');
  }
  if (!/^\d{8}$/.test(scopeDate)) return malformed('the Credential date must be yyyymmdd');
  if (!/^[a-z0-9-]{1,32}$/.test(region)) return malformed('the Credential region is not a region name');
  if (!/^[a-z0-9-]{1,64}$/.test(service)) return malformed('the Credential service is not a service name');
  if (terminator !== 'aws4_request') return malformed('the Credential must end with /aws4_request');

  const signedHeaders = signedHeadersText.split(';');
  for (const [index, name] of signedHeaders.entries()) {
    if (!/^[a-z0-9-]{1,64}$/.test(name)) {
      return malformed('SignedHeaders must be lower-case header names separated by ";"');
    }
    const previous = signedHeaders[index - 1];
    if (previous !== undefined && previous >= name) {
      return malformed('SignedHeaders must be sorted and must not repeat a name');
    }
  }
  if (!/^(?:[0-9a-f]{2}){1,1024}$/.test(signature)) {
    return malformed('Signature must be lower-case hex of an even length');
  }
  return {
    ok: true,
    value: {
      algorithm: algorithm as X509Algorithm,
      serialDecimal,
      scopeDate,
      region,
      service,
      scope: credential.slice(serialDecimal.length + 1),
      signedHeaders,
      signature,
    },
  };
}
