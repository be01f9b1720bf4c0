import path from 'node:path';
import {
  agentBasePolicy,
  denyCeilingPolicy,
  elevatedRoleTrustPolicy,
  type JitConfig,
  loadConfig,
  type PolicyDocument,
  type PolicyStatement,
  revokerTrustPolicy,
} from '@jit-access/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { adaptPolicyForMoto } from '../../src/index.js';
import { mfaWidenings } from '../../src/provision/motoPolicy.js';

let config: JitConfig;
beforeAll(async () => {
  config = await loadConfig(path.resolve(import.meta.dirname, '../../../../accounts'));
});

function statement(document: PolicyDocument, sid: string): PolicyStatement | undefined {
  return document.Statement.find((s) => s.Sid === sid);
}

function doc(...statements: PolicyStatement[]): PolicyDocument {
  return { Version: '2012-10-17', Statement: statements };
}

describe('adaptPolicyForMoto on the core model', () => {
  it("widens the agent's secret statement to every resource and drops its conditions, and says so", () => {
    const { document, widenings } = adaptPolicyForMoto('agent', agentBasePolicy(config));

    const read = statement(document, 'ReadOwnElevatedSecretsCurrentVersionOnly');
    expect(read).toEqual({
      Sid: 'ReadOwnElevatedSecretsCurrentVersionOnly',
      Effect: 'Allow',
      Action: 'secretsmanager:GetSecretValue',
      Resource: '*',
    });
    expect(widenings.map((w) => [w.statement, w.change])).toEqual([
      ['ReadOwnElevatedSecretsCurrentVersionOnly', 'Condition removed'],
      ['ReadOwnElevatedSecretsCurrentVersionOnly', 'Resource set to "*"'],
    ]);
    expect(widenings[1]?.reason).toContain('-??????');
  });

  it("keeps the agent's statements moto can evaluate unchanged", () => {
    const original = agentBasePolicy(config);
    const { document } = adaptPolicyForMoto('agent', original);

    expect(statement(document, 'QueryAuditTrailAndOwnIdentity')).toEqual(
      statement(original, 'QueryAuditTrailAndOwnIdentity'),
    );
  });

  it('keeps the ceiling statements that moto enforces as written, including the ec2:TerminateInstances deny', () => {
    const original = denyCeilingPolicy(config);
    const { document } = adaptPolicyForMoto('ceiling', original);

    for (const sid of [
      'NeverDestructive',
      'NeverTouchAuditTrail',
      'NeverTouchLogArchive',
      'NeverEscalateThroughIdentity',
    ]) {
      expect(statement(document, sid), sid).toEqual(statement(original, sid));
    }
    expect(statement(document, 'NeverDestructive')?.Action).toContain('ec2:TerminateInstances');
  });

  it('removes conditional denies and the NotResource deny from the ceiling rather than make moto stricter than AWS', () => {
    const { document, widenings } = adaptPolicyForMoto('ceiling', denyCeilingPolicy(config));

    for (const sid of [
      'NeverTouchJitKeys',
      'NeverPrincipalsWithoutBoundary',
      'NeverExecOnUntaggedInstances',
      'NeverPassPrivilegedRoles',
    ]) {
      expect(statement(document, sid), sid).toBeUndefined();
      expect(widenings.find((w) => w.statement === sid)?.change, sid).toBe('statement removed');
    }
  });

  it('records ceiling denies whose resources moto never sees as not enforced there', () => {
    const { widenings } = adaptPolicyForMoto('ceiling', denyCeilingPolicy(config));

    const secrets = widenings.find((w) => w.statement === 'NeverTouchAgentSecretsOrKeys');
    expect(secrets?.change).toBe('not enforced on arn:aws:secretsmanager:*:*:secret:agent/elevated/*');
    const identities = widenings.find((w) => w.statement === 'NeverChangeJitIdentities');
    expect(identities?.change).toContain('arn:aws:iam::*:policy/Jit*');
    expect(identities?.change).not.toContain(':role/');
  });
});

describe('adaptPolicyForMoto rules', () => {
  it('leaves a policy moto can evaluate untouched and records nothing', () => {
    const original = doc(
      { Effect: 'Allow', Action: ['ec2:Describe*'], Resource: '*' },
      { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/*' },
      { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: 'arn:aws:iam::111111111111:role/AgentElevated-Ops' },
    );

    expect(adaptPolicyForMoto('p', original)).toEqual({ document: original, widenings: [] });
  });

  it('drops a deny action pattern containing "?" instead of letting it break moto', () => {
    const { document, widenings } = adaptPolicyForMoto(
      'p',
      doc({ Sid: 'D', Effect: 'Deny', Action: ['ec2:Terminate*', 'ec2:Delete?pc'], Resource: '*' }),
    );

    expect(document.Statement).toEqual([{ Sid: 'D', Effect: 'Deny', Action: 'ec2:Terminate*', Resource: '*' }]);
    expect(widenings[0]?.change).toBe('actions ec2:Delete?pc removed');
  });

  it('turns an allow with NotResource into an allow on every resource', () => {
    const { document } = adaptPolicyForMoto(
      'p',
      doc({ Effect: 'Allow', Action: 'iam:PassRole', NotResource: 'arn:aws:iam::*:role/admin' }),
    );

    expect(document.Statement).toEqual([{ Effect: 'Allow', Action: 'iam:PassRole', Resource: '*' }]);
  });

  it('names statements without a Sid by their position', () => {
    const { widenings } = adaptPolicyForMoto(
      'p',
      doc(
        { Effect: 'Allow', Action: 'ec2:DescribeInstances', Resource: '*' },
        {
          Effect: 'Allow',
          Action: 'sns:Publish',
          Resource: 'arn:aws:sns:ap-southeast-2:444444444444:jit-notifications',
        },
      ),
    );

    expect(widenings).toEqual([
      {
        policy: 'p',
        statement: '#1',
        change: 'Resource set to "*"',
        reason: 'moto checks sns:Publish against resource "*", which a specific ARN never matches',
      },
    ]);
  });
});

describe('mfaWidenings: the MFA requirement moto does not evaluate (decision 0008)', () => {
  it('records the MFA statement of the tier roles and of JitRevoker, and not the Identity Center one', () => {
    const records = [
      ...mfaWidenings('tier trust', elevatedRoleTrustPolicy(config)),
      ...mfaWidenings('revoker trust', revokerTrustPolicy(config)),
    ];

    expect(config.approvers.requireMfa).toBe(true);
    expect(records.map((w) => [w.policy, w.statement, w.change])).toEqual([
      [
        'tier trust',
        'ApproversAssumeWithJitSourceIdentityWithMfa',
        'MFA not required: Bool aws:MultiFactorAuthPresent is not evaluated',
      ],
      ['revoker trust', 'ApproversRevokeWithMfa', 'MFA not required: Bool aws:MultiFactorAuthPresent is not evaluated'],
    ]);
    expect(records[0]?.reason).toContain('the local approver (jit-approver, access keys, no MFA) is let in');
  });

  it('records nothing when approvers.requireMfa is off', () => {
    const off: JitConfig = { ...config, approvers: { ...config.approvers, requireMfa: false } };

    expect(mfaWidenings('tier trust', elevatedRoleTrustPolicy(off))).toEqual([]);
    expect(mfaWidenings('revoker trust', revokerTrustPolicy(off))).toEqual([]);
  });
});
