/**
 * Policy properties proven by IAM simulation (@cloud-copilot/iam-simulate) on the policy model.
 * The same checks run on the synthesized templates in stacks/tests; here they pin the model.
 */
import { assumedRoleArn, type Decision, sampleCalls, simulate } from '@jit-access/policy-sim';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  agentBasePolicy,
  boundaryPolicyArn,
  denyCeilingPolicy,
  ESCALATION_CATALOGUE,
  elevatedRoleTrustPolicy,
  type JitConfig,
  type PolicyDocument,
  revokeAllSessionsPolicy,
  revokeGrantPolicy,
  revokerTrustPolicy,
  securityBoundaryPolicy,
  tierPermissionsPolicy,
  windowSessionPolicy,
} from '../../src/index.js';
import { exampleConfig } from '../support/config.js';

let config: JitConfig;
beforeAll(() => {
  config = exampleConfig();
});

const HUB = '444444444444';
const WORKLOAD = '222222222222';
const REGION = 'ap-southeast-2';
const agent = `arn:aws:iam::${HUB}:user/jit-agent`;
const ownSecret = (account: string) =>
  `arn:aws:secretsmanager:${REGION}:${HUB}:secret:agent/elevated/${account}-AbC123`;

describe('invariant 1: the agent base identity can do exactly three things', () => {
  const base = () => ({ identity: [agentBasePolicy(config)] });

  it('reads the current version of its own secret in every workload account', async () => {
    for (const account of ['111111111111', '222222222222', '333333333333']) {
      expect(
        await simulate(base(), {
          principal: agent,
          action: 'secretsmanager:GetSecretValue',
          resource: ownSecret(account),
        }),
      ).toBe('Allowed');
      expect(
        await simulate(base(), {
          principal: agent,
          action: 'secretsmanager:GetSecretValue',
          resource: ownSecret(account),
          context: { 'secretsmanager:VersionStage': 'AWSCURRENT' },
        }),
      ).toBe('Allowed');
    }
  });

  it('looks up CloudTrail events and asks who it is', async () => {
    expect(await simulate(base(), { principal: agent, action: 'cloudtrail:LookupEvents', resource: '*' })).toBe(
      'Allowed',
    );
    expect(await simulate(base(), { principal: agent, action: 'sts:GetCallerIdentity', resource: '*' })).toBe(
      'Allowed',
    );
  });

  const refused: [string, { action: string; resource: string; context?: Record<string, string> }][] = [
    ['writing its own secret', { action: 'secretsmanager:PutSecretValue', resource: ownSecret(WORKLOAD) }],
    [
      'reading AWSPREVIOUS',
      {
        action: 'secretsmanager:GetSecretValue',
        resource: ownSecret(WORKLOAD),
        context: { 'secretsmanager:VersionStage': 'AWSPREVIOUS' },
      },
    ],
    [
      'reading a version by id',
      {
        action: 'secretsmanager:GetSecretValue',
        resource: ownSecret(WORKLOAD),
        context: { 'secretsmanager:VersionId': 'a1b2c3d4-0000-0000-0000-000000000000' },
      },
    ],
    [
      'reading an account it has no secret for',
      { action: 'secretsmanager:GetSecretValue', resource: ownSecret('999999999999') },
    ],
    [
      'reading a longer-named secret under its prefix',
      {
        action: 'secretsmanager:GetSecretValue',
        resource: `arn:aws:secretsmanager:${REGION}:${HUB}:secret:agent/elevated/222222222222-x-AbC123`,
      },
    ],
    [
      'assuming an elevated role',
      { action: 'sts:AssumeRole', resource: `arn:aws:iam::${WORKLOAD}:role/AgentElevated-Ops` },
    ],
    [
      'moving its secret to another stage',
      { action: 'secretsmanager:UpdateSecretVersionStage', resource: ownSecret(WORKLOAD) },
    ],
    ['attaching a policy to itself', { action: 'iam:AttachUserPolicy', resource: agent }],
    [
      'decrypting with KMS directly',
      { action: 'kms:Decrypt', resource: `arn:aws:kms:${REGION}:${HUB}:key/1234abcd-12ab-34cd-56ef-1234567890ab` },
    ],
    [
      'stopping the trail',
      { action: 'cloudtrail:StopLogging', resource: `arn:aws:cloudtrail:${REGION}:${HUB}:trail/jit-trail` },
    ],
  ];
  it.each(refused)('refuses %s', async (_name, call) => {
    expect(await simulate(base(), { principal: agent, ...call })).not.toBe('Allowed');
  });

  it('is allowed nothing else across a broad sample of every action of ten services', async () => {
    const calls = await sampleCalls(
      ['secretsmanager', 'sts', 'cloudtrail', 'iam', 'kms', 's3', 'ec2', 'ssm', 'lambda', 'organizations'],
      {
        account: HUB,
        region: REGION,
      },
    );
    expect(calls.length).toBeGreaterThan(1500);
    const allowed: string[] = [];
    const unsimulated: string[] = [];
    for (const call of calls) {
      const resource = call.action === 'secretsmanager:GetSecretValue' ? ownSecret(WORKLOAD) : call.resource;
      // A few actions accept several resource types that the simulator wants told apart; retry
      // those with '*', which is broader than any one resource.
      const decision = await simulate(base(), { principal: agent, action: call.action, resource }).catch(() =>
        simulate(base(), { principal: agent, action: call.action, resource: '*' }).catch(() => undefined),
      );
      if (decision === undefined) unsimulated.push(call.action);
      if (decision === 'Allowed') allowed.push(call.action);
    }
    expect(unsimulated.length, unsimulated.join(', ')).toBeLessThan(calls.length / 50);
    expect(allowed.sort()).toEqual([
      'cloudtrail:LookupEvents',
      'secretsmanager:GetSecretValue',
      'sts:GetCallerIdentity',
    ]);
  }, 120_000);
});

