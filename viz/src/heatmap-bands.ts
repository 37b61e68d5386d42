import { lowerBound } from './format.ts';
import { columnMeans, type Integrals } from './heatmap-columns.ts';

/**
 * The heatmap's rows when a cluster has more nodes than rows fit: consecutive nodes of one group
 * (a hierarchy's shard, or the whole cluster) binned into a band, drawn as one row whose cells are
 * the band's capacity-weighted means. A 19,424-node cluster drew 19,424 one-pixel rows: a canvas
 * 19,424 px tall per map, pages of scrolling, and most of the page's work while a log loads.
 */

/** One row of the heatmap: its nodes (indices in run-record order) and the group they belong to. */
export interface HeatRow {
  readonly nodes: readonly number[];
  /** Index of the group in `groups` given to `heatRows`. */
  readonly group: number;
}

/**
 * Rows for `groups` (node indices per group, in the order drawn): one per node when all of them
 * fit in `maxRows`; else bands of k = ⌈nodes / maxRows⌉ consecutive nodes, never across groups
 * (a group's last band may hold fewer), so at most maxRows + groups − 1 rows. Pure.
 *
 * Example: groups of 5 and 3 nodes, maxRows 4 → k = ⌈8 / 4⌉ = 2: bands [0,1] [2,3] [4] | [5,6] [7].
 */
export function heatRows(groups: readonly (readonly number[])[], maxRows: number): HeatRow[] {
  const total = groups.reduce((s, g) => s + g.length, 0);
  const k = total <= maxRows ? 1 : Math.ceil(total / Math.max(1, maxRows));
  const rows: HeatRow[] = [];
  groups.forEach((g, group) => {
    for (let i = 0; i < g.length; i += k) rows.push({ nodes: g.slice(i, i + k), group });
  });
  return rows;
}

/**
 * A band's cells: per pixel column of `edges` (as `columnMeans`), the time-weighted allocated and
 * stranded milli-GPU summed over the band's nodes, over their summed capacity `caps` — so a band
 * of one node gives that node's own means. `cell(c0, c1, fa, fs)` once per run of columns with the
 * same pair. `sums` is scratch of at least 2 × columns (reused across bands; overwritten). Pure but
 * for the calls and the scratch.
 *
 * Example: two nodes of capacity 8000 and 4000 milli, one column; the first allocated 4000
 * throughout, the second 4000 for half the column → (4000 + 2000) / 12000 = 0.5 allocated.
 */
export function bandMeans(I: readonly Integrals[], caps: ArrayLike<number>, nodes: readonly number[], edges: Float64Array, sums: Float64Array, cell: (c0: number, c1: number, fa: number, fs: number) => void): void {
  const cols = edges.length - 1;
  if (nodes.length === 1) {
    columnMeans(I[nodes[0]], edges, caps[nodes[0]] || 1, cell);
    return;
  }
  // A run of columns with one value adds it at its start and takes it off after its end (a
  // difference array), so that a node costs its changes in view, as with one node.
  sums.fill(0, 0, 2 * (cols + 1));
  let cap = 0;
  for (const n of nodes) {
    cap += caps[n] || 0;
    columnMeans(I[n], edges, 1, (c0, c1, a, s) => {
      sums[2 * c0] += a;
      sums[2 * c0 + 1] += s;
      sums[2 * c1] -= a;
      sums[2 * c1 + 1] -= s;
    });
  }
  const over = cap > 0 ? cap : 1;
  let a = 0;
  let s = 0;
  let start = 0;
  let fa = 0;
  let fs = 0;
  for (let c = 0; c < cols; c++) {
    a += sums[2 * c];
    s += sums[2 * c + 1];
    // Sums of differences leave rounding dust where a value ended: below a millionth of a GPU's share, zero.
    const na = Math.abs(a) < 1e-6 ? 0 : a / over;
    const ns = Math.abs(s) < 1e-6 ? 0 : s / over;
    if (c > start && (Math.abs(na - fa) > 1e-9 || Math.abs(ns - fs) > 1e-9)) {
      cell(start, c, fa, fs);
      start = c;
    }
    fa = na;
    fs = ns;
  }
  if (cols > 0) cell(start, cols, fa, fs);
}

/** The band's allocated and stranded share of its capacity at time `t` (the tooltip's). Pure. */
export function bandAt(series: readonly { t: Float64Array; alloc: Float64Array; strand: Float64Array }[], caps: ArrayLike<number>, nodes: readonly number[], t: number): { alloc: number; strand: number } {
  let a = 0;
  let s = 0;
  let cap = 0;
  for (const n of nodes) {
    const S = series[n];
    const i = lowerBound(S.t, t + 1e-9) - 1;
    if (i >= 0) {
      a += S.alloc[i];
      s += S.strand[i];
    }
    cap += caps[n] || 0;
  }
  return { alloc: cap > 0 ? a / cap : 0, strand: cap > 0 ? s / cap : 0 };
}
