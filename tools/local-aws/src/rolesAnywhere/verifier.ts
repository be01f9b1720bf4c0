import { verify, type X509Certificate } from 'node:crypto';
import { type ParsedX509Authorization, parseX509Authorization } from './authorization.js';
import { canonicalRequestOf, sha256Hex, stringToSignOf } from './canonical.js';
import type { EdgeRequest } from './edgeTypes.js';
import { commonNameOf, isIssuedBy, serialDecimalOf, validityOf, x509FromBase64Der, x509FromPem } from './x509.js';

export interface TrustAnchor {
  arn: string;
  caCertificatePem: string;
}

export const VerifyFailureCode = {
  MalformedAuthorization: 'MALFORMED_AUTHORIZATION',
  UnsupportedAlgorithm: 'UNSUPPORTED_ALGORITHM',
  MissingHeader: 'MISSING_HEADER',
  InvalidDate: 'INVALID_DATE',
  RequestTimeSkewed: 'REQUEST_TIME_SKEWED',
  CredentialScopeMismatch: 'CREDENTIAL_SCOPE_MISMATCH',
  InvalidCertificate: 'INVALID_CERTIFICATE',
  SerialMismatch: 'SERIAL_MISMATCH',
  AlgorithmKeyMismatch: 'ALGORITHM_KEY_MISMATCH',
  ContentHashMismatch: 'CONTENT_HASH_MISMATCH',
  SignatureMismatch: 'SIGNATURE_MISMATCH',
  InvalidBody: 'INVALID_BODY',
  UnknownTrustAnchor: 'UNKNOWN_TRUST_ANCHOR',
  UntrustedCertificate: 'UNTRUSTED_CERTIFICATE',
  CertificateExpired: 'CERTIFICATE_EXPIRED',
  CertificateNotYetValid: 'CERTIFICATE_NOT_YET_VALID',
} as const;
export type VerifyFailureCode = (typeof VerifyFailureCode)[keyof typeof VerifyFailureCode];

export interface VerifyFailure {
  ok: false;
  /** 400: the request is malformed; 403: it is well-formed but not authenticated. */
  status: 400 | 403;
  code: VerifyFailureCode;
  message: string;
}

export interface VerifiedSignature {
  ok: true;
  authorization: ParsedX509Authorization;
  leaf: X509Certificate;
  chain: X509Certificate[];
  amzDate: Date;
}

export interface VerifiedCreateSession {
  ok: true;
  certificate: { serialDecimal: string; subjectCommonName: string; notAfter: Date };
  request: {
    profileArn: string;
    roleArn: string;
    trustAnchorArn: string;
    /** The requested duration, or the service default (3600). */
    durationSeconds: number;
    roleSessionName?: string;
  };
}

export interface VerifyCreateSessionOptions {
  trustAnchors: readonly TrustAnchor[];
  now: Date;
  /** When given, the credential scope must name this region. */
  region?: string;
  /** @default 300 */
  maxSkewSeconds?: number;
}

const REQUIRED_SIGNED_HEADERS = ['content-type', 'host', 'x-amz-date', 'x-amz-x509'] as const;
const MAX_CHAIN = 5;
const MAX_DEPTH = 6;
const MAX_BODY = 64 * 1024;

function fail(status: 400 | 403, code: VerifyFailureCode, message: string): VerifyFailure {
  return { ok: false, status, code, message };
}

/** Header names lower-cased; a name given twice in different cases is refused by the caller. */
function lowerHeaders(headers: Record<string, string>): Map<string, string> | undefined {
  const out = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (out.has(lower)) return undefined;
    out.set(lower, value);
  }
  return out;
}

export function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  // Date.UTC rolls 20240231 over into March: refuse instead of accepting a different instant.
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return undefined;
  return date;
}

/**
 * Checks the signature of a Roles Anywhere request and nothing else: the Authorization header's form,
 * the signed header set, the serial in the credential against the leaf, and the signature itself with
 * the leaf's public key over the rebuilt canonical request. No clock, no trust anchor.
 */