describe('invariant 3: no tier can cross the deny ceiling or escalate', () => {
  const tierPolicies = (tier: string) => ({
    identity: [tierPermissionsPolicy(config, tier), denyCeilingPolicy(config)],
  });
  const principalFor = (roleName: string) => assumedRoleArn(WORKLOAD, roleName, 'jit-01JQ0000000000000000000000');

  it('lets each tier do its job (the ceiling is not a blanket deny)', async () => {
    const ops = config.tiers.find((t) => t.name === 'ops');
    expect(
      await simulate(tierPolicies('ops'), {
        principal: principalFor(ops?.roleName ?? ''),
        action: 'ec2:DescribeInstances',
        resource: '*',
      }),
    ).toBe('Allowed');
    expect(
      await simulate(tierPolicies('deploy'), {
        principal: principalFor('AgentElevated-Deploy'),
        action: 'ecs:UpdateService',
        resource: `arn:aws:ecs:${REGION}:${WORKLOAD}:service/prod/api`,
      }),
    ).toBe('Allowed');
  });

  it('denies every action of the ceiling to every tier', async () => {
    const ceilingActions = denyCeilingPolicy(config)
      .Statement.filter((s) => s.Sid === 'NeverDestructive')
      .flatMap((s) => [s.Action ?? []].flat());
    const samples = [
      ...ceilingActions.filter((a) => !a.includes('*')),
      'organizations:LeaveOrganization',
      'account:CloseAccount',
      'cloudtrail:StopLogging',
      'cloudtrail:DeleteTrail',
      'cloudtrail:PutEventSelectors',
    ];
    for (const tier of config.tiers) {
      for (const action of samples) {
        const decision = await simulate(tierPolicies(tier.name), {
          principal: principalFor(tier.roleName),
          action,
          resource: '*',
        });
        expect(decision, `${tier.name} ${action}`).not.toBe('Allowed');
      }
    }
  });

  it('denies ec2:TerminateInstances explicitly even to a tier that allowed it', async () => {
    const greedy: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'ec2:*', Resource: '*' }],
    };
    expect(
      await simulate(
        { identity: [greedy, denyCeilingPolicy(config)] },
        {
          principal: principalFor('AgentElevated-Ops'),
          action: 'ec2:TerminateInstances',
          resource: `arn:aws:ec2:${REGION}:${WORKLOAD}:instance/i-1`,
        },
      ),
    ).toBe('ExplicitlyDenied');
  });

  it('has a catalogue of at least 25 public privilege-escalation paths', () => {
    expect(ESCALATION_CATALOGUE.length).toBeGreaterThanOrEqual(25);
    expect(new Set(ESCALATION_CATALOGUE.map((p) => p.id)).size).toBe(ESCALATION_CATALOGUE.length);
  });

  it('closes every catalogued escalation path for every tier', async () => {
    const open: string[] = [];
    for (const tier of config.tiers) {
      for (const path of ESCALATION_CATALOGUE) {
        for (const check of path.checks) {
          const decision: Decision = await simulate(tierPolicies(tier.name), {
            principal: principalFor(tier.roleName),
            action: check.action,
            resource: check.resource.replaceAll('{account}', WORKLOAD),
            ...(check.context
              ? {
                  context: Object.fromEntries(
                    Object.entries(check.context).map(([k, v]) => [
                      k,
                      typeof v === 'string' ? v.replaceAll('{account}', WORKLOAD) : v,
                    ]),
                  ),
                }
              : {}),
          });
          if (decision === 'Allowed') open.push(`${tier.name}: ${path.id} (${check.action})`);
        }
      }
    }
    expect(open).toEqual([]);
  });

  it('closes the catalogue even for a tier that allows everything (the ceiling alone holds)', async () => {
    const everything: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
    };
    const open: string[] = [];
    // Paths closed only by the tiers' allow lists (not the ceiling) are listed here, with why.
    const closedByAllowListOnly = new Set([
      'lambda-update-function-code',
      'lambda-update-function-configuration',
      'glue-update-dev-endpoint',
      'cloudformation-update-stack',
      'codebuild-start-build-override',
      'sagemaker-presigned-notebook-url',
      'ec2-modify-user-data',
    ]);
    for (const path of ESCALATION_CATALOGUE) {
      if (closedByAllowListOnly.has(path.id)) continue;
      // With everything allowed, a path is closed when the ceiling explicitly denies one of its steps.
      const decisions: string[] = [];
      for (const check of path.checks) {
        const decision = await simulate(
          { identity: [everything, denyCeilingPolicy(config)] },
          {
            principal: principalFor('AgentElevated-Deploy'),
            action: check.action,
            resource: check.resource.replaceAll('{account}', WORKLOAD),
            ...(check.context ? { context: { ...check.context } as Record<string, string> } : {}),
          },
        );
        decisions.push(decision);
      }
      if (!decisions.includes('ExplicitlyDenied')) open.push(`${path.id}: ${decisions.join(', ')}`);
    }
    expect(open).toEqual([]);
  });

  it('lets the security tier create a role that carries the boundary', async () => {
    expect(
      await simulate(tierPolicies('security'), {
        principal: principalFor('AgentElevated-Security'),
        action: 'iam:CreateRole',
        resource: `arn:aws:iam::${WORKLOAD}:role/jit-workload/app`,
        context: { 'iam:PermissionsBoundary': boundaryPolicyArn(WORKLOAD) },
      }),
    ).toBe('Allowed');
  });

  it('refuses the security tier a role without the boundary', async () => {
    expect(
      await simulate(tierPolicies('security'), {
        principal: principalFor('AgentElevated-Security'),
        action: 'iam:CreateRole',
        resource: `arn:aws:iam::${WORKLOAD}:role/jit-workload/app`,
      }),
    ).toBe('ExplicitlyDenied');
  });

  it('refuses any tier a change to the elevated roles themselves', async () => {
    expect(
      await simulate(tierPolicies('security'), {
        principal: principalFor('AgentElevated-Security'),
        action: 'iam:AttachRolePolicy',
        resource: `arn:aws:iam::${WORKLOAD}:role/AgentElevated-Ops`,
        context: { 'iam:PermissionsBoundary': boundaryPolicyArn(WORKLOAD) },
      }),
    ).toBe('ExplicitlyDenied');
  });

  it('lets the ops tier run commands only on instances tagged for it', async () => {
    const instance = `arn:aws:ec2:${REGION}:${WORKLOAD}:instance/i-0123456789abcdef0`;
    const principal = principalFor('AgentElevated-Ops');
    expect(
      await simulate(tierPolicies('ops'), {
        principal,
        action: 'ssm:SendCommand',
        resource: instance,
        context: { 'aws:ResourceTag/jit:exec-allowed': 'true' },
      }),
    ).toBe('Allowed');
    expect(await simulate(tierPolicies('ops'), { principal, action: 'ssm:SendCommand', resource: instance })).toBe(
      'ExplicitlyDenied',
    );
  });

  it('caps what a role created under the boundary can do by the same ceiling', async () => {
    const adminInline: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
    };
    const created = { identity: [adminInline], boundary: securityBoundaryPolicy(config) };
    const principal = assumedRoleArn(WORKLOAD, 'app', 's');
    expect(await simulate(created, { principal, action: 's3:GetObject', resource: 'arn:aws:s3:::app/x' })).toBe(
      'Allowed',
    );
    expect(
      await simulate(created, {
        principal,
        action: 'iam:CreateAccessKey',
        resource: `arn:aws:iam::${WORKLOAD}:user/admin`,
      }),
    ).toBe('ExplicitlyDenied');
  });
});

