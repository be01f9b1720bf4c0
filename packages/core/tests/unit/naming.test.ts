import { describe, expect, it } from 'vitest';
import {
  grantIdFromSessionName,
  grantIdTime,
  isGrantId,
  NameError,
  newGrantId,
  parseRevokePolicyName,
  revokeAllPolicyName,
  revokeGrantPolicyName,
  roleArn,
  secretArnPattern,
  secretName,
  sessionNameFor,
} from '../../src/index.js';

describe('naming', () => {
  it('names one secret per workload account', () => {
    expect(secretName('222222222222')).toBe('agent/elevated/222222222222');
  });

  it('refuses an account id that is not 12 digits', () => {
    expect(() => secretName('2222')).toThrow(NameError);
    expect(() => roleArn('abc', 'R')).toThrow(/exactly 12 digits/);
  });

  it('matches exactly the six random characters Secrets Manager appends', () => {
    expect(secretArnPattern('ap-southeast-2', '444444444444', '111111111111')).toBe(
      'arn:aws:secretsmanager:ap-southeast-2:444444444444:secret:agent/elevated/111111111111-??????',
    );
  });

  it('makes sortable grant ids that fit STS session names and source identities', () => {
    const a = newGrantId(new Date('2026-01-01T00:00:00Z'));
    const b = newGrantId(new Date('2026-01-01T00:00:01Z'));
    expect(isGrantId(a)).toBe(true);
    expect(a < b).toBe(true);
    const name = sessionNameFor(a);
    expect(name).toMatch(/^jit-[0-9A-Z]{26}$/);
    expect(name.length).toBeLessThanOrEqual(64);
    expect(name).toMatch(/^[\w+=,.@-]{2,64}$/);
  });

  it('keeps ids unique within one millisecond', () => {
    const now = new Date();
    const ids = new Set(Array.from({ length: 1000 }, () => newGrantId(now)));
    expect(ids.size).toBe(1000);
  });

  it('reads the grant id back from a session name, and nothing from other names', () => {
    const id = newGrantId();
    expect(grantIdFromSessionName(sessionNameFor(id))).toBe(id);
    expect(grantIdFromSessionName('agent-elevated-1711368000')).toBeUndefined();
    expect(grantIdFromSessionName('jit-notaulid')).toBeUndefined();
  });

  it("reads a revocation deny back: which grant and when, never the grant id's own time", () => {
    const at = new Date('2026-03-25T12:30:00Z');
    expect(parseRevokePolicyName(revokeGrantPolicyName('00000000000000000000000000', at))).toEqual({
      grantId: '00000000000000000000000000',
      revokedAt: at,
    });
    expect(parseRevokePolicyName(revokeAllPolicyName(at))).toEqual({ revokedAt: at });
    expect(parseRevokePolicyName('JitRevoke-01JQ0000000000000000000000')).toBeUndefined();
    expect(parseRevokePolicyName('JitRevokeAll-01JQ0000000000000000000000-20260325T123000Z')).toBeUndefined();
  });

  it('reads the creation time of a grant id', () => {
    expect(grantIdTime('01ARZ3NDEKTSV4RRFFQ69G5FAV').getTime()).toBe(1469922850259);
  });

  it('refuses a malformed grant id', () => {
    expect(() => sessionNameFor('../../etc')).toThrow(NameError);
  });

  it('names revocation policies by grant and by time', () => {
    const at = new Date('2026-03-25T12:30:00.123Z');
    expect(revokeGrantPolicyName('01JQ0000000000000000000000', at)).toBe(
      'JitRevoke-01JQ0000000000000000000000-20260325T123000Z',
    );
    expect(revokeAllPolicyName(new Date('2026-03-25T12:30:00.123Z'))).toBe('JitRevokeAll-20260325T123000Z');
  });
});