export function verifyX509RequestSignature(req: EdgeRequest): VerifiedSignature | VerifyFailure {
  const headers = lowerHeaders(req.headers);
  if (headers === undefined) return fail(400, 'MALFORMED_AUTHORIZATION', 'a header is given twice');
  const parsed = parseX509Authorization(headers.get('authorization'));
  if (!parsed.ok) {
    return fail(400, parsed.code, parsed.message);
  }
  const auth = parsed.value;

  const signed = new Set(auth.signedHeaders);
  for (const name of REQUIRED_SIGNED_HEADERS) {
    if (!signed.has(name)) {
      return fail(
        403,
        'MALFORMED_AUTHORIZATION',
        `SignedHeaders must include ${name}; it lists ${auth.signedHeaders.join(';')}`,
      );
    }
  }
  if (headers.has('x-amz-x509-chain') && !signed.has('x-amz-x509-chain')) {
    return fail(403, 'MALFORMED_AUTHORIZATION', 'the X-Amz-X509-Chain header is present but not signed');
  }
  for (const name of auth.signedHeaders) {
    if (!headers.has(name)) return fail(400, 'MISSING_HEADER', `the signed header ${name} is missing from the request`);
  }

  const amzDateText = headers.get('x-amz-date') ?? '';
  const amzDate = parseAmzDate(amzDateText);
  if (amzDate === undefined) {
    return fail(400, 'INVALID_DATE', `X-Amz-Date "${amzDateText.slice(0, 40)}" is not yyyymmddThhmmssZ`);
  }
  if (auth.scopeDate !== amzDateText.slice(0, 8)) {
    return fail(
      403,
      'CREDENTIAL_SCOPE_MISMATCH',
      `the Credential date ${auth.scopeDate} is not the X-Amz-Date day ${amzDateText.slice(0, 8)}`,
    );
  }
  if (auth.service !== 'rolesanywhere') {
    return fail(403, 'CREDENTIAL_SCOPE_MISMATCH', `the Credential service "${auth.service}" must be rolesanywhere`);
  }

  const leaf = x509FromBase64Der(headers.get('x-amz-x509') ?? '');
  if (leaf === undefined) return fail(400, 'INVALID_CERTIFICATE', 'X-Amz-X509 is not a base64 DER X.509 certificate');
  const leafSerial = serialDecimalOf(leaf);
  if (leafSerial !== auth.serialDecimal) {
    return fail(
      403,
      'SERIAL_MISMATCH',
      `the Credential serial ${auth.serialDecimal} is not the certificate's serial ${leafSerial}`,
    );
  }
  const keyType = leaf.publicKey.asymmetricKeyType;
  const expected = keyType === 'rsa' ? 'AWS4-X509-RSA-SHA256' : keyType === 'ec' ? 'AWS4-X509-ECDSA-SHA256' : undefined;
  if (expected !== auth.algorithm) {
    return fail(
      403,
      'ALGORITHM_KEY_MISMATCH',
      `the algorithm ${auth.algorithm} does not fit the certificate's ${keyType ?? 'unknown'} key`,
    );
  }

  const chain: X509Certificate[] = [];
  const chainHeader = headers.get('x-amz-x509-chain');
  if (chainHeader !== undefined) {
    const parts = chainHeader.split(',').map((p) => p.trim());
    if (parts.length > MAX_CHAIN) {
      return fail(
        400,
        'INVALID_CERTIFICATE',
        `X-Amz-X509-Chain has ${parts.length} certificates; at most ${MAX_CHAIN} allowed`,
      );
    }
    for (const [index, part] of parts.entries()) {
      const certificate = x509FromBase64Der(part);
      if (certificate === undefined) {
        return fail(
          400,
          'INVALID_CERTIFICATE',
          `X-Amz-X509-Chain entry ${index} is not a base64 DER X.509 certificate`,
        );
      }
      chain.push(certificate);
    }
  }

  const claimedHash = headers.get('x-amz-content-sha256');
  if (claimedHash !== undefined && claimedHash !== 'UNSIGNED-PAYLOAD' && claimedHash !== sha256Hex(req.body)) {
    return fail(400, 'CONTENT_HASH_MISMATCH', 'X-Amz-Content-Sha256 is not the SHA-256 of the body');
  }

  const canonicalRequest = canonicalRequestOf({
    method: req.method,
    url: req.url,
    signedHeaders: auth.signedHeaders,
    headers,
    body: req.body,
  });
  const stringToSign = stringToSignOf(auth.algorithm, amzDateText, auth.scope, canonicalRequest);
  let valid = false;
  try {
    valid = verify(
      'sha256',
      Buffer.from(stringToSign, 'utf8'),
      keyType === 'ec' ? { key: leaf.publicKey, dsaEncoding: 'der' } : leaf.publicKey,
      Buffer.from(auth.signature, 'hex'),
    );
  } catch {
    valid = false;
  }
  if (!valid) {
    return fail(
      403,
      'SIGNATURE_MISMATCH',
      "the request signature does not match the request and the certificate's public key",
    );
  }
  return { ok: true, authorization: auth, leaf, chain, amzDate };
}

