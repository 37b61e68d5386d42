import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { columnMeans, integrals } from '../viz/src/heatmap-columns.ts';

/**
 * The heatmap's column means (viz/src/heatmap-columns.ts): per pixel column the time-weighted
 * mean of a node's allocated and stranded share, a run of columns with no change of the series
 * in it reported once (so that a node costs its changes in view, not the columns).
 */

const f64 = (a: number[]) => Float64Array.from(a);
const series = (t: number[], alloc: number[], strand: number[]) => integrals({ t: f64(t), alloc: f64(alloc), strand: f64(strand) });
const cells = (I: ReturnType<typeof integrals>, edges: number[], cap: number) => {
  const out: [number, number, number, number][] = [];
  columnMeans(I, f64(edges), cap, (c0, c1, fa, fs) => out.push([c0, c1, fa, fs]));
  return out;
};

/** ∫ of the step series (0 before its first point) from `a` to `b`. */
function stepIntegral(t: number[], v: number[], a: number, b: number): number {
  let sum = 0;
  for (let i = 0; i < t.length; i++) {
    const lo = Math.max(a, t[i]);
    const hi = Math.min(b, i + 1 < t.length ? t[i + 1] : Infinity);
    if (hi > lo) sum += v[i] * (hi - lo);
  }
  return sum;
}

describe('heatmap column means', () => {
  it('reports a run of columns without change once, and a column with a change by its mean', () => {
    // alloc 1000 from t=0, 0 from t=25; strand 0, then 500; cap 1000; columns of 10 ms.
    // [0,10], [10,20]: alloc 1000 → 1, strand 0 (one run).
    // [20,30]: alloc (5·1000 + 5·0) / 10 / 1000 = 0.5; strand 5·500 / 10 / 1000 = 0.25.
    // [30,40]: alloc 0, strand 0.5.
    expect(cells(series([0, 25], [1000, 0], [0, 500]), [0, 10, 20, 30, 40], 1000)).toEqual([
      [0, 2, 1, 0],
      [2, 3, 0.5, 0.25],
      [3, 4, 0, 0.5],
    ]);
  });

  it('a node with no point, or none in view, is one cell of its step value', () => {
    expect(cells(series([], [], []), [0, 1, 2, 3], 1000)).toEqual([[0, 3, 0, 0]]);
    // The last point (t=5, alloc 2000 of 4000) lies before the view.
    expect(cells(series([0, 5], [0, 2000], [0, 1000]), [100, 200, 300], 4000)).toEqual([[0, 2, 0.5, 0.25]]);
  });

  it('every column gets the time-weighted mean of the step series over it', () => {
    const arb = fc.record({
      gaps: fc.array(fc.integer({ min: 1, max: 500 }), { maxLength: 40 }),
      vals: fc.array(fc.tuple(fc.integer({ min: 0, max: 8000 }), fc.integer({ min: 0, max: 8000 })), { minLength: 40, maxLength: 40 }),
      t0: fc.integer({ min: -2000, max: 5000 }),
      width: fc.double({ min: 1, max: 20000, noNaN: true }),
      cols: fc.integer({ min: 1, max: 300 }),
    });
    fc.assert(
      fc.property(arb, ({ gaps, vals, t0, width, cols }) => {
        const t: number[] = [];
        for (const g of gaps) t.push((t[t.length - 1] ?? 0) + g);
        const alloc = t.map((_, i) => vals[i][0]);
        const strand = t.map((_, i) => vals[i][1]);
        const edges = Array.from({ length: cols + 1 }, (_, c) => t0 + (width * c) / cols);
        const got = cells(series(t, alloc, strand), edges, 8000);
        // The cells tile the columns in order.
        expect(got.map(([c0]) => c0)).toEqual([0, ...got.slice(0, -1).map(([, c1]) => c1)]);
        expect(got[got.length - 1][1]).toBe(cols);
        for (const [c0, c1, fa, fs] of got)
          for (let c = c0; c < c1; c++) {
            const [a, b] = [edges[c], edges[c + 1]];
            expect(fa).toBeCloseTo(stepIntegral(t, alloc, a, b) / ((b - a) * 8000), 6);
            expect(fs).toBeCloseTo(stepIntegral(t, strand, a, b) / ((b - a) * 8000), 6);
          }
      }),
      { numRuns: 300 },
    );
  });
});