describe("a tier role's permissions boundary is its own tier policy (decision 0007)", () => {
  // JitRevoker may put any inline policy on a tier role: IAM has no condition key on an inline
  // policy's name or content. This is what it could put there.
  const inlineAllowAll: PolicyDocument = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
  };
  const widened = (tier: string, bounded: boolean, ...more: PolicyDocument[]) => ({
    identity: [tierPermissionsPolicy(config, tier), denyCeilingPolicy(config), inlineAllowAll, ...more],
    ...(bounded ? { boundary: tierPermissionsPolicy(config, tier) } : {}),
  });
  const principal = (tier: string) =>
    assumedRoleArn(
      WORKLOAD,
      config.tiers.find((t) => t.name === tier)?.roleName ?? '',
      'jit-01JQ0000000000000000000000',
    );
  const sourceIdentity = { 'aws:SourceIdentity': 'jit-01JQ0000000000000000000000' };

  it.each([
    ['ops', 'iam:CreateRole', `arn:aws:iam::${WORKLOAD}:role/jit-workload/backdoor`],
    ['ops', 'dynamodb:DeleteTable', `arn:aws:dynamodb:${REGION}:${WORKLOAD}:table/orders`],
    ['deploy', 'ec2:RunInstances', `arn:aws:ec2:${REGION}:${WORKLOAD}:instance/i-1`],
    ['security', 's3:GetObject', 'arn:aws:s3:::customer-data/export.csv'],
  ])(
    'keeps an inline Allow * on the %s role from %s, which it would reach without the boundary',
    async (tier, action, resource) => {
      // With the workload boundary, on the passable path: the ceiling lets iam:CreateRole through.
      const context =
        action === 'iam:CreateRole'
          ? { ...sourceIdentity, 'iam:PermissionsBoundary': boundaryPolicyArn(WORKLOAD) }
          : sourceIdentity;
      const request = { principal: principal(tier), action, resource, context };
      expect(await simulate(widened(tier, true), request)).toBe('ImplicitlyDenied');
      expect(await simulate(widened(tier, false), request)).toBe('Allowed');
    },
  );

  it('leaves each tier its own work, and a revocation deny still stops it (a boundary never limits a deny)', async () => {
    for (const [tier, action, resource] of [
      ['ops', 'ec2:DescribeInstances', '*'],
      ['deploy', 'ecs:UpdateService', `arn:aws:ecs:${REGION}:${WORKLOAD}:service/prod/api`],
      ['security', 'ec2:AuthorizeSecurityGroupIngress', `arn:aws:ec2:${REGION}:${WORKLOAD}:security-group/sg-1`],
    ] as const) {
      const request = { principal: principal(tier), action, resource, context: sourceIdentity };
      expect(await simulate(widened(tier, true), request), tier).toBe('Allowed');
      const revoked = widened(tier, true, revokeGrantPolicy('jit-01JQ0000000000000000000000'));
      expect(await simulate(revoked, request), tier).toBe('ExplicitlyDenied');
    }
  });
});

