import { describe, expect, it } from 'vitest';
import { deliveryKeyOf } from '../../src/ledger.js';

describe('deliveryKeyOf', () => {
  it('uses a key-safe delivery id as it is', () => {
    expect(deliveryKeyOf('session-01JGRANT0000000000000000AA')).toBe('session-01JGRANT0000000000000000AA');
  });

  it('hashes ids that could escape their folder or are not key-safe', () => {
    for (const id of ['session-../../AWSLogs/x', 'session-a/b', '..', 'session-ünïcode', 'x'.repeat(101)]) {
      expect(deliveryKeyOf(id)).toMatch(/^h-[0-9a-f]{40}$/);
    }
    expect(deliveryKeyOf('session-a/b')).not.toBe(deliveryKeyOf('session-a/c'));
  });
});
