import {
  assertCertificateValidAt,
  assertKeyMatchesCertificate,
  parseCertificate,
  parseChain,
  parsePrivateKey,
  signingAlgorithmFor,
} from './certificate.js';
import { RolesAnywhereError, RolesAnywhereErrorCode } from './errors.js';
import { signX509Request } from './signer.js';

/** The subset of the WHATWG fetch the client uses; inject one to reach an in-process handler. */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string; signal?: AbortSignal },
) => Promise<Response>;

export interface CreateSessionOptions {
  /** @default `https://rolesanywhere.<region>.amazonaws.com` */
  endpoint?: string;
  region: string;
  /** The end-entity certificate, PEM. */
  certificatePem: string;
  /** Its private key, PEM (PKCS#8, PKCS#1 or SEC1). Never logged, never part of an error. */
  privateKeyPem: string;
  privateKeyPassphrase?: string;
  /** Intermediate certificates, PEM bundle, closest issuer first. */
  chainPem?: string;
  trustAnchorArn: string;
  profileArn: string;
  roleArn: string;
  /** @default the service's choice */
  roleSessionName?: string;
  /** 900 to 43200. @default the service's default (3600) */
  durationSeconds?: number;
  /** @default () => new Date() */
  now?: () => Date;
  /** @default globalThis.fetch */
  fetch?: FetchLike;
  /** @default 10000 */
  timeoutMs?: number;
}

export interface RolesAnywhereCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

const ARN_PATTERNS = {
  trustAnchorArn: {
    pattern: /^arn:aws[a-z-]*:rolesanywhere:[a-z0-9-]+:\d{12}:trust-anchor\/[\w-]+$/,
    example: 'arn:aws:rolesanywhere:eu-west-1:111111111111:trust-anchor/<id>',
  },
  profileArn: {
    pattern: /^arn:aws[a-z-]*:rolesanywhere:[a-z0-9-]+:\d{12}:profile\/[\w-]+$/,
    example: 'arn:aws:rolesanywhere:eu-west-1:111111111111:profile/<id>',
  },
  roleArn: {
    pattern: /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/,
    example: 'arn:aws:iam::111111111111:role/<name>',
  },
} as const;

const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const MAX_ERROR_BODY = 4096;

function invalid(message: string, suggestion?: string): RolesAnywhereError {
  return new RolesAnywhereError(
    RolesAnywhereErrorCode.InvalidOption,
    message,
    suggestion === undefined ? {} : { suggestion },
  );
}

