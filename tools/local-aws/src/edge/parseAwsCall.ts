import type { AwsCallInfo, EdgeRequest } from './types.js';

export interface ParseAwsCallOptions {
  /** Region for requests whose signature carries none (unsigned requests). @default 'us-east-1' */
  readonly defaultRegion?: string;
}

const SIGV4_ALGORITHMS = new Set(['AWS4-HMAC-SHA256', 'AWS4-ECDSA-P256-SHA256']);
const X509_ALGORITHMS = new Set(['AWS4-X509-RSA-SHA256', 'AWS4-X509-ECDSA-SHA256']);

/**
 * What a request says about the AWS call it makes, best effort and without trusting it:
 * - `service` and `region` come from the credential scope (`<key>/<date>/<region>/<service>/aws4_request`)
 *   in `Authorization` or the presigned `X-Amz-Credential`; SigV4a scopes carry no region, so it comes
 *   from `X-Amz-Region-Set`. Unsigned requests get a guess from their shape (SSO portal, STS web identity).
 * - `action`: `X-Amz-Target` (JSON protocols, the part after the last dot); `Action=` in the query string
 *   or a form body (query protocols); the operation segment of Smithy RPC v2 paths; for S3 the REST method,
 *   path-style path and sub-resource; else the SDK's `x-id` query parameter; a few REST calls the edge
 *   serves itself (Roles Anywhere `CreateSession`, the SSO portal).
 *   `undefined` when none of these apply.
 * - `accessKeyId`: the credential scope's first part for SigV4. For the X.509 scheme (Roles Anywhere)
 *   that part is a certificate serial, not an access key, so it is left out.
 * Nothing here verifies a signature: that is moto's (or a plugin's) job.
 */
export function parseAwsCall(req: EdgeRequest, options: ParseAwsCallOptions = {}): AwsCallInfo {
  const defaultRegion = options.defaultRegion ?? 'us-east-1';
  const scope = credentialScope(req);
  const action = actionOf(req, scope?.service);

  if (scope === undefined) {
    const guess = unsignedService(req, action);
    return { service: guess, region: defaultRegion, action, accessKeyId: undefined, signingScheme: 'none' };
  }
  const region = scope.region ?? firstRegion(req.headers['x-amz-region-set']) ?? defaultRegion;
  return {
    service: scope.service,
    region,
    action,
    accessKeyId: scope.scheme === 'sigv4' ? scope.credential : undefined,
    signingScheme: scope.scheme,
  };
}

interface Scope {
  scheme: 'sigv4' | 'x509';
  credential: string;
  region: string | undefined;
  service: string;
}

function credentialScope(req: EdgeRequest): Scope | undefined {
  const authorization = req.headers.authorization;
  if (authorization !== undefined) {
    const space = authorization.indexOf(' ');
    const algorithm = space === -1 ? authorization : authorization.slice(0, space);
    const scheme = schemeOf(algorithm);
    const credential = /Credential=([^,\s]+)/.exec(authorization)?.[1];
    if (scheme !== undefined && credential !== undefined) return splitScope(scheme, credential);
    return undefined;
  }
  const algorithm = req.url.searchParams.get('X-Amz-Algorithm');
  const credential = req.url.searchParams.get('X-Amz-Credential');
  if (algorithm === null || credential === null) return undefined;
  const scheme = schemeOf(algorithm);
  return scheme === undefined ? undefined : splitScope(scheme, credential);
}

function schemeOf(algorithm: string): 'sigv4' | 'x509' | undefined {
  if (SIGV4_ALGORITHMS.has(algorithm)) return 'sigv4';
  if (X509_ALGORITHMS.has(algorithm)) return 'x509';
  return undefined;
}

function splitScope(scheme: 'sigv4' | 'x509', credential: string): Scope | undefined {
  const parts = credential.split('/');
  // SigV4: key/date/region/service/aws4_request; SigV4a: key/date/service/aws4_request.
  if (parts.length === 5 && parts[4] === 'aws4_request') {
    const [key, , region, service] = parts as [string, string, string, string, string];
    if (key === '' || service === '') return undefined;
    return { scheme, credential: key, region: region === '' ? undefined : region, service };
  }
  if (parts.length === 4 && parts[3] === 'aws4_request') {
    const [key, , service] = parts as [string, string, string, string];
    if (key === '' || service === '') return undefined;
    return { scheme, credential: key, region: undefined, service };
  }
  return undefined;
}

function firstRegion(regionSet: string | undefined): string | undefined {
  const first = regionSet?.split(',')[0]?.trim();
  return first === undefined || first === '' || first === '*' ? undefined : first;
}

function actionOf(req: EdgeRequest, service: string | undefined): string | undefined {
  const target = req.headers['x-amz-target'];
  if (target !== undefined && target !== '') return target.slice(target.lastIndexOf('.') + 1) || undefined;

  const queryAction = req.url.searchParams.get('Action');
  if (queryAction !== null && queryAction !== '') return queryAction;

  const formAction = formBodyAction(req);
  if (formAction !== undefined) return formAction;

  const rpcV2 = /^\/service\/[^/]+\/operation\/([^/]+)$/.exec(req.url.pathname)?.[1];
  if (rpcV2 !== undefined) return rpcV2;

  // S3 from its REST shape rather than the SDK's informational x-id, which a client may set to anything.
  if (service === 's3') return s3Action(req);
  const sdkOperation = req.url.searchParams.get('x-id');
  if (sdkOperation !== null && sdkOperation !== '') return sdkOperation;

  if (service === 'rolesanywhere' && req.method === 'POST' && req.url.pathname === '/sessions') return 'CreateSession';
  return ssoPortalAction(req);
}

