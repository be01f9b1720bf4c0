import { existsSync } from 'node:fs';
import path from 'node:path';
import type { JitConfig } from '@jit-access/core';
import { Duration, RemovalPolicy, Stack, type StackProps, Tags, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { acknowledge } from '../acknowledge.js';
import { PropsProblems } from '../errors.js';
import { KEY_ALIASES, REPORT_NAMES } from '../names.js';
import { reportFunctionPolicy, reportKeyPolicy } from '../policies/logArchive.js';

export interface ReportStackProps extends StackProps {
  /** The validated deployment model (`loadConfig('accounts')`). */
  readonly config: JitConfig;
  /** ARN of the trail key (the log archive stack's `trailKey.attrArn`; same account and region). */
  readonly trailKeyArn: string;
  /** Folder holding the report Lambda's bundle (`packages/report-lambda/dist-bundle`): `index.mjs` (or `index.js`) exporting `handler`. */
  readonly bundleDir: string;
  /** The address (or domain) reports are sent from; it becomes an SES identity to verify. */
  readonly sender: string;
  /** The auditors' addresses. */
  readonly recipients: readonly string[];
  /**
   * How often the report runs.
   * @default Duration.hours(1)
   */
  readonly schedule?: Duration;
  /**
   * Minutes the report's window trails behind now, since CloudTrail delivers log files late.
   * @default 15
   */
  readonly deliveryLagMinutes?: number;
  /**
   * Retention of the function's log group.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Function memory, in MB (the report streams log files: a window of a million records fits 512).
   * @default 512
   */
  readonly memorySize?: number;
}

/** Lambda's limit on a function's environment variables, names and values together. */
const LAMBDA_ENVIRONMENT_BYTES = 4096;

function environmentBytes(environment: Readonly<Record<string, string>>): number {
  return Object.entries(environment).reduce(
    (sum, [name, value]) => sum + Buffer.byteLength(name) + Buffer.byteLength(value),
    0,
  );
}

/**
 * The accounts whose trails deliver to the log archive: hub, log archive and every workload account, and
 * the management account when it owns the organization trail. CloudTrail writes a digest for each of
 * them every hour, even without activity, so the report names any of them that goes silent.
 */
function expectedTrailAccounts(config: JitConfig): string[] {
  return [
    ...new Set([
      config.hub.id,
      config.logArchive.id,
      ...(config.organizationId !== undefined && config.management !== undefined ? [config.management.id] : []),
      ...config.workloadAccounts.map((a) => a.id),
    ]),
  ];
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

/**
 * The auditors' independent report: a function in the log archive account that reads the trail's
 * log files on a schedule, builds session reports, validates the digest chain and e-mails the
 * auditors through SES. Neither the agent nor the approvers have any access to it.
 */
export class ReportStack extends Stack {
  readonly functionName = REPORT_NAMES.functionName;

  constructor(scope: Construct, id: string, props: ReportStackProps) {
    super(scope, id, props);
    const { config } = props;
    const problems = new PropsProblems();
    problems.check(
      Token.isUnresolved(this.account) || this.account === config.logArchive.id,
      'env.account',
      `${this.account} is not the log archive account ${config.logArchive.id}: the report runs beside the logs`,
    );
    problems.check(
      Token.isUnresolved(this.region) || this.region === config.region,
      'env.region',
      `${this.region} is not the configured region ${config.region}`,
    );
    const handlerFile = ['index.mjs', 'index.js'].find((f) => existsSync(path.join(props.bundleDir, f)));
    problems.check(
      handlerFile !== undefined,
      'bundleDir',
      `${props.bundleDir} holds no index.mjs or index.js; build the report Lambda's bundle first`,
    );
    problems.check(
      EMAIL.test(props.sender) || DOMAIN.test(props.sender),
      'sender',
      `"${props.sender}" is neither an e-mail address nor a domain`,
    );
    problems.check(props.recipients.length > 0, 'recipients', 'at least one auditor address is needed');
    for (const r of props.recipients) problems.check(EMAIL.test(r), 'recipients', `"${r}" is not an e-mail address`);
    const schedule = props.schedule ?? Duration.hours(1);
    problems.check(
      schedule.toMinutes() >= 5 && schedule.toMinutes() <= 24 * 60,
      'schedule',
      `${schedule.toHumanString()} is outside 5 minutes..1 day`,
    );
    const lag = props.deliveryLagMinutes ?? 15;
    problems.check(
      Number.isInteger(lag) && lag >= 0 && lag <= 120,
      'deliveryLagMinutes',
      `${lag} is not a whole number of minutes in 0..120`,
    );
    const memorySize = props.memorySize ?? 512;
    problems.check(
      Number.isInteger(memorySize) && memorySize >= 256 && memorySize <= 10_240,
      'memorySize',
      `${memorySize} MB is outside 256..10240`,
    );
    // The report-lambda package's settings (packages/report-lambda/src/settings.ts, REPORT_ENV).
    const environment: Record<string, string> = {
      JIT_REPORT_BUCKET: config.logArchive.bucketName,
      JIT_REPORT_STATE_PREFIX: REPORT_NAMES.stateKeyPrefix,
      JIT_REPORT_TRAIL_NAME: config.trail.name,
      ...(config.organizationId === undefined ? {} : { JIT_REPORT_ORGANIZATION_ID: config.organizationId }),
      JIT_REPORT_SENDER: props.sender,
      JIT_REPORT_RECIPIENTS: props.recipients.join(','),
      JIT_REPORT_WINDOW_MINUTES: String(schedule.toMinutes()),
      JIT_REPORT_DELIVERY_LAG_MINUTES: String(lag),
      JIT_REPORT_TIER_ROLES: config.tiers.map((t) => t.roleName).join(','),
      // Every trail that must keep delivering: one that stops is named in the reports.
      JIT_REPORT_EXPECTED_ACCOUNTS: expectedTrailAccounts(config).join(','),
    };
    problems.check(
      environmentBytes(environment) <= LAMBDA_ENVIRONMENT_BYTES,
      'config',
      `the report function's settings take ${environmentBytes(environment)} bytes with ${expectedTrailAccounts(config).length} expected accounts (JIT_REPORT_EXPECTED_ACCOUNTS) and ${props.recipients.length} recipients; Lambda allows ${LAMBDA_ENVIRONMENT_BYTES} in all`,
    );
    problems.throwIfAny(this, 'fix the report settings and synthesize again');

    Tags.of(this).add('jit:component', 'report');

    const cfnKey = new kms.CfnKey(this, 'ReportKey', {
      description: "JIT Access: encrypts the report function's logs and dead-letter queue.",
      enableKeyRotation: true,
      keyPolicy: reportKeyPolicy(config),
    });
    new kms.CfnAlias(this, 'ReportKeyAlias', { aliasName: KEY_ALIASES.report, targetKeyId: cfnKey.ref });
    const key = kms.Key.fromCfnKey(cfnKey);

    const deadLetters = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(deadLetters, [
      {
        rules: 'AwsSolutions-SQS3',
        reason:
          "This queue is itself the dead-letter queue of the report function's asynchronous invocations; a queue behind it would only move the problem.",
      },
    ]);

    const logGroup = new logs.LogGroup(this, 'FunctionLogs', {
      logGroupName: `/aws/lambda/${REPORT_NAMES.functionName}`,
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      encryptionKey: key,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    new ses.EmailIdentity(this, 'Sender', {
      identity: EMAIL.test(props.sender) ? ses.Identity.email(props.sender) : ses.Identity.domain(props.sender),
    });
    const sesIdentityArn = `arn:aws:ses:${config.region}:${config.logArchive.id}:identity/${props.sender}`;

    const policy = new iam.CfnManagedPolicy(this, 'FunctionPolicy', {
      description: 'JIT Access report: read the trail, keep its own records, validate digests, send e-mail.',
      policyDocument: reportFunctionPolicy(config, {
        trailKeyArn: props.trailKeyArn,
        reportKeyArn: cfnKey.attrArn,
        deadLetterQueueArn: deadLetters.queueArn,
        sesIdentityArn,
      }),
    });
    acknowledge(policy, [
      {
        rules: 'AwsSolutions-IAM5',
        reason:
          "Object wildcards are confined to the trail prefix (AWSLogs/, read only) and the report's own prefix; cloudtrail:ListPublicKeys accepts no resource; log streams are created at run time.",
        appliesTo: [
          'Resource::*',
          `Resource::arn:aws:s3:::${config.logArchive.bucketName}/AWSLogs/*`,
          `Resource::arn:aws:s3:::${config.logArchive.bucketName}/${REPORT_NAMES.stateKeyPrefix}*`,
          `Resource::arn:aws:logs:${config.region}:${config.logArchive.id}:log-group:/aws/lambda/${REPORT_NAMES.functionName}:*`,
        ],
      },
    ]);
    const role = new iam.Role(this, 'FunctionRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'JIT Access: the report function.',
      managedPolicies: [iam.ManagedPolicy.fromManagedPolicyArn(this, 'FunctionPolicyRef', policy.ref)],
    });

    const accountNames = [
      config.hub,
      config.logArchive,
      ...(config.management === undefined ? [] : [config.management]),
      ...config.workloadAccounts,
    ]
      .map((a) => `${a.id}=${a.name}`)
      .join(',');
    // Account names are a nicety: left out when they would not fit beside the settings that matter.
    const withNames = { ...environment, JIT_REPORT_ACCOUNT_NAMES: accountNames };
    const fn = new lambda.Function(this, 'Function', {
      functionName: REPORT_NAMES.functionName,
      description:
        'JIT Access: e-mails auditors a report of every elevated session, from CloudTrail, with digest validation.',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(props.bundleDir),
      // Every permission is in the managed policy above; nothing may be added inline behind it.
      role: role.withoutPolicyUpdates(),
      memorySize,
      // Under the report's claim lease (JIT_REPORT_CLAIM_LEASE_SECONDS, 960 s by default), so that a
      // claim outlives the run that made it.
      timeout: Duration.minutes(10),
      // One run at a time: overlapping windows are the ledger's job, not concurrency's.
      reservedConcurrentExecutions: 1,
      deadLetterQueue: deadLetters,
      retryAttempts: 2,
      logGroup,
      environment: environmentBytes(withNames) <= LAMBDA_ENVIRONMENT_BYTES ? withNames : environment,
    });
    // The function already depends on its role through Fn::GetAtt; CDK's extra DependsOn is redundant (cfn-lint W3005).
    (fn.node.defaultChild as lambda.CfnFunction).addDeletionOverride('DependsOn');
    acknowledge(fn, [
      {
        rules: 'AwsSolutions-L1',
        reason:
          'Node.js 24 is the newest long-term-support runtime (what CDK calls NODEJS_LATEST) and what the report bundle is built for; Node.js 26 is not LTS yet.',
      },
      {
        rules: 'LambdaInsideVPC',
        reason:
          'The function talks only to AWS APIs (S3, CloudTrail, SES) over TLS with its own narrowly scoped role; a VPC would add NAT or endpoints to run, and no network control it needs.',
      },
    ]);

    new events.Rule(this, 'Schedule', {
      description: 'JIT Access: run the session report.',
      schedule: events.Schedule.rate(schedule),
      targets: [new targets.LambdaFunction(fn, { retryAttempts: 2 })],
    });
  }
}
