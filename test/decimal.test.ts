import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isWhole, wholeDigits, writeWhole } from '../src/output/decimal.ts';

function written(n: number): string {
  const buf = new Uint8Array(40).fill(0x2a);
  const end = writeWhole(buf, 3, n, wholeDigits(n));
  return Buffer.from(buf.subarray(3, end)).toString('latin1');
}

describe('writeWhole', () => {
  it('writes String(n) for every whole number up to 2^53 - 1', () => {
    const whole = fc.oneof(fc.nat(), fc.maxSafeNat(), fc.integer({ min: 0, max: 52 }).chain((e) => fc.integer({ min: 0, max: 2 ** e })));
    fc.assert(
      fc.property(whole, (n) => {
        expect(written(n)).toBe(String(n));
      }),
      { numRuns: 20_000, seed: 9 },
    );
  });

  it('is right at the powers of ten and the int32 and 2^53 edges', () => {
    const edges = [0, -0, 9, 10, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 7, 2 ** 52 + 1, Number.MAX_SAFE_INTEGER];
    for (let e = 1; e <= 15; e++) edges.push(10 ** e - 1, 10 ** e, 10 ** e + 1);
    for (const n of edges) expect(written(n)).toBe(String(n));
  });

  it('takes only whole numbers in [0, 2^53 - 1]', () => {
    expect([0, -0, 7, Number.MAX_SAFE_INTEGER].every(isWhole)).toBe(true);
    expect([-1, 0.5, 2 ** 53, NaN, Infinity].some(isWhole)).toBe(false);
  });
});
