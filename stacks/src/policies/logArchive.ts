import type { JitConfig, PolicyDocument } from '@jit-access/core';
import { REPORT_NAMES } from '../names.js';
import { denyInsecureTransport, doc, keyAdministration, serviceEndpoint } from './common.js';

/** Where CloudTrail writes from, and as which trails. */
export interface TrailSources {
  /** Organization trail (one, in the management account) or one trail per account. */
  readonly kind: 'organization' | 'account';
  /** Accounts that own a trail delivering to the bucket. */
  readonly trailAccounts: readonly string[];
  readonly trailArns: readonly string[];
  /** Key prefixes (under the bucket) each trail writes to. */
  readonly logPrefixes: readonly string[];
}

export function trailArn(config: JitConfig, accountId: string): string {
  return `arn:aws:cloudtrail:${config.region}:${accountId}:trail/${config.trail.name}`;
}

/** Every account that gets a trail when there is no organization: hub, log archive, workloads, management. */
export function standaloneTrailAccounts(config: JitConfig): string[] {
  const ids = [config.hub.id, config.logArchive.id, ...config.workloadAccounts.map((a) => a.id)];
  if (config.management) ids.push(config.management.id);
  return [...new Set(ids)];
}

export function trailSources(config: JitConfig): TrailSources {
  if (config.organizationId !== undefined && config.management !== undefined) {
    const mgmt = config.management.id;
    return {
      kind: 'organization',
      trailAccounts: [mgmt],
      trailArns: [trailArn(config, mgmt)],
      // The organization trail writes member accounts under the organization id, and the
      // management account's own events under its account id.
      logPrefixes: [`AWSLogs/${mgmt}/`, `AWSLogs/${config.organizationId}/`],
    };
  }
  const accounts = standaloneTrailAccounts(config);
  return {
    kind: 'account',
    trailAccounts: accounts,
    trailArns: accounts.map((id) => trailArn(config, id)),
    logPrefixes: accounts.map((id) => `AWSLogs/${id}/`),
  };
}

export function bucketArn(bucketName: string): string {
  return `arn:aws:s3:::${bucketName}`;
}

/**
 * The trail bucket's policy: CloudTrail may check the ACL and write under its own prefixes, and
 * only for our trails (`aws:SourceArn`, which also pins the source account); TLS only.
 */
export function trailBucketPolicy(config: JitConfig): PolicyDocument {
  const bucket = bucketArn(config.logArchive.bucketName);
  const sources = trailSources(config);
  return doc([
    {
      Sid: 'CloudTrailChecksBucketAcl',
      Effect: 'Allow',
      Principal: { Service: 'cloudtrail.amazonaws.com' },
      Action: 's3:GetBucketAcl',
      Resource: bucket,
      Condition: { StringEquals: { 'aws:SourceArn': [...sources.trailArns] } },
    },
    {
      Sid: 'CloudTrailWritesOwnPrefixes',
      Effect: 'Allow',
      Principal: { Service: 'cloudtrail.amazonaws.com' },
      Action: 's3:PutObject',
      Resource: sources.logPrefixes.map((p) => `${bucket}/${p}*`),
      Condition: {
        StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceArn': [...sources.trailArns] },
      },
    },
    denyInsecureTransport('s3:*', [bucket, `${bucket}/*`]),
  ]);
}

/** Access-log bucket policy: S3 server access logging from the trail bucket only; TLS only. */
export function accessLogsBucketPolicy(
  config: JitConfig,
  options: { readonly accessLogsBucketArn: string; readonly prefix: string },
): PolicyDocument {
  return doc([
    {
      Sid: 'S3ServerAccessLogsFromTrailBucket',
      Effect: 'Allow',
      Principal: { Service: 'logging.s3.amazonaws.com' },
      Action: 's3:PutObject',
      Resource: `${options.accessLogsBucketArn}/${options.prefix}*`,
      Condition: {
        ArnLike: { 'aws:SourceArn': bucketArn(config.logArchive.bucketName) },
        StringEquals: { 'aws:SourceAccount': config.logArchive.id },
      },
    },
    denyInsecureTransport('s3:*', [options.accessLogsBucketArn, `${options.accessLogsBucketArn}/*`]),
  ]);
}

/**
 * The trail key: CloudTrail encrypts for our trails only; principals of the log-archive account
 * (the report function, auditors) use it only through S3, and only as far as their own IAM
 * policies allow (the account root delegates to IAM).
 */
