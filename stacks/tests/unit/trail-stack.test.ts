import type { JitConfig } from '@jit-access/core';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { TrailStack, trailKeyAliasArn } from '../../src/index.js';
import { exampleConfig, withOrganization } from '../support/fixtures.js';

let config: JitConfig;

beforeAll(async () => {
  config = await exampleConfig();
});

describe('TrailStack', () => {
  it('creates a multi-region organization trail with log-file validation and the log archive key, in the management account', () => {
    const org = withOrganization(config);
    const stack = new TrailStack(new App(), 'Jit-OrgTrail', {
      config: org,
      env: { account: '666666666666', region: org.region },
    });
    expect(stack.kind).toBe('organization');
    Template.fromStack(stack).hasResourceProperties('AWS::CloudTrail::Trail', {
      TrailName: org.trail.name,
      IsOrganizationTrail: true,
      IsMultiRegionTrail: true,
      IncludeGlobalServiceEvents: true,
      EnableLogFileValidation: true,
      IsLogging: true,
      S3BucketName: org.logArchive.bucketName,
      KMSKeyId: `arn:aws:kms:${org.region}:${org.logArchive.id}:alias/jit-trail-logs`,
    });
  });

  it('creates an account trail into the same bucket when there is no organization', () => {
    const stack = new TrailStack(new App(), 'Jit-Trail-staging', {
      config,
      env: { account: '111111111111', region: config.region },
    });
    expect(stack.kind).toBe('account');
    Template.fromStack(stack).hasResourceProperties('AWS::CloudTrail::Trail', {
      IsOrganizationTrail: false,
      EnableLogFileValidation: true,
      S3BucketName: config.logArchive.bucketName,
      KMSKeyId: trailKeyAliasArn(config),
    });
  });

  it('fails for an organization trail outside the management account', () => {
    const org = withOrganization(config);
    expect(
      () => new TrailStack(new App(), 'T', { config: org, env: { account: org.hub.id, region: org.region } }),
    ).toThrow(
      /T: invalid props \(1 problem\):\n {2}- env\.account: an organization trail lives in the management account 666666666666, not 444444444444/,
    );
  });

  it('fails for per-account trails when the organization trail already covers the accounts', () => {
    const org = withOrganization(config);
    expect(
      () =>
        new TrailStack(new App(), 'T', {
          config: org,
          kind: 'account',
          env: { account: '111111111111', region: org.region },
        }),
    ).toThrow(
      /kind: the configuration names organization o-a1b2c3d4e5: its organization trail already covers every account/,
    );
  });

  it('fails for an organization trail without an organization, and for an account outside the configuration', () => {
    expect(
      () =>
        new TrailStack(new App(), 'T', {
          config,
          kind: 'organization',
          env: { account: '999999999999', region: config.region },
        }),
    ).toThrow(/kind: an organization trail needs organizationId and management/);
    expect(
      () => new TrailStack(new App(), 'T', { config, env: { account: '999999999999', region: config.region } }),
    ).toThrow(/env\.account: 999999999999 is not an account of this configuration/);
  });
});
