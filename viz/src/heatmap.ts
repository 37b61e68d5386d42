import * as d3 from 'd3';
import { esc, fmtT } from './format.ts';
import { LEFT, RIGHT, sizeCanvas, timeScale, type Domain } from './layout.ts';
import { bandAt, bandMeans, heatRows, type HeatRow } from './heatmap-bands.ts';
import { integrals, type Integrals } from './heatmap-columns.ts';
import { PixelLayer, rgbaOf } from './pixel-layer.ts';
import type { RunView as RunModel } from './run-view.ts';
import { shardNodeIxs, shardOfNode } from './shards.ts';

/**
 * Node × time heatmaps of a run: per node (a row) and pixel column, the time-weighted mean of its
 * allocated GPU share and of its stranded share (free milli-GPU on its partly used GPUs), each as
 * a fraction of the node's GPU capacity. Node outages are hatched grey. Means come from prefix
 * integrals of each node's step series (heatmap-columns.ts), a run of columns with no change in
 * it drawn as one cell; the cells are rasterised into a pixel buffer per map (pixel-layer.ts), their colours
 * from a precomputed ramp. A cluster of more than MAX_ROWS nodes is drawn in bands of consecutive
 * nodes, a row each (heatmap-bands.ts: capacity-weighted means; a hierarchy's bands stay within a
 * shard, its shards in the schedule's order).
 */

const ROWS_MAX_H = 220;
/** More nodes than this are binned into bands, at most this many rows (plus one per shard). */
export const MAX_ROWS = 440;
/** Where a hierarchy's shard ticks and names begin in the margin (px). */
const SHARD_X = 72;
/** Colour ramps as pixel values, RAMP + 1 steps from 0 to 1 of the share (d3's, from 15% up). */
const RAMP = 1024;
const ramp = (f: (t: number) => string) => Uint32Array.from({ length: RAMP + 1 }, (_, q) => rgbaOf(f(0.15 + (0.85 * q) / RAMP)));
const BLUES = ramp(d3.interpolateBlues);
const ORANGES = ramp(d3.interpolateOranges);

export class Heatmap {
  /** Last frame: rows drawn, and the largest stranded fraction seen (for tests and the legend). */
  stats = { nodes: 0, rows: 0, nodesPerRow: 1, shardLabels: 0, maxStrandPct: 0, maxAllocPct: 0 };
  private cache = new WeakMap<RunModel, { at: number; v: Integrals[] }>();
  private width = 800;
  private rowH = 4;
  private rows: HeatRow[] = [];
  private sums = new Float64Array(0);
  /** The cells of each map (allocated, stranded), rasterised in one pixel buffer each. */
  private readonly layers = [new PixelLayer(), new PixelLayer()];

  constructor(
    private readonly allocCanvas: HTMLCanvasElement,
    private readonly strandCanvas: HTMLCanvasElement,
    private readonly tooltip: HTMLElement,
    private readonly host: { model(): RunModel; domain(): Domain; cursor(): number; setCursor(t: number): void },
  ) {
    for (const [c, what] of [
      [allocCanvas, 'alloc'],
      [strandCanvas, 'strand'],
    ] as const) {
      c.addEventListener('pointermove', (ev) => this.hover(ev, what));
      c.addEventListener('pointerleave', () => (this.tooltip.hidden = true));
      c.addEventListener('click', (ev) => {
        const px = ev.clientX - c.getBoundingClientRect().left;
        if (px >= LEFT) this.host.setCursor(timeScale(this.host.domain(), this.width).invert(px));
      });
    }
  }

  private integrals(m: RunModel): Integrals[] {
    const c = this.cache.get(m);
    if (c && c.at === m.records.length) return c.v;
    const v = m.nodeSeries.map(integrals);
    this.cache.set(m, { at: m.records.length, v });
    return v;
  }

