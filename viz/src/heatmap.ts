import * as d3 from 'd3';
import { esc, fmtT, lowerBound } from './format.ts';
import { LEFT, RIGHT, sizeCanvas, timeScale, type Domain } from './layout.ts';
import { columnMeans, integrals, type Integrals } from './heatmap-columns.ts';
import { PixelLayer, rgbaOf } from './pixel-layer.ts';
import type { RunView as RunModel } from './run-view.ts';

/**
 * Node × time heatmaps of a run: per node (a row) and pixel column, the time-weighted mean of its
 * allocated GPU share and of its stranded share (free milli-GPU on its partly used GPUs), each as
 * a fraction of the node's GPU capacity. Node outages are hatched grey. Means come from prefix
 * integrals of each node's step series (heatmap-columns.ts), a run of columns with no change in
 * it drawn as one cell; the cells are rasterised into a pixel buffer per map (pixel-layer.ts), their colours
 * from a precomputed ramp.
 */

const ROWS_MAX_H = 220;
/** Colour ramps as pixel values, RAMP + 1 steps from 0 to 1 of the share (d3's, from 15% up). */
const RAMP = 1024;
const ramp = (f: (t: number) => string) => Uint32Array.from({ length: RAMP + 1 }, (_, q) => rgbaOf(f(0.15 + (0.85 * q) / RAMP)));
const BLUES = ramp(d3.interpolateBlues);
const ORANGES = ramp(d3.interpolateOranges);

export class Heatmap {
  /** Last frame: rows drawn, and the largest stranded fraction seen (for tests and the legend). */
  stats = { nodes: 0, maxStrandPct: 0, maxAllocPct: 0 };
  private cache = new WeakMap<RunModel, { at: number; v: Integrals[] }>();
  private width = 800;
  private rowH = 4;
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
    this.rowH = Math.max(1, Math.min(14, Math.floor(ROWS_MAX_H / Math.max(1, nodes))));
    const H = Math.max(12, nodes * this.rowH);
    const cols = Math.max(1, Math.floor(width - LEFT - RIGHT));
    const I = this.integrals(m);
    const edges = new Float64Array(cols + 1);
    for (let c = 0; c <= cols; c++) edges[c] = x.invert(LEFT + c);
    const dpr = window.devicePixelRatio || 1;
    const [la, ls] = this.layers;
    la.begin(width, H, dpr, LEFT, width - RIGHT);
    ls.begin(width, H, dpr, LEFT, width - RIGHT);
    // Per node, both means per column in one walk along its series (the edges ascend).
    let maxS = 0;
    let maxA = 0;
    for (let r = 0; r < nodes; r++) {
      const cap = m.nodeCap[r] || 1;
      const y = r * this.rowH;
      columnMeans(I[r], edges, cap, (c0, c1, fa, fs) => {
        if (fa > maxA) maxA = fa;
        if (fs > maxS) maxS = fs;
        if (fa > 0.001) la.rect(LEFT + c0, y, c1 - c0, this.rowH, BLUES[Math.round(Math.min(1, fa) * RAMP)]);
        if (fs > 0.001) ls.rect(LEFT + c0, y, c1 - c0, this.rowH, ORANGES[Math.round(Math.min(1, fs) * RAMP)]);
      });
    }
    const draw = (canvas: HTMLCanvasElement, layer: PixelLayer, title: string) => {
      const ctx = sizeCanvas(canvas, width, H);
      ctx.clearRect(0, 0, width, H);
      layer.compose(ctx);
      ctx.font = '10px system-ui, sans-serif';
      ctx.textBaseline = 'middle';
      for (let r = 0; r < nodes; r++) {
        const y = r * this.rowH;
        const o = m.outages.get(m.nodes[r].id);
        if (o) {
          ctx.fillStyle = 'rgba(60,60,60,0.55)';
          for (let i = 0; i < o.starts.length; i++) {
            const e = o.ends[i] === Infinity ? m.lastT : o.ends[i];
            if (e < d[0] || o.starts[i] > d[1]) continue;
            const a = Math.max(LEFT, x(o.starts[i]));
            ctx.fillRect(a, y, Math.max(1, Math.min(width - RIGHT, x(e)) - a), this.rowH);
          }
        }
        if (this.rowH >= 9) {
          ctx.fillStyle = '#333';
          ctx.fillText(m.nodes[r].id, 4, y + this.rowH / 2, LEFT - 8);
        }
      }
      if (this.rowH < 9) {
        ctx.fillStyle = '#222';
        ctx.font = '600 11px system-ui, sans-serif';
        ctx.fillText(title, 4, 8, LEFT - 8);
        ctx.font = '10px system-ui, sans-serif';
        ctx.fillText(`${nodes} nodes`, 4, 22, LEFT - 8);
      }
      const cur = this.host.cursor();
      if (cur >= d[0] && cur <= d[1]) {
        ctx.fillStyle = '#d62728';
        ctx.fillRect(Math.round(x(cur)), 0, 1, H);
      }
    };
    draw(this.allocCanvas, la, 'allocated');
    draw(this.strandCanvas, ls, 'stranded');
    this.stats = { nodes, maxStrandPct: Math.round(1000 * maxS) / 10, maxAllocPct: Math.round(1000 * maxA) / 10 };
    for (const c of [this.allocCanvas, this.strandCanvas]) {
      c.dataset.nodes = String(nodes);
      c.dataset.maxStrandPct = String(this.stats.maxStrandPct);
      c.dataset.maxAllocPct = String(this.stats.maxAllocPct);
    }
  }

  private hover(ev: PointerEvent, what: 'alloc' | 'strand'): void {
    const c = ev.currentTarget as HTMLCanvasElement;
    const rect = c.getBoundingClientRect();
    const px = ev.clientX - rect.left;
    const r = Math.floor((ev.clientY - rect.top) / this.rowH);
    const m = this.host.model();
    if (px < LEFT || r < 0 || r >= m.nodes.length) {
      this.tooltip.hidden = true;
      return;
    }
    const t = timeScale(this.host.domain(), this.width).invert(px);
    const S = m.nodeSeries[r];
    const i = lowerBound(S.t, t + 1e-9) - 1;
    const cap = m.nodeCap[r] || 1;
    const a = i >= 0 ? S.alloc[i] : 0;
    const s = i >= 0 ? S.strand[i] : 0;
    const gpus = m.nodes[r].gpus.length;
    this.tooltip.innerHTML = `<b>${esc(m.nodes[r].id)}</b> (${gpus} GPU) at ${fmtT(t)}<br>${what === 'alloc' ? '<b>' : ''}allocated ${((100 * a) / cap).toFixed(1)}%${what === 'alloc' ? '</b>' : ''} · ${what === 'strand' ? '<b>' : ''}stranded ${((100 * s) / cap).toFixed(1)}%${what === 'strand' ? '</b>' : ''} of its GPU capacity`;
    delete this.tooltip.dataset.job;
    this.tooltip.hidden = false;
    this.tooltip.style.left = `${Math.min(ev.clientX + 14, window.innerWidth - this.tooltip.offsetWidth - 8)}px`;
    this.tooltip.style.top = `${ev.clientY + 14}px`;
  }
}
