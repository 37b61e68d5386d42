import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdSet } from '../src/scheduler/id-set.ts';

/** Ids as workloads and traces write them: zero-padded or not, a few prefixes, some with no digits or all digits. */
const id = fc.oneof(
  fc.tuple(fc.constantFrom('j', 'job-', 'k', ''), fc.nat(5000), fc.integer({ min: 0, max: 6 })).map(([p, n, w]) => `${p}${String(n).padStart(w, '0')}`),
  fc.tuple(fc.constantFrom('j', 'x-'), fc.integer({ min: 0, max: 999_999_999 })).map(([p, n]) => `${p}${n}`),
  fc.string({ maxLength: 12 }),
  fc.constantFrom('j1', 'j01', 'j001', '1', '01', 'j1a', 'a1b2', 'j9999999999', 'j1234567890123'),
);

describe('IdSet (ended job ids)', () => {
  it('agrees with a plain Set on every add and lookup, whatever the ids', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), id), { maxLength: 400 }), (ops) => {
        const s = new IdSet();
        const ref = new Set<string>();
        for (const [add, x] of ops) {
          if (add) {
            s.add(x);
            ref.add(x);
          }
          expect(s.has(x)).toBe(ref.has(x));
          expect(s.size).toBe(ref.size);
        }
        for (const [, x] of ops) expect(s.has(x)).toBe(ref.has(x));
      }),
      { numRuns: 300 },
    );
  });

  it('tells apart ids that differ only in zero padding, prefix or a trailing digit run', () => {
    const s = new IdSet().add('j01').add('job-7');
    expect(s.has('j01')).toBe(true);
    expect(s.has('j1')).toBe(false);
    expect(s.has('j001')).toBe(false);
    expect(s.has('jo01')).toBe(false);
    expect(s.has('job-7')).toBe(true);
    expect(s.has('job-07')).toBe(false);
    expect(s.has('job7')).toBe(false);
    expect(s.size).toBe(2);
  });

  it('keeps a million dense ids in any order of ending (members counted once)', () => {
    const s = new IdSet();
    const n = 1_000_000;
    // Ends out of arrival order: a stride permutation of 0..n-1.
    for (let i = 0; i < n; i++) s.add(`j${String((i * 7919) % n).padStart(6, '0')}`);
    s.add('j000000');
    expect(s.size).toBe(n);
    expect(s.has('j999999')).toBe(true);
    expect(s.has('j1000000')).toBe(false);
    expect(s.has('j99999')).toBe(false);
  });

  it('keeps unpadded ids as bits wherever their numbers start (j100000 … j299999), in either order', () => {
    for (const order of ['up', 'down'] as const) {
      const s = new IdSet();
      for (let i = 0; i < 200_000; i++) s.add(`j${order === 'up' ? 100_000 + i : 299_999 - i}`);
      expect(s.spilled).toBe(0);
      expect(s.size).toBe(200_000);
      expect([s.has('j100000'), s.has('j299999'), s.has('j99999'), s.has('j300000'), s.has('j1000000')]).toEqual([true, true, false, false, false]);
    }
  });

  it("keeps a hierarchy shard's share of the ids (about one in 32, at random) as bits, not in the plain Set", () => {
    // A shard's core remembers the ids of the jobs routed to it: one id in `shards`, spread over
    // the whole run's range. Ids drawn by a fixed multiplicative hash, so the test is the same every run.
    for (const shards of [8, 32, 64]) {
      const s = new IdSet();
      const mine: string[] = [];
      for (let i = 0; i < 300_000; i++) {
        if ((Math.imul(i, 0x9e3779b1) >>> 0) % shards !== 0) continue;
        const id = `j${String(i).padStart(7, '0')}`;
        mine.push(id);
        s.add(id);
      }
      expect(s.spilled).toBe(0);
      expect(s.size).toBe(mine.length);
      expect(mine.every((id) => s.has(id))).toBe(true);
      // Exact: the ids between members are not in it.
      let others = 0;
      for (let i = 0; i < 300_000; i++) if ((Math.imul(i, 0x9e3779b1) >>> 0) % shards !== 0 && s.has(`j${String(i).padStart(7, '0')}`)) others++;
      expect(others).toBe(0);
    }
  });

  it('puts a lone huge number beside small ones without a bitset that large', () => {
    const s = new IdSet().add('j1').add('j999999999').add('j2');
    expect([s.has('j1'), s.has('j2'), s.has('j999999999'), s.has('j999999998')]).toEqual([true, true, true, false]);
    expect(s.size).toBe(3);
    // Nine digits are their own bitset, a window at the number; one far from it in the same
    // window would take 28 million words: that one goes to the plain Set.
    expect(s.spilled).toBe(0);
    s.add('j100000000');
    expect([s.has('j100000000'), s.has('j999999999'), s.has('j100000001')]).toEqual([true, true, false]);
    expect(s.spilled).toBe(1);
  });
});