  render(width: number): void {
    this.width = width;
    const m = this.host.model();
    const d = this.host.domain();
    const x = timeScale(d, width);
    const nodes = m.nodes.length;
    const rows = (this.rows = heatRows(nodeGroups(m), MAX_ROWS));
    const perRow = rows.reduce((k, r) => Math.max(k, r.nodes.length), 1);
    this.rowH = Math.max(1, Math.min(14, Math.floor(ROWS_MAX_H / Math.max(1, rows.length))));
    const H = Math.max(12, rows.length * this.rowH);
    const cols = Math.max(1, Math.floor(width - LEFT - RIGHT));
    const I = this.integrals(m);
    const edges = new Float64Array(cols + 1);
    for (let c = 0; c <= cols; c++) edges[c] = x.invert(LEFT + c);
    if (this.sums.length < 2 * (cols + 1)) this.sums = new Float64Array(2 * (cols + 1));
    const dpr = window.devicePixelRatio || 1;
    const [la, ls] = this.layers;
    la.begin(width, H, dpr, LEFT, width - RIGHT);
    ls.begin(width, H, dpr, LEFT, width - RIGHT);
    // Per row, both means per column in one walk along each of its nodes' series (the edges ascend).
    let maxS = 0;
    let maxA = 0;
    for (let r = 0; r < rows.length; r++) {
      const y = r * this.rowH;
      bandMeans(I, m.nodeCap, rows[r].nodes, edges, this.sums, (c0, c1, fa, fs) => {
        if (fa > maxA) maxA = fa;
        if (fs > maxS) maxS = fs;
        if (fa > 0.001) la.rect(LEFT + c0, y, c1 - c0, this.rowH, BLUES[Math.round(Math.min(1, fa) * RAMP)]);
        if (fs > 0.001) ls.rect(LEFT + c0, y, c1 - c0, this.rowH, ORANGES[Math.round(Math.min(1, fs) * RAMP)]);
      });
    }
    let labels = 0;
    const draw = (canvas: HTMLCanvasElement, layer: PixelLayer, title: string) => {
      const ctx = sizeCanvas(canvas, width, H);
      ctx.clearRect(0, 0, width, H);
      layer.compose(ctx);
      ctx.font = '10px system-ui, sans-serif';
      ctx.textBaseline = 'middle';
      for (let r = 0; r < rows.length; r++) {
        const y = r * this.rowH;
        const band = rows[r].nodes;
        // A node down hatches its row; in a band, each down node hatches 1/k of the full shade.
        ctx.fillStyle = `rgba(60,60,60,${0.55 / band.length})`;
        for (const n of band) {
          const o = m.outages.get(m.nodes[n].id);
          if (!o) continue;
          for (let i = 0; i < o.starts.length; i++) {
            const e = o.ends[i] === Infinity ? m.lastT : o.ends[i];
            if (e < d[0] || o.starts[i] > d[1]) continue;
            const a = Math.max(LEFT, x(o.starts[i]));
            ctx.fillRect(a, y, Math.max(1, Math.min(width - RIGHT, x(e)) - a), this.rowH);
          }
        }
        if (this.rowH >= 9) {
          ctx.fillStyle = '#333';
          ctx.fillText(rowLabel(m, band), 4, y + this.rowH / 2, LEFT - 8);
        }
      }
      if (this.rowH < 9) {
        ctx.fillStyle = '#222';
        ctx.font = '600 11px system-ui, sans-serif';
        // A hierarchy's shard names take the right half of the margin.
        const w = m.hierarchy ? SHARD_X - 12 : LEFT - 8;
        ctx.fillText(title, 4, 8, w);
        ctx.font = '10px system-ui, sans-serif';
        ctx.fillText(`${nodes} nodes`, 4, 22, w);
        if (perRow > 1) ctx.fillText(`≤ ${perRow} per row`, 4, 34, w);
        if (m.hierarchy) labels = this.shardMarks(ctx, m.hierarchy.shards);
      }
      const cur = this.host.cursor();
      if (cur >= d[0] && cur <= d[1]) {
        ctx.fillStyle = '#d62728';
        ctx.fillRect(Math.round(x(cur)), 0, 1, H);
      }
    };
    draw(this.allocCanvas, la, 'allocated');
    draw(this.strandCanvas, ls, 'stranded');
    this.stats = { nodes, rows: rows.length, nodesPerRow: perRow, shardLabels: labels, maxStrandPct: Math.round(1000 * maxS) / 10, maxAllocPct: Math.round(1000 * maxA) / 10 };
    for (const c of [this.allocCanvas, this.strandCanvas]) {
      c.dataset.nodes = String(nodes);
      c.dataset.rows = String(rows.length);
      c.dataset.nodesPerRow = String(perRow);
      c.dataset.shardLabels = String(labels);
      c.dataset.maxStrandPct = String(this.stats.maxStrandPct);
      c.dataset.maxAllocPct = String(this.stats.maxAllocPct);
    }
  }

