import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bandAt, bandMeans, heatRows } from '../viz/src/heatmap-bands.ts';
import { columnMeans, integrals } from '../viz/src/heatmap-columns.ts';

/**
 * The heatmap's bands (viz/src/heatmap-bands.ts): a cluster of more nodes than rows is drawn in
 * bands of consecutive nodes within a group (a shard), each cell the band's capacity-weighted
 * mean.
 */

const f64 = (a: number[]) => Float64Array.from(a);
const raw = (t: number[], alloc: number[], strand: number[]) => ({ t: f64(t), alloc: f64(alloc), strand: f64(strand) });
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

describe('heatmap rows', () => {
  it('one row per node while the nodes fit', () => {
    expect(heatRows([range(0, 3), range(3, 5)], 5)).toEqual([
      { nodes: [0], group: 0 },
      { nodes: [1], group: 0 },
      { nodes: [2], group: 0 },
      { nodes: [3], group: 1 },
      { nodes: [4], group: 1 },
    ]);
  });

  it('bands of ⌈nodes / maxRows⌉ nodes that never cross a group', () => {
    // 5 + 3 = 8 nodes, 4 rows → k = 2: [0,1] [2,3] [4] | [5,6] [7].
    expect(heatRows([range(0, 5), range(5, 8)], 4).map((r) => [r.group, r.nodes])).toEqual([
      [0, [0, 1]],
      [0, [2, 3]],
      [0, [4]],
      [1, [5, 6]],
      [1, [7]],
    ]);
  });

  it('covers every node once, in order, within maxRows + groups − 1 rows', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 100 }), (sizes, maxRows) => {
        let next = 0;
        const groups = sizes.map((n) => range(next, (next += n)));
        const rows = heatRows(groups, maxRows);
        expect(rows.flatMap((r) => r.nodes)).toEqual(range(0, next));
        expect(rows.length).toBeLessThanOrEqual(Math.max(next, 0) <= maxRows ? next : maxRows + groups.length - 1);
        for (const r of rows) expect(groups[r.group]).toEqual(expect.arrayContaining([...r.nodes]));
      }),
    );
  });
});

describe('heatmap band means', () => {
  const cellsOf = (series: ReturnType<typeof raw>[], caps: number[], nodes: number[], edges: number[]) => {
    const out: [number, number, number, number][] = [];
    bandMeans(series.map(integrals), caps, nodes, f64(edges), new Float64Array(2 * edges.length), (c0, c1, fa, fs) => out.push([c0, c1, fa, fs]));
    return out;
  };

  it('weighs each node by its capacity', () => {
    // Node 0: cap 8000, alloc 4000 throughout. Node 1: cap 4000, alloc 4000 from t=5, strand 1000 until t=5.
    // Column [0,10]: alloc (4000 + 4000·5/10) / 12000 = 0.5; strand (1000·5/10) / 12000 = 1/24.
    // Column [10,20]: alloc (4000 + 4000) / 12000 = 2/3; strand 0.
    // Column [20,30]: as [10,20] (one run with it).
    const s = [raw([0], [4000], [0]), raw([0, 5], [0, 4000], [1000, 0])];
    const got = cellsOf(s, [8000, 4000], [0, 1], [0, 10, 20, 30]);
    expect(got.map(([c0, c1]) => [c0, c1])).toEqual([
      [0, 1],
      [1, 3],
    ]);
    expect(got[0][2]).toBeCloseTo(0.5, 12);
    expect(got[0][3]).toBeCloseTo(1 / 24, 12);
    expect(got[1][2]).toBeCloseTo(2 / 3, 12);
    expect(got[1][3]).toBe(0);
  });

  it('a band of one node gives that node’s own cells', () => {
    const s = [raw([0, 25], [1000, 0], [0, 500])];
    const own: [number, number, number, number][] = [];
    columnMeans(integrals(s[0]), f64([0, 10, 20, 30, 40]), 1000, (c0, c1, fa, fs) => own.push([c0, c1, fa, fs]));
    expect(cellsOf(s, [1000], [0], [0, 10, 20, 30, 40])).toEqual(own);
  });

  it('every column of a band is the capacity-weighted mean of its nodes’ column means', () => {
    const node = fc.record({
      cap: fc.integer({ min: 1000, max: 8000 }),
      pts: fc.array(fc.tuple(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 0, max: 8000 }), fc.integer({ min: 0, max: 8000 })), { maxLength: 20 }),
    });
    fc.assert(
      fc.property(fc.array(node, { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 5000 }), (nodes, cols, span) => {
        const series = nodes.map(({ pts }) => {
          let t = 0;
          return raw(
            pts.map(([g]) => (t += g)),
            pts.map(([, a]) => a),
            pts.map(([, , s]) => s),
          );
        });
        const caps = nodes.map((n) => n.cap);
        const edges = range(0, cols + 1).map((c) => (c * span) / cols);
        // Expected per column: Σ mean milli / Σ cap, from each node's own column means.
        const want = range(0, cols).map(() => [0, 0]);
        series.forEach((S) =>
          columnMeans(integrals(S), f64(edges), 1, (c0, c1, a, s) => {
            for (let c = c0; c < c1; c++) (want[c][0] += a), (want[c][1] += s);
          }),
        );
        const capSum = caps.reduce((x, y) => x + y, 0);
        const got = range(0, cols).map(() => [NaN, NaN]);
        for (const [c0, c1, fa, fs] of cellsOf(series, caps, range(0, nodes.length), edges)) for (let c = c0; c < c1; c++) got[c] = [fa, fs];
        for (let c = 0; c < cols; c++) {
          expect(got[c][0]).toBeCloseTo(want[c][0] / capSum, 6);
          expect(got[c][1]).toBeCloseTo(want[c][1] / capSum, 6);
        }
      }),
    );
  });

  it('the tooltip’s value at a time is the band’s summed step values over its capacity', () => {
    // At t=7: node 0 alloc 4000 (cap 8000), node 1 alloc 4000, strand 0 (cap 4000) → 8000 / 12000.
    // At t=3: node 1 has alloc 0 and strand 1000 → alloc 4000 / 12000, strand 1000 / 12000.
    const s = [raw([0], [4000], [0]), raw([0, 5], [0, 4000], [1000, 0])];
    expect(bandAt(s, [8000, 4000], [0, 1], 7)).toEqual({ alloc: 8000 / 12000, strand: 0 });
    expect(bandAt(s, [8000, 4000], [0, 1], 3)).toEqual({ alloc: 4000 / 12000, strand: 1000 / 12000 });
  });
});
