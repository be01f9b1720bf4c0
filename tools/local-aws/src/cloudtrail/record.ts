import { randomUUID } from 'node:crypto';
import type { EdgeExchange, EdgeRequest } from '../edge/types.js';
import {
  camelKeys,
  type DecodedResponse,
  decodeQueryParameters,
  decodeResponse,
  parseJsonObject,
  queryParams,
  requestXml,
  type WireProtocol,
  wireProtocol,
} from './protocol.js';
import type {
  AssumedRoleIdentity,
  CloudTrailRecord,
  CloudTrailResource,
  KnownIdentity,
  SessionTag,
  UserIdentity,
} from './types.js';
import { xmlToJson } from './xml.js';

export const EVENT_VERSION = '1.09';

/** What CloudTrail writes instead of a value it must not show. */
export const HIDDEN = 'HIDDEN_DUE_TO_SECURITY_REASONS';

// Parameter names (compared in lower case without separators) whose values are secrets. Real
// CloudTrail omits them; so do we, wherever they appear in a request or a response.
const SECRET_NAMES = new Set([
  'secretstring',
  'secretbinary',
  'secretaccesskey',
  'sessiontoken',
  'securitytoken',
  'password',
  'plaintext',
  'privatekey',
  'samlassertion',
  'webidentitytoken',
  'tokencode',
  'clientsecret',
  'authenticationcode1',
  'authenticationcode2',
]);
const SECRET_SUFFIXES = ['password', 'secretaccesskey', 'sessiontoken', 'privatekey', 'accesstoken', 'refreshtoken'];

export function isSecretName(name: string): boolean {
  const normal = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  return SECRET_NAMES.has(normal) || SECRET_SUFFIXES.some((suffix) => normal.endsWith(suffix));
}

/** Removes secret-named fields at any depth; collects their string values for a final scan. */
export function stripSecrets(value: unknown, found: Set<string>): unknown {
  if (Array.isArray(value)) return value.map((item) => stripSecrets(item, found));
  if (typeof value === 'object' && value !== null) {
    const out: [string, unknown][] = [];
    for (const [key, item] of Object.entries(value)) {
      if (isSecretName(key)) {
        collectStrings(item, found);
        continue;
      }
      out.push([key, stripSecrets(item, found)]);
    }
    return Object.fromEntries(out);
  }
  return value;
}

function collectStrings(value: unknown, found: Set<string>): void {
  if (typeof value === 'string') found.add(value);
  else if (Array.isArray(value)) for (const item of value) collectStrings(item, found);
  else if (typeof value === 'object' && value !== null)
    for (const item of Object.values(value)) collectStrings(item, found);
}

// Values shorter than this are not scanned for: they would blank out unrelated fields.
const MIN_SCANNED_SECRET = 6;

/**
 * Last line of defence: a secret that slipped into another field (an error message that echoes
 * the request, a description) is replaced wherever it appears in the serialised record.
 */
export function redactValues<T>(record: T, secrets: Iterable<string>): T {
  let json = JSON.stringify(record);
  let changed = false;
  for (const secret of secrets) {
    if (secret.length < MIN_SCANNED_SECRET) continue;
    const encoded = JSON.stringify(secret).slice(1, -1);
    if (json.includes(encoded)) {
      json = json.split(encoded).join(HIDDEN);
      changed = true;
    }
  }
  return changed ? (JSON.parse(json) as T) : record;
}

const READ_PREFIXES = ['Get', 'List', 'Describe', 'Lookup', 'Head', 'Search', 'Select', 'BatchGet', 'Scan', 'Query'];
// Calls real CloudTrail marks read-only although their names do not say so.
const READ_ONLY_CALLS: Record<string, ReadonlySet<string>> = {
  sts: new Set([
    'AssumeRole',
    'AssumeRoleWithSAML',
    'AssumeRoleWithWebIdentity',
    'AssumeRoot',
    'DecodeAuthorizationMessage',
    'GetCallerIdentity',
    'GetSessionToken',
  ]),
  bedrock: new Set(['InvokeModel', 'InvokeModelWithResponseStream', 'Converse', 'ConverseStream']),
  kms: new Set([
    'Decrypt',
    'Encrypt',
    'GenerateDataKey',
    'GenerateDataKeyPair',
    'GenerateDataKeyPairWithoutPlaintext',
    'GenerateDataKeyWithoutPlaintext',
    'GenerateMac',
    'GenerateRandom',
    'ReEncrypt',
    'Sign',
    'Verify',
    'VerifyMac',
  ]),
};

