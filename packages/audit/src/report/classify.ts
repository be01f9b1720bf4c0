import type { CloudTrailRecord } from './record.js';

export const Outcome = {
  Success: 'success',
  Denied: 'denied',
  Throttled: 'throttled',
  Error: 'error',
} as const;
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

// Error codes AWS services use for "not allowed". Services differ: EC2 prefixes client errors with `Client.`,
// S3 says AccessDenied, JSON-protocol services say AccessDeniedException, SNS AuthorizationError.
const DENIED_CODES = new Set(
  [
    'AccessDenied',
    'AccessDeniedException',
    'UnauthorizedOperation',
    'UnauthorizedAccess',
    'UnauthorizedException',
    'AuthorizationError',
    'AuthorizationErrorException',
    'NotAuthorized',
    'NotAuthorizedException',
    'Forbidden',
    'ForbiddenException',
    'AllAccessDisabled',
    'InvalidClientTokenId',
    'SignatureDoesNotMatch',
    'ExpiredToken',
    'ExpiredTokenException',
    'RequestExpired',
    'AuthFailure',
  ].map((code) => code.toLowerCase()),
);

const THROTTLING_CODES = new Set(
  [
    'ThrottlingException',
    'Throttling',
    'ThrottledException',
    'TooManyRequestsException',
    'RequestLimitExceeded',
    'RateExceeded',
    'SlowDown',
    'ProvisionedThroughputExceededException',
    'RequestThrottled',
    'RequestThrottledException',
    'PriorRequestNotComplete',
  ].map((code) => code.toLowerCase()),
);

/** `Client.UnauthorizedOperation` → `UnauthorizedOperation`: EC2 and a few others prefix the fault side. */
function bareCode(code: string): string {
  return code.replace(/^(Client|Server)\./i, '').toLowerCase();
}

export function classifyError(errorCode: string | null | undefined): Outcome {
  if (errorCode === undefined || errorCode === null || errorCode === '') return Outcome.Success;
  const bare = bareCode(errorCode);
  if (DENIED_CODES.has(bare)) return Outcome.Denied;
  if (THROTTLING_CODES.has(bare)) return Outcome.Throttled;
  return Outcome.Error;
}

// eventSource host → IAM service prefix, where the two differ.
const SERVICE_PREFIX: Record<string, string> = {
  monitoring: 'cloudwatch',
  email: 'ses',
  'elasticloadbalancing-v2': 'elasticloadbalancing',
  'iam-identity-center': 'sso',
  'signin.aws': 'signin',
  'sso-directory': 'sso-directory',
  awsssoportal: 'sso',
  's3-control': 's3',
  'ssm-guiconnect': 'ssm-guiconnect',
};

/** `ec2.amazonaws.com` + `DescribeInstances` → `ec2:DescribeInstances`, the name IAM and the agent use. */
export function actionName(eventSource: string, eventName: string): string {
  const host = eventSource.replace(/\.amazonaws\.com(\.cn)?$/i, '').toLowerCase();
  const service = SERVICE_PREFIX[host] ?? host;
  return `${service}:${eventName}`;
}

/** Case-insensitive comparison key for actions (IAM action names are case-insensitive). */
export function actionKey(action: string): string {
  return action.trim().toLowerCase();
}

export interface AssumedRoleArnParts {
  readonly accountId: string;
  readonly roleName: string;
  readonly sessionName?: string;
}

/** `arn:aws:sts::111122223333:assumed-role/<role>/<session>` → its parts; undefined for other ARNs. */
export function parseAssumedRoleArn(arn: string | undefined): AssumedRoleArnParts | undefined {
  if (arn === undefined) return undefined;
  const match = /^arn:[\w-]+:sts::(\d{12}|[^:]*):assumed-role\/([^/]+)(?:\/(.+))?$/.exec(arn);
  if (match === null) return undefined;
  const [, accountId = '', roleName = '', sessionName] = match;
  return sessionName === undefined ? { accountId, roleName } : { accountId, roleName, sessionName };
}

/** `arn:aws:iam::111122223333:role/path/Name` → `Name`. */
export function roleNameFromArn(arn: string | undefined): string | undefined {
  if (arn === undefined) return undefined;
  const match = /:role\/(?:.*\/)?([^/]+)$/.exec(arn);
  return match?.[1];
}

export function accountFromArn(arn: string | undefined): string | undefined {
  if (arn === undefined) return undefined;
  const match = /^arn:[\w-]+:[\w-]+:[\w-]*:(\d{12}):/.exec(arn);
  return match?.[1];
}

// requestParameters fields that name the resource a call acts on, for records without `resources`.
const RESOURCE_FIELDS = [
  'bucketName',
  'key',
  'instanceId',
  'imageId',
  'snapshotId',
  'volumeId',
  'groupId',
  'vpcId',
  'subnetId',
  'roleName',
  'userName',
  'groupName',
  'policyArn',
  'functionName',
  'secretId',
  'name',
  'trailName',
  'cluster',
  'service',
  'taskDefinition',
  'logGroupName',
  'logStreamName',
  'keyId',
  'tableName',
  'stackName',
  'dBInstanceIdentifier',
  'dBSnapshotIdentifier',
  'dBClusterIdentifier',
  'topicArn',
  'queueUrl',
  'repositoryName',
  'documentName',
  'parameterName',
  'modelId',
  'resourceArn',
  'roleArn',
] as const;
const MAX_RESOURCES = 5;

function itemIds(value: unknown, field: string): string[] {
  // EC2's query protocol wraps lists: {"instancesSet":{"items":[{"instanceId":"i-…"}]}}.
  if (value === null || typeof value !== 'object') return [];
  const items = (value as { items?: unknown }).items;
  if (!Array.isArray(items)) return [];
  const ids: string[] = [];
  for (const item of items) {
    const id = item !== null && typeof item === 'object' ? (item as Record<string, unknown>)[field] : undefined;
    if (typeof id === 'string' && id !== '') ids.push(id);
  }
  return ids;
}

/**
 * What a call acted on: the record's `resources` ARNs when CloudTrail gives them, otherwise the identifying
 * request parameters (bucket/key, instance ids, role name, ...). At most five, for readable reports.
 */
export function resourcesOf(record: CloudTrailRecord): string[] {
  const found: string[] = [];
  const add = (value: string) => {
    if (found.length < MAX_RESOURCES && !found.includes(value)) found.push(value);
  };
  for (const resource of record.resources ?? []) {
    if (resource.ARN !== undefined && resource.ARN !== '') add(resource.ARN);
  }
  if (found.length > 0) return found;
  const params = record.requestParameters;
  if (params === null || params === undefined) return found;
  const bucket = params.bucketName;
  const key = params.key;
  const objectPath = typeof bucket === 'string' && typeof key === 'string';
  if (objectPath) add(`${bucket}/${key}`);
  for (const field of RESOURCE_FIELDS) {
    if (objectPath && (field === 'bucketName' || field === 'key')) continue;
    const value = params[field];
    if (typeof value === 'string' && value !== '' && value !== 'HIDDEN_DUE_TO_SECURITY_REASONS') add(value);
    if (Array.isArray(value)) {
      for (const item of value) if (typeof item === 'string' && item !== '') add(item);
    }
  }
  for (const id of itemIds(params.instancesSet, 'instanceId')) add(id);
  for (const id of itemIds(params.instanceIds, 'instanceId')) add(id);
  const instanceIds = params.instanceIds;
  if (Array.isArray(instanceIds)) for (const id of instanceIds) if (typeof id === 'string') add(id);
  return found;
}