describe('the elevated roles trust only approvers with a jit- source identity', () => {
  const role = `arn:aws:iam::${WORKLOAD}:role/AgentElevated-Ops`;
  // Cross-account: the caller's own identity policy must allow sts:AssumeRole too; give every
  // caller that allow so that the trust policy alone decides.
  const callerMayAssume: PolicyDocument = {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'], Resource: '*' },
    ],
  };
  const trust = () => ({ identity: [callerMayAssume], resource: elevatedRoleTrustPolicy(config) });
  const approver = `arn:aws:iam::${HUB}:role/JitApprover`;
  const mfa = { 'aws:MultiFactorAuthPresent': 'true' };

  it('lets an approver assume with a jit- source identity (signed in with MFA)', async () => {
    expect(
      await simulate(trust(), {
        principal: approver,
        action: 'sts:AssumeRole',
        resource: role,
        context: { 'sts:SourceIdentity': 'jit-01JQ0000000000000000000000', 'aws:PrincipalArn': approver, ...mfa },
      }),
    ).toBe('Allowed');
  });

  it('refuses an approver without a source identity', async () => {
    expect(
      await simulate(trust(), {
        principal: approver,
        action: 'sts:AssumeRole',
        resource: role,
        context: { 'aws:PrincipalArn': approver, ...mfa },
      }),
    ).not.toBe('Allowed');
  });

  it('refuses the agent, whatever its source identity', async () => {
    expect(
      await simulate(trust(), {
        principal: agent,
        action: 'sts:AssumeRole',
        resource: role,
        context: { 'sts:SourceIdentity': 'jit-01JQ0000000000000000000000', 'aws:PrincipalArn': agent, ...mfa },
      }),
    ).not.toBe('Allowed');
  });
});