type RequestFields = VerifiedCreateSession['request'];

function parseBody(body: Buffer): RequestFields | VerifyFailure {
  if (body.length > MAX_BODY)
    return fail(400, 'INVALID_BODY', `the body is ${body.length} bytes; at most ${MAX_BODY} allowed`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return fail(400, 'INVALID_BODY', 'the body is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return fail(400, 'INVALID_BODY', 'the body must be a JSON object');
  }
  const record = parsed as Record<string, unknown>;
  const strings: Partial<Record<'profileArn' | 'roleArn' | 'trustAnchorArn', string>> = {};
  for (const field of ['profileArn', 'roleArn', 'trustAnchorArn'] as const) {
    const value = record[field];
    if (typeof value !== 'string' || value.length === 0 || value.length > 1011) {
      return fail(400, 'INVALID_BODY', `${field} must be an ARN string (1-1011 characters)`);
    }
    strings[field] = value;
  }
  const duration = record.durationSeconds ?? 3600;
  if (typeof duration !== 'number' || !Number.isInteger(duration) || duration < 900 || duration > 43_200) {
    return fail(
      400,
      'INVALID_BODY',
      `durationSeconds ${JSON.stringify(duration)} is out of range; allowed: 900 to 43200`,
    );
  }
  const sessionName = record.roleSessionName;
  if (sessionName !== undefined && (typeof sessionName !== 'string' || !/^[\w+=,.@-]{2,64}$/.test(sessionName))) {
    return fail(400, 'INVALID_BODY', 'roleSessionName must be 2-64 characters of [A-Za-z0-9_+=,.@-]');
  }
  return {
    profileArn: strings.profileArn as string,
    roleArn: strings.roleArn as string,
    trustAnchorArn: strings.trustAnchorArn as string,
    durationSeconds: duration,
    ...(sessionName === undefined ? {} : { roleSessionName: sessionName as string }),
  };
}

function describe(certificate: X509Certificate, role: string): string {
  return role === 'certificate'
    ? `the certificate (serial ${serialDecimalOf(certificate)})`
    : `${role} "${certificate.subject.replace(/\n/g, ', ')}"`;
}

function checkValidity(certificate: X509Certificate, role: string, now: Date): VerifyFailure | undefined {
  const { notBefore, notAfter } = validityOf(certificate);
  if (now.getTime() > notAfter.getTime()) {
    return fail(
      403,
      'CERTIFICATE_EXPIRED',
      `${describe(certificate, role)} expired: notAfter ${notAfter.toISOString()} is before now ${now.toISOString()}`,
    );
  }
  if (now.getTime() < notBefore.getTime()) {
    return fail(
      403,
      'CERTIFICATE_NOT_YET_VALID',
      `${describe(certificate, role)} is not valid yet: notBefore ${notBefore.toISOString()} is after now ${now.toISOString()}`,
    );
  }
  return undefined;
}

/**
 * Verifies a Roles Anywhere `CreateSession` request the way the service does: the signature (as above),
 * X-Amz-Date within `maxSkewSeconds` of `now`, a path from the leaf through the optional chain to the
 * trust anchor named in the body, and every certificate on that path valid at `now`.
 */
export function verifyCreateSessionRequest(
  req: EdgeRequest,
  options: VerifyCreateSessionOptions,
): VerifiedCreateSession | VerifyFailure {
  const maxSkew = options.maxSkewSeconds ?? 300;
  const signature = verifyX509RequestSignature(req);
  if (!signature.ok) return signature;
  const { authorization, leaf, chain, amzDate } = signature;

  const skewSeconds = Math.abs(options.now.getTime() - amzDate.getTime()) / 1000;
  if (skewSeconds > maxSkew) {
    return fail(
      403,
      'REQUEST_TIME_SKEWED',
      `X-Amz-Date ${amzDate.toISOString()} is ${Math.round(skewSeconds)} s away from now ${options.now.toISOString()}; at most ${maxSkew} s allowed`,
    );
  }
  if (options.region !== undefined && authorization.region !== options.region) {
    return fail(
      403,
      'CREDENTIAL_SCOPE_MISMATCH',
      `the Credential region ${authorization.region} is not this endpoint's region ${options.region}`,
    );
  }

  const request = parseBody(req.body);
  if ('ok' in request) return request;

  const anchor = options.trustAnchors.find((a) => a.arn === request.trustAnchorArn);
  if (anchor === undefined) {
    return fail(403, 'UNKNOWN_TRUST_ANCHOR', `trust anchor ${request.trustAnchorArn} does not exist here`);
  }
  const anchorCertificate = x509FromPem(anchor.caCertificatePem);
  if (anchorCertificate === undefined) {
    return fail(403, 'UNKNOWN_TRUST_ANCHOR', `trust anchor ${anchor.arn} has no readable CA certificate`);
  }

  if (leaf.ca) {
    return fail(
      403,
      'INVALID_CERTIFICATE',
      `${describe(leaf, 'certificate')} is a CA certificate; an end-entity certificate (CA:FALSE) is required`,
    );
  }
  const path = buildPath(leaf, chain, anchorCertificate);
  if (path === undefined) {
    return fail(
      403,
      'UNTRUSTED_CERTIFICATE',
      `${describe(leaf, 'certificate')} (issuer "${leaf.issuer.replace(/\n/g, ', ')}") does not chain to trust anchor ${anchor.arn}`,
    );
  }
  for (const [index, certificate] of path.entries()) {
    const role =
      index === 0 ? 'certificate' : index === path.length - 1 ? 'the trust anchor CA' : 'the intermediate CA';
    const invalid = checkValidity(certificate, role, options.now);
    if (invalid !== undefined) return invalid;
  }

  const commonName = commonNameOf(leaf);
  if (commonName === undefined || commonName === '') {
    return fail(
      403,
      'INVALID_CERTIFICATE',
      `${describe(leaf, 'certificate')} has no subject CN to use as the source identity`,
    );
  }
  return {
    ok: true,
    certificate: {
      serialDecimal: authorization.serialDecimal,
      subjectCommonName: commonName,
      notAfter: validityOf(leaf).notAfter,
    },
    request,
  };
}

/** leaf → intermediates (each a CA that issued the previous one) → anchor; undefined without such a path. */
function buildPath(
  leaf: X509Certificate,
  chain: readonly X509Certificate[],
  anchor: X509Certificate,
): X509Certificate[] | undefined {
  const path = [leaf];
  let current = leaf;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    if (anchor.ca && isIssuedBy(current, anchor)) return [...path, anchor];
    const next = chain.find((c) => c.ca && !path.includes(c) && isIssuedBy(current, c));
    if (next === undefined) return undefined;
    path.push(next);
    current = next;
  }
  return undefined;
}