export function trailKeyPolicy(config: JitConfig): PolicyDocument {
  const sources = trailSources(config);
  return doc([
    keyAdministration(config.logArchive.id),
    {
      Sid: 'CloudTrailEncryptsOurTrails',
      Effect: 'Allow',
      Principal: { Service: 'cloudtrail.amazonaws.com' },
      Action: 'kms:GenerateDataKey*',
      Resource: '*',
      Condition: {
        StringLike: {
          'kms:EncryptionContext:aws:cloudtrail:arn': sources.trailAccounts.map(
            (id) => `arn:aws:cloudtrail:*:${id}:trail/*`,
          ),
        },
        StringEquals: { 'aws:SourceArn': [...sources.trailArns] },
      },
    },
    {
      Sid: 'CloudTrailDescribesKey',
      Effect: 'Allow',
      Principal: { Service: 'cloudtrail.amazonaws.com' },
      Action: 'kms:DescribeKey',
      Resource: '*',
      Condition: { StringEquals: { 'aws:SourceArn': [...sources.trailArns] } },
    },
    {
      Sid: 'LogArchiveAccountUsesKeyThroughS3',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${config.logArchive.id}:root` },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: '*',
      Condition: {
        StringEquals: {
          'kms:ViaService': serviceEndpoint('s3', config.region),
          'kms:CallerAccount': config.logArchive.id,
        },
      },
    },
  ]);
}

/** Key of the report stack (log group, dead-letter queue): CloudWatch Logs and SQS use it for this account. */
export function reportKeyPolicy(config: JitConfig): PolicyDocument {
  const account = config.logArchive.id;
  return doc([
    keyAdministration(account),
    {
      Sid: 'CloudWatchLogsEncryptsReportLogs',
      Effect: 'Allow',
      Principal: { Service: serviceEndpoint('logs', config.region) },
      Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      Resource: '*',
      Condition: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:${config.region}:${account}:log-group:/aws/lambda/${REPORT_NAMES.functionName}`,
        },
      },
    },
    {
      Sid: 'AccountUsesKeyThroughSqs',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${account}:root` },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: '*',
      Condition: {
        StringEquals: { 'kms:ViaService': serviceEndpoint('sqs', config.region), 'kms:CallerAccount': account },
      },
    },
  ]);
}

export interface ReportPolicyInputs {
  readonly trailKeyArn: string;
  readonly reportKeyArn: string;
  readonly deadLetterQueueArn: string;
  readonly sesIdentityArn: string;
}

/**
 * The report function's permissions: read the trail's log and digest files, read and write its
 * own records under its prefix (nothing else in the bucket), validate digests, send e-mail from
 * its identity, write its logs, and fail into its dead-letter queue.
 */
export function reportFunctionPolicy(config: JitConfig, inputs: ReportPolicyInputs): PolicyDocument {
  const bucket = bucketArn(config.logArchive.bucketName);
  const prefix = REPORT_NAMES.stateKeyPrefix;
  const logGroup = `arn:aws:logs:${config.region}:${config.logArchive.id}:log-group:/aws/lambda/${REPORT_NAMES.functionName}`;
  return doc([
    {
      Sid: 'ListTrailAndOwnPrefixes',
      Effect: 'Allow',
      Action: 's3:ListBucket',
      Resource: bucket,
      Condition: { StringLike: { 's3:prefix': ['AWSLogs/*', `${prefix}*`] } },
    },
    { Sid: 'ReadTrailFiles', Effect: 'Allow', Action: 's3:GetObject', Resource: `${bucket}/AWSLogs/*` },
    {
      Sid: 'ReadAndWriteOwnRecords',
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:PutObject'],
      Resource: `${bucket}/${prefix}*`,
    },
    {
      Sid: 'UseTrailKeyThroughS3',
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: inputs.trailKeyArn,
      Condition: { StringEquals: { 'kms:ViaService': serviceEndpoint('s3', config.region) } },
    },
    { Sid: 'DigestSigningKeys', Effect: 'Allow', Action: 'cloudtrail:ListPublicKeys', Resource: '*' },
    { Sid: 'SendReports', Effect: 'Allow', Action: 'ses:SendEmail', Resource: inputs.sesIdentityArn },
    {
      Sid: 'WriteOwnLogs',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: `${logGroup}:*`,
    },
    { Sid: 'FailIntoDeadLetterQueue', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: inputs.deadLetterQueueArn },
    {
      Sid: 'UseReportKeyThroughSqs',
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: inputs.reportKeyArn,
      Condition: { StringEquals: { 'kms:ViaService': serviceEndpoint('sqs', config.region) } },
    },
  ]);
}
