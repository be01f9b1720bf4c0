import {
  boundaryPolicyArn,
  type JitConfig,
  MANAGED_POLICY_NAMES,
  type PolicyDocument,
  REVOKER_ROLE_NAME,
  revokeGrantPolicy,
  type Tier,
  tierPermissionsPolicy,
} from '@jit-access/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type Caller,
  type CheckResult,
  evaluate,
  formatFailures,
  type GateWorlds,
  type IamWorld,
  outsideTierSamples,
  SAMPLE_SOURCE_IDENTITY,
  type StackTemplate,
  tierBoundaryExpectations,
  tierWorkSample,
} from '../../src/gates/index.js';
import { exampleConfig } from '../support/fixtures.js';
import { cloneTemplates, findProps, resourcesOf, synthesizedTemplates, worldsOf } from '../support/world.js';

// Decision 0007: JitRevoker can put any inline policy on a tier role (IAM has no condition key on an
// inline policy's name or content), so every tier role carries its own tier policy as permissions
// boundary. Simulated on the policies as synthesized, per account and in the StackSet template.
let config: JitConfig;
let templates: StackTemplate[];
let worlds: GateWorlds;

const ALLOW_EVERYTHING: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
};
const TIERS = ['ops', 'deploy', 'security'] as const;
const BOUNDARY_MOVES = [
  'iam:PutRolePermissionsBoundary',
  'iam:DeleteRolePermissionsBoundary',
  'iam:AttachRolePolicy',
  'iam:DetachRolePolicy',
] as const;
const POLICY_CHANGES = [
  'iam:CreatePolicyVersion',
  'iam:SetDefaultPolicyVersion',
  'iam:DeletePolicyVersion',
  'iam:DeletePolicy',
] as const;

beforeAll(async () => {
  config = await exampleConfig();
  templates = await synthesizedTemplates(config, 'tier-boundary');
  worlds = worldsOf(config, templates);
}, 300_000);

type Json = Record<string, unknown>;

function everyWorld(w: GateWorlds): [string, IamWorld][] {
  if (!w.stackSet) throw new Error('no StackSet template was synthesized');
  return [
    ['per-account stacks', w.accounts],
    ['StackSet template', w.stackSet],
  ];
}

function tierNamed(name: string): Tier {
  const tier = config.tiers.find((t) => t.name === name);
  if (!tier) throw new Error(`accounts/ has no tier ${name}`);
  return tier;
}

function rolesNamed(world: IamWorld, roleName: string): { arn: string; account: string }[] {
  const roles = world.model.principals
    .filter((p) => p.kind === 'role' && p.name === roleName)
    .map((p) => ({ arn: p.arn, account: p.account }));
  if (roles.length === 0) throw new Error(`no ${roleName} in the templates`);
  return roles;
}

/** A session of a tier role with an inline `Allow *` on the role: what a compromised JitRevoker can put there. */
function widened(world: IamWorld, roleArn: string, ...more: PolicyDocument[]): Caller {
  return world.session(roleArn, { sourceIdentity: SAMPLE_SOURCE_IDENTITY, extraIdentity: [ALLOW_EVERYTHING, ...more] });
}

/** The same caller as if its role had no permissions boundary. */
function unbounded(caller: Caller): Caller {
  const { boundary, ...rest } = caller;
  return boundary === undefined ? caller : rest;
}

function tierRoleProps(resources: Record<string, Json>): Json[] {
  const names = new Set(config.tiers.map((t) => t.roleName));
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Role' && names.has(String((r.Properties as Json).RoleName)))
    .map((r) => r.Properties as Json);
}

function workloadStackNames(t: readonly StackTemplate[]): string[] {
  return t.filter((x) => x.stackName.startsWith('Jit-Workload-')).map((x) => x.stackName);
}

