import { describe, expect, it } from 'vitest';
import { type ResolveEnv, resolve } from '../../src/gates/index.js';

const env: ResolveEnv = {
  stackName: 'S',
  account: '111111111111',
  region: 'ap-southeast-2',
  resources: {
    Role: { Type: 'AWS::IAM::Role', Properties: { RoleName: 'AgentElevated-Ops' } },
    Policy: { Type: 'AWS::IAM::ManagedPolicy', Properties: { ManagedPolicyName: 'JitTier-ops' } },
    Key: { Type: 'AWS::KMS::Key', Properties: {} },
    Secret: { Type: 'AWS::SecretsManager::Secret', Properties: { Name: 'agent/elevated/111111111111' } },
    Lambda: { Type: 'AWS::Lambda::Function', Properties: {} },
  },
  exports: new Map([['LogArchive:KeyArn', 'arn:aws:kms:ap-southeast-2:555555555555:key/abc']]),
};

describe('resolve (template intrinsics)', () => {
  it('resolves pseudo parameters and Fn::Join, as CDK writes ARNs', () => {
    expect(
      resolve(
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':role/X']] },
        env,
      ),
    ).toBe('arn:aws:iam::111111111111:role/X');
  });

  it('resolves Ref and Fn::GetAtt of the resource types the stacks use', () => {
    expect(resolve({ Ref: 'Policy' }, env)).toBe('arn:aws:iam::111111111111:policy/JitTier-ops');
    expect(resolve({ Ref: 'Role' }, env)).toBe('AgentElevated-Ops');
    expect(resolve({ 'Fn::GetAtt': ['Role', 'Arn'] }, env)).toBe('arn:aws:iam::111111111111:role/AgentElevated-Ops');
    expect(resolve({ 'Fn::GetAtt': ['Key', 'Arn'] }, env)).toBe('arn:aws:kms:ap-southeast-2:111111111111:key/key-Key');
    expect(resolve({ Ref: 'Secret' }, env)).toBe(
      'arn:aws:secretsmanager:ap-southeast-2:111111111111:secret:agent/elevated/111111111111-AbCdEf',
    );
  });

  it('resolves Fn::Sub with pseudo parameters, attributes and its own variables', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub's own ${} syntax, not a JavaScript template
    expect(resolve({ 'Fn::Sub': 'arn:${AWS::Partition}:s3:::b-${AWS::Region}/${Role.Arn}' }, env)).toBe(
      'arn:aws:s3:::b-ap-southeast-2/arn:aws:iam::111111111111:role/AgentElevated-Ops',
    );
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub's own ${} syntax, not a JavaScript template
    expect(resolve({ 'Fn::Sub': ['${X}-${AWS::AccountId}', { X: { Ref: 'Role' } }] }, env)).toBe(
      'AgentElevated-Ops-111111111111',
    );
  });

  it("resolves Fn::ImportValue from another stack's exports", () => {
    expect(resolve({ 'Fn::ImportValue': 'LogArchive:KeyArn' }, env)).toBe(
      'arn:aws:kms:ap-southeast-2:555555555555:key/abc',
    );
  });

  it('leaves plain values alone and drops AWS::NoValue from lists', () => {
    expect(resolve({ a: ['x', { Ref: 'AWS::NoValue' }], b: 1 }, env)).toEqual({ a: ['x'], b: 1 });
  });

  it('refuses what it cannot resolve rather than guessing', () => {
    expect(() => resolve({ 'Fn::If': ['C', 'a', 'b'] }, env)).toThrow(/cannot resolve Fn::If/);
    expect(() => resolve({ 'Fn::GetAtt': ['Lambda', 'SnapStartResponse'] }, env)).toThrow(
      /Fn::GetAtt Lambda\.SnapStartResponse/,
    );
    expect(() => resolve({ Ref: 'Nothing' }, env)).toThrow(/Ref to unknown resource "Nothing"/);
    expect(() => resolve({ 'Fn::ImportValue': 'Other:Value' }, env)).toThrow(/which no stack exports/);
  });
});
