import type { JitConfig } from '@jit-access/core';
import { App, Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { LogArchiveStack, ReportStack, type ReportStackProps } from '../../src/index.js';
import { exampleConfig, fakeBundle, tempDir, withOrganization } from '../support/fixtures.js';

let config: JitConfig;
let template: Template;
let bundle: string;

function report(overrides: Partial<ReportStackProps> = {}): ReportStack {
  const app = new App();
  const env = { account: config.logArchive.id, region: config.region };
  const logArchive = new LogArchiveStack(app, 'Jit-LogArchive', { config, env });
  return new ReportStack(app, 'Jit-Report', {
    config,
    env,
    trailKeyArn: logArchive.trailKey.attrArn,
    bundleDir: bundle,
    sender: 'reports@example.com',
    recipients: ['auditor@example.com'],
    ...overrides,
  });
}

function reportFor(custom: JitConfig): ReportStack {
  const app = new App();
  const env = { account: custom.logArchive.id, region: custom.region };
  return new ReportStack(app, 'Jit-Report', {
    config: custom,
    env,
    trailKeyArn: `arn:aws:kms:${custom.region}:${custom.logArchive.id}:key/0a11ce00-0000-4000-8000-000000000001`,
    bundleDir: bundle,
    sender: 'reports@example.com',
    recipients: ['auditor@example.com'],
  });
}

/** The example configuration with `count` workload accounts like its first one. */
function manyWorkloads(count: number): JitConfig {
  const first = config.workloadAccounts[0];
  if (first === undefined) throw new Error('the example configuration has no workload account');
  return {
    ...config,
    workloadAccounts: Array.from({ length: count }, (_, i) => ({
      ...first,
      id: String(100_000_000_000 + i),
      name: `workload-number-${i}`,
    })),
  };
}

beforeAll(async () => {
  config = await exampleConfig();
  bundle = fakeBundle();
  template = Template.fromStack(report());
});

describe('ReportStack', () => {
  it('runs the bundled handler on Node.js with one run at a time, a dead-letter queue and its settings', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'jit-session-report',
      Handler: 'index.handler',
      Runtime: 'nodejs24.x',
      ReservedConcurrentExecutions: 1,
      MemorySize: 512,
      Timeout: 600,
      DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DeadLetters'), 'Arn'] } },
      Environment: {
        Variables: Match.objectLike({
          JIT_REPORT_BUCKET: config.logArchive.bucketName,
          JIT_REPORT_STATE_PREFIX: 'jit-reports/',
          JIT_REPORT_RECIPIENTS: 'auditor@example.com',
          JIT_REPORT_SENDER: 'reports@example.com',
          JIT_REPORT_WINDOW_MINUTES: '60',
          JIT_REPORT_TIER_ROLES: 'AgentElevated-Ops,AgentElevated-Deploy,AgentElevated-Security',
        }),
      },
    });
  });

  it('runs on a schedule', () => {
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 hour)' });
    template.hasResourceProperties('AWS::Lambda::Permission', { Principal: 'events.amazonaws.com' });
  });

  it('verifies the sender with SES and keeps encrypted logs for a year', () => {
    template.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: 'reports@example.com' });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/aws/lambda/jit-session-report',
      RetentionInDays: 365,
      KmsKeyId: { 'Fn::GetAtt': ['ReportKey', 'Arn'] },
    });
    template.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: { 'Fn::GetAtt': ['ReportKey', 'Arn'] } });
  });

  it('grants the function only its managed policy: read the trail, write its own prefix, use the trail key from the log archive stack', () => {
    template.resourceCountIs('AWS::IAM::Policy', 0);
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'ReadTrailFiles',
            Action: 's3:GetObject',
            Resource: `arn:aws:s3:::${config.logArchive.bucketName}/AWSLogs/*`,
          }),
          Match.objectLike({
            Sid: 'ReadAndWriteOwnRecords',
            Action: ['s3:GetObject', 's3:PutObject'],
            Resource: `arn:aws:s3:::${config.logArchive.bucketName}/jit-reports/*`,
          }),
          Match.objectLike({ Sid: 'UseTrailKeyThroughS3', Resource: { 'Fn::ImportValue': Match.anyValue() } }),
        ]),
      },
    });
  });

  it('expects a digest from every trail: hub, log archive and each workload account', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          JIT_REPORT_EXPECTED_ACCOUNTS: '444444444444,555555555555,333333333333,222222222222,111111111111',
        }),
      },
    });
  });

  it('expects the management account too when it owns the organization trail', () => {
    Template.fromStack(reportFor(withOrganization(config))).hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          JIT_REPORT_ORGANIZATION_ID: 'o-a1b2c3d4e5',
          JIT_REPORT_EXPECTED_ACCOUNTS: '444444444444,555555555555,666666666666,333333333333,222222222222,111111111111',
        }),
      },
    });
  });

  it('keeps the expected accounts and leaves the account names out when both do not fit Lambda’s 4 KB', () => {
    const functions = Object.values(
      Template.fromStack(reportFor(manyWorkloads(150))).findResources('AWS::Lambda::Function'),
    ) as { Properties: { Environment: { Variables: Record<string, string> } } }[];

    expect(functions).toHaveLength(1);
    const variables = functions[0]?.Properties.Environment.Variables ?? {};
    expect(variables.JIT_REPORT_EXPECTED_ACCOUNTS?.split(',')).toHaveLength(152);
    expect(variables.JIT_REPORT_ACCOUNT_NAMES).toBeUndefined();
  });

  it('fails when the expected accounts do not fit the function’s environment', () => {
    expect(() => reportFor(manyWorkloads(400))).toThrow(
      /config: the report function's settings take \d+ bytes with 402 expected accounts \(JIT_REPORT_EXPECTED_ACCOUNTS\) and 1 recipients; Lambda allows 4096 in all/,
    );
  });

  it('fails with no bundle, a bad sender, no recipients and a schedule too tight, all in one error', () => {
    expect(() =>
      report({ bundleDir: tempDir('empty'), sender: 'not an address', recipients: [], schedule: Duration.minutes(1) }),
    ).toThrow(
      /Jit-Report: invalid props \(4 problems\)[\s\S]*bundleDir: .* holds no index\.mjs or index\.js[\s\S]*sender: "not an address" is neither an e-mail address nor a domain[\s\S]*recipients: at least one auditor address[\s\S]*schedule: 1 minute is outside 5 minutes\.\.1 day/,
    );
  });

  it('fails when a recipient is not an e-mail address', () => {
    expect(() => report({ recipients: ['auditors'] })).toThrow(/recipients: "auditors" is not an e-mail address/);
  });
});