function failureLines(result: CheckResult, pattern: RegExp): string[] {
  return result.failures
    .map((f) => `${f.caller} ${f.action} ${f.resource}: expected ${f.expected}, got ${f.actual}`)
    .filter((line) => pattern.test(line));
}

describe('the tier roles as synthesized', () => {
  it('carry their own tier policy as permissions boundary, in every workload stack and the StackSet template', () => {
    const stacks = workloadStackNames(templates);
    expect(stacks).toContain('Jit-Workload-StackSet');
    let roles = 0;
    for (const stackName of stacks) {
      const resources = resourcesOf(templates, stackName);
      for (const role of tierRoleProps(resources)) {
        const tier = config.tiers.find((t) => t.roleName === role.RoleName);
        const ref = (role.PermissionsBoundary as { Ref?: string } | undefined)?.Ref;
        expect(ref, `${stackName} ${String(role.RoleName)} has no boundary`).toBeDefined();
        const policy = resources[ref ?? '']?.Properties as Json | undefined;
        expect(policy?.ManagedPolicyName).toBe(MANAGED_POLICY_NAMES.tier(tier?.name ?? ''));
        // Exactly the tier's allowed actions, and the same policy the role is given.
        expect(policy?.PolicyDocument).toEqual(tierPermissionsPolicy(config, tier?.name ?? ''));
        expect(role.ManagedPolicyArns).toContainEqual({ Ref: ref });
        roles++;
      }
    }
    // staging 3, production 3, identity 2, StackSet 3.
    expect(roles).toBe(11);
  });
});

