import type { JitConfig } from '@jit-access/core';
import { CfnOutput, RemovalPolicy, Stack, type StackProps, Tags, Token } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { acknowledge } from '../acknowledge.js';
import { PropsProblems } from '../errors.js';
import { IAM_LIMITS, KEY_ALIASES } from '../names.js';
import {
  accessLogsBucketPolicy,
  trailBucketPolicy as trailBucketPolicyDocument,
  trailKeyPolicy,
} from '../policies/logArchive.js';
import { checkPolicySize } from '../policies/size.js';

export interface LogArchiveStackProps extends StackProps {
  /** The validated deployment model (`loadConfig('accounts')`). */
  readonly config: JitConfig;
  /**
   * Days the trail bucket's server access logs are kept.
   * @default 365
   */
  readonly accessLogRetentionDays?: number;
}

const ACCESS_LOG_PREFIX = 'trail-bucket/';

/**
 * The log archive: the trail bucket (versioned, Object Lock in COMPLIANCE mode with the
 * configured retention, SSE-KMS with its own key, TLS only, no public access, server access logs
 * to a bucket of their own) and a bucket policy that lets only our trails write, under their own
 * prefixes.
 */
export class LogArchiveStack extends Stack {
  /** The trail key, for the report stack (same account and region). */
  readonly trailKey: kms.CfnKey;
  readonly bucketName: string;

  constructor(scope: Construct, id: string, props: LogArchiveStackProps) {
    super(scope, id, props);
    const { config } = props;
    const accessDays = props.accessLogRetentionDays ?? 365;
    const problems = new PropsProblems();
    problems.check(
      Token.isUnresolved(this.account) || this.account === config.logArchive.id,
      'env.account',
      `${this.account} is not the log archive account ${config.logArchive.id} (${config.logArchive.name})`,
    );
    problems.check(
      Token.isUnresolved(this.region) || this.region === config.region,
      'env.region',
      `${this.region} is not the configured region ${config.region}`,
    );
    problems.check(
      Number.isInteger(accessDays) && accessDays >= 1 && accessDays <= 36_500,
      'accessLogRetentionDays',
      `${accessDays} is not a whole number of days between 1 and 36500`,
    );
    const bucketPolicyDoc = trailBucketPolicyDocument(config);
    checkPolicySize(
      problems,
      'config.workloadAccounts',
      bucketPolicyDoc,
      IAM_LIMITS.bucketPolicyChars,
      `the trail bucket policy (one trail per account, ${config.workloadAccounts.length} workload accounts)`,
      'Above about 90 accounts, use AWS Organizations: set organizationId and management in accounts/jit.yaml for one organization trail.',
    );
    const keyPolicyDoc = trailKeyPolicy(config);
    checkPolicySize(
      problems,
      'config.workloadAccounts',
      keyPolicyDoc,
      IAM_LIMITS.keyPolicyChars,
      'the trail key policy',
      'Use an organization trail.',
    );
    problems.throwIfAny(this, 'fix accounts/ (or the stack props) and synthesize again');

    Tags.of(this).add('jit:component', 'log-archive');
    this.bucketName = config.logArchive.bucketName;

    this.trailKey = new kms.CfnKey(this, 'TrailKey', {
      description: 'JIT Access: encrypts the CloudTrail log files in the log archive.',
      enableKeyRotation: true,
      keyPolicy: keyPolicyDoc,
    });
    this.trailKey.applyRemovalPolicy(RemovalPolicy.RETAIN);
    new kms.CfnAlias(this, 'TrailKeyAlias', { aliasName: KEY_ALIASES.trailLogs, targetKeyId: this.trailKey.ref });

    const blockAll = {
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    };

    const accessLogs = new s3.CfnBucket(this, 'AccessLogsBucket', {
      versioningConfiguration: { status: 'Enabled' },
      publicAccessBlockConfiguration: blockAll,
      // S3 server access logging can only deliver to a bucket encrypted with SSE-S3.
      bucketEncryption: {
        serverSideEncryptionConfiguration: [{ serverSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }],
      },
      ownershipControls: { rules: [{ objectOwnership: 'BucketOwnerEnforced' }] },
      lifecycleConfiguration: {
        rules: [
          {
            id: 'expire-access-logs',
            status: 'Enabled',
            expirationInDays: accessDays,
            noncurrentVersionExpiration: { noncurrentDays: 1 },
          },
        ],
      },
    });
    accessLogs.applyRemovalPolicy(RemovalPolicy.RETAIN);
    acknowledge(accessLogs, [
      {
        rules: ['AwsSolutions-S1', 'S3BucketLoggingEnabled'],
        reason:
          "This bucket receives the trail bucket's server access logs; logging it into itself would log its own log deliveries, endlessly.",
      },
      {
        rules: ['S3DefaultEncryptionKMS'],
        reason:
          'S3 server access logging delivers only to buckets encrypted with SSE-S3 (AES256); SSE-KMS targets are not supported.',
      },
      {
        rules: ['S3BucketReplicationEnabled'],
        reason:
          'Access logs are operational data kept for a limited time; the audit evidence (the trail) is protected by Object Lock and the digest chain, not by copies.',
      },
    ]);
    new s3.CfnBucketPolicy(this, 'AccessLogsBucketPolicy', {
      bucket: accessLogs.ref,
      policyDocument: accessLogsBucketPolicy(config, {
        accessLogsBucketArn: accessLogs.attrArn,
        prefix: ACCESS_LOG_PREFIX,
      }),
    });

    const trailBucket = new s3.CfnBucket(this, 'TrailBucket', {
      bucketName: config.logArchive.bucketName,
      versioningConfiguration: { status: 'Enabled' },
      objectLockEnabled: true,
      objectLockConfiguration: {
        objectLockEnabled: 'Enabled',
        rule: { defaultRetention: { mode: 'COMPLIANCE', days: config.logArchive.retentionDays } },
      },
      publicAccessBlockConfiguration: blockAll,
      bucketEncryption: {
        serverSideEncryptionConfiguration: [
          {
            serverSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: this.trailKey.attrArn },
            bucketKeyEnabled: true,
          },
        ],
      },
      ownershipControls: { rules: [{ objectOwnership: 'BucketOwnerEnforced' }] },
      loggingConfiguration: { destinationBucketName: accessLogs.ref, logFilePrefix: ACCESS_LOG_PREFIX },
    });
    trailBucket.applyRemovalPolicy(RemovalPolicy.RETAIN);
    acknowledge(trailBucket, [
      {
        rules: ['S3BucketReplicationEnabled'],
        reason:
          'Integrity comes from Object Lock in COMPLIANCE mode (no one, root included, can delete or overwrite a version before retention ends) and the CloudTrail digest chain; cross-region replication is an organisation-wide choice made outside this product.',
      },
    ]);
    // By name, not Ref: the policy's statements name the bucket by its fixed ARN, and cdk-nag
    // matches the TLS-only statement to the bucket through the same name.
    const trailBucketPolicy = new s3.CfnBucketPolicy(this, 'TrailBucketPolicy', {
      bucket: config.logArchive.bucketName,
      policyDocument: bucketPolicyDoc,
    });
    trailBucketPolicy.addResourceDependency(trailBucket);

    new CfnOutput(this, 'TrailBucketName', { value: config.logArchive.bucketName });
    new CfnOutput(this, 'TrailKeyArn', { value: this.trailKey.attrArn });
  }
}