// ... and calls it marks as writes although their names start like reads.
const WRITE_CALLS: Record<string, ReadonlySet<string>> = {
  sts: new Set(['GetFederationToken']),
};

export function isReadOnly(service: string, eventName: string): boolean {
  if (READ_ONLY_CALLS[service]?.has(eventName)) return true;
  if (WRITE_CALLS[service]?.has(eventName)) return false;
  return READ_PREFIXES.some(
    (prefix) => eventName.startsWith(prefix) && /^[A-Z]?$/.test(eventName[prefix.length] ?? ''),
  );
}

// The edge names S3 operations after the SDK; CloudTrail keeps S3's older names.
const S3_EVENT_NAMES: Record<string, string> = {
  ListObjectsV2: 'ListObjects',
  GetObjectLockConfiguration: 'GetBucketObjectLockConfiguration',
  PutObjectLockConfiguration: 'PutBucketObjectLockConfiguration',
  GetBucketLifecycleConfiguration: 'GetBucketLifecycle',
  PutBucketLifecycleConfiguration: 'PutBucketLifecycle',
  GetBucketNotificationConfiguration: 'GetBucketNotification',
  PutBucketNotificationConfiguration: 'PutBucketNotification',
  GetPublicAccessBlock: 'GetBucketPublicAccessBlock',
  PutPublicAccessBlock: 'PutBucketPublicAccessBlock',
  DeletePublicAccessBlock: 'DeleteBucketPublicAccessBlock',
};

// S3 calls CloudTrail logs as data events (object level, and listing a bucket's objects).
const S3_DATA_EVENTS = new Set([
  'AbortMultipartUpload',
  'CompleteMultipartUpload',
  'CopyObject',
  'CreateMultipartUpload',
  'DeleteObject',
  'DeleteObjectTagging',
  'DeleteObjects',
  'GetObject',
  'GetObjectAcl',
  'GetObjectAttributes',
  'GetObjectLegalHold',
  'GetObjectRetention',
  'GetObjectTagging',
  'HeadObject',
  'ListMultipartUploads',
  'ListObjectVersions',
  'ListObjects',
  'ListParts',
  'PutObject',
  'PutObjectAcl',
  'PutObjectLegalHold',
  'PutObjectRetention',
  'PutObjectTagging',
  'RestoreObject',
  'SelectObjectContent',
  'UploadPart',
  'UploadPartCopy',
]);

const ASSUME_ROLE_CALLS = new Set(['AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity']);

/** What the recorder knows besides the exchange itself. */
export interface RecordContext {
  /** The caller, from its access key; `undefined` when the key is unknown or absent. */
  caller: KnownIdentity | undefined;
  /** The account for calls whose caller is unknown (moto's default account). */
  defaultAccountId: string;
  /** The owner of an S3 bucket, when known. */
  bucketOwner: (bucket: string) => string | undefined;
  /** A fresh event id; injectable for tests. @default randomUUID */
  newId?: () => string;
}

export interface BuiltRecords {
  /** One record, or two (caller's and resource owner's account) for cross-account calls. */
  records: CloudTrailRecord[];
  /** The session an AssumeRole (or Roles Anywhere CreateSession) call started, to remember its key. */
  session: AssumedRoleIdentity | undefined;
}

/** Calls that are not AWS API calls and are never recorded (moto's and the edge's own endpoints). */
export function isRecordable(x: EdgeExchange): boolean {
  const path = x.req.url.pathname;
  if (path.startsWith('/moto-api') || path.startsWith('/_jit/')) return false;
  return x.call.service !== 'unknown' || x.call.action !== undefined;
}

export function eventNameOf(x: EdgeExchange): string {
  const action = x.call.action ?? `${x.req.method} ${x.req.url.pathname}`;
  return x.call.service === 's3' ? (S3_EVENT_NAMES[action] ?? action) : action;
}