function formBodyAction(req: EdgeRequest): string | undefined {
  const contentType = req.headers['content-type'] ?? '';
  if (!contentType.toLowerCase().startsWith('application/x-www-form-urlencoded') || req.body.length === 0) {
    return undefined;
  }
  const action = new URLSearchParams(req.body.toString('utf8')).get('Action');
  return action === null || action === '' ? undefined : action;
}

const SSO_PORTAL: Record<string, string> = {
  'GET /federation/credentials': 'GetRoleCredentials',
  'GET /assignment/roles': 'ListAccountRoles',
  'GET /assignment/accounts': 'ListAccounts',
  'POST /logout': 'Logout',
};

function ssoPortalAction(req: EdgeRequest): string | undefined {
  return SSO_PORTAL[`${req.method} ${req.url.pathname}`];
}

function unsignedService(req: EdgeRequest, action: string | undefined): string {
  if (ssoPortalAction(req) !== undefined) return 'sso';
  if (action === 'AssumeRoleWithWebIdentity' || action === 'AssumeRoleWithSAML') return 'sts';
  const target = req.headers['x-amz-target'];
  if (target?.startsWith('AWSCognitoIdentityService.')) return 'cognito-identity';
  if (target?.startsWith('AWSCognitoIdentityProviderService.')) return 'cognito-idp';
  return 'unknown';
}

// Sub-resources whose S3 operation is <Verb><Name> for GET/PUT/DELETE on a bucket.
const BUCKET_SUBRESOURCES: Record<string, { name: string; get?: string; put?: string; delete?: string }> = {
  location: { name: 'BucketLocation', put: '', delete: '' },
  versioning: { name: 'BucketVersioning', delete: '' },
  'object-lock': { name: 'ObjectLockConfiguration', delete: '' },
  policy: { name: 'BucketPolicy' },
  policyStatus: { name: 'BucketPolicyStatus', put: '', delete: '' },
  acl: { name: 'BucketAcl', delete: '' },
  tagging: { name: 'BucketTagging' },
  encryption: { name: 'BucketEncryption' },
  lifecycle: { name: 'BucketLifecycleConfiguration', delete: 'DeleteBucketLifecycle' },
  notification: { name: 'BucketNotificationConfiguration', delete: '' },
  publicAccessBlock: { name: 'PublicAccessBlock' },
  cors: { name: 'BucketCors' },
  logging: { name: 'BucketLogging', delete: '' },
  ownershipControls: { name: 'BucketOwnershipControls' },
  website: { name: 'BucketWebsite' },
  replication: { name: 'BucketReplication', delete: 'DeleteBucketReplication' },
};

const OBJECT_SUBRESOURCES: Record<string, string> = {
  tagging: 'ObjectTagging',
  acl: 'ObjectAcl',
  retention: 'ObjectRetention',
  'legal-hold': 'ObjectLegalHold',
};

/** S3 REST operations from method, path-style path and sub-resource (virtual-hosted style is not used locally). */
function s3Action(req: EdgeRequest): string | undefined {
  const query = req.url.searchParams;
  const has = (name: string): boolean => query.has(name);
  const path = req.url.pathname.replace(/^\/+/, '');
  const slash = path.indexOf('/');
  const bucket = slash === -1 ? path : path.slice(0, slash);
  const key = slash === -1 ? '' : path.slice(slash + 1);
  const method = req.method.toUpperCase();

  if (bucket === '') return method === 'GET' ? 'ListBuckets' : undefined;

  if (key === '') {
    if (method === 'HEAD') return 'HeadBucket';
    if (method === 'POST') return has('delete') ? 'DeleteObjects' : 'PostObject';
    for (const [subresource, op] of Object.entries(BUCKET_SUBRESOURCES)) {
      if (!has(subresource)) continue;
      const verb = method === 'GET' ? 'get' : method === 'PUT' ? 'put' : method === 'DELETE' ? 'delete' : undefined;
      if (verb === undefined) return undefined;
      const override = op[verb];
      if (override === '') return undefined;
      return override ?? `${verb[0]?.toUpperCase()}${verb.slice(1)}${op.name}`;
    }
    if (method === 'GET') {
      if (has('versions')) return 'ListObjectVersions';
      if (has('uploads')) return 'ListMultipartUploads';
      return query.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects';
    }
    if (method === 'PUT') return 'CreateBucket';
    if (method === 'DELETE') return 'DeleteBucket';
    return undefined;
  }

  const copy = req.headers['x-amz-copy-source'] !== undefined;
  if (method === 'HEAD') return 'HeadObject';
  if (method === 'POST') {
    if (has('uploads')) return 'CreateMultipartUpload';
    if (has('uploadId')) return 'CompleteMultipartUpload';
    if (has('restore')) return 'RestoreObject';
    if (has('select')) return 'SelectObjectContent';
    return undefined;
  }
  if (method === 'PUT' && has('uploadId') && has('partNumber')) return copy ? 'UploadPartCopy' : 'UploadPart';
  if (method === 'GET' && has('uploadId')) return 'ListParts';
  if (method === 'DELETE' && has('uploadId')) return 'AbortMultipartUpload';
  if (method === 'GET' && has('attributes')) return 'GetObjectAttributes';
  for (const [subresource, name] of Object.entries(OBJECT_SUBRESOURCES)) {
    if (!has(subresource)) continue;
    if (method === 'GET') return `Get${name}`;
    if (method === 'PUT') return `Put${name}`;
    if (method === 'DELETE' && subresource === 'tagging') return 'DeleteObjectTagging';
    return undefined;
  }
  if (method === 'GET') return 'GetObject';
  if (method === 'PUT') return copy ? 'CopyObject' : 'PutObject';
  if (method === 'DELETE') return 'DeleteObject';
  return undefined;
}
