import { isGrantId, newGrantId } from '@jit-access/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { grantIdOfStages, grantStage, successorToken } from '../../src/aws/secretStore.js';
import { activeGrant, heldGrant } from '../../src/index.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const grantIds = fc
  .array(fc.constantFrom(...CROCKFORD), { minLength: 26, maxLength: 26 })
  .map((chars) => chars.join(''))
  .filter(isGrantId);

describe('the successor token (the compare-and-swap key)', () => {
  it('is the same for every writer that saw the same version, and within the 32 to 64 characters Secrets Manager takes', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 64 }), (versionId) => {
        const token = successorToken(versionId);
        expect(token).toBe(successorToken(versionId));
        expect(token.length).toBeGreaterThanOrEqual(32);
        expect(token.length).toBeLessThanOrEqual(64);
      }),
    );
  });

  it('differs for different versions, so a stale writer cannot reuse a later successor', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.uuid(), (a, b) => {
        fc.pre(a !== b);
        expect(successorToken(a)).not.toBe(successorToken(b));
      }),
    );
    expect(successorToken(successorToken('v1'))).not.toBe(successorToken('v1'));
  });
});

describe('the grant label on a version', () => {
  it('reads back the grant id it was made from', () => {
    fc.assert(
      fc.property(grantIds, (id) => {
        expect(grantIdOfStages(['AWSCURRENT', grantStage(id)])).toBe(id);
      }),
    );
  });

  it('names no grant for the stages AWS and a placeholder use, nor for lookalikes', () => {
    expect(grantIdOfStages(['AWSCURRENT'])).toBeUndefined();
    expect(grantIdOfStages(['AWSPREVIOUS', 'AWSPENDING'])).toBeUndefined();
    expect(grantIdOfStages(['jit-grant-01jq0000000000000000000000'])).toBeUndefined();
    expect(grantIdOfStages(['jit-grant-01JQ0000000000000000000000x'])).toBeUndefined();
  });

  it('returns a valid grant id or nothing, whatever labels DescribeSecret returns', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 80 }), { maxLength: 5 }), (stages) => {
        const id = grantIdOfStages(stages);
        expect(id === undefined || isGrantId(id)).toBe(true);
      }),
    );
  });
});

describe('which grant the secret holds', () => {
  const NOW = new Date('2026-03-25T12:30:00Z');
  const A = '01JQ0000000000000000000000';
  const B = newGrantId(NOW);
  const tagsFor = (grantId: string, until: string, state = 'active') => ({
    'jit:state': state,
    'jit:grant': grantId,
    'jit:tier': 'ops',
    'jit:until': until,
  });

  it('is the labelled grant, described by its tags, while its window is open', () => {
    const info = { currentStages: ['AWSCURRENT', grantStage(A)], tags: tagsFor(A, '2026-03-25T12:45:00Z') };
    expect(activeGrant(info, NOW)).toMatchObject({ grantId: A, tier: 'ops' });
    expect(activeGrant(info, new Date('2026-03-25T12:45:00Z'))).toBeUndefined();
    expect(heldGrant(info)?.grantId).toBe(A);
  });

  it('is the labelled grant, active with an unknown window, while the tags still describe the grant before it', () => {
    const info = { currentStages: ['AWSCURRENT', grantStage(B)], tags: tagsFor(A, '2026-03-25T12:00:00Z') };
    expect(activeGrant(info, NOW)).toMatchObject({ state: 'active', grantId: B, until: undefined });
  });

  it('is nothing for a placeholder whose tags say revoked', () => {
    const info = { currentStages: ['AWSCURRENT'], tags: tagsFor(A, '2026-03-25T12:45:00Z', 'revoked') };
    expect(heldGrant(info)).toBeUndefined();
    expect(activeGrant(info, NOW)).toBeUndefined();
  });

  it('is known by its tags alone for a value without a label (written by an older jit-grant)', () => {
    const info = { currentStages: ['AWSCURRENT'], tags: tagsFor(A, '2026-03-25T12:45:00Z') };
    expect(activeGrant(info, NOW)?.grantId).toBe(A);
    expect(heldGrant({ currentStages: ['AWSCURRENT'], tags: {} })).toBeUndefined();
  });
});