function validateOptions(options: CreateSessionOptions): URL {
  if (typeof options.region !== 'string' || !/^[a-z0-9-]{1,32}$/.test(options.region)) {
    throw invalid(`region "${String(options.region)}" is not a region name; allowed: e.g. eu-west-1`);
  }
  for (const field of ['trustAnchorArn', 'profileArn', 'roleArn'] as const) {
    const value = options[field];
    const { pattern, example } = ARN_PATTERNS[field];
    if (typeof value !== 'string' || !pattern.test(value)) {
      throw invalid(`${field} "${String(value)}" is not a valid ARN; expected ${example}`);
    }
  }
  const duration = options.durationSeconds;
  if (duration !== undefined && (!Number.isInteger(duration) || duration < 900 || duration > 43_200)) {
    throw invalid(`durationSeconds ${String(duration)} is out of range; allowed: an integer from 900 to 43200`);
  }
  const sessionName = options.roleSessionName;
  if (sessionName !== undefined && !SESSION_NAME.test(sessionName)) {
    throw invalid(`roleSessionName "${sessionName}" is invalid; allowed: 2-64 characters of [A-Za-z0-9_+=,.@-]`);
  }
  const timeout = options.timeoutMs;
  if (timeout !== undefined && (!Number.isInteger(timeout) || timeout <= 0)) {
    throw invalid(`timeoutMs ${String(timeout)} is invalid; allowed: a positive integer of milliseconds`);
  }
  const endpoint = options.endpoint ?? `https://rolesanywhere.${options.region}.amazonaws.com`;
  let url: URL;
  try {
    url = new URL('/sessions', endpoint);
  } catch (cause) {
    throw new RolesAnywhereError(RolesAnywhereErrorCode.InvalidOption, `endpoint "${endpoint}" is not a URL`, {
      cause,
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw invalid(`endpoint "${endpoint}" must be an http(s) URL`);
  }
  return url;
}

/**
 * Calls IAM Roles Anywhere `CreateSession` and returns the first credential set. The certificate is
 * checked against the clock before anything is signed, so an expired or not-yet-valid certificate
 * fails here with its dates rather than as an opaque 403 from the service.
 */
export async function createSession(options: CreateSessionOptions): Promise<RolesAnywhereCredentials> {
  const url = validateOptions(options);
  const now = (options.now ?? (() => new Date()))();
  const certificate = parseCertificate(options.certificatePem, 'certificatePem');
  assertCertificateValidAt(certificate, now, 'certificatePem');
  const chain = options.chainPem === undefined ? undefined : parseChain(options.chainPem, 'chainPem');
  chain?.forEach((c, index) => {
    assertCertificateValidAt(c, now, `chainPem[${index}]`);
  });
  const key = parsePrivateKey(options.privateKeyPem, 'privateKeyPem', options.privateKeyPassphrase);
  signingAlgorithmFor(key, 'privateKeyPem');
  assertKeyMatchesCertificate(key, certificate, 'privateKeyPem');

  const body = JSON.stringify({
    ...(options.durationSeconds === undefined ? {} : { durationSeconds: options.durationSeconds }),
    profileArn: options.profileArn,
    roleArn: options.roleArn,
    ...(options.roleSessionName === undefined ? {} : { roleSessionName: options.roleSessionName }),
    trustAnchorArn: options.trustAnchorArn,
  });
  const signed = signX509Request({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json' },
    body,
    region: options.region,
    certificate,
    ...(chain === undefined ? {} : { chain }),
    privateKey: key,
    date: now,
  });
  // fetch derives Host from the URL; the signed value is the same (url.host).
  const { host: _host, ...sendHeaders } = signed.headers;

  const doFetch: FetchLike = options.fetch ?? ((u, init) => fetch(u, init));
  let response: Response;
  try {
    response = await doFetch(url.toString(), {
      method: 'POST',
      headers: sendHeaders,
      body,
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
  } catch (cause) {
    throw new RolesAnywhereError(
      RolesAnywhereErrorCode.RequestFailed,
      `CreateSession request to ${url.origin} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
        suggestion: 'Check the endpoint and the network; the local environment must be running for a local endpoint.',
      },
    );
  }
  if (response.status < 200 || response.status > 299) throw await serviceError(response, url);
  return parseCredentials(await response.text());
}

async function serviceError(response: Response, url: URL): Promise<RolesAnywhereError> {
  const text = (await response.text().catch(() => '')).slice(0, MAX_ERROR_BODY);
  let type = response.headers.get('x-amzn-errortype')?.split(':')[0];
  let message: string | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null) {
      const record = parsed as Record<string, unknown>;
      const m = record.message ?? record.Message;
      if (typeof m === 'string') message = m.slice(0, 500);
      if (type === undefined && typeof record.__type === 'string') type = record.__type.split('#').pop();
    }
  } catch {
    // A non-JSON error body (a proxy's HTML page, say) is not echoed: only the status is reported.
  }
  const typeText = type ?? 'UnknownError';
  return new RolesAnywhereError(
    RolesAnywhereErrorCode.ServiceError,
    `CreateSession at ${url.origin} was refused: HTTP ${response.status} ${typeText}${message === undefined ? '' : `: ${message}`}`,
    {
      status: response.status,
      serviceErrorType: typeText,
      suggestion:
        response.status === 403
          ? 'Check that the certificate chains to the trust anchor, and that the profile lists the role.'
          : 'Check the trust anchor, profile and role ARNs.',
    },
  );
}

function parseCredentials(text: string): RolesAnywhereCredentials {
  const fail = (what: string) =>
    new RolesAnywhereError(RolesAnywhereErrorCode.InvalidResponse, `CreateSession response is malformed: ${what}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // The body may hold credentials: never quote it.
    throw fail('the body is not JSON');
  }
  const set = (parsed as { credentialSet?: unknown } | null)?.credentialSet;
  if (!Array.isArray(set) || set.length === 0) throw fail('credentialSet is missing or empty');
  const credentials = (set[0] as { credentials?: unknown } | null)?.credentials as Record<string, unknown> | undefined;
  if (typeof credentials !== 'object' || credentials === null) throw fail('credentialSet[0].credentials is missing');
  const { accessKeyId, secretAccessKey, sessionToken, expiration } = credentials;
  for (const [name, value] of Object.entries({ accessKeyId, secretAccessKey, sessionToken, expiration })) {
    if (typeof value !== 'string' || value === '') throw fail(`credentialSet[0].credentials.${name} is not a string`);
  }
  const expires = new Date(expiration as string);
  if (Number.isNaN(expires.getTime())) throw fail('credentialSet[0].credentials.expiration is not a timestamp');
  return {
    accessKeyId: accessKeyId as string,
    secretAccessKey: secretAccessKey as string,
    sessionToken: sessionToken as string,
    expiration: expires,
  };
}