/** `2023-07-10T11:54:42Z`: CloudTrail's timestamps have no fraction. */
export function isoSeconds(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `Jul 10, 2023, 12:09:47 PM`: how CloudTrail shows `credentials.expiration` of STS responses. */
export function javaDate(date: Date): string {
  const hours = date.getUTCHours();
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${MONTHS[date.getUTCMonth()]} ${date.getUTCDate()}, ${date.getUTCFullYear()}, ${hours % 12 === 0 ? 12 : hours % 12}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} ${hours < 12 ? 'AM' : 'PM'}`;
}

export function userIdentityOf(identity: KnownIdentity | undefined, accessKeyId: string | undefined): UserIdentity {
  if (identity === undefined) {
    return accessKeyId === undefined ? { type: 'Unknown' } : { type: 'Unknown', accessKeyId };
  }
  if (identity.kind === 'IAMUser') {
    return {
      type: 'IAMUser',
      principalId: identity.userId,
      arn: identity.arn,
      accountId: identity.accountId,
      accessKeyId: identity.accessKeyId,
      userName: identity.userName,
    };
  }
  return {
    type: 'AssumedRole',
    principalId: `${identity.roleId}:${identity.sessionName}`,
    arn: identity.assumedRoleArn,
    accountId: identity.accountId,
    accessKeyId: identity.accessKeyId,
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: identity.roleId,
        arn: identity.roleArn,
        accountId: identity.accountId,
        userName: identity.roleName,
      },
      webIdFederationData: {},
      attributes: {
        creationDate: identity.creationDate,
        mfaAuthenticated: identity.mfaAuthenticated ? 'true' : 'false',
      },
      ...(identity.sourceIdentity === undefined ? {} : { sourceIdentity: identity.sourceIdentity }),
    },
  };
}

export function accountOfArn(arn: string): string | undefined {
  const account = arn.split(':')[4];
  return account !== undefined && /^\d{12}$/.test(account) ? account : undefined;
}

/** `arn:aws:iam::1:role/path/Name` -> `Name` */
function roleNameOf(roleArn: string): string {
  const resource = roleArn.split(':').slice(5).join(':');
  return resource.slice(resource.lastIndexOf('/') + 1);
}

function s3Location(req: EdgeRequest): { bucket: string; key: string } {
  const path = req.url.pathname.replace(/^\/+/, '');
  const slash = path.indexOf('/');
  const raw = slash === -1 ? { bucket: path, key: '' } : { bucket: path.slice(0, slash), key: path.slice(slash + 1) };
  return { bucket: safeDecode(raw.bucket), key: safeDecode(raw.key) };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function decodeRequest(req: EdgeRequest, protocol: WireProtocol, eventName: string): Record<string, unknown> | null {
  switch (protocol) {
    case 'query':
      return decodeQueryParameters(queryParams(req));
    case 'json': {
      const json = parseJsonObject(req.body.toString('utf8'));
      return json === undefined || Object.keys(json).length === 0 ? null : (camelKeys(json) as Record<string, unknown>);
    }
    case 'rest-xml':
      return s3RequestParameters(req, eventName);
    case 'rest-json': {
      const query = Object.fromEntries(
        [...req.url.searchParams].filter(([name]) => !name.startsWith('X-Amz-')).map(([name, value]) => [name, value]),
      );
      const json = parseJsonObject(req.body.toString('utf8'));
      const merged = { ...query, ...(json === undefined ? {} : (camelKeys(json) as Record<string, unknown>)) };
      return Object.keys(merged).length === 0 ? null : merged;
    }
  }
}

function s3RequestParameters(req: EdgeRequest, eventName: string): Record<string, unknown> | null {
  const { bucket, key } = s3Location(req);
  if (bucket === '') return null;
  const params: Record<string, unknown> = { bucketName: bucket, Host: req.headers.host ?? '' };
  if (key !== '') params.key = key;
  for (const [name, value] of req.url.searchParams) {
    if (name.startsWith('X-Amz-') || name === 'x-id') continue;
    params[name] = value;
  }
  if (key === '' && (req.method === 'PUT' || req.method === 'POST') && req.body.length > 0) {
    if (eventName === 'PutBucketPolicy') {
      const policy = parseJsonObject(req.body.toString('utf8'));
      if (policy !== undefined) params.bucketPolicy = policy;
    } else {
      const xml = requestXml(req);
      if (xml !== undefined) params[xml.name] = xmlToJson(xml, (name) => name);
    }
  }
  return params;
}

function sessionTags(params: Record<string, unknown> | null): SessionTag[] {
  const tags = params?.tags;
  if (!Array.isArray(tags)) return [];
  return tags.flatMap((tag: unknown) => {
    if (typeof tag !== 'object' || tag === null) return [];
    const { key, value } = tag as { key?: unknown; value?: unknown };
    return typeof key === 'string' ? [{ key, value: typeof value === 'string' ? value : String(value ?? '') }] : [];
  });
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function obj(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

interface AssumedSession {
  response: Record<string, unknown>;
  session: AssumedRoleIdentity;
}

/** The session an STS AssumeRole* response started, and the response CloudTrail shows for it. */
function stsSession(
  eventName: string,
  params: Record<string, unknown> | null,
  decoded: DecodedResponse,
  caller: KnownIdentity | undefined,
  eventTime: string,
): AssumedSession | undefined {
  const result = obj(decoded.result);
  const credentials = obj(result?.credentials);
  const user = obj(result?.assumedRoleUser);
  const accessKeyId = str(credentials?.accessKeyId);
  const assumedRoleArn = str(user?.arn);
  const assumedRoleId = str(user?.assumedRoleId);
  if (accessKeyId === undefined || assumedRoleArn === undefined || assumedRoleId === undefined) return undefined;
  const roleArn = str(params?.roleArn) ?? roleArnFromAssumed(assumedRoleArn);
  const accountId = accountOfArn(roleArn) ?? accountOfArn(assumedRoleArn) ?? '';
  const sessionName = assumedRoleArn.slice(assumedRoleArn.lastIndexOf('/') + 1);
  // A source identity, once set, persists through role chaining.
  const inherited = caller?.kind === 'AssumedRole' ? caller.sourceIdentity : undefined;
  const sourceIdentity = inherited ?? str(params?.sourceIdentity);
  const expiration = str(credentials?.expiration);
  const expirationDate = expiration === undefined ? undefined : new Date(expiration);
  const packedPolicySize = Number(result?.packedPolicySize);
  const response: Record<string, unknown> = {
    credentials: {
      accessKeyId,
      ...(expirationDate && !Number.isNaN(expirationDate.getTime()) ? { expiration: javaDate(expirationDate) } : {}),
    },
    assumedRoleUser: { assumedRoleId, arn: assumedRoleArn },
    ...(Number.isFinite(packedPolicySize) && result?.packedPolicySize !== undefined ? { packedPolicySize } : {}),
    ...(sourceIdentity === undefined ? {} : { sourceIdentity }),
  };
  for (const extra of ['subjectFromWebIdentityToken', 'provider', 'audience', 'subject', 'subjectType', 'issuer']) {
    if (result?.[extra] !== undefined) response[extra] = result[extra];
  }
  return {
    response,
    session: {
      kind: 'AssumedRole',
      accessKeyId,
      accountId,
      roleArn,
      roleName: roleNameOf(roleArn),
      roleId: assumedRoleId.split(':')[0] ?? assumedRoleId,
      sessionName,
      assumedRoleArn,
      sourceIdentity,
      tags: eventName === 'AssumeRole' ? sessionTags(params) : [],
      creationDate: eventTime,
      expiration,
      mfaAuthenticated:
        params?.serialNumber !== undefined || (caller?.kind === 'AssumedRole' && caller.mfaAuthenticated),
    },
  };
}

function roleArnFromAssumed(assumedRoleArn: string): string {
  // arn:aws:sts::<acct>:assumed-role/<name>/<session> -> arn:aws:iam::<acct>:role/<name>
  const [, partition = 'aws', , , account = '', resource = ''] = assumedRoleArn.split(':');
  const name = resource.split('/')[1] ?? '';
  return `arn:${partition}:iam::${account}:role/${name}`;
}

/** Roles Anywhere `CreateSession` answers with a `credentialSet`; the edge serves it itself. */
function rolesAnywhereSession(decoded: DecodedResponse, eventTime: string): AssumedSession | undefined {
  const result = obj(decoded.result);
  const set = Array.isArray(result?.credentialSet) ? (result.credentialSet as unknown[]) : [];
  const first = obj(set[0]);
  const credentials = obj(first?.credentials);
  const user = obj(first?.assumedRoleUser);
  const accessKeyId = str(credentials?.accessKeyId);
  const assumedRoleArn = str(user?.arn);
  const assumedRoleId = str(user?.assumedRoleId);
  if (accessKeyId === undefined || assumedRoleArn === undefined || assumedRoleId === undefined) return undefined;
  const roleArn = str(first?.roleArn) ?? roleArnFromAssumed(assumedRoleArn);
  const sourceIdentity = str(first?.sourceIdentity);
  return {
    response: {},
    session: {
      kind: 'AssumedRole',
      accessKeyId,
      accountId: accountOfArn(roleArn) ?? '',
      roleArn,
      roleName: roleNameOf(roleArn),
      roleId: assumedRoleId.split(':')[0] ?? assumedRoleId,
      sessionName: assumedRoleArn.slice(assumedRoleArn.lastIndexOf('/') + 1),
      assumedRoleArn,
      sourceIdentity,
      tags: [],
      creationDate: eventTime,
      expiration: str(credentials?.expiration),
      mfaAuthenticated: false,
    },
  };
}

// Secrets Manager writes that CloudTrail shows with the secret's ARN only.
const SECRET_WRITES_SHOWING_ARN = new Set(['CreateSecret', 'PutSecretValue', 'UpdateSecret']);

function responseElementsOf(
  service: string,
  eventName: string,
  protocol: WireProtocol,
  readOnly: boolean,
  decoded: DecodedResponse,
  secrets: Set<string>,
): Record<string, unknown> | null {
  if (decoded.errorCode !== undefined || readOnly || protocol === 'rest-xml') return null;
  const result = obj(protocol === 'json' ? camelKeys(decoded.result) : decoded.result);
  if (result === undefined || Object.keys(result).length === 0) return null;
  if (service === 'secretsmanager' && SECRET_WRITES_SHOWING_ARN.has(eventName)) {
    return typeof result.aRN === 'string' ? { arn: result.aRN } : null;
  }
  return stripSecrets(result, secrets) as Record<string, unknown>;
}

function resourcesOf(
  service: string,
  eventName: string,
  req: EdgeRequest,
  params: Record<string, unknown> | null,
  ctx: RecordContext,
): CloudTrailResource[] | undefined {
  if (service === 'sts' && ASSUME_ROLE_CALLS.has(eventName)) {
    const roleArn = str(params?.roleArn);
    if (roleArn === undefined) return undefined;
    const accountId = accountOfArn(roleArn);
    return [{ ...(accountId === undefined ? {} : { accountId }), type: 'AWS::IAM::Role', ARN: roleArn }];
  }
  if (service === 's3') {
    const { bucket, key } = s3Location(req);
    if (bucket === '') return undefined;
    const owner = ctx.bucketOwner(bucket);
    const resources: CloudTrailResource[] = [];
    if (key !== '') resources.push({ type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${bucket}/${key}` });
    resources.push({
      ...(owner === undefined ? {} : { accountId: owner }),
      type: 'AWS::S3::Bucket',
      ARN: `arn:aws:s3:::${bucket}`,
    });
    return resources;
  }
  if (service === 'kms') {
    const keyId = str(params?.keyId);
    if (keyId?.startsWith('arn:')) {
      const accountId = accountOfArn(keyId);
      return [{ ...(accountId === undefined ? {} : { accountId }), type: 'AWS::KMS::Key', ARN: keyId }];
    }
  }
  return undefined;
}

