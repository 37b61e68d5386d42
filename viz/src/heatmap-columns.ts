import { lowerBound } from './format.ts';

/** A node's step series with its prefix integrals, for the heatmap's column means. */
export interface Integrals {
  t: Float64Array;
  /** ∫ alloc dt and ∫ strand dt up to t[i], milli·ms. */
  ia: Float64Array;
  is: Float64Array;
  alloc: Float64Array;
  strand: Float64Array;
}

/** The prefix integrals of a node's series (points at ascending times `t`, each value held until the next). Pure. */
export function integrals(S: { t: Float64Array; alloc: Float64Array; strand: Float64Array }): Integrals {
  const n = S.t.length;
  const ia = new Float64Array(n);
  const is = new Float64Array(n);
  for (let i = 1; i < n; i++) {
    const dt = S.t[i] - S.t[i - 1];
    ia[i] = ia[i - 1] + S.alloc[i - 1] * dt;
    is[i] = is[i - 1] + S.strand[i - 1] * dt;
  }
  return { t: S.t, ia, is, alloc: S.alloc, strand: S.strand };
}

/**
 * Per pixel column c, [edges[c], edges[c + 1]] (edges ascending, `edges.length - 1` columns), the
 * time-weighted mean of the node's allocated and stranded milli-GPU over `cap`: `cell(c0, c1, fa,
 * fs)` for each column, or once for a run of columns c0 … c1 - 1 in which the series does not
 * change (all with the step's value), so that a node costs its changes in view, not the columns.
 * Pure but for the calls; one walk along the series.
 */
export function columnMeans(I: Integrals, edges: Float64Array, cap: number, cell: (c0: number, c1: number, fa: number, fs: number) => void): void {
  const cols = edges.length - 1;
  const n = I.t.length;
  let i = lowerBound(I.t, edges[0] + 1e-9) - 1;
  const integral = (t: number, which: 'ia' | 'is', val: Float64Array) => (i < 0 ? 0 : I[which][i] + val[i] * (t - I.t[i]));
  let prevA = integral(edges[0], 'ia', I.alloc);
  let prevS = integral(edges[0], 'is', I.strand);
  const wide = edges[cols] > edges[0];
  for (let c = 0; c < cols; c++) {
    const a = edges[c];
    // Columns c … e-1 hold no point of the series (the next lies past edges[e]).
    const e = Math.min(cols, lowerBound(edges, i + 1 < n ? I.t[i + 1] - 1e-9 : Infinity) - 1);
    if (e > c) {
      cell(c, e, wide && i >= 0 ? I.alloc[i] / cap : 0, wide && i >= 0 ? I.strand[i] / cap : 0);
      prevA = integral(edges[e], 'ia', I.alloc);
      prevS = integral(edges[e], 'is', I.strand);
      c = e - 1;
      continue;
    }
    const b = edges[c + 1];
    while (i + 1 < n && I.t[i + 1] < b + 1e-9) i++;
    const curA = integral(b, 'ia', I.alloc);
    const curS = integral(b, 'is', I.strand);
    cell(c, c + 1, b > a ? (curA - prevA) / ((b - a) * cap) : 0, b > a ? (curS - prevS) / ((b - a) * cap) : 0);
    prevA = curA;
    prevS = curS;
  }
}