describe('approvers.requireMfa: IAM users and roles need an MFA session, IAM Identity Center roles do not (decision 0008)', () => {
  const tierRole = `arn:aws:iam::${WORKLOAD}:role/AgentElevated-Ops`;
  const revoker = `arn:aws:iam::${WORKLOAD}:role/JitRevoker`;
  const callerMayAssume: PolicyDocument = {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'], Resource: '*' },
    ],
  };
  const SI = 'jit-01JQ0000000000000000000000';
  type Mfa = 'absent' | 'true' | 'false';
  interface Approver {
    readonly label: string;
    /** The request's principal: the user, or the role session. */
    readonly principal: string;
    /** aws:PrincipalArn: the user or the role, path included. */
    readonly principalArn: string;
  }
  const iamUser: Approver = {
    label: 'IAM user jit-approver',
    principal: `arn:aws:iam::${HUB}:user/jit-approver`,
    principalArn: `arn:aws:iam::${HUB}:user/jit-approver`,
  };
  const iamRole: Approver = {
    label: 'IAM role JitApprover',
    principal: assumedRoleArn(HUB, 'JitApprover', 'alice'),
    principalArn: `arn:aws:iam::${HUB}:role/JitApprover`,
  };
  const ssoRegional: Approver = {
    label: 'IAM Identity Center session (regional path)',
    principal: assumedRoleArn(HUB, 'AWSReservedSSO_JitApprover_0123456789abcdef', 'alice'),
    principalArn: `arn:aws:iam::${HUB}:role/aws-reserved/sso.amazonaws.com/${REGION}/AWSReservedSSO_JitApprover_0123456789abcdef`,
  };
  const ssoGlobal: Approver = {
    label: 'IAM Identity Center session (path without region)',
    principal: assumedRoleArn(HUB, 'AWSReservedSSO_JitApprover_0123456789abcdef', 'alice'),
    principalArn: `arn:aws:iam::${HUB}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_JitApprover_0123456789abcdef`,
  };
  // A role someone named like an Identity Center one, outside its path: not an approver at all.
  const lookalike: Approver = {
    label: 'a role named AWSReservedSSO_… outside the Identity Center path',
    principal: assumedRoleArn(HUB, 'AWSReservedSSO_JitApprover_0123456789abcdef', 'mallory'),
    principalArn: `arn:aws:iam::${HUB}:role/AWSReservedSSO_JitApprover_0123456789abcdef`,
  };

  const withRequireMfa = (requireMfa: boolean): JitConfig => ({
    ...config,
    approvers: { ...config.approvers, requireMfa },
  });
  const decide = (
    trustPolicy: PolicyDocument,
    who: Approver,
    options: { mfa: Mfa; sourceIdentity?: string; action?: string; resource?: string },
  ) =>
    simulate(
      { identity: [callerMayAssume], resource: trustPolicy },
      {
        principal: who.principal,
        action: options.action ?? 'sts:AssumeRole',
        resource: options.resource ?? tierRole,
        context: {
          'aws:PrincipalArn': who.principalArn,
          ...(options.sourceIdentity === undefined ? {} : { 'sts:SourceIdentity': options.sourceIdentity }),
          ...(options.mfa === 'absent' ? {} : { 'aws:MultiFactorAuthPresent': options.mfa }),
        },
      },
    );

  describe('on (the default), the tier roles', () => {
    const policy = () => elevatedRoleTrustPolicy(withRequireMfa(true));

    it.each([iamUser, iamRole])(
      'refuse $label signed with long-term keys (aws:MultiFactorAuthPresent absent)',
      async (who) => {
        expect(await decide(policy(), who, { mfa: 'absent', sourceIdentity: SI })).toBe('ImplicitlyDenied');
        expect(
          await decide(policy(), who, { mfa: 'absent', sourceIdentity: SI, action: 'sts:SetSourceIdentity' }),
        ).toBe('ImplicitlyDenied');
      },
    );

    it.each([iamUser, iamRole])(
      'refuse $label in a session without MFA (aws:MultiFactorAuthPresent false)',
      async (who) => {
        expect(await decide(policy(), who, { mfa: 'false', sourceIdentity: SI })).toBe('ImplicitlyDenied');
      },
    );

    it.each([iamUser, iamRole])('let $label in from a session made with MFA', async (who) => {
      expect(await decide(policy(), who, { mfa: 'true', sourceIdentity: SI })).toBe('Allowed');
      expect(await decide(policy(), who, { mfa: 'true', sourceIdentity: SI, action: 'sts:SetSourceIdentity' })).toBe(
        'Allowed',
      );
    });

    it.each([ssoRegional, ssoGlobal])('let an $label in without the MFA key, or with it false', async (who) => {
      expect(await decide(policy(), who, { mfa: 'absent', sourceIdentity: SI })).toBe('Allowed');
      expect(await decide(policy(), who, { mfa: 'false', sourceIdentity: SI })).toBe('Allowed');
    });

    it.each([iamUser, iamRole, ssoRegional])('still refuse $label without a jit- source identity', async (who) => {
      expect(await decide(policy(), who, { mfa: 'true' })).toBe('ImplicitlyDenied');
      expect(await decide(policy(), who, { mfa: 'true', sourceIdentity: 'alice' })).toBe('ImplicitlyDenied');
    });

    it('refuse a role that only looks like an Identity Center one, with MFA or without', async () => {
      expect(await decide(policy(), lookalike, { mfa: 'absent', sourceIdentity: SI })).toBe('ImplicitlyDenied');
      expect(await decide(policy(), lookalike, { mfa: 'true', sourceIdentity: SI })).toBe('ImplicitlyDenied');
    });

    it('refuse the agent even from an MFA session with a jit- source identity', async () => {
      const agentUser: Approver = { label: 'agent', principal: agent, principalArn: agent };
      expect(await decide(policy(), agentUser, { mfa: 'true', sourceIdentity: SI })).toBe('ImplicitlyDenied');
    });

    it('keep the source identity condition on both statements, and the MFA condition on the IAM one only', () => {
      const assume = policy().Statement.filter((s) => [s.Action ?? []].flat().includes('sts:AssumeRole'));
      expect(assume.map((s) => s.Sid)).toEqual([
        'ApproversAssumeWithJitSourceIdentityViaIdentityCenter',
        'ApproversAssumeWithJitSourceIdentityWithMfa',
      ]);
      for (const s of assume) expect(s.Condition?.StringLike).toEqual({ 'sts:SourceIdentity': 'jit-*' });
      expect(assume[0]?.Condition?.Bool).toBeUndefined();
      expect(assume[1]?.Condition?.Bool).toEqual({ 'aws:MultiFactorAuthPresent': 'true' });
    });
  });

  describe('on, JitRevoker (it can delete revocation denies)', () => {
    const policy = () => revokerTrustPolicy(withRequireMfa(true));

    it.each([iamUser, iamRole])('refuses $label without MFA and lets it in with MFA', async (who) => {
      expect(await decide(policy(), who, { mfa: 'absent', resource: revoker })).toBe('ImplicitlyDenied');
      expect(await decide(policy(), who, { mfa: 'false', resource: revoker })).toBe('ImplicitlyDenied');
      expect(await decide(policy(), who, { mfa: 'true', resource: revoker })).toBe('Allowed');
    });

    it('lets an IAM Identity Center session in without the MFA key', async () => {
      expect(await decide(policy(), ssoRegional, { mfa: 'absent', resource: revoker })).toBe('Allowed');
    });
  });

  describe('off: as before the option existed', () => {
    const config0 = () => withRequireMfa(false);

    it.each([iamUser, iamRole, ssoRegional])('let $label in without MFA, with a jit- source identity', async (who) => {
      expect(await decide(elevatedRoleTrustPolicy(config0()), who, { mfa: 'absent', sourceIdentity: SI })).toBe(
        'Allowed',
      );
      expect(await decide(revokerTrustPolicy(config0()), who, { mfa: 'absent', resource: revoker })).toBe('Allowed');
    });

    it('still refuse an approver without a jit- source identity', async () => {
      expect(await decide(elevatedRoleTrustPolicy(config0()), iamUser, { mfa: 'absent' })).toBe('ImplicitlyDenied');
    });

    it('write one approver statement per trust policy, with no MFA condition', () => {
      const tier = elevatedRoleTrustPolicy(config0());
      expect(tier.Statement.map((s) => s.Sid)).toEqual([
        'ApproversAssumeWithJitSourceIdentity',
        'ApproversTagJitSessions',
      ]);
      expect(revokerTrustPolicy(config0()).Statement.map((s) => s.Sid)).toEqual(['ApproversRevoke']);
      expect(JSON.stringify([tier, revokerTrustPolicy(config0())])).not.toContain('MultiFactorAuthPresent');
    });
  });
});

