import type { LogHierarchy } from '../../src/log/records.ts';
import { lowerBound } from './format.ts';
import type { GanttRow } from './gantt-rows.ts';

/**
 * A scheduler hierarchy in the schedule (issue 17): node rows grouped by shard under a header
 * row per shard, a shard collapsed to its header alone, each shard's GPU utilisation over the
 * visible range, and the `shard:<id>` search. Pure functions of the run's hierarchy (the run
 * record's) and the page's columns; a run without a hierarchy never reaches them.
 */

/** A shard's header row: its id, size from the run record, and whether it is collapsed. */
export interface ShardHead {
  id: string;
  /** Index in the hierarchy's shard list. */
  ix: number;
  nodes: number;
  gpus: number;
  collapsed: boolean;
}

/** `shard:<id>` in the search box: the jobs now in that shard. */
export const SHARD_PREFIX = 'shard:';

/** The shard id of a `shard:<id>` query, or undefined for any other query. Pure. */
export function shardQuery(q: string): string | undefined {
  const s = q.trim();
  return s.startsWith(SHARD_PREFIX) ? s.slice(SHARD_PREFIX.length).trim() : undefined;
}

/** Per node index of `nodes` (run-record order): the index of its shard in `h`, -1 for a node no shard lists. */
export function shardOfNode(h: LogHierarchy, nodes: readonly { id: string }[]): Int32Array {
  const ix = new Map(nodes.map((n, i) => [n.id, i]));
  const out = new Int32Array(nodes.length).fill(-1);
  h.shards.forEach((s, k) => {
    for (const n of s.nodes) {
      const i = ix.get(n);
      if (i !== undefined && out[i] < 0) out[i] = k;
    }
  });
  return out;
}

/**
 * The drawn rows grouped by shard: for each shard in the hierarchy's order a header row (`shard`
 * set, no lanes), then its nodes' rows in the order the shard lists its nodes (none when the shard
 * is collapsed); rows of nodes no shard lists last, as they came. A shard whose nodes have no
 * rows yet (nothing ran there) still gets its header. Pure.
 */
export function shardRows(rows: readonly GanttRow[], h: LogHierarchy, nodes: readonly { id: string; gpus: readonly unknown[] }[], collapsed: ReadonlySet<string>): GanttRow[] {
  const shardOf = shardOfNode(h, nodes);
  // A node's place within its shard, so rows follow the shard's own node order.
  const rank = new Int32Array(nodes.length);
  const ix = new Map(nodes.map((n, i) => [n.id, i]));
  for (const s of h.shards) s.nodes.forEach((n, k) => ix.has(n) && (rank[ix.get(n)!] = k));
  const groups: GanttRow[][] = h.shards.map(() => []);
  const rest: GanttRow[] = [];
  for (const R of rows) {
    const k = R.nodeIx >= 0 && R.nodeIx < shardOf.length ? shardOf[R.nodeIx] : -1;
    (k >= 0 ? groups[k] : rest).push(R);
  }
  const out: GanttRow[] = [];
  h.shards.forEach((s, k) => {
    const gpus = s.nodes.reduce((a, n) => a + (ix.has(n) ? nodes[ix.get(n)!].gpus.length : 0), 0);
    const head: ShardHead = { id: s.id, ix: k, nodes: s.nodes.length, gpus, collapsed: collapsed.has(s.id) };
    out.push({ key: `${SHARD_PREFIX}${s.id}`, node: '', nodeIx: -1, gpu: -1, lanes: [], sub: [], subs: 1, shard: head });
    if (head.collapsed) return;
    // Stable: rows of one node keep their order.
    const g = groups[k].map((R, i) => [R, i] as const);
    g.sort((a, b) => rank[a[0].nodeIx] - rank[b[0].nodeIx] || a[1] - b[1]);
    for (const [R] of g) out.push(R);
  });
  for (const R of rest) out.push(R);
  return out;
}

/** Per node: GPU milli allocated at each change (the page's node series, run-view.ts `NodeCols`). */
interface NodeAlloc {
  t: Float64Array;
  alloc: Float64Array;
}

/**
 * A shard's allocated share of its GPU capacity (0..1) in each of `cols` equal columns of
 * [d0, d1]: per column, the time integral of its nodes' allocated milli-GPU (step functions, each
 * value held until the next change, the last until `now`) over capacity × column span. One walk
 * per node over the changes in range, O(changes + cols). All NaN for an empty range or a shard
 * without GPUs. Pure.
 */
export function shardColumns(series: readonly (NodeAlloc | undefined)[], nodeCap: readonly number[], nodeIxs: readonly number[], d0: number, d1: number, now: number, cols: number): Float64Array {
  const out = new Float64Array(cols);
  let cap = 0;
  for (const n of nodeIxs) cap += nodeCap[n] ?? 0;
  if (!(cap > 0 && d1 > d0 && cols > 0)) return out.fill(NaN);
  const w = (d1 - d0) / cols;
  const end = Math.min(d1, now);
  for (const n of nodeIxs) {
    const S = series[n];
    if (!S || S.t.length === 0 || end <= d0) continue;
    // The last change at or before d0 holds at d0.
    for (let i = Math.max(0, lowerBound(S.t, d0) - 1); i < S.t.length && S.t[i] < end; i++) {
      const v = S.alloc[i];
      let a = Math.max(d0, S.t[i]);
      const b = Math.min(end, i + 1 < S.t.length ? S.t[i + 1] : end);
      if (!(b > a) || v === 0) continue;
      // Spread v × [a, b) over the columns it covers.
      for (let c = Math.min(cols - 1, Math.floor((a - d0) / w)); c < cols && a < b; c++) {
        const ce = c === cols - 1 ? d1 : d0 + (c + 1) * w;
        const e = Math.min(b, ce);
        if (e > a) out[c] += v * (e - a);
        a = e;
      }
    }
  }
  for (let c = 0; c < cols; c++) out[c] /= cap * w;
  return out;
}

/** The mean allocated share of a shard's GPU capacity over [d0, d1] (`shardColumns` with one column). Pure. */
export function shardUtil(series: readonly (NodeAlloc | undefined)[], nodeCap: readonly number[], nodeIxs: readonly number[], d0: number, d1: number, now: number): number {
  return shardColumns(series, nodeCap, nodeIxs, d0, d1, now, 1)[0];
}

/** Node indices of each shard of `h` (run-record order), from `shardOfNode`. */
export function shardNodeIxs(shardOf: Int32Array, shards: number): number[][] {
  const out: number[][] = Array.from({ length: shards }, () => []);
  shardOf.forEach((k, n) => k >= 0 && out[k].push(n));
  return out;
}
