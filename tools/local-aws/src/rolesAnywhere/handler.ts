import { createHash } from 'node:crypto';
import type { EdgeHandler, EdgeRequest, EdgeResponse } from './edgeTypes.js';
import { LocalRolesAnywhereError, LocalRolesAnywhereErrorCode } from './errors.js';
import { type TrustAnchor, type VerifyFailureCode, verifyCreateSessionRequest } from './verifier.js';
import { pemBlocks, x509FromBase64Der, x509FromPem } from './x509.js';

export interface RolesAnywhereProfile {
  arn: string;
  /** The roles a session under this profile may assume. */
  roleArns: readonly string[];
}

export interface AssumeRoleArgs {
  roleArn: string;
  sessionName: string;
  /** The certificate's subject CN, as IAM Roles Anywhere sets it. */
  sourceIdentity: string;
  durationSeconds: number;
}

export interface AssumedRoleCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
  /** From STS when available; otherwise derived from the role ARN and session name. */
  assumedRoleUser?: { arn: string; assumedRoleId: string };
  packedPolicySize?: number;
}

export interface RolesAnywhereHandlerOptions {
  trustAnchors: readonly TrustAnchor[];
  profiles: readonly RolesAnywhereProfile[];
  /** Issues the session; the edge passes a call to moto STS with SourceIdentity = the CN. */
  assumeRole: (args: AssumeRoleArgs) => Promise<AssumedRoleCredentials>;
  /** @default () => new Date() */
  now?: () => Date;
  /** When given, requests must be scoped to this region. */
  region?: string;
}

/** AWS error type (x-amzn-ErrorType) for each refusal. */
const ERROR_TYPE: Record<
  VerifyFailureCode | 'UNKNOWN_PROFILE' | 'ROLE_NOT_IN_PROFILE' | 'INVALID_SOURCE_IDENTITY',
  string
> = {
  MALFORMED_AUTHORIZATION: 'ValidationException',
  UNSUPPORTED_ALGORITHM: 'ValidationException',
  MISSING_HEADER: 'ValidationException',
  INVALID_DATE: 'ValidationException',
  INVALID_BODY: 'ValidationException',
  CONTENT_HASH_MISMATCH: 'ValidationException',
  REQUEST_TIME_SKEWED: 'AccessDeniedException',
  CREDENTIAL_SCOPE_MISMATCH: 'AccessDeniedException',
  INVALID_CERTIFICATE: 'AccessDeniedException',
  SERIAL_MISMATCH: 'AccessDeniedException',
  ALGORITHM_KEY_MISMATCH: 'AccessDeniedException',
  SIGNATURE_MISMATCH: 'AccessDeniedException',
  UNKNOWN_TRUST_ANCHOR: 'AccessDeniedException',
  UNTRUSTED_CERTIFICATE: 'AccessDeniedException',
  CERTIFICATE_EXPIRED: 'AccessDeniedException',
  CERTIFICATE_NOT_YET_VALID: 'AccessDeniedException',
  UNKNOWN_PROFILE: 'AccessDeniedException',
  ROLE_NOT_IN_PROFILE: 'AccessDeniedException',
  INVALID_SOURCE_IDENTITY: 'AccessDeniedException',
};

/** Header carrying our stable refusal code next to the AWS error type, for tests and operators. */
export const REFUSAL_CODE_HEADER = 'x-jit-access-refusal';

function errorResponse(status: number, errorType: string, message: string, code?: string): EdgeResponse {
  return {
    status,
    headers: {
      'content-type': 'application/json',
      'x-amzn-errortype': errorType,
      ...(code === undefined ? {} : { [REFUSAL_CODE_HEADER]: code }),
    },
    body: JSON.stringify({ message }),
  };
}