function sourceIp(req: EdgeRequest): string {
  const forwarded = req.headers['x-forwarded-for']?.split(',')[0]?.trim();
  return forwarded !== undefined && forwarded !== '' ? forwarded : '127.0.0.1';
}

/**
 * Turns one exchange through the edge into CloudTrail records. Secrets in the request or the
 * response (secret values, passwords, keys, session credentials) never reach a record.
 */
export function buildRecords(x: EdgeExchange, ctx: RecordContext): BuiltRecords {
  const newId = ctx.newId ?? randomUUID;
  const service = x.call.service;
  const eventName = eventNameOf(x);
  const protocol = wireProtocol(x.req, service);
  const decoded = decodeResponse(x.res, service, protocol);
  const eventTime = isoSeconds(x.startedAt);
  const readOnly = isReadOnly(service, eventName);
  const secrets = new Set<string>();
  const securityToken = x.req.headers['x-amz-security-token'];
  if (securityToken !== undefined) secrets.add(securityToken);

  const rawParams = decodeRequest(x.req, protocol, eventName);
  let requestParameters = rawParams === null ? null : (stripSecrets(rawParams, secrets) as Record<string, unknown>);
  // The response is only read for secrets to scan for; what is shown comes from responseElementsOf.
  stripSecrets(protocol === 'json' ? camelKeys(decoded.result) : decoded.result, secrets);
  let responseElements = responseElementsOf(service, eventName, protocol, readOnly, decoded, secrets);

  let session: AssumedSession | undefined;
  if (service === 'sts' && ASSUME_ROLE_CALLS.has(eventName)) {
    if (decoded.errorCode === undefined) {
      session = stsSession(eventName, rawParams, decoded, ctx.caller, eventTime);
      responseElements = session?.response ?? null;
    } else {
      // Real CloudTrail shows neither parameters nor response for a refused AssumeRole.
      requestParameters = null;
    }
  } else if (service === 'rolesanywhere' && eventName === 'CreateSession' && decoded.errorCode === undefined) {
    session = rolesAnywhereSession(decoded, eventTime);
  }

  const caller = ctx.caller;
  // Without a known caller (Roles Anywhere signs with a certificate), a call that starts a session
  // belongs to the role's account, as CloudTrail logs it where the trust anchor and role live.
  const accountId = caller?.accountId ?? (session?.session.accountId || ctx.defaultAccountId);
  const isS3 = service === 's3';
  const dataEvent = isS3 && S3_DATA_EVENTS.has(eventName);
  const userAgent = x.req.headers['user-agent'] ?? '';
  const resources = resourcesOf(service, eventName, x.req, requestParameters, ctx);
  const responseBytes = typeof x.res.body === 'string' ? Buffer.byteLength(x.res.body) : x.res.body.length;

  const base: CloudTrailRecord = {
    eventVersion: EVENT_VERSION,
    userIdentity: userIdentityOf(caller, x.call.accessKeyId),
    eventTime,
    eventSource: `${service}.amazonaws.com`,
    eventName,
    awsRegion: x.call.region,
    sourceIPAddress: sourceIp(x.req),
    userAgent: isS3 ? `[${userAgent}]` : userAgent,
    ...(decoded.errorCode === undefined ? {} : { errorCode: decoded.errorCode }),
    ...(decoded.errorCode === undefined || decoded.errorMessage === undefined
      ? {}
      : { errorMessage: decoded.errorMessage }),
    requestParameters,
    responseElements,
    ...(isS3
      ? {
          additionalEventData: {
            SignatureVersion: x.call.signingScheme === 'sigv4' ? 'SigV4' : 'None',
            AuthenticationMethod: x.req.headers.authorization !== undefined ? 'AuthHeader' : 'QueryString',
            bytesTransferredIn: x.req.body.length,
            bytesTransferredOut: responseBytes,
          },
        }
      : {}),
    requestID: decoded.requestId ?? newId(),
    eventID: newId(),
    readOnly,
    ...(resources === undefined ? {} : { resources }),
    eventType: 'AwsApiCall',
    managementEvent: !dataEvent,
    recipientAccountId: accountId,
    eventCategory: dataEvent ? 'Data' : 'Management',
  };

  const records: CloudTrailRecord[] = [base];
  // A call on a role in another account is logged in both accounts, linked by sharedEventID.
  const targetAccount = session?.session.accountId;
  if (session !== undefined && targetAccount !== undefined && targetAccount !== '' && targetAccount !== accountId) {
    const sharedEventID = newId();
    base.sharedEventID = sharedEventID;
    records.push({
      ...base,
      userIdentity: {
        type: 'AWSAccount',
        ...(base.userIdentity.principalId === undefined ? {} : { principalId: base.userIdentity.principalId }),
        accountId,
      },
      eventID: newId(),
      recipientAccountId: targetAccount,
      sharedEventID,
    });
  }

  return { records: records.map((record) => redactValues(record, secrets)), session: session?.session };
}
