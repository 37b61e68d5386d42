import { fillIntervals, type EndMark, type XMap } from './gantt-marks.ts';
import type { GanttRow } from './gantt-rows.ts';
import type { RunView as RunModel } from './run-view.ts';
import { LEFT, RIGHT } from './layout.ts';
import { shardColumns, shardNodeIxs, shardOfNode, type ShardHead } from './shards.ts';

/**
 * What the Gantt draws for a scheduler hierarchy (issue 17): each shard's header row (▾/▸, id,
 * nodes, GPUs, utilisation over the visible range, over a strip of its allocated share per pixel
 * column, so a collapsed shard still shows its load over time) and a band over a shard's header
 * and node rows while its scheduler is down (shard-down … shard-up). Only called for a run with a
 * hierarchy.
 */

export const SHARD_DOWN_COLOR = 'rgba(118, 42, 131, 0.25)';
const HEAD_FILL = '#e3e8f2';
const HEAD_LINE = '#7d8799';
const STRIP_FILL = 'rgba(66, 107, 168, 0.32)';
/** Height a header's label needs (px): thinner rows draw only labels that do not overlap. */
const LABEL_H = 11;
/** Start marks of bounced jobs (sent back to the master) and stolen jobs (taken by another shard). */
export const BOUNCE_COLOR = '#e66100';
export const STEAL_COLOR = '#5d3a9b';

/**
 * A bounced or stolen job's marks: 2px strokes at the start `a` of its first bar (bounce, then
 * steal beside it), like the end marks of preempted segments. Counts them in `n` [bounce, steal].
 */
export function routingMarks(m: RunModel, j: number, a: number, y: number, h: number, marks: EndMark[], n: [number, number]): void {
  let at = a + 2;
  if (m.jobs.bounces(j) > 0) (marks.push({ x: at, y, h, c: BOUNCE_COLOR }), n[0]++, (at += 2));
  if (m.jobs.steals(j) > 0) (marks.push({ x: at, y, h, c: STEAL_COLOR }), n[1]++);
}

/** The canvas's data-* counts of a hierarchy (tests read them); removed for a run without one. */
export function shardDataset(ds: DOMStringMap, v: Record<string, string | number> | undefined): void {
  for (const k of ['shardBands', 'bounceMarks', 'stealMarks', 'shardHeads', 'collapsedShards']) {
    if (v) ds[k] = String(v[k]);
    else delete ds[k];
  }
}

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

/** Each shard's allocated share per pixel column of the plot, kept until the range, width or log changes. */
let strips: { m: RunModel; key: string; cols: Map<number, Float64Array> } | undefined;
function strip(m: RunModel, ix: number, d0: number, d1: number, cols: number): Float64Array {
  const key = `${d0},${d1},${cols},${m.records.length}`;
  if (!strips || strips.m !== m || strips.key !== key) strips = { m, key, cols: new Map() };
  let c = strips.cols.get(ix);
  if (!c) strips.cols.set(ix, (c = shardColumns(m.nodeSeries, m.nodeCap, shardLayout(m).nodeIxs[ix] ?? [], d0, d1, m.lastT, cols)));
  return c;
}

/**
 * Header rows: background, a rule above, the shard's allocated share per pixel column as a strip
 * (full row height = all its GPUs allocated), and the label over it. Returns what each says.
 */
export function drawShardHeads(ctx: CanvasRenderingContext2D, m: RunModel, rows: GanttRow[], rowY: (r: number) => number, rowH: number, width: number, [d0, d1]: readonly [number, number]): ShardHeadStats[] {
  const out: ShardHeadStats[] = [];
  const xL = LEFT;
  const cols = Math.max(1, Math.round(width - RIGHT - xL));
  const labels: { y: number; text: string; first: boolean }[] = [];
  ctx.save();
  ctx.font = 'bold 10px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  for (let r = 0; r < rows.length; r++) {
    const h = rows[r].shard;
    if (!h) continue;
    const col = strip(m, h.ix, d0, d1, cols);
    // Equal columns: the range's mean is the columns' mean.
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += col[c];
    const util = sum / cols;
    out.push({ ...h, util });
    const y = rowY(r);
    ctx.fillStyle = HEAD_FILL;
    ctx.fillRect(0, y, width, rowH);
    if (Number.isFinite(util) && rowH >= 4) {
      const base = y + rowH;
      const hh = rowH - 1;
      ctx.beginPath();
      ctx.moveTo(xL, base);
      for (let c = 0; c < cols; c++) {
        const top = base - Math.min(1, Math.max(0, col[c])) * hh;
        ctx.lineTo(xL + c, top);
        ctx.lineTo(xL + c + 1, top);
      }
      ctx.lineTo(xL + cols, base);
      ctx.closePath();
      ctx.fillStyle = STRIP_FILL;
      ctx.fill();
    }
    ctx.fillStyle = HEAD_LINE;
    ctx.fillRect(0, y, width, 1);
    const pct = Number.isFinite(util) ? `${(100 * util).toFixed(1)}% of its GPUs allocated in view` : 'no GPUs';
    const text = `${h.collapsed ? '▸' : '▾'} shard ${h.id} · ${h.nodes} node${h.nodes === 1 ? '' : 's'} · ${h.gpus} GPU${h.gpus === 1 ? '' : 's'} · ${pct}`;
    // An expanded shard's label first: when rows are thinner than the text, labels that would overlap one already drawn are left out.
    labels.push({ y: y + rowH / 2, text, first: r + 1 < rows.length && !rows[r + 1].shard });
  }
  ctx.fillStyle = '#1f2937';
  const taken: number[] = [];
  for (const L of [...labels.filter((x) => x.first), ...labels.filter((x) => !x.first)]) {
    if (rowH < LABEL_H && taken.some((y) => Math.abs(y - L.y) < LABEL_H)) continue;
    taken.push(L.y);
    ctx.fillText(L.text, 4, L.y, width - 8);
  }
  ctx.restore();
  return out;
}

/**
 * Shard scheduler outages: a translucent band over the shard's header and node rows, drawn over
 * the bars (the nodes keep running their jobs while nothing new starts). Returns the bands drawn.
 */
export function drawShardOutages(ctx: CanvasRenderingContext2D, m: RunModel, rows: GanttRow[], rowY: (r: number) => number, rowH: number, x: XMap): number {
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
    if (o) bands += fillIntervals(ctx, o, rowY(r), rowH, x, now);
  }
  return bands;
}
