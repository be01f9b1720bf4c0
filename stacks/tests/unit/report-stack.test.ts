import type { JitConfig } from '@jit-access/core';
import { App, Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { LogArchiveStack, ReportStack, type ReportStackProps } from '../../src/index.js';
import { exampleConfig, fakeBundle, tempDir } from '../support/fixtures.js';

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
