import * as d3 from 'd3';
import { fmtInt, fmtT, lowerBound, timeAxis } from './format.ts';
import { LEFT, RIGHT, sizeCanvas, timeScale, type Domain } from './layout.ts';
import type { RunView as RunModel } from './run-view.ts';

interface Chart {
  title: string;
  note: string;
  /** The series column drawn; `perCapacity`: as % of the run's GPU capacity. */
  column: (m: RunModel) => Float64Array;
  perCapacity?: boolean;
  fixedMax?: number;
  fmt: (v: number) => string;
  color: string;
}

const pct = (v: number) => `${v.toFixed(1)}%`;
const CHARTS: Chart[] = [
  { title: 'GPU allocated', note: '% of capacity', column: (m) => m.series.alloc, perCapacity: true, fixedMax: 100, fmt: pct, color: '#4e79a7' },
  { title: 'fragmentation', note: 'stranded free share', column: (m) => m.series.frag, perCapacity: true, fmt: pct, color: '#e15759' },
  { title: 'queue length', note: 'jobs waiting', column: (m) => m.series.queued, fmt: (v) => fmtInt(Math.round(v)), color: '#f28e2b' },
  { title: 'running', note: 'jobs running', column: (m) => m.series.running, fmt: (v) => fmtInt(Math.round(v)), color: '#59a14f' },
];
const H = 62;
const STACK_H = 90;

/**
 * Per pixel column, the least and greatest value (`(100 · col[i]) / div` when `div`, else
 * `col[i]`) of the points i0 ≤ i < i1 that cover it: point i covers columns colA[i - i0] to
 * colB[i - i0]. Writes into mn and mx (filled with ±Infinity by the caller).
 */
function envelope(col: Float64Array, div: number, i0: number, i1: number, colA: Int32Array, colB: Int32Array, mn: Float64Array, mx: Float64Array): void {
  for (let i = i0; i < i1; i++) {
    const v = div ? (100 * col[i]) / div : col[i];
    const cb = colB[i - i0];
    for (let c = colA[i - i0]; c <= cb; c++) {
      if (v < mn[c]) mn[c] = v;
      if (v > mx[c]) mx[c] = v;
    }
  }
}

/**
 * Step-function timelines on canvas, all on the schedule's time axis. Each chart's y-scale is
 * shared by every run of the directory (its maximum over all of them), so switching runs never
 * silently rescales. When a view holds more
 * points than pixel columns, each column shows the min–max envelope of the points in it (the
 * per-tenant stack is sampled at each column's right edge); `simplified` reports that.
 */
export class Timelines {
  simplified = '';
  private canvases: HTMLCanvasElement[] = [];
  private width = 800;

  constructor(
    private readonly root: HTMLElement,
    private readonly axis: SVGSVGElement,
    private readonly tooltip: HTMLElement,
    private readonly host: { model(): RunModel; all(): RunModel[]; domain(): Domain; cursor(): number; setCursor(t: number): void; colorOf(t: string): string },
  ) {
    for (let k = 0; k <= CHARTS.length; k++) {
      const div = document.createElement('div');
      div.className = 'tl';
      const c = document.createElement('canvas');
      c.dataset.chart = k < CHARTS.length ? CHARTS[k].title : 'tenant share';
      div.append(c);
      root.append(div);
      this.canvases.push(c);
      c.addEventListener('pointermove', (ev) => this.hover(ev));
      c.addEventListener('pointerleave', () => (this.tooltip.hidden = true));
      c.addEventListener('click', (ev) => {
        const px = ev.clientX - c.getBoundingClientRect().left;
        if (px >= LEFT) this.host.setCursor(timeScale(this.host.domain(), this.width).invert(px));
      });
    }
  }

  private maxCache: { key: string; v: number[] } | undefined;