  /**
   * Rows too thin for names: in the margin, a tick where each shard's rows begin and its id beside
   * them where they are tall enough for a line of text. Returns the ids drawn.
   */
  private shardMarks(ctx: CanvasRenderingContext2D, shards: readonly { id: string }[]): number {
    let drawn = 0;
    ctx.textAlign = 'right';
    for (let r0 = 0; r0 < this.rows.length; ) {
      const g = this.rows[r0].group;
      let r1 = r0;
      while (r1 < this.rows.length && this.rows[r1].group === g) r1++;
      const y0 = r0 * this.rowH;
      const y1 = r1 * this.rowH;
      ctx.fillStyle = '#bbb';
      ctx.fillRect(SHARD_X, y0, LEFT - 2 - SHARD_X, 1);
      if (y1 - y0 >= 11) {
        ctx.fillStyle = '#333';
        ctx.fillText(shards[g]?.id ?? 'no shard', LEFT - 4, (y0 + y1) / 2, LEFT - 8 - SHARD_X);
        drawn++;
      }
      r0 = r1;
    }
    ctx.textAlign = 'left';
    return drawn;
  }

  private hover(ev: PointerEvent, what: 'alloc' | 'strand'): void {
    const c = ev.currentTarget as HTMLCanvasElement;
    const rect = c.getBoundingClientRect();
    const px = ev.clientX - rect.left;
    const r = Math.floor((ev.clientY - rect.top) / this.rowH);
    const m = this.host.model();
    const row = this.rows[r];
    if (px < LEFT || r < 0 || row === undefined) {
      this.tooltip.hidden = true;
      return;
    }
    const t = timeScale(this.host.domain(), this.width).invert(px);
    const band = row.nodes;
    const { alloc, strand } = bandAt(m.nodeSeries, m.nodeCap, band, t);
    const gpus = band.reduce((g, n) => g + m.nodes[n].gpus.length, 0);
    const shard = m.hierarchy?.shards[row.group];
    const whose = band.length === 1 ? 'its' : 'their';
    this.tooltip.innerHTML =
      `<b>${esc(rowLabel(m, band))}</b> (${band.length === 1 ? '' : `${band.length} nodes, `}${gpus} GPU${shard ? `, shard ${esc(shard.id)}` : ''}) at ${fmtT(t)}<br>` +
      `${what === 'alloc' ? '<b>' : ''}allocated ${(100 * alloc).toFixed(1)}%${what === 'alloc' ? '</b>' : ''} · ${what === 'strand' ? '<b>' : ''}stranded ${(100 * strand).toFixed(1)}%${what === 'strand' ? '</b>' : ''} of ${whose} GPU capacity`;
    delete this.tooltip.dataset.job;
    this.tooltip.hidden = false;
    this.tooltip.style.left = `${Math.min(ev.clientX + 14, window.innerWidth - this.tooltip.offsetWidth - 8)}px`;
    this.tooltip.style.top = `${ev.clientY + 14}px`;
  }
}

/** The nodes as drawn: a hierarchy's by shard (the schedule's order), then any no shard lists; else one group in run-record order. */
function nodeGroups(m: RunModel): number[][] {
  const all = m.nodes.map((_, i) => i);
  const h = m.hierarchy;
  if (!h) return [all];
  const shardOf = shardOfNode(h, m.nodes);
  const groups = shardNodeIxs(shardOf, h.shards.length);
  const rest = all.filter((n) => shardOf[n] < 0);
  return rest.length > 0 ? [...groups, rest] : groups;
}

/** A row's name: its node's id, or a band's first and last. */
function rowLabel(m: RunModel, band: readonly number[]): string {
  return band.length === 1 ? m.nodes[band[0]].id : `${m.nodes[band[0]].id}–${m.nodes[band[band.length - 1]].id}`;
}
