import type { JitConfig } from '@jit-access/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  agentBaseIdentityExpectations,
  agentCannotApproveExpectations,
  approverExpectations,
  type CheckResult,
  evaluate,
  formatFailures,
  type StackTemplate,
  tierBoundaryExpectations,
  tierExpectations,
  tierWorksAndRevocationExpectations,
  trustExpectations,
} from '../../src/gates/index.js';
import { exampleConfig } from '../support/fixtures.js';
import { cloneTemplates, findProps, resourcesOf, synthesizedTemplates, worldsOf } from '../support/world.js';

// Each test weakens one policy in a copy of the synthesized templates and shows the gate fails:
// the IAM gates are tests that can fail, not a list that always passes.
let config: JitConfig;
let original: StackTemplate[];

beforeAll(async () => {
  const example = await exampleConfig();
  // With a webhook whose signing secret jit-grant reads: the one secret approvers may read.
  config = {
    ...example,
    notifications: [
      ...example.notifications,
      {
        kind: 'webhook',
        url: 'https://hooks.example.com/jit',
        secret: { secretId: 'jit/webhook-signing' },
        timeoutMs: 5000,
        retries: 2,
      },
    ],
  };
  original = await synthesizedTemplates(config, 'iam-mutations');
}, 300_000);

type Json = Record<string, unknown>;
type Statement = Json & { Sid?: string; Condition?: Json };

function statements(doc: unknown): Statement[] {
  return (doc as { Statement: Statement[] }).Statement;
}

/** Keeps only the hub, the log archive and one workload account's stack: enough for each check, and quick. */
function slim(templates: StackTemplate[]): StackTemplate[] {
  return templates.filter((t) =>
    ['Jit-Hub', 'Jit-LogArchive', 'Jit-Workload-staging', 'Jit-Report'].includes(t.stackName),
  );
}

function failuresMatching(result: CheckResult, pattern: RegExp): number {
  return result.failures.filter((f) => pattern.test(`${f.caller} ${f.action} ${f.resource} ${f.why}`)).length;
}

describe('the IAM gates on the templates as synthesized', () => {
  it('let approvers read the webhook signing secret, and still no agent secret', async () => {
    const w = worldsOf(config, slim(original)).accounts;
    const result = await evaluate(w, 'approvers', approverExpectations(w, config));
    expect(formatFailures(result.failures)).toBe('');
    expect(result.checked).toBeGreaterThan(100);
  });

  it('count a request the simulator refuses as a failure, never as denied', async () => {
    const w = worldsOf(config, slim(original)).accounts;
    const caller = w.user(`arn:aws:iam::${config.hub.id}:user/jit-agent`);
    const result = await evaluate(w, 'typo', [
      { caller, action: 's3:GetObjekt', resource: 'arn:aws:s3:::b/k', expect: 'Denied', why: 'a typo must not pass' },
    ]);
    expect(result.failures).toHaveLength(1);
    expect(result.failures[0]?.actual).toMatch(/^error: /);
  });

  it('reach the same decisions when memoized across accounts, with fewer simulations', async () => {
    const plain = worldsOf(config, original).accounts;
    const memo = worldsOf(config, original, { memoizeAcrossAccounts: true }).accounts;
    const a = await evaluate(plain, 'plain', await tierWorksAndRevocationExpectations(plain, config));
    const b = await evaluate(memo, 'memo', await tierWorksAndRevocationExpectations(memo, config));
    expect(b).toEqual({ ...a, name: 'memo' });
    expect(memo.stats.simulated).toBeLessThan(memo.stats.requested);
    expect(plain.stats.simulated).toBe(plain.stats.requested);
  });
});