  /** Per chart: the maximum over every run's whole series (shared y-scale). */
  private sharedMax(): number[] {
    const all = this.host.all();
    const key = all.map((m) => m.records.length).join(',');
    if (this.maxCache?.key === key) return this.maxCache.v;
    const v = CHARTS.map((ch) => {
      if (ch.fixedMax !== undefined) return ch.fixedMax;
      let mx = 0;
      for (const m of all) {
        const col = ch.column(m);
        const div = ch.perCapacity ? m.gpuCapacity || 1 : 0;
        for (let i = 0; i < m.series.t.length; i++) {
          const v = div ? (100 * col[i]) / div : col[i];
          if (v > mx) mx = v;
        }
      }
      return mx;
    });
    this.maxCache = { key, v };
    return v;
  }

  render(width: number): void {
    this.width = width;
    const m = this.host.model();
    const d = this.host.domain();
    const x = timeScale(d, width);
    const s = m.series;
    const i0 = Math.max(0, lowerBound(s.t, d[0]) - 1);
    const i1 = Math.min(s.t.length, lowerBound(s.t, d[1] + 1e-9));
    const cols = Math.max(1, Math.floor(width - LEFT - RIGHT));
    this.simplified = i1 - i0 > cols ? `timelines: ${fmtInt(i1 - i0)} points in view drawn as ${fmtInt(cols)} pixel columns (min–max per column; tenant shares sampled per column)` : '';
    const cur = this.host.cursor();
    const shared = this.sharedMax();
    // Each point's pixel columns, once for every chart: x(t) as d3's linear scale computes it.
    const n = Math.max(0, i1 - i0);
    const colA = new Int32Array(n);
    const colB = new Int32Array(n);
    const span = d[1] - d[0];
    const r1 = width - RIGHT;
    const px = (t: number) => {
      const u = (t - d[0]) / span;
      return LEFT * (1 - u) + r1 * u;
    };
    for (let i = i0; i < i1; i++) {
      const ta = Math.max(s.t[i], d[0]);
      const tb = i + 1 < s.t.length ? Math.min(s.t[i + 1], d[1]) : Math.min(m.lastT, d[1]);
      const ca = Math.max(0, Math.floor(px(ta) - LEFT));
      colA[i - i0] = ca;
      colB[i - i0] = Math.min(cols - 1, Math.max(ca, Math.floor(px(tb) - LEFT)));
    }
    const mn = new Float64Array(cols);
    const mx = new Float64Array(cols);
    CHARTS.forEach((ch, k) => {
      const ctx = sizeCanvas(this.canvases[k], width, H);
      ctx.clearRect(0, 0, width, H);
      mn.fill(Infinity);
      mx.fill(-Infinity);
      let vmax = shared[k];
      envelope(ch.column(m), ch.perCapacity ? m.gpuCapacity || 1 : 0, i0, i1, colA, colB, mn, mx);
      if (vmax <= 0) vmax = 1;
      const y = (v: number) => H - 4 - (v / vmax) * (H - 10);
      ctx.fillStyle = ch.color + '44';
      for (let c = 0; c < cols; c++) if (mx[c] > -Infinity) ctx.fillRect(LEFT + c, y(mx[c]), 1, H - 4 - y(mx[c]));
      ctx.fillStyle = ch.color;
      for (let c = 0; c < cols; c++) if (mx[c] > -Infinity) ctx.fillRect(LEFT + c, y(mx[c]) - 0.5, 1, Math.max(1.5, y(mn[c]) - y(mx[c]) + 1));
      this.canvases[k].dataset.ymax = String(vmax);
      this.frame(ctx, ch.title, ch.note, `${ch.fmt(vmax)}${ch.fixedMax === undefined && this.host.all().length > 1 ? ' (all runs)' : ''}`, width, H, x, cur, d);
    });
    // Per-tenant allocation, stacked, % of capacity.
    const ctx = sizeCanvas(this.canvases[CHARTS.length], width, STACK_H);
    ctx.clearRect(0, 0, width, STACK_H);
    const cap = m.gpuCapacity || 1;
    const y = (v: number) => ((STACK_H - 10) * v) / 100;
    const colors = m.tenants.map((t) => this.host.colorOf(t));
    // The point at each column's right edge (-1: none), then one colour (tenant) at a time, bottom up.
    const at = new Int32Array(cols).fill(-1);
    for (let c = 0; c < cols; c++) {
      const t = x.invert(LEFT + c + 1);
      if (t < (s.t[0] ?? Infinity) || t > m.lastT + (d[1] - d[0]) / cols) continue;
      at[c] = lowerBound(s.t, t + 1e-9) - 1;
    }
    const base = new Float64Array(cols).fill(STACK_H - 4);
    for (let k = 0; k < s.tenantAlloc.length; k++) {
      const a = s.tenantAlloc[k];
      ctx.fillStyle = colors[k];
      for (let c = 0; c < cols; c++) {
        const i = at[c];
        if (i < 0) continue;
        const h = y((100 * a[i]) / cap);
        if (h <= 0) continue;
        ctx.fillRect(LEFT + c, base[c] - h, 1, h);
        base[c] -= h;
      }
    }
    this.frame(ctx, 'tenant share', '% of GPU capacity, stacked', '100%', width, STACK_H, x, cur, d);
    const svg = d3.select(this.axis).attr('width', width).attr('height', 22);
    svg.selectAll('*').remove();
    svg.append('g').call(timeAxis(d3.axisBottom(x), x));
  }

