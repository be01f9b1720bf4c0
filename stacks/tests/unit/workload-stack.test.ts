import {
  denyCeilingPolicy,
  elevatedRoleTrustPolicy,
  type JitConfig,
  REVOKER_ROLE_NAME,
  revokerPermissionsPolicy,
  revokerTrustPolicy,
  securityBoundaryPolicy,
  tierPermissionsPolicy,
} from '@jit-access/core';
import { App, BootstraplessSynthesizer, type IStackSynthesizer } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { maxSessionSeconds, WorkloadStack } from '../../src/index.js';
import { exampleConfig } from '../support/fixtures.js';

let config: JitConfig;
let production: Template;
let identity: Template;
let stackSet: Template;

beforeAll(async () => {
  config = await exampleConfig();
  const app = new App();
  const perAccount = (name: string) => {
    const account = config.workloadAccounts.find((a) => a.name === name);
    if (!account) throw new Error(`no account ${name} in the example`);
    return new WorkloadStack(app, `Jit-Workload-${name}`, {
      config,
      workloadAccountId: account.id,
      env: { account: account.id, region: config.region },
    });
  };
  const stacks = [
    perAccount('production'),
    perAccount('identity'),
    new WorkloadStack(app, 'Jit-Workload-StackSet', {
      config,
      synthesizer: new BootstraplessSynthesizer() as unknown as IStackSynthesizer,
    }),
  ];
  [production, identity, stackSet] = stacks.map((s) => Template.fromStack(s)) as [Template, Template, Template];
});

describe('WorkloadStack', () => {
  it("creates a role per tier of the account, with the core model's trust policy", () => {
    production.resourceCountIs('AWS::IAM::Role', 3 + 1);
    for (const tier of config.tiers) {
      production.hasResourceProperties('AWS::IAM::Role', {
        RoleName: tier.roleName,
        AssumeRolePolicyDocument: elevatedRoleTrustPolicy(config),
        MaxSessionDuration: 3600,
      });
    }
  });

  it('creates only the tiers the account lists', () => {
    const names = Object.values(identity.findResources('AWS::IAM::Role')).map(
      (r) => (r as { Properties: { RoleName: string } }).Properties.RoleName,
    );
    expect(names.sort()).toEqual(['AgentElevated-Ops', 'AgentElevated-Security', 'JitRevoker']);
  });

  it('attaches the tier policy and the deny ceiling, and uses the tier policy as the permissions boundary', () => {
    production.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'AgentElevated-Deploy',
      ManagedPolicyArns: [{ Ref: 'Tierdeploy' }, { Ref: 'DenyCeiling' }],
      PermissionsBoundary: { Ref: 'Tierdeploy' },
    });
    production.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      ManagedPolicyName: 'JitTier-deploy',
      PolicyDocument: tierPermissionsPolicy(config, 'deploy'),
    });
    production.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      ManagedPolicyName: 'JitDenyCeiling',
      PolicyDocument: denyCeilingPolicy(config),
    });
  });

  it('creates the boundary that roles and users made by the security tier must carry', () => {
    production.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      ManagedPolicyName: 'JitWorkloadBoundary',
      PolicyDocument: securityBoundaryPolicy(config),
    });
  });

  it("creates the core model's revoker role: approvers only, and only inline-policy rights on the account's tier roles", () => {
    production.hasResourceProperties('AWS::IAM::Role', {
      RoleName: REVOKER_ROLE_NAME,
      AssumeRolePolicyDocument: revokerTrustPolicy(config),
      ManagedPolicyArns: [{ Ref: 'RevokerPolicy' }],
    });
    production.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      ManagedPolicyName: 'JitRevokeTierRoles',
      PolicyDocument: revokerPermissionsPolicy(config, '222222222222'),
    });
  });

  it('creates nothing else: IAM roles and managed policies only', () => {
    const types = new Set(
      Object.values(production.toJSON().Resources as Record<string, { Type: string }>).map((r) => r.Type),
    );
    expect([...types].sort()).toEqual(['AWS::IAM::ManagedPolicy', 'AWS::IAM::Role']);
  });

  it('synthesizes an account-agnostic StackSet template: every tier, no bootstrap parameter, the account from AWS::AccountId', () => {
    const json = stackSet.toJSON() as { Parameters?: unknown; Rules?: unknown };
    expect(json.Parameters).toBeUndefined();
    expect(json.Rules).toBeUndefined();
    stackSet.resourceCountIs('AWS::IAM::Role', config.tiers.length + 1);
    stackSet.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      ManagedPolicyName: 'JitRevokeTierRoles',
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Resource: Match.arrayWith([
              { 'Fn::Join': ['', ['arn:aws:iam::', { Ref: 'AWS::AccountId' }, ':role/AgentElevated-Ops']] },
            ]),
          }),
        ],
      },
    });
    expect(JSON.stringify(stackSet.toJSON())).not.toMatch(/\d{12}:role\/Agent/);
  });

  it('covers the longest window of each tier with the role session duration', () => {
    expect(maxSessionSeconds(5)).toBe(3600);
    expect(maxSessionSeconds(60)).toBe(3600);
    expect(maxSessionSeconds(90)).toBe(5400);
  });

  it('fails for an account that is not in the configuration', () => {
    expect(
      () =>
        new WorkloadStack(new App(), 'W', {
          config,
          workloadAccountId: '999999999999',
          env: { account: '999999999999', region: config.region },
        }),
    ).toThrow(
      /W: invalid props \(1 problem\):\n {2}- workloadAccountId: "999999999999" is not a workload account in the configuration; known: identity \(333333333333\)/,
    );
  });

  it('fails when the per-account stack is deployed into another account', () => {
    expect(
      () =>
        new WorkloadStack(new App(), 'W', {
          config,
          workloadAccountId: '111111111111',
          env: { account: '222222222222', region: config.region },
        }),
    ).toThrow(/env\.account: 222222222222 is not the workload account 111111111111/);
  });

  it('fails when the account-agnostic template names an account or an unknown tier', () => {
    expect(
      () =>
        new WorkloadStack(new App(), 'W', {
          config,
          tiers: ['ops', 'admin'],
          env: { account: '111111111111', region: config.region },
        }),
    ).toThrow(
      /2 problems[\s\S]*env\.account: the account-agnostic template must not name an account[\s\S]*tiers: unknown tier "admin"/,
    );
  });

  it('fails when the trust policy outgrows IAM: too many approver principals', () => {
    const crowded: JitConfig = {
      ...config,
      approvers: {
        ...config.approvers,
        principals: Array.from({ length: 60 }, (_, i) => `arn:aws:iam::444444444444:role/Approver${i}`),
      },
    };
    expect(
      () =>
        new WorkloadStack(new App(), 'W', {
          config: crowded,
          workloadAccountId: '111111111111',
          env: { account: '111111111111', region: config.region },
        }),
    ).toThrow(/the tier roles' trust policy is \d+ characters; IAM allows 2048/);
  });
});
