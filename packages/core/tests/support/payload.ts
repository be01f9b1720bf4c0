import type { ElevatedPayload } from '../../src/index.js';

export const NOW = new Date('2026-03-25T12:30:00Z');

/** A well-formed payload with fake, credential-shaped values. */
export function samplePayload(overrides: Partial<ElevatedPayload> = {}): ElevatedPayload {
  return {
    SchemaVersion: 1,
    AccessKeyId: 'ASIAFAKEFAKEFAKE0001',
    SecretAccessKey: 'fakeSecretKeyValue/0123456789abcdefghijKL',
    SessionToken: 'FwoGZXIvYXdzEFAKE//////////session-token-fake-value-0123456789',
    Expiration: '2026-03-25T13:30:00Z',
    GrantedFor: 'restart ECS service',
    GrantedAt: '2026-03-25T12:30:00Z',
    RoleName: 'AgentElevated-Ops',
    GrantId: '01JQ0000000000000000000000',
    AccountId: '222222222222',
    RoleArn: 'arn:aws:iam::222222222222:role/AgentElevated-Ops',
    Tier: 'ops',
    SessionName: 'jit-01JQ0000000000000000000000',
    SourceIdentity: 'jit-01JQ0000000000000000000000',
    Approver: 'arn:aws:sts::444444444444:assumed-role/JitApprover/alice',
    EffectiveUntil: '2026-03-25T12:45:00Z',
    Region: 'ap-southeast-2',
    ...overrides,
  };
}