  private frame(ctx: CanvasRenderingContext2D, title: string, note: string, max: string, width: number, h: number, x: d3.ScaleLinear<number, number>, cur: number, d: Domain): void {
    ctx.fillStyle = '#ccc';
    ctx.fillRect(LEFT, h - 4, width - LEFT - RIGHT, 1);
    ctx.fillStyle = '#222';
    ctx.font = '600 11px system-ui, sans-serif';
    ctx.textBaseline = 'top';
    ctx.fillText(title, 4, 4, LEFT - 8);
    ctx.font = '10px system-ui, sans-serif';
    ctx.fillStyle = '#666';
    ctx.fillText(`max ${max}`, 4, 18, LEFT - 8);
    if (note.length < 28) ctx.fillText(note, 4, 30, LEFT - 8);
    else {
      // Long notes wrap onto two lines in the margin.
      const cut = note.lastIndexOf(' ', 26);
      ctx.fillText(note.slice(0, cut), 4, 30, LEFT - 8);
      ctx.fillText(note.slice(cut + 1), 4, 41, LEFT - 8);
    }
    if (cur >= d[0] && cur <= d[1]) {
      ctx.fillStyle = '#d62728';
      ctx.fillRect(Math.round(x(cur)), 0, 1, h);
    }
  }

  private hover(ev: PointerEvent): void {
    const c = ev.currentTarget as HTMLCanvasElement;
    const px = ev.clientX - c.getBoundingClientRect().left;
    const m = this.host.model();
    if (px < LEFT) return;
    const t = timeScale(this.host.domain(), this.width).invert(px);
    const i = lowerBound(m.series.t, t + 1e-9) - 1;
    if (i < 0) {
      this.tooltip.hidden = true;
      return;
    }
    const cap = m.gpuCapacity || 1;
    const s = m.series;
    const tenants = m.tenants.map((n, k) => `${n} ${pct((100 * (s.tenantAlloc[k]?.[i] ?? 0)) / cap)}`).join(', ');
    this.tooltip.innerHTML = `<b>t = ${fmtT(t)}</b><br>GPU allocated ${pct((100 * s.alloc[i]) / cap)} · fragmentation ${pct((100 * s.frag[i]) / cap)}<br>queue ${s.queued[i]} · running ${s.running[i]}<br>${tenants}`;
    delete this.tooltip.dataset.job;
    this.tooltip.hidden = false;
    this.tooltip.style.left = `${Math.min(ev.clientX + 14, window.innerWidth - this.tooltip.offsetWidth - 8)}px`;
    this.tooltip.style.top = `${ev.clientY + 14}px`;
  }
}