describe('the IAM gates fail on a weakened template', () => {
  it('catches a ceiling without its audit-trail statement', async () => {
    const templates = cloneTemplates(slim(original));
    const ceiling = findProps(
      resourcesOf(templates, 'Jit-Workload-staging'),
      'AWS::IAM::ManagedPolicy',
      (p) => p.ManagedPolicyName === 'JitDenyCeiling',
    );
    const doc = ceiling.PolicyDocument as { Statement: Statement[] };
    doc.Statement = doc.Statement.filter((s) => s.Sid !== 'NeverTouchAuditTrail');
    const w = worldsOf(config, templates).accounts;
    const result = await evaluate(w, 'ceiling', await tierExpectations(w, config));
    expect(failuresMatching(result, /cloudtrail:StopLogging .*NeverTouchAuditTrail/)).toBeGreaterThan(0);
  });

  it('catches a secret that lets the agent read AWSPREVIOUS', async () => {
    const templates = cloneTemplates(slim(original));
    const hub = resourcesOf(templates, 'Jit-Hub');
    for (const r of Object.values(hub)) {
      const props = r.Properties as Json | undefined;
      if (r.Type === 'AWS::SecretsManager::ResourcePolicy' && props) {
        const doc = props.ResourcePolicy as { Statement: Statement[] };
        doc.Statement = doc.Statement.filter((s) => s.Sid !== 'OnlyTheCurrentStageIsReadable');
      }
    }
    const base = findProps(hub, 'AWS::IAM::ManagedPolicy', (p) => p.ManagedPolicyName === 'JitAgentBase');
    delete statements(base.PolicyDocument)[0]?.Condition;
    const w = worldsOf(config, templates).accounts;
    const result = await evaluate(w, 'agent', await agentBaseIdentityExpectations(w, config));
    expect(failuresMatching(result, /GetSecretValue/)).toBeGreaterThan(0);
    expect(result.failures.some((f) => JSON.stringify(f.context ?? {}).includes('AWSPREVIOUS'))).toBe(true);
  });

  it('catches an agent policy that can write its own secret (and the secret policy that would let it)', async () => {
    const templates = cloneTemplates(slim(original));
    const hub = resourcesOf(templates, 'Jit-Hub');
    const base = findProps(hub, 'AWS::IAM::ManagedPolicy', (p) => p.ManagedPolicyName === 'JitAgentBase');
    statements(base.PolicyDocument).push({ Effect: 'Allow', Action: 'secretsmanager:PutSecretValue', Resource: '*' });
    for (const r of Object.values(hub)) {
      const props = r.Properties as Json | undefined;
      if (r.Type === 'AWS::SecretsManager::ResourcePolicy' && props) {
        const doc = props.ResourcePolicy as { Statement: Statement[] };
        doc.Statement = doc.Statement.filter((s) => s.Sid !== 'TheAgentOnlyReads');
      }
    }
    const w = worldsOf(config, templates).accounts;
    const result = await evaluate(w, 'agent', agentCannotApproveExpectations(w, config));
    expect(failuresMatching(result, /jit-agent secretsmanager:PutSecretValue/)).toBeGreaterThan(0);
  });

  it('catches a tier role whose trust policy no longer insists on a jit- source identity', async () => {
    const templates = cloneTemplates(slim(original));
    const role = findProps(
      resourcesOf(templates, 'Jit-Workload-staging'),
      'AWS::IAM::Role',
      (p) => p.RoleName === 'AgentElevated-Ops',
    );
    for (const s of statements(role.AssumeRolePolicyDocument)) delete (s.Condition as Json | undefined)?.StringLike;
    const w = worldsOf(config, templates).accounts;
    const result = await evaluate(w, 'trust', trustExpectations(w, config));
    expect(
      failuresMatching(result, /sts:AssumeRole arn:aws:iam::111111111111:role\/AgentElevated-Ops/),
    ).toBeGreaterThan(0);
  });

  it('catches a tier role trust policy that lets IAM users and roles approve without MFA', async () => {
    const templates = cloneTemplates(slim(original));
    const role = findProps(
      resourcesOf(templates, 'Jit-Workload-staging'),
      'AWS::IAM::Role',
      (p) => p.RoleName === 'AgentElevated-Ops',
    );
    const withMfa = statements(role.AssumeRolePolicyDocument).filter((s) => s.Condition?.Bool !== undefined);
    expect(withMfa.map((s) => s.Sid)).toEqual(['ApproversAssumeWithJitSourceIdentityWithMfa']);
    for (const s of withMfa) delete s.Condition?.Bool;
    const w = worldsOf(config, templates).accounts;
    const result = await evaluate(w, 'trust', trustExpectations(w, config));
    const ops = /\(MFA (absent|false)\) sts:AssumeRole arn:aws:iam::111111111111:role\/AgentElevated-Ops .*requireMfa/;
    expect(failuresMatching(result, ops)).toBe(4);
    expect(result.failures.every((f) => /AgentElevated-Ops/.test(f.resource))).toBe(true);
  });

  it('catches a trust policy that asks MFA of IAM Identity Center sessions (IAM never marks them so)', async () => {
    const templates = cloneTemplates(slim(original));
    const role = findProps(
      resourcesOf(templates, 'Jit-Workload-staging'),
      'AWS::IAM::Role',
      (p) => p.RoleName === 'AgentElevated-Ops',
    );
    const sso = statements(role.AssumeRolePolicyDocument).find(
      (s) => s.Sid === 'ApproversAssumeWithJitSourceIdentityViaIdentityCenter',
    );
    if (!sso?.Condition) throw new Error('no Identity Center statement in the trust policy');
    sso.Condition.Bool = { 'aws:MultiFactorAuthPresent': 'true' };
    const w = worldsOf(config, templates).accounts;
    const result = await evaluate(w, 'trust', trustExpectations(w, config));
    expect(
      failuresMatching(result, /AWSReservedSSO_JitApprover_.* sts:AssumeRole .*AgentElevated-Ops/),
    ).toBeGreaterThan(0);
  });

  it('catches a revoker trust policy that lets IAM users and roles in without MFA', async () => {
    const templates = cloneTemplates(slim(original));
    const revoker = findProps(
      resourcesOf(templates, 'Jit-Workload-staging'),
      'AWS::IAM::Role',
      (p) => p.RoleName === 'JitRevoker',
    );
    for (const s of statements(revoker.AssumeRolePolicyDocument)) delete s.Condition?.Bool;
    const w = worldsOf(config, templates).accounts;
    const result = await evaluate(w, 'trust', trustExpectations(w, config));
    expect(failuresMatching(result, /\(MFA (absent|false)\) sts:AssumeRole .*role\/JitRevoker/)).toBe(4);
  });

  it('catches a revoker that may change any IAM policy', async () => {
    const templates = cloneTemplates(slim(original));
    const revoker = findProps(
      resourcesOf(templates, 'Jit-Workload-staging'),
      'AWS::IAM::ManagedPolicy',
      (p) => p.ManagedPolicyName === 'JitRevokeTierRoles',
    );
    statements(revoker.PolicyDocument).push({ Effect: 'Allow', Action: 'iam:*', Resource: '*' });
    const w = worldsOf(config, templates).accounts;
    const result = await evaluate(w, 'boundaries', await tierBoundaryExpectations(w, config));
    expect(failuresMatching(result, /JitRevoker.* iam:CreatePolicyVersion .*JitDenyCeiling/)).toBeGreaterThan(0);
  });

  it('catches an approver policy without its audit-trail deny, once the approver is also given cloudtrail:*', async () => {
    const templates = cloneTemplates(slim(original));
    const approver = findProps(
      resourcesOf(templates, 'Jit-Hub'),
      'AWS::IAM::ManagedPolicy',
      (p) => p.ManagedPolicyName === 'JitApprover',
    );
    const doc = approver.PolicyDocument as { Statement: Statement[] };
    doc.Statement = doc.Statement.filter((s) => s.Sid !== 'NeverTouchAuditTrail');
    doc.Statement.push({ Effect: 'Allow', Action: 'cloudtrail:*', Resource: '*' });
    const w = worldsOf(config, templates).accounts;
    const result = await evaluate(w, 'approvers', approverExpectations(w, config));
    expect(failuresMatching(result, /approver .* cloudtrail:StopLogging/)).toBeGreaterThan(0);
  });
});
