import { boundaryPolicyArn, type JitConfig } from '@jit-access/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  agentBaseIdentityExpectations,
  agentCannotApproveExpectations,
  approverCaller,
  approverExpectations,
  evaluate,
  formatFailures,
  type GateWorlds,
  type IamWorld,
  reportExpectations,
  SAMPLE_SOURCE_IDENTITY,
  SECRET_SUFFIX,
  tierExpectations,
  tierWorksAndRevocationExpectations,
  trustExpectations,
} from '../../src/gates/index.js';
import { exampleConfig } from '../support/fixtures.js';
import { synthesizedTemplates, worldsOf } from '../support/world.js';

// IAM simulation on the synthesized templates (BRIEF §4, invariants 1-3): every policy below is
// read from the cloud assembly's template files, with their intrinsic functions resolved.
let config: JitConfig;
let worlds: GateWorlds;
let w: IamWorld;

beforeAll(async () => {
  config = await exampleConfig();
  worlds = worldsOf(config, await synthesizedTemplates(config, 'iam'));
  w = worlds.accounts;
}, 300_000);

const hubSecret = (c: JitConfig, account: string) =>
  `arn:aws:secretsmanager:${c.region}:${c.hub.id}:secret:agent/elevated/${account}-${SECRET_SUFFIX}`;
const agent = () => w.user(`arn:aws:iam::${config.hub.id}:user/jit-agent`);
const staging = '111111111111';
const identity = '333333333333';
const keyArn = () => w.model.resourcePolicies.find((r) => r.aliases.includes('alias/jit-agent-secrets'))?.arn ?? '';

describe('invariant 1: the agent base identity does exactly three things', () => {
  it('reads the current version of its own secrets', async () => {
    expect(await w.decide(agent(), 'secretsmanager:GetSecretValue', hubSecret(config, staging))).toBe('Allowed');
    expect(
      await w.decide(agent(), 'secretsmanager:GetSecretValue', hubSecret(config, staging), {
        'secretsmanager:VersionStage': 'AWSCURRENT',
      }),
    ).toBe('Allowed');
  });

  it('cannot read AWSPREVIOUS: the secret resource policy denies it explicitly', async () => {
    expect(
      await w.decide(agent(), 'secretsmanager:GetSecretValue', hubSecret(config, staging), {
        'secretsmanager:VersionStage': 'AWSPREVIOUS',
      }),
    ).toBe('ExplicitlyDenied');
  });

  it('cannot read a version by VersionId', async () => {
    expect(
      await w.decide(agent(), 'secretsmanager:GetSecretValue', hubSecret(config, staging), {
        'secretsmanager:VersionId': 'v-1',
      }),
    ).toBe('ExplicitlyDenied');
  });

  it("cannot read another account's secret", async () => {
    expect(await w.decide(agent(), 'secretsmanager:GetSecretValue', hubSecret(config, '999999999999'))).not.toBe(
      'Allowed',
    );
  });

  it('cannot decrypt with the secrets key outside Secrets Manager, and can through it', async () => {
    expect(await w.decide(agent(), 'kms:Decrypt', keyArn())).not.toBe('Allowed');
    expect(
      await w.decide(agent(), 'kms:Decrypt', keyArn(), { 'kms:ViaService': `s3.${config.region}.amazonaws.com` }),
    ).not.toBe('Allowed');
    expect(
      await w.decide(agent(), 'kms:Decrypt', keyArn(), {
        'kms:ViaService': `secretsmanager.${config.region}.amazonaws.com`,
      }),
    ).toBe('Allowed');
  });

  it('looks up CloudTrail events and its own identity, and nothing else in a sample of every action of ten services', async () => {
    const result = await evaluate(w, 'invariant 1', await agentBaseIdentityExpectations(w, config));
    expect(formatFailures(result.failures)).toBe('');
    expect(result.checked).toBeGreaterThan(1000);
  });
});

