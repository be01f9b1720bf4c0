import { newGrantId, revokeGrantPolicyName } from '@jit-access/core';
import { describe, expect, it } from 'vitest';
import { grantMetadataFromTags, isActive, revokeGrantDocument, ulidTime } from '../../src/index.js';

describe('ulidTime', () => {
  it('reads the timestamp of the ULID specification example', () => {
    // The ULID specification's example id; the ulid package's decodeTime gives 1469922850259.
    expect(ulidTime('01ARZ3NDEKTSV4RRFFQ69G5FAV').getTime()).toBe(1469922850259);
  });

  it('reads back the creation time of a new grant id', () => {
    const now = new Date(Date.now() + 60_000);
    expect(ulidTime(newGrantId(now)).getTime()).toBe(now.getTime());
  });
});

describe('revokeGrantDocument', () => {
  it('denies the grant by source identity and by session name, under the policy name core gives it', () => {
    const id = '01JQ0000000000000000000000';
    expect(revokeGrantPolicyName(id, new Date('2026-03-25T12:30:00Z'))).toBe(`JitRevoke-${id}-20260325T123000Z`);
    expect(revokeGrantDocument(id).Statement.map((s) => s.Condition)).toEqual([
      { StringEquals: { 'aws:SourceIdentity': `jit-${id}` } },
      { StringLike: { 'aws:userid': `*:jit-${id}` } },
    ]);
  });
});

describe('grant metadata from secret tags', () => {
  const tags = {
    'jit:state': 'active',
    'jit:grant': '01JQ0000000000000000000000',
    'jit:tier': 'ops',
    'jit:until': '2026-03-25T12:45:00.000Z',
    'jit:revoked-at': '',
  };

  it('is active until the window closes', () => {
    const meta = grantMetadataFromTags(tags);
    expect(meta?.revokedAt).toBeUndefined();
    expect(isActive(meta, new Date('2026-03-25T12:44:59Z'))).toBe(true);
    expect(isActive(meta, new Date('2026-03-25T12:45:00Z'))).toBe(false);
  });

  it('is no grant at all for a secret without our tags', () => {
    expect(grantMetadataFromTags({ 'jit:account': '222222222222' })).toBeUndefined();
  });
});
