import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { acknowledge } from '../../src/index.js';

function bucket(): s3.CfnBucket {
  return new s3.CfnBucket(new Stack(new App(), 'S'), 'B', {});
}

function suppressions(b: s3.CfnBucket): { id: string; reason: string }[] {
  return (b.getMetadata('cdk_nag') as { rules_to_suppress: { id: string; reason: string }[] }).rules_to_suppress;
}

describe('acknowledge', () => {
  it('records the rule and its reason on the resource', () => {
    const b = bucket();
    acknowledge(b, [{ rules: 'AwsSolutions-S1', reason: 'the access-log bucket does not log itself' }]);
    expect(suppressions(b)).toEqual([{ id: 'AwsSolutions-S1', reason: 'the access-log bucket does not log itself' }]);
  });

  it('expands a bare rule name to the HIPAA, NIST and PCI packs', () => {
    const b = bucket();
    acknowledge(b, [{ rules: 'S3BucketReplicationEnabled', reason: 'Object Lock protects the evidence, not copies' }]);
    expect(suppressions(b).map((s) => s.id)).toEqual([
      'HIPAA.Security-S3BucketReplicationEnabled',
      'NIST.800.53.R5-S3BucketReplicationEnabled',
      'PCI.DSS.321-S3BucketReplicationEnabled',
    ]);
  });

  it('refuses an acknowledgement without a real reason', () => {
    expect(() => acknowledge(bucket(), [{ rules: 'AwsSolutions-S1', reason: 'ok' }])).toThrow(
      /needs a written reason \(20 characters at least/,
    );
    expect(() =>
      acknowledge(bucket(), [{ rules: 'AwsSolutions-S1', reason: 'TODO explain this one later on' }]),
    ).toThrow(/not a placeholder/);
  });

  it('refuses something that is not a cdk-nag rule id', () => {
    expect(() =>
      acknowledge(bucket(), [{ rules: 'aws-solutions s1', reason: 'a perfectly fine reason here' }]),
    ).toThrow(/"aws-solutions s1" is not a cdk-nag rule id/);
  });
});
