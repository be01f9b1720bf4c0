import type { JitConfig, PolicyDocument } from '@jit-access/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type Caller,
  evaluate,
  formatFailures,
  type GateWorlds,
  type IamWorld,
  SAMPLE_SOURCE_IDENTITY,
  trustExpectations,
} from '../../src/gates/index.js';
import { HUB_NAMES } from '../../src/index.js';
import { exampleConfig } from '../support/fixtures.js';
import { synthesizedTemplates, worldsOf } from '../support/world.js';

// approvers.requireMfa (decision 0008), simulated on the trust policies as synthesized: with it,
// IAM users and roles assume a tier role or JitRevoker only from a session made with MFA, and
// IAM Identity Center sessions (which IAM never marks as MFA) without it; without it, as before.
let required: { config: JitConfig; worlds: GateWorlds };
let optional: { config: JitConfig; worlds: GateWorlds };

beforeAll(async () => {
  const example = await exampleConfig();
  const off: JitConfig = { ...example, approvers: { ...example.approvers, requireMfa: false } };
  required = { config: example, worlds: worldsOf(example, await synthesizedTemplates(example, 'mfa-on')) };
  optional = { config: off, worlds: worldsOf(off, await synthesizedTemplates(off, 'mfa-off')) };
}, 300_000);

const HUB = '444444444444';
const STAGING = '111111111111';
const tierRole = `arn:aws:iam::${STAGING}:role/AgentElevated-Ops`;
const revoker = `arn:aws:iam::${STAGING}:role/JitRevoker`;
const si = { 'sts:SourceIdentity': SAMPLE_SOURCE_IDENTITY };
type Mfa = 'absent' | 'true' | 'false';

/** An approver with the hub's JitApprover policies, as a permission set or IAM user would carry them. */
function approver(w: IamWorld, who: 'iam-user' | 'iam-role' | 'identity-center', mfa: Mfa): Caller {
  const identity: PolicyDocument[] = w.model.managedPolicies
    .filter((p) => p.account === HUB && p.name.startsWith(HUB_NAMES.approverPolicy))
    .map((p) => p.document);
  const principalArn = {
    'iam-user': `arn:aws:iam::${HUB}:user/jit-approver`,
    'iam-role': `arn:aws:iam::${HUB}:role/JitApprover`,
    'identity-center': `arn:aws:iam::${HUB}:role/aws-reserved/sso.amazonaws.com/ap-southeast-2/AWSReservedSSO_JitApprover_0123456789abcdef`,
  }[who];
  const base = w.outsider({ label: `${who} (MFA ${mfa})`, principalArn, identity });
  return {
    ...base,
    principal: {
      'iam-user': principalArn,
      'iam-role': `arn:aws:sts::${HUB}:assumed-role/JitApprover/alice`,
      'identity-center': `arn:aws:sts::${HUB}:assumed-role/AWSReservedSSO_JitApprover_0123456789abcdef/alice`,
    }[who],
    context: { ...base.context, ...(mfa === 'absent' ? {} : { 'aws:MultiFactorAuthPresent': mfa }) },
  };
}