describe('an inline Allow * on a tier role (what a compromised JitRevoker can put there)', () => {
  it.each(TIERS)('reaches nothing outside the %s tier, where without the boundary it would', async (name) => {
    const tier = tierNamed(name);
    let checked = 0;
    for (const [label, world] of everyWorld(worlds)) {
      for (const role of rolesNamed(world, tier.roleName)) {
        const samples = outsideTierSamples(config, tier, role.account);
        expect(samples.length).toBeGreaterThanOrEqual(4);
        for (const s of samples) {
          const where = `${label}: ${role.arn} ${s.action}`;
          expect(await world.decide(widened(world, role.arn), s.action, s.resource, s.context), where).toBe(
            'ImplicitlyDenied',
          );
          // The control: the ceiling leaves the call alone, so the boundary is what stops it.
          expect(await world.decide(unbounded(widened(world, role.arn)), s.action, s.resource, s.context), where).toBe(
            'Allowed',
          );
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(4 * (rolesNamed(worlds.accounts, tier.roleName).length + 1));
  });

  it('keeps the ops tier from iam:CreateRole even on the passable path with the workload boundary (the ceiling allows that)', async () => {
    const w = worlds.accounts;
    const [role] = rolesNamed(w, tierNamed('ops').roleName);
    if (!role) throw new Error('no ops role');
    const request = [
      'iam:CreateRole',
      `arn:aws:iam::${role.account}:role${config.passableRolePath}backdoor`,
      { 'iam:PermissionsBoundary': boundaryPolicyArn(role.account) },
    ] as const;
    expect(await w.decide(widened(w, role.arn), ...request)).toBe('ImplicitlyDenied');
    expect(await w.decide(unbounded(widened(w, role.arn)), ...request)).toBe('Allowed');
  });

  it.each(TIERS)('leaves the %s tier its own work, and a revocation deny still stops it', async (name) => {
    const tier = tierNamed(name);
    for (const [label, world] of everyWorld(worlds)) {
      for (const role of rolesNamed(world, tier.roleName)) {
        const sample = await tierWorkSample(config, tier, role.account);
        if (!sample) throw new Error(`tier ${name} has no action outside the ceiling`);
        const where = `${label}: ${role.arn} ${sample.action}`;
        expect(await world.decide(widened(world, role.arn), sample.action, sample.resource), where).toBe('Allowed');
        const revoked = widened(world, role.arn, revokeGrantPolicy(SAMPLE_SOURCE_IDENTITY));
        expect(await world.decide(revoked, sample.action, sample.resource), where).toBe('ExplicitlyDenied');
      }
    }
  });
});

describe('nobody in the approver path can move the boundary', () => {
  it("JitRevoker cannot put, delete or swap a tier role's boundary, attach or detach its policies, or change a Jit* policy", async () => {
    let checked = 0;
    for (const [label, world] of everyWorld(worlds)) {
      for (const revoker of rolesNamed(world, REVOKER_ROLE_NAME)) {
        const session = world.session(revoker.arn, { sessionName: 'revoker-alice' });
        for (const name of TIERS) {
          const role = `arn:aws:iam::${revoker.account}:role/${tierNamed(name).roleName}`;
          if (!world.model.principals.some((p) => p.arn === role)) continue;
          // The control: the revoker does reach the role, for the inline denies it exists for.
          expect(await world.decide(session, 'iam:PutRolePolicy', role), `${label}: ${role}`).toBe('Allowed');
          for (const action of BOUNDARY_MOVES) {
            for (const context of [{}, { 'iam:PermissionsBoundary': boundaryPolicyArn(revoker.account) }]) {
              expect(await world.decide(session, action, role, context), `${label}: ${action} ${role}`).not.toBe(
                'Allowed',
              );
              checked++;
            }
          }
        }
        for (const name of [
          ...config.tiers.map((t) => MANAGED_POLICY_NAMES.tier(t.name)),
          MANAGED_POLICY_NAMES.ceiling,
          MANAGED_POLICY_NAMES.boundary,
        ]) {
          const policy = `arn:aws:iam::${revoker.account}:policy/${name}`;
          for (const action of POLICY_CHANGES) {
            expect(await world.decide(session, action, policy), `${label}: ${action} ${policy}`).not.toBe('Allowed');
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(150);
  });

  it.each(TIERS)(
    'the %s tier cannot either, even with an inline Allow *: the ceiling denies it explicitly',
    async (name) => {
      const tier = tierNamed(name);
      for (const [label, world] of everyWorld(worlds)) {
        for (const role of rolesNamed(world, tier.roleName)) {
          const session = widened(world, role.arn);
          for (const action of BOUNDARY_MOVES) {
            for (const context of [{}, { 'iam:PermissionsBoundary': boundaryPolicyArn(role.account) }]) {
              expect(await world.decide(session, action, role.arn, context), `${label}: ${action}`).toBe(
                'ExplicitlyDenied',
              );
            }
          }
          const policy = `arn:aws:iam::${role.account}:policy/${MANAGED_POLICY_NAMES.tier(tier.name)}`;
          for (const action of POLICY_CHANGES) {
            expect(await world.decide(session, action, policy), `${label}: ${action}`).toBe('ExplicitlyDenied');
          }
        }
      }
    },
  );

  it('passes the whole tier-boundary gate, per account and in the StackSet template', async () => {
    for (const [label, world] of everyWorld(worlds)) {
      const result = await evaluate(world, label, await tierBoundaryExpectations(world, config));
      expect(formatFailures(result.failures)).toBe('');
      expect(result.checked).toBeGreaterThan(label === 'StackSet template' ? 200 : 600);
    }
  });
});

describe('the tier-boundary gate fails on a weakened template', () => {
  /** Drops the permissions boundary from every tier role of every workload stack. */
  function withoutBoundaries(): StackTemplate[] {
    const copy = cloneTemplates(templates);
    for (const stackName of workloadStackNames(copy)) {
      for (const role of tierRoleProps(resourcesOf(copy, stackName))) delete role.PermissionsBoundary;
    }
    return copy;
  }

  it.each(TIERS)(
    'catches the %s tier role without its boundary: the inline Allow * then reaches outside the tier',
    async (name) => {
      const tier = tierNamed(name);
      for (const [label, world] of everyWorld(worldsOf(config, withoutBoundaries()))) {
        const result = await evaluate(world, label, await tierBoundaryExpectations(world, config));
        const escaped = failureLines(result, new RegExp(`^${tier.roleName}/\\S+ \\S+ .*expected Denied, got Allowed`));
        expect(escaped.length, label).toBeGreaterThanOrEqual(4);
      }
    },
  );

  it("catches a boundary that is not the role's own tier policy (the security tier's on the ops role)", async () => {
    const copy = cloneTemplates(templates);
    const resources = resourcesOf(copy, 'Jit-Workload-staging');
    const ops = findProps(resources, 'AWS::IAM::Role', (p) => p.RoleName === tierNamed('ops').roleName);
    const security = Object.entries(resources).find(
      ([, r]) => (r.Properties as Json | undefined)?.ManagedPolicyName === MANAGED_POLICY_NAMES.tier('security'),
    )?.[0];
    ops.PermissionsBoundary = { Ref: security };
    const w = worldsOf(config, copy).accounts;
    const result = await evaluate(w, 'boundaries', await tierBoundaryExpectations(w, config));
    // Its own work is cut off, and what the security tier holds becomes reachable.
    expect(
      failureLines(result, /^AgentElevated-Ops\/\S+ ec2:\S+ .*expected Allowed, got ImplicitlyDenied/),
    ).toHaveLength(1);
    expect(failureLines(result, /^AgentElevated-Ops\/\S+ iam:CreateRole .*expected Denied, got Allowed/)).toHaveLength(
      1,
    );
  });

  it('catches a revoker that may move a boundary or change a policy', async () => {
    const copy = cloneTemplates(templates);
    const revoker = findProps(
      resourcesOf(copy, 'Jit-Workload-staging'),
      'AWS::IAM::ManagedPolicy',
      (p) => p.ManagedPolicyName === 'JitRevokeTierRoles',
    );
    (revoker.PolicyDocument as { Statement: Json[] }).Statement.push({
      Effect: 'Allow',
      Action: [
        'iam:PutRolePermissionsBoundary',
        'iam:DeleteRolePermissionsBoundary',
        'iam:AttachRolePolicy',
        'iam:CreatePolicyVersion',
      ],
      Resource: '*',
    });
    const w = worldsOf(config, copy).accounts;
    const result = await evaluate(w, 'boundaries', await tierBoundaryExpectations(w, config));
    for (const action of [
      'PutRolePermissionsBoundary',
      'DeleteRolePermissionsBoundary',
      'AttachRolePolicy',
      'CreatePolicyVersion',
    ]) {
      expect(
        failureLines(result, new RegExp(`^JitRevoker/\\S+ iam:${action} arn:aws:iam::111111111111:`)).length,
        action,
      ).toBeGreaterThan(0);
    }
    // Only the account whose revoker was widened.
    expect(failureLines(result, /^JitRevoker\/\S+ \S+ arn:aws:iam::(222222222222|333333333333):/)).toEqual([]);
  });

  it('catches a ceiling that no longer keeps the tiers off the Jit identities', async () => {
    const copy = cloneTemplates(templates);
    const ceiling = findProps(
      resourcesOf(copy, 'Jit-Workload-staging'),
      'AWS::IAM::ManagedPolicy',
      (p) => p.ManagedPolicyName === MANAGED_POLICY_NAMES.ceiling,
    );
    const doc = ceiling.PolicyDocument as { Statement: Json[] };
    doc.Statement = doc.Statement.filter((s) => s.Sid !== 'NeverChangeJitIdentities');
    const w = worldsOf(config, copy).accounts;
    const result = await evaluate(w, 'boundaries', await tierBoundaryExpectations(w, config));
    expect(
      failureLines(result, /^AgentElevated-\w+\/\S+ iam:PutRolePermissionsBoundary arn:aws:iam::111111111111:role\//)
        .length,
    ).toBeGreaterThan(0);
  });
});
