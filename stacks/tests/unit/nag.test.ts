import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyNagPacks, formatNagFindings, NAG_PACKS, type NagCollector } from '../../src/gates/index.js';
import { acknowledge, STACK_NAMES } from '../../src/index.js';
import { exampleConfig, withOrganization, withRolesAnywhere } from '../support/fixtures.js';
import { synthAll } from '../support/synth.js';

let example: NagCollector;
let variant: NagCollector;
let stackNames: string[];

beforeAll(async () => {
  const config = await exampleConfig();
  const a = await synthAll({ prefix: 'nag', nag: true });
  const b = await synthAll({ prefix: 'nag-org', nag: true, config: withRolesAnywhere(withOrganization(config)) });
  if (!a.nag || !b.nag) throw new Error('the packs did not run');
  example = a.nag;
  variant = b.nag;
  stackNames = a.assembly.stacks.map((s) => s.stackName);
});

describe('cdk-nag gate (AwsSolutions, HIPAA Security, NIST 800-53 rev 5, PCI DSS 3.2.1)', () => {
  it('checks every stack of the example with all four packs', () => {
    expect(stackNames).toHaveLength(12);
    for (const name of stackNames)
      expect([...(example.packsByStack.get(name) ?? [])].sort()).toEqual([...NAG_PACKS].sort());
  });

  it('finds no unacknowledged error or warning in any stack of the example', () => {
    expect(formatNagFindings(example.findings)).toBe('');
  });

  it('finds none for an organization with a Roles Anywhere agent either', () => {
    expect(formatNagFindings(variant.findings)).toBe('');
    expect(variant.packsByStack.has(STACK_NAMES.organizationTrail)).toBe(true);
  });

  it('has a written reason on every acknowledgement', () => {
    expect(example.acknowledged.length).toBeGreaterThan(0);
    const short = example.acknowledged.filter((a) => a.reason.trim().length < 20);
    expect(short).toEqual([]);
  });

  it('reports what an unacknowledged resource breaks (the gate can fail)', () => {
    const app = new App();
    const stack = new Stack(app, 'Careless', { env: { account: '111111111111', region: 'ap-southeast-2' } });
    new s3.CfnBucket(stack, 'Plain', {});
    new iam.CfnUser(stack, 'User', {
      policies: [
        {
          policyName: 'all',
          policyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
        },
      ],
    });
    // A VPC's open default security group is one of the rules at warning level: warnings fail too.
    new ec2.CfnVPC(stack, 'Vpc', { cidrBlock: '10.0.0.0/16' });
    const collector = applyNagPacks(app);
    app.synth();
    const rules = new Set(collector.findings.map((f) => f.ruleId));
    expect(rules).toContain('AwsSolutions-S1');
    expect(rules).toContain('AwsSolutions-S10');
    expect(rules).toContain('HIPAA.Security-IAMNoInlinePolicy');
    expect(rules).toContain('NIST.800.53.R5-IAMUserNoPolicies');
    expect(rules).toContain('PCI.DSS.321-S3DefaultEncryptionKMS');
    expect(collector.findings).toContainEqual(
      expect.objectContaining({ ruleId: 'HIPAA.Security-VPCDefaultSecurityGroupClosed', level: 'Warning' }),
    );
  });

  it('stops reporting a finding once it is acknowledged with a reason, and only that finding', () => {
    const app = new App();
    const stack = new Stack(app, 'Acknowledged', { env: { account: '111111111111', region: 'ap-southeast-2' } });
    const bucket = new s3.CfnBucket(stack, 'Plain', {});
    acknowledge(bucket, [
      { rules: 'AwsSolutions-S1', reason: 'server access logs are not needed for this test bucket' },
    ]);
    const collector = applyNagPacks(app);
    app.synth();
    expect(collector.findings.map((f) => f.ruleId)).not.toContain('AwsSolutions-S1');
    expect(collector.findings.map((f) => f.ruleId)).toContain('AwsSolutions-S10');
    expect(collector.acknowledged.map((a) => a.ruleId)).toContain('AwsSolutions-S1');
  });
});