describe('approvers.requireMfa on (the example accounts/): the synthesized tier roles', () => {
  const w = () => required.worlds.accounts;

  it.each(['iam-user', 'iam-role'] as const)(
    'refuse an approver %s signed with long-term keys (no MFA key)',
    async (who) => {
      expect(await w().decide(approver(w(), who, 'absent'), 'sts:AssumeRole', tierRole, si)).toBe('ImplicitlyDenied');
      expect(await w().decide(approver(w(), who, 'absent'), 'sts:SetSourceIdentity', tierRole, si)).toBe(
        'ImplicitlyDenied',
      );
    },
  );

  it.each(['iam-user', 'iam-role'] as const)('refuse an approver %s in a session without MFA', async (who) => {
    expect(await w().decide(approver(w(), who, 'false'), 'sts:AssumeRole', tierRole, si)).toBe('ImplicitlyDenied');
  });

  it.each(['iam-user', 'iam-role'] as const)('let an approver %s in from an MFA session', async (who) => {
    expect(await w().decide(approver(w(), who, 'true'), 'sts:AssumeRole', tierRole, si)).toBe('Allowed');
    expect(await w().decide(approver(w(), who, 'true'), 'sts:SetSourceIdentity', tierRole, si)).toBe('Allowed');
  });

  it('let an IAM Identity Center session in without the MFA key', async () => {
    const sso = approver(w(), 'identity-center', 'absent');
    expect(sso.principal).toBe(`arn:aws:sts::${HUB}:assumed-role/AWSReservedSSO_JitApprover_0123456789abcdef/alice`);
    expect(await w().decide(sso, 'sts:AssumeRole', tierRole, si)).toBe('Allowed');
  });

  it.each(['iam-user', 'iam-role', 'identity-center'] as const)(
    'still refuse an approver %s without a jit- source identity, MFA or not',
    async (who) => {
      const caller = approver(w(), who, who === 'identity-center' ? 'absent' : 'true');
      expect(await w().decide(caller, 'sts:AssumeRole', tierRole)).toBe('ImplicitlyDenied');
      expect(await w().decide(caller, 'sts:AssumeRole', tierRole, { 'sts:SourceIdentity': 'alice' })).toBe(
        'ImplicitlyDenied',
      );
    },
  );

  it('and JitRevoker: an IAM user without MFA is refused, with MFA or through IAM Identity Center let in', async () => {
    expect(await w().decide(approver(w(), 'iam-user', 'absent'), 'sts:AssumeRole', revoker)).toBe('ImplicitlyDenied');
    expect(await w().decide(approver(w(), 'iam-user', 'false'), 'sts:AssumeRole', revoker)).toBe('ImplicitlyDenied');
    expect(await w().decide(approver(w(), 'iam-user', 'true'), 'sts:AssumeRole', revoker)).toBe('Allowed');
    expect(await w().decide(approver(w(), 'identity-center', 'absent'), 'sts:AssumeRole', revoker)).toBe('Allowed');
  });

  it('hold in the gate for every tier role and revoker, per account and in the StackSet template', async () => {
    const { config, worlds } = required;
    const result = await evaluate(worlds.accounts, 'trust', trustExpectations(worlds.accounts, config));
    expect(formatFailures(result.failures)).toBe('');
    expect(result.failures).toEqual([]);
    const s = worlds.stackSet;
    if (!s) throw new Error('no StackSet template was synthesized');
    expect(formatFailures((await evaluate(s, 'trust (StackSet)', trustExpectations(s, config))).failures)).toBe('');
  });
});

describe('approvers.requireMfa off: the synthesized tier roles behave as before', () => {
  const w = () => optional.worlds.accounts;

  it.each(['iam-user', 'iam-role', 'identity-center'] as const)(
    'let an approver %s in without MFA, with a jit- source identity',
    async (who) => {
      expect(await w().decide(approver(w(), who, 'absent'), 'sts:AssumeRole', tierRole, si)).toBe('Allowed');
      expect(await w().decide(approver(w(), who, 'absent'), 'sts:AssumeRole', revoker)).toBe('Allowed');
    },
  );

  it('still refuse an approver without a jit- source identity', async () => {
    expect(await w().decide(approver(w(), 'iam-user', 'absent'), 'sts:AssumeRole', tierRole)).toBe('ImplicitlyDenied');
  });

  it('carry no MFA condition, and the gate holds', async () => {
    const { config, worlds } = optional;
    const trust = worlds.accounts.model.principal(tierRole)?.trustPolicy;
    expect(JSON.stringify(trust)).toContain('sts:SourceIdentity');
    expect(JSON.stringify(trust)).not.toContain('MultiFactorAuthPresent');
    const result = await evaluate(worlds.accounts, 'trust', trustExpectations(worlds.accounts, config));
    expect(formatFailures(result.failures)).toBe('');
  });
});