describe('session and revocation policies', () => {
  const role = () => ({ identity: [tierPermissionsPolicy(config, 'security'), denyCeilingPolicy(config)] });
  const principal = assumedRoleArn(WORKLOAD, 'AgentElevated-Security', 'jit-01JQ0000000000000000000000');
  const start = new Date('2026-03-25T12:00:00Z');
  const at = (minutes: number) => new Date(start.getTime() + minutes * 60_000).toISOString();

  it('allows a tier action at minute 4 of a 5-minute window and denies it at minute 6', async () => {
    const session = windowSessionPolicy({ until: new Date(at(5)) });
    const call = { principal, action: 'ec2:DescribeSecurityGroups', resource: '*' };
    expect(await simulate({ ...role(), session }, { ...call, context: { 'aws:CurrentTime': at(4) } })).toBe('Allowed');
    expect(await simulate({ ...role(), session }, { ...call, context: { 'aws:CurrentTime': at(6) } })).not.toBe(
      'Allowed',
    );
  });

  it('narrows a grant to the scoped resources', async () => {
    const opsRole = { identity: [tierPermissionsPolicy(config, 'ops'), denyCeilingPolicy(config)] };
    const session = windowSessionPolicy({ until: new Date(at(15)), scope: ['arn:aws:s3:::app-bucket/*'] });
    const ctx = { 'aws:CurrentTime': at(1) };
    expect(
      await simulate(
        { ...opsRole, session },
        { principal, action: 's3:GetObject', resource: 'arn:aws:s3:::app-bucket/a', context: ctx },
      ),
    ).toBe('Allowed');
    expect(
      await simulate(
        { ...opsRole, session },
        { principal, action: 's3:GetObject', resource: 'arn:aws:s3:::other/a', context: ctx },
      ),
    ).not.toBe('Allowed');
  });

  it('refuses a session policy over the STS size limit', () => {
    const scope = Array.from({ length: 60 }, (_, i) => `arn:aws:s3:::bucket-number-${i}/*`);
    expect(() => windowSessionPolicy({ until: new Date(at(5)), scope })).toThrow(/2048/);
  });

  it('revokes one grant by source identity and leaves another grant alone', async () => {
    const revoke = revokeGrantPolicy('jit-01JQAAAAAAAAAAAAAAAAAAAAAA');
    const policies = { identity: [...role().identity, revoke] };
    const call = { action: 'ec2:DescribeSecurityGroups', resource: '*' };
    expect(
      await simulate(policies, {
        ...call,
        principal,
        context: { 'aws:SourceIdentity': 'jit-01JQAAAAAAAAAAAAAAAAAAAAAA' },
      }),
    ).toBe('ExplicitlyDenied');
    expect(
      await simulate(policies, {
        ...call,
        principal,
        context: { 'aws:SourceIdentity': 'jit-01JQBBBBBBBBBBBBBBBBBBBBBB' },
      }),
    ).toBe('Allowed');
  });

  it('revokes every session issued before the cut-off and none issued after', async () => {
    const cutoff = new Date(at(10));
    const policies = { identity: [...role().identity, revokeAllSessionsPolicy(cutoff)] };
    const call = { principal, action: 'ec2:DescribeSecurityGroups', resource: '*' };
    expect(await simulate(policies, { ...call, context: { 'aws:TokenIssueTime': at(9) } })).toBe('ExplicitlyDenied');
    expect(await simulate(policies, { ...call, context: { 'aws:TokenIssueTime': at(11) } })).toBe('Allowed');
  });
});
