import { type KeyObject, sign, type X509Certificate } from 'node:crypto';
import {
  buildCanonicalRequest,
  buildStringToSign,
  credentialScope,
  formatAmzDate,
  ROLES_ANYWHERE_SERVICE,
  sha256Hex,
} from './canonical.js';
import {
  assertKeyMatchesCertificate,
  parseCertificate,
  parseChain,
  parsePrivateKey,
  serialNumberDecimal,
  signingAlgorithmFor,
  type X509SigningAlgorithm,
} from './certificate.js';
import { RolesAnywhereError, RolesAnywhereErrorCode } from './errors.js';

export interface SignX509RequestInput {
  method: string;
  url: URL | string;
  /**
   * Headers to send and sign besides the ones the signer adds (host, x-amz-date, x-amz-x509,
   * x-amz-x509-chain). Roles Anywhere needs `content-type`; anything else given here is signed too.
   */
  headers?: Readonly<Record<string, string>>;
  body: string | Uint8Array;
  region: string;
  /** @default 'rolesanywhere' */
  service?: string;
  /** The end-entity certificate (PEM or parsed). */
  certificate: string | X509Certificate;
  /** Intermediate certificates (PEM bundle or parsed), sent as X-Amz-X509-Chain. */
  chain?: string | readonly X509Certificate[];
  privateKey: string | KeyObject;
  privateKeyPassphrase?: string;
  /** The signing time; the caller's clock, never read here. */
  date: Date;
}

export interface SignedX509Request {
  algorithm: X509SigningAlgorithm;
  /** Every header to send, lower-case names, `authorization` included. */
  headers: Record<string, string>;
  authorization: string;
  canonicalRequest: string;
  stringToSign: string;
  signedHeaders: string;
  /** Lower-case hex of the RSA PKCS#1 v1.5 or DER-encoded ECDSA signature. */
  signature: string;
  serialDecimal: string;
}

/**
 * Signs a request the way IAM Roles Anywhere expects (AWS4-X509-RSA-SHA256 / AWS4-X509-ECDSA-SHA256):
 * SigV4's canonical request and string-to-sign, signed with the certificate's private key instead of an
 * HMAC-derived key; the credential is the certificate's serial number in decimal.
 */
export function signX509Request(input: SignX509RequestInput): SignedX509Request {
  const certificate = parseCertificate(input.certificate, 'certificate');
  const chain = input.chain === undefined ? [] : parseChain(input.chain, 'chain');
  const key = parsePrivateKey(input.privateKey, 'privateKey', input.privateKeyPassphrase);
  const algorithm = signingAlgorithmFor(key, 'privateKey');
  assertKeyMatchesCertificate(key, certificate, 'privateKey');
  if (Number.isNaN(input.date.getTime())) {
    throw new RolesAnywhereError(RolesAnywhereErrorCode.InvalidOption, 'date is not a valid Date (Invalid Date)');
  }
  const url = typeof input.url === 'string' ? new URL(input.url) : input.url;
  const region = input.region;
  if (!/^[a-z0-9-]{1,32}$/.test(region)) {
    throw new RolesAnywhereError(
      RolesAnywhereErrorCode.InvalidOption,
      `region "${region}" is not a region name; allowed: lower-case letters, digits and '-' (e.g. eu-west-1)`,
    );
  }

  const headers = new Map<string, string>();
  for (const [name, value] of Object.entries(input.headers ?? {})) {
    const lower = name.toLowerCase();
    if (headers.has(lower)) {
      throw new RolesAnywhereError(
        RolesAnywhereErrorCode.InvalidOption,
        `headers has "${name}" twice (header names are case-insensitive)`,
      );
    }
    if (lower === 'authorization' || lower === 'x-amz-x509' || lower === 'x-amz-x509-chain') {
      throw new RolesAnywhereError(
        RolesAnywhereErrorCode.InvalidOption,
        `headers must not contain "${name}"; the signer sets it from the certificate, chain and key`,
      );
    }
    headers.set(lower, value);
  }
  const amzDate = formatAmzDate(input.date);
  if (!headers.has('host')) headers.set('host', url.host);
  headers.set('x-amz-date', amzDate);
  headers.set('x-amz-x509', certificate.raw.toString('base64'));
  if (chain.length > 0) headers.set('x-amz-x509-chain', chain.map((c) => c.raw.toString('base64')).join(','));

  const { canonicalRequest, signedHeaders } = buildCanonicalRequest({
    method: input.method,
    path: url.pathname,
    query: url.searchParams,
    headers,
    payloadHash: sha256Hex(input.body),
  });
  const scope = credentialScope(amzDate, region, input.service ?? ROLES_ANYWHERE_SERVICE);
  const stringToSign = buildStringToSign(algorithm, amzDate, scope, canonicalRequest);
  const signature = sign(
    'sha256',
    Buffer.from(stringToSign, 'utf8'),
    algorithm === 'AWS4-X509-ECDSA-SHA256' ? { key, dsaEncoding: 'der' } : key,
  ).toString('hex');
  const serialDecimal = serialNumberDecimal(certificate);
  const authorization = `${algorithm} Credential=${serialDecimal}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;

  const out: Record<string, string> = {};
  for (const [name, value] of headers) out[name] = value;
  out.authorization = authorization;
  return {
    algorithm,
    headers: out,
    authorization,
    canonicalRequest,
    stringToSign,
    signedHeaders,
    signature,
    serialDecimal,
  };
}
