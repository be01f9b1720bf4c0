import { describe, expect, it } from 'vitest';
import { compare, formatComparison, median, percentile } from '../../src/measure.js';

describe('measure', () => {
  it('takes the median of odd and even samples', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(Number.isNaN(median([]))).toBe(true);
  });

  it('takes nearest-rank percentiles', () => {
    const values = Array.from({ length: 10 }, (_, i) => i + 1);
    expect(percentile(values, 90)).toBe(9);
    expect(percentile(values, 100)).toBe(10);
  });

  it('interleaves contenders and counts every run', async () => {
    const order: string[] = [];
    const summaries = await compare(
      [
        { name: 'a', run: async () => order.push('a') },
        { name: 'b', run: async () => order.push('b') },
      ],
      { runs: 3, warmup: 0 },
    );
    expect(order).toEqual(['a', 'b', 'a', 'b', 'a', 'b']);
    expect(summaries.map((s) => s.runs)).toEqual([3, 3]);
  });

  it('prints the ratio against the named baseline', () => {
    const text = formatComparison(
      't',
      [
        { name: 'ours', runs: 5, medianMs: 50, p90Ms: 60, minMs: 40 },
        { name: 'seed', runs: 5, medianMs: 100, p90Ms: 120, minMs: 90 },
      ],
      'seed',
    );
    expect(text).toMatch(/ours\s+5\s+50\.0\s+60\.0\s+0\.50x/);
    expect(text).toMatch(/seed\s+5\s+100\.0\s+120\.0\s+1\.00x/);
  });
});
