import { lowerBound } from './format.ts';
import type { XMap } from './gantt-marks.ts';
import type { GanttRow } from './gantt-rows.ts';
import type { RunView as RunModel } from './run-view.ts';
import { shardNodeIxs, shardOfNode, shardUtil, type ShardHead } from './shards.ts';

/**
 * What the Gantt draws for a scheduler hierarchy (issue 17): each shard's header row (▾/▸, id,
 * nodes, GPUs, utilisation over the visible range) and a band over a shard's header and node rows
 * while its scheduler is down (shard-down … shard-up). Only called for a run with a hierarchy.
 */

export const SHARD_DOWN_COLOR = 'rgba(118, 42, 131, 0.25)';
const HEAD_FILL = '#e3e8f2';
const HEAD_LINE = '#7d8799';

/** A drawn shard header, as the page's test hook reports it (util: 0..1 over the visible range, NaN when none). */
export interface ShardHeadStats extends ShardHead {
  util: number;
}

/** Per model: each node's shard index and each shard's node indices (the hierarchy never changes after the run record). */
const layout = new WeakMap<RunModel, { shardOf: Int32Array; nodeIxs: number[][] }>();
export function shardLayout(m: RunModel): { shardOf: Int32Array; nodeIxs: number[][] } {
  let l = layout.get(m);
  if (!l || l.shardOf.length !== m.nodes.length) {
    const shardOf = shardOfNode(m.hierarchy!, m.nodes);
    l = { shardOf, nodeIxs: shardNodeIxs(shardOf, m.hierarchy!.shards.length) };
    layout.set(m, l);
  }
  return l;
}

/** Header rows: background, a rule above, and the label across the row. Returns what each says. */
export function drawShardHeads(ctx: CanvasRenderingContext2D, m: RunModel, rows: GanttRow[], rowY: (r: number) => number, rowH: number, width: number, [d0, d1]: readonly [number, number]): ShardHeadStats[] {
  const { nodeIxs } = shardLayout(m);
  const out: ShardHeadStats[] = [];
  ctx.save();
  ctx.font = 'bold 10px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  for (let r = 0; r < rows.length; r++) {
    const h = rows[r].shard;
    if (!h) continue;
    const util = shardUtil(m.nodeSeries, m.nodeCap, nodeIxs[h.ix] ?? [], d0, d1, m.lastT);
    out.push({ ...h, util });
    ctx.fillStyle = HEAD_FILL;
    ctx.fillRect(0, rowY(r), width, rowH);
    ctx.fillStyle = HEAD_LINE;
    ctx.fillRect(0, rowY(r), width, 1);
    ctx.fillStyle = '#1f2937';
    const pct = Number.isFinite(util) ? `${(100 * util).toFixed(1)}% of its GPUs allocated in view` : 'no GPUs';
    const text = `${h.collapsed ? '▸' : '▾'} shard ${h.id} · ${h.nodes} node${h.nodes === 1 ? '' : 's'} · ${h.gpus} GPU${h.gpus === 1 ? '' : 's'} · ${pct}`;
    ctx.fillText(text, 4, rowY(r) + rowH / 2, width - 8);
  }
  ctx.restore();
  return out;
}

/**
 * Shard scheduler outages: a translucent band over the shard's header and node rows, drawn over
 * the bars (the nodes keep running their jobs while nothing new starts). Returns the bands drawn.
 */
export function drawShardOutages(ctx: CanvasRenderingContext2D, m: RunModel, rows: GanttRow[], rowY: (r: number) => number, rowH: number, { xL, d0, d1, k }: XMap): number {
  if (m.shardOutages.size === 0) return 0;
  const { shardOf } = shardLayout(m);
  const shards = m.hierarchy!.shards;
  const now = m.lastT;
  let bands = 0;
  ctx.fillStyle = SHARD_DOWN_COLOR;
  for (let r = 0; r < rows.length; r++) {
    const R = rows[r];
    const ix = R.shard ? R.shard.ix : R.nodeIx >= 0 ? shardOf[R.nodeIx] : -1;
    if (ix === undefined || ix < 0) continue;
    const o = m.shardOutages.get(shards[ix].id);
    if (!o) continue;
    for (let i = lowerBound(o.ends, d0); i < o.starts.length && o.starts[i] <= d1; i++) {
      const e = o.ends[i] === Infinity ? now : o.ends[i];
      const a = Math.floor(xL + (Math.max(o.starts[i], d0) - d0) * k);
      const b = Math.ceil(xL + (Math.min(e, d1) - d0) * k);
      ctx.fillRect(a, rowY(r), Math.max(1, b - a), rowH);
      bands++;
    }
  }
  return bands;
}