describe('invariant 2: the agent cannot approve itself', () => {
  it('cannot assume an elevated role, even with a jit- source identity', async () => {
    expect(
      await w.decide(agent(), 'sts:AssumeRole', `arn:aws:iam::${staging}:role/AgentElevated-Security`, {
        'sts:SourceIdentity': SAMPLE_SOURCE_IDENTITY,
      }),
    ).not.toBe('Allowed');
  });

  it('cannot write its secret', async () => {
    expect(await w.decide(agent(), 'secretsmanager:PutSecretValue', hubSecret(config, staging))).not.toBe('Allowed');
  });

  it("cannot change a policy: its own, a tier role's, or the secret's", async () => {
    expect(
      await w.decide(agent(), 'iam:CreatePolicyVersion', `arn:aws:iam::${config.hub.id}:policy/JitAgentBase`),
    ).not.toBe('Allowed');
    expect(await w.decide(agent(), 'iam:PutUserPolicy', `arn:aws:iam::${config.hub.id}:user/jit-agent`)).not.toBe(
      'Allowed',
    );
    expect(await w.decide(agent(), 'secretsmanager:PutResourcePolicy', hubSecret(config, staging))).not.toBe('Allowed');
  });

  it('holds for every tier role, secret and policy (with Allow *:* on the agent too)', async () => {
    const result = await evaluate(w, 'invariant 2', agentCannotApproveExpectations(w, config));
    expect(formatFailures(result.failures)).toBe('');
    expect(result.checked).toBeGreaterThan(100);
  });
});

describe('invariant 3: no tier does anything in the ceiling, and no tier escalates', () => {
  it('denies the security tier a role without the workload boundary, and allows it one with the boundary', async () => {
    const session = w.session(`arn:aws:iam::${staging}:role/AgentElevated-Security`, {
      sourceIdentity: SAMPLE_SOURCE_IDENTITY,
    });
    // On the passable path, as the ceiling requires of every role a tier creates.
    const role = `arn:aws:iam::${staging}:role${config.passableRolePath}app-worker`;
    expect(await w.decide(session, 'iam:CreateRole', role)).toBe('ExplicitlyDenied');
    expect(
      await w.decide(session, 'iam:CreateRole', role, {
        'iam:PermissionsBoundary': `arn:aws:iam::${staging}:policy/SomethingElse`,
      }),
    ).toBe('ExplicitlyDenied');
    expect(
      await w.decide(session, 'iam:CreateRole', role, { 'iam:PermissionsBoundary': boundaryPolicyArn(staging) }),
    ).toBe('Allowed');
  });

  it('denies every ceiling action and every catalogued escalation path to every tier in every account', async () => {
    const result = await evaluate(w, 'invariant 3', await tierExpectations(w, config));
    expect(formatFailures(result.failures)).toBe('');
    expect(result.checked).toBeGreaterThan(5000);
  });

  it('holds for the account-agnostic StackSet template too', async () => {
    const s = worlds.stackSet;
    if (!s) throw new Error('no StackSet template was synthesized');
    const result = await evaluate(s, 'invariant 3 (StackSet)', await tierExpectations(s, config));
    expect(formatFailures(result.failures)).toBe('');
    expect(result.checked).toBeGreaterThan(2000);
  });

  it('lets each tier do its own work, and a revocation deny stop exactly its grant', async () => {
    const result = await evaluate(w, 'positive controls', await tierWorksAndRevocationExpectations(w, config));
    expect(formatFailures(result.failures)).toBe('');
    expect(result.checked).toBe(3 * 8);
  });
});

