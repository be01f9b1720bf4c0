import type { JitConfig } from '@jit-access/core';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { LogArchiveStack } from '../../src/index.js';
import { exampleConfig, withOrganization } from '../support/fixtures.js';

let config: JitConfig;
let template: Template;

function logArchive(c: JitConfig, env = { account: c.logArchive.id, region: c.region }): LogArchiveStack {
  return new LogArchiveStack(new App(), 'Jit-LogArchive', { config: c, env });
}

beforeAll(async () => {
  config = await exampleConfig();
  template = Template.fromStack(logArchive(config));
});

describe('LogArchiveStack', () => {
  it('creates the trail bucket with versioning, Object Lock COMPLIANCE for the configured days, SSE-KMS and no public access', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: config.logArchive.bucketName,
      VersioningConfiguration: { Status: 'Enabled' },
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: config.logArchive.retentionDays } },
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          Match.objectLike({
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: { 'Fn::GetAtt': ['TrailKey', 'Arn'] },
            },
          }),
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: { DestinationBucketName: { Ref: 'AccessLogsBucket' }, LogFilePrefix: 'trail-bucket/' },
    });
  });

  it('keeps the buckets and the key when the stack is deleted', () => {
    template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
  });

  it('lets only our trails write, under their own prefixes, with aws:SourceArn, and only over TLS', () => {
    const bucket = `arn:aws:s3:::${config.logArchive.bucketName}`;
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: config.logArchive.bucketName,
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'CloudTrailWritesOwnPrefixes',
            Principal: { Service: 'cloudtrail.amazonaws.com' },
            Resource: Match.arrayWith([
              `${bucket}/AWSLogs/${config.hub.id}/*`,
              `${bucket}/AWSLogs/${config.workloadAccounts[0]?.id}/*`,
            ]),
            Condition: {
              StringEquals: Match.objectLike({
                's3:x-amz-acl': 'bucket-owner-full-control',
                'aws:SourceArn': Match.arrayWith([
                  `arn:aws:cloudtrail:${config.region}:${config.hub.id}:trail/${config.trail.name}`,
                ]),
              }),
            },
          }),
          Match.objectLike({
            Sid: 'DenyInsecureTransport',
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('accepts the organization trail under the organization id and the management account', () => {
    const org = withOrganization(config);
    const t = Template.fromStack(logArchive(org));
    const bucket = `arn:aws:s3:::${org.logArchive.bucketName}`;
    t.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'CloudTrailWritesOwnPrefixes',
            Resource: [`${bucket}/AWSLogs/666666666666/*`, `${bucket}/AWSLogs/o-a1b2c3d4e5/*`],
            Condition: {
              StringEquals: Match.objectLike({
                'aws:SourceArn': [`arn:aws:cloudtrail:${org.region}:666666666666:trail/${org.trail.name}`],
              }),
            },
          }),
        ]),
      },
    });
  });

  it('lets CloudTrail encrypt with the key only for our trails, and the account use it only through S3', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Sid: 'CloudTrailEncryptsOurTrails', Principal: { Service: 'cloudtrail.amazonaws.com' } }),
          Match.objectLike({
            Sid: 'LogArchiveAccountUsesKeyThroughS3',
            Condition: {
              StringEquals: {
                'kms:ViaService': `s3.${config.region}.amazonaws.com`,
                'kms:CallerAccount': config.logArchive.id,
              },
            },
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/jit-trail-logs' });
  });

  it('sends server access logs to their own SSE-S3 bucket that only S3 logging may write to', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 365 })] },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: 'AccessLogsBucket' },
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'logging.s3.amazonaws.com' } })]),
      },
    });
  });

  it('fails when deployed outside the log archive account, or with an impossible access-log retention', () => {
    expect(
      () =>
        new LogArchiveStack(new App(), 'Jit-LogArchive', {
          config,
          env: { account: config.hub.id, region: config.region },
          accessLogRetentionDays: 0,
        }),
    ).toThrow(
      /Jit-LogArchive: invalid props \(2 problems\)[\s\S]*env\.account[\s\S]*accessLogRetentionDays: 0 is not a whole number of days/,
    );
  });

  it('fails for one trail per account beyond what a bucket policy can hold, suggesting an organization trail', () => {
    const many: JitConfig = {
      ...config,
      workloadAccounts: Array.from({ length: 150 }, (_, i) => ({
        id: String(100000000000 + i),
        name: `w${i}`,
        tiers: ['ops'],
      })),
    };
    expect(() => logArchive(many)).toThrow(
      /the trail bucket policy .* IAM allows 20480\. Above about 90 accounts, use AWS Organizations/,
    );
  });
});
