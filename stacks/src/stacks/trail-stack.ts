import type { JitConfig } from '@jit-access/core';
import { Stack, type StackProps, Tags, Token } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import type { Construct } from 'constructs';
import { acknowledge } from '../acknowledge.js';
import { PropsProblems } from '../errors.js';
import { KEY_ALIASES } from '../names.js';
import { standaloneTrailAccounts } from '../policies/logArchive.js';

export type TrailKind = 'organization' | 'account';

export interface TrailStackProps extends StackProps {
  /** The validated deployment model (`loadConfig('accounts')`). */
  readonly config: JitConfig;
  /**
   * An organization trail (in the management account, covering every member account) or this
   * account's own trail.
   * @default 'organization' when the configuration names an organization, otherwise 'account'
   */
  readonly kind?: TrailKind;
}

/** The trail key, by alias: it lives in the log archive account, whose key id this stack cannot know. */
export function trailKeyAliasArn(config: JitConfig): string {
  return `arn:aws:kms:${config.region}:${config.logArchive.id}:${KEY_ALIASES.trailLogs}`;
}

/**
 * The trail that feeds the log archive: multi-region, global service events, log-file
 * validation (the digest chain jit-audit verifies), SSE-KMS with the log archive's key.
 */
export class TrailStack extends Stack {
  readonly kind: TrailKind;

  constructor(scope: Construct, id: string, props: TrailStackProps) {
    super(scope, id, props);
    const { config } = props;
    const kind: TrailKind = props.kind ?? (config.organizationId === undefined ? 'account' : 'organization');
    this.kind = kind;
    const problems = new PropsProblems();
    problems.check(
      Token.isUnresolved(this.region) || this.region === config.region,
      'env.region',
      `${this.region} is not the configured region ${config.region}`,
    );
    if (kind === 'organization') {
      problems.check(
        config.organizationId !== undefined && config.management !== undefined,
        'kind',
        'an organization trail needs organizationId and management in accounts/jit.yaml',
      );
      problems.check(
        config.management === undefined || Token.isUnresolved(this.account) || this.account === config.management.id,
        'env.account',
        `an organization trail lives in the management account ${config.management?.id ?? '(none configured)'}, not ${this.account}`,
      );
    } else {
      problems.check(
        config.organizationId === undefined,
        'kind',
        `the configuration names organization ${config.organizationId ?? ''}: its organization trail already covers every account; per-account trails would log everything twice`,
      );
      const accounts = standaloneTrailAccounts(config);
      problems.check(
        Token.isUnresolved(this.account) || accounts.includes(this.account),
        'env.account',
        `${this.account} is not an account of this configuration (${accounts.join(', ')})`,
      );
    }
    problems.throwIfAny(this, 'fix accounts/ (or the stack props) and synthesize again');

    Tags.of(this).add('jit:component', 'trail');
    const trail = new cloudtrail.CfnTrail(this, 'Trail', {
      trailName: config.trail.name,
      isLogging: true,
      s3BucketName: config.logArchive.bucketName,
      kmsKeyId: trailKeyAliasArn(config),
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      enableLogFileValidation: true,
      isOrganizationTrail: kind === 'organization',
    });
    acknowledge(trail, [
      {
        rules: 'CloudTrailCloudWatchLogsEnabled',
        reason:
          "Session reports are built from the S3 log files (the report Lambda, jit-audit), whose integrity the digest chain proves; a CloudWatch Logs copy adds no evidence and is left to the organisation's SIEM integration.",
      },
    ]);
  }
}
