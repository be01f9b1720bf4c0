import * as core from '@jit-access/core';
import { describe, expect, it } from 'vitest';

describe('workspace', () => {
  it('resolves the core package from source', () => {
    expect(typeof core).toBe('object');
  });
});
