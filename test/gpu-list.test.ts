import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gpuList } from '../src/output/gpu-list.ts';

describe('gpuList', () => {
  it('is the indices joined by ;, for any list (small indices, large, fractional, -0)', () => {
    const index = fc.oneof(fc.nat(15), fc.nat(5000), fc.double({ noNaN: true }), fc.constant(-0));
    fc.assert(
      fc.property(fc.array(index, { maxLength: 9 }), (gpus) => {
        expect(gpuList(gpus)).toBe(gpus.join(';'));
      }),
      { numRuns: 3000, seed: 3 },
    );
  });

  it('gives a list seen before the same text again, and a prefix or another order its own', () => {
    expect(gpuList([0, 1, 2, 3])).toBe('0;1;2;3');
    expect(gpuList([0, 1, 2, 3].slice())).toBe('0;1;2;3');
    expect(gpuList([0, 1])).toBe('0;1');
    expect(gpuList([3, 2])).toBe('3;2');
    expect(gpuList([])).toBe('');
  });
});