describe('trust policies', () => {
  const role = () => `arn:aws:iam::${staging}:role/AgentElevated-Ops`;

  it('let an approver assume a tier role with a jit- source identity', async () => {
    expect(
      await w.decide(approverCaller(w, config, SAMPLE_SOURCE_IDENTITY), 'sts:AssumeRole', role(), {
        'sts:SourceIdentity': SAMPLE_SOURCE_IDENTITY,
      }),
    ).toBe('Allowed');
  });

  it('refuse an AssumeRole without a jit- source identity', async () => {
    expect(await w.decide(approverCaller(w, config), 'sts:AssumeRole', role())).not.toBe('Allowed');
    expect(
      await w.decide(approverCaller(w, config), 'sts:AssumeRole', role(), { 'sts:SourceIdentity': 'alice' }),
    ).not.toBe('Allowed');
  });

  it('refuse a tier in an account it is not allowed for (deploy in identity)', async () => {
    expect(
      await w.decide(
        approverCaller(w, config, SAMPLE_SOURCE_IDENTITY),
        'sts:AssumeRole',
        `arn:aws:iam::${identity}:role/AgentElevated-Deploy`,
        {
          'sts:SourceIdentity': SAMPLE_SOURCE_IDENTITY,
        },
      ),
    ).not.toBe('Allowed');
  });

  it('hold for every tier role, per account and in the StackSet template', async () => {
    const result = await evaluate(w, 'trust', trustExpectations(w, config));
    expect(formatFailures(result.failures)).toBe('');
    const s = worlds.stackSet;
    if (!s) throw new Error('no StackSet template was synthesized');
    const stackSet = await evaluate(s, 'trust (StackSet)', trustExpectations(s, config));
    expect(formatFailures(stackSet.failures)).toBe('');
  });
});

describe('the approvers, least privilege too', () => {
  it('cannot read other secrets, nor the agent credentials', async () => {
    const approver = approverCaller(w, config);
    expect(
      await w.decide(
        approver,
        'secretsmanager:GetSecretValue',
        `arn:aws:secretsmanager:${config.region}:${config.hub.id}:secret:prod/db-AbCdEf`,
      ),
    ).not.toBe('Allowed');
    expect(await w.decide(approver, 'secretsmanager:GetSecretValue', hubSecret(config, staging))).toBe(
      'ExplicitlyDenied',
    );
  });

  it("cannot change a tier's policy or the ceiling, even through the revoker role", async () => {
    const revoker = w.session(`arn:aws:iam::${staging}:role/JitRevoker`, { sessionName: 'alice' });
    expect(await w.decide(revoker, 'iam:CreatePolicyVersion', `arn:aws:iam::${staging}:policy/JitTier-ops`)).not.toBe(
      'Allowed',
    );
    expect(
      await w.decide(revoker, 'iam:CreatePolicyVersion', `arn:aws:iam::${staging}:policy/JitDenyCeiling`),
    ).not.toBe('Allowed');
    expect(await w.decide(revoker, 'iam:DetachRolePolicy', `arn:aws:iam::${staging}:role/AgentElevated-Ops`)).not.toBe(
      'Allowed',
    );
    expect(await w.decide(revoker, 'iam:PutRolePolicy', `arn:aws:iam::${staging}:role/AgentElevated-Ops`)).toBe(
      'Allowed',
    );
  });

  it('cannot touch the trail', async () => {
    const approver = approverCaller(w, config);
    const trail = `arn:aws:cloudtrail:${config.region}:${config.hub.id}:trail/${config.trail.name}`;
    expect(await w.decide(approver, 'cloudtrail:StopLogging', trail)).toBe('ExplicitlyDenied');
    expect(await w.decide(approver, 'cloudtrail:DeleteTrail', trail)).toBe('ExplicitlyDenied');
  });

  it('can do what jit-grant needs and nothing more, checked for every account, key, topic and trail', async () => {
    const result = await evaluate(w, 'approvers', approverExpectations(w, config));
    expect(formatFailures(result.failures)).toBe('');
    expect(result.checked).toBeGreaterThan(200);
  });
});

describe('the report function', () => {
  it('reads the trail and writes only its own records', async () => {
    const result = await evaluate(w, 'report', reportExpectations(w, config));
    expect(formatFailures(result.failures)).toBe('');
    expect(result.checked).toBeGreaterThan(10);
  });
});
