import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { insertSorted, removeSorted } from '../src/cluster/sorted-ids.ts';

/**
 * A node group's members: inserts and removes by binary search keep the list sorted by the key
 * (identity, or a rank per node), whether the entries after the spot are few (moved by a loop)
 * or many (moved by splice).
 */
describe('sorted node lists', () => {
  it('insert and remove agree with a sorted reference, by index or by rank, short and long moves', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.array(fc.tuple(fc.boolean(), fc.nat()), { minLength: 1, maxLength: 400 }),
        fc.boolean(),
        fc.integer(),
        (nodes, ops, ranked, seed) => {
          // A rank per node (a permutation), as ids in string order give one.
          const order = Array.from({ length: nodes }, (_, i) => i).sort((a, b) => ((Math.imul(a ^ seed, 0x9e3779b1) >>> 0) % 1000) - ((Math.imul(b ^ seed, 0x9e3779b1) >>> 0) % 1000) || a - b);
          const rank = new Int32Array(nodes);
          order.forEach((node, r) => (rank[node] = r));
          const key = ranked ? rank : undefined;
          const by = (v: number) => (key ? key[v] : v);
          const list: number[] = [];
          const members = new Set<number>();
          for (const [add, x] of ops) {
            const v = x % nodes;
            if (add && !members.has(v)) {
              insertSorted(list, v, key);
              members.add(v);
            } else if (!add && members.size > 0) {
              const gone = [...members][x % members.size];
              removeSorted(list, gone, key);
              members.delete(gone);
            }
            expect(list).toEqual([...members].sort((a, b) => by(a) - by(b)));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses to remove a node that is not in the list', () => {
    const list = [1, 4, 9];
    expect(() => removeSorted(list, 5, undefined)).toThrow('node 5 missing from its group');
    expect(list).toEqual([1, 4, 9]);
  });
});