function headerValue(req: EdgeRequest, name: string): string | undefined {
  for (const [key, value] of Object.entries(req.headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

function validateOptions(options: RolesAnywhereHandlerOptions): void {
  if (options.trustAnchors.length === 0) {
    throw new LocalRolesAnywhereError(
      LocalRolesAnywhereErrorCode.InvalidOption,
      'trustAnchors is empty; at least one is required',
    );
  }
  for (const anchor of options.trustAnchors) {
    const blocks = pemBlocks(anchor.caCertificatePem);
    const certificate = blocks.length === 1 ? x509FromPem(anchor.caCertificatePem) : undefined;
    if (certificate === undefined || !certificate.ca) {
      throw new LocalRolesAnywhereError(
        LocalRolesAnywhereErrorCode.InvalidTrustAnchor,
        `trust anchor ${anchor.arn}: caCertificatePem must be exactly one PEM CA certificate (basicConstraints CA:TRUE); found ${blocks.length} certificate(s)${certificate === undefined ? '' : ' that is not a CA'}`,
      );
    }
  }
}

function assumedRoleUserFor(roleArn: string, sessionName: string): { arn: string; assumedRoleId: string } {
  const match = /^arn:([^:]+):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(roleArn);
  const partition = match?.[1] ?? 'aws';
  const account = match?.[2] ?? '000000000000';
  const name = match?.[3] ?? 'unknown';
  const id = createHash('sha256').update(roleArn).digest('hex').slice(0, 17).toUpperCase();
  return {
    arn: `arn:${partition}:sts::${account}:assumed-role/${name}/${sessionName}`,
    assumedRoleId: `AROA${id}:${sessionName}`,
  };
}

function subjectArnFor(profileArn: string, subjectDn: string, issuerDn: string): string {
  const [, partition = 'aws', , region = 'us-east-1', account = '000000000000'] = profileArn.split(':');
  const h = createHash('sha256').update(`${subjectDn}\n${issuerDn}`).digest('hex');
  const uuid = `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
  return `arn:${partition}:rolesanywhere:${region}:${account}:subject/${uuid}`;
}

/** AWS JSON timestamps have whole seconds. */
function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The local IAM Roles Anywhere `CreateSession`. It claims requests whose Authorization header starts with
 * `AWS4-X509-` on path `/sessions`; everything else resolves `undefined` so the edge forwards it to moto.
 */
export function createRolesAnywhereHandler(options: RolesAnywhereHandlerOptions): EdgeHandler {
  validateOptions(options);
  const now = options.now ?? (() => new Date());

  return async (req) => {
    const authorization = headerValue(req, 'authorization');
    if (authorization === undefined || !authorization.startsWith('AWS4-X509-') || req.url.pathname !== '/sessions') {
      return undefined;
    }
    if (req.method.toUpperCase() !== 'POST') {
      return errorResponse(405, 'UnknownOperationException', `${req.method} /sessions is not an operation; use POST`);
    }
    const verified = verifyCreateSessionRequest(req, {
      trustAnchors: options.trustAnchors,
      now: now(),
      ...(options.region === undefined ? {} : { region: options.region }),
    });
    if (!verified.ok) return errorResponse(verified.status, ERROR_TYPE[verified.code], verified.message, verified.code);

    const { request, certificate } = verified;
    const profile = options.profiles.find((p) => p.arn === request.profileArn);
    if (profile === undefined) {
      return errorResponse(
        403,
        ERROR_TYPE.UNKNOWN_PROFILE,
        `profile ${request.profileArn} does not exist here`,
        'UNKNOWN_PROFILE',
      );
    }
    if (!profile.roleArns.includes(request.roleArn)) {
      return errorResponse(
        403,
        ERROR_TYPE.ROLE_NOT_IN_PROFILE,
        `role ${request.roleArn} is not in profile ${profile.arn}; allowed: ${profile.roleArns.join(', ') || '(none)'}`,
        'ROLE_NOT_IN_PROFILE',
      );
    }
    const sourceIdentity = certificate.subjectCommonName;
    if (!/^[\w+=,.@-]{2,64}$/.test(sourceIdentity)) {
      return errorResponse(
        403,
        ERROR_TYPE.INVALID_SOURCE_IDENTITY,
        `the certificate CN "${sourceIdentity.slice(0, 80)}" cannot be a source identity; allowed: 2-64 characters of [A-Za-z0-9_+=,.@-]`,
        'INVALID_SOURCE_IDENTITY',
      );
    }
    // Our choice where AWS documents none: the session is named after the certificate when the caller does not name it.
    const sessionName = request.roleSessionName ?? certificate.serialDecimal.slice(0, 64);

    let assumed: AssumedRoleCredentials;
    try {
      assumed = await options.assumeRole({
        roleArn: request.roleArn,
        sessionName,
        sourceIdentity,
        durationSeconds: request.durationSeconds,
      });
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      return errorResponse(500, 'InternalServerException', `AssumeRole into ${request.roleArn} failed (${name})`);
    }

    const leaf = x509FromBase64Der(headerValue(req, 'x-amz-x509') ?? '');
    const body = {
      credentialSet: [
        {
          assumedRoleUser: assumed.assumedRoleUser ?? assumedRoleUserFor(request.roleArn, sessionName),
          credentials: {
            accessKeyId: assumed.accessKeyId,
            expiration: isoSeconds(assumed.expiration),
            secretAccessKey: assumed.secretAccessKey,
            sessionToken: assumed.sessionToken,
          },
          packedPolicySize: assumed.packedPolicySize ?? 0,
          roleArn: request.roleArn,
          sourceIdentity,
        },
      ],
      subjectArn: subjectArnFor(profile.arn, leaf?.subject ?? '', leaf?.issuer ?? ''),
    };
    return { status: 201, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  };
}
