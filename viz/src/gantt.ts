import * as d3 from 'd3';
import { esc, fmtInt, fmtT, lowerBound, tenantColor } from './format.ts';
import { clampDomain, LEFT, RIGHT, sizeCanvas, timeScale, type Domain } from './layout.ts';
import type { JobInfo, RunModel } from './run-model.ts';

export interface GanttHost {
  model(): RunModel;
  domain(): Domain;
  full(): Domain;
  cursor(): number;
  setDomain(d: Domain): void;
  setCursor(t: number): void;
}

/** What the last frame drew; also exposed on the canvas as data-* attributes for tests. */
export interface DrawStats {
  lanes: number;
  /** Job segments (one per job per GPU lane per attempt) that overlap the visible range. */
  bars: number;
  /** Distinct jobs with at least one bar in the visible range. */
  jobsDrawn: number;
  /** fillRect calls actually made. */
  painted: number;
  /** Bars that fell inside pixels already painted in their lane (aggregated at this zoom). */
  merged: number;
  ms: number;
}

const MAX_HEIGHT = 500;

/**
 * The schedule as a canvas Gantt: one row per lane, bars coloured by tenant. Everything is drawn
 * to one canvas so 100,000 jobs stay responsive; in each lane a bar that lands on pixels already
 * painted is skipped (counted as merged) so a frame paints at most about one rect per pixel
 * column per lane. Wheel zooms around the pointer, drag pans, a click selects a moment.
 */
export class Gantt {
  stats: DrawStats = { lanes: 0, bars: 0, jobsDrawn: 0, painted: 0, merged: 0, ms: 0 };
  private order: number[] = [];
  private orderVersion = -1;
  private orderModel: RunModel | undefined;
  private laneH = 12;
  private width = 800;
  private stamp = new Uint32Array(0);
  private epoch = 0;
  private brush: d3.BrushBehavior<unknown> | undefined;
  private movingBrush = false;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly axis: SVGSVGElement,
    private readonly overview: SVGSVGElement,
    private readonly tooltip: HTMLElement,
    private readonly host: GanttHost,
  ) {
    this.wire();
  }

  private lanesInOrder(): number[] {
    const m = this.host.model();
    if (m !== this.orderModel || m.laneVersion !== this.orderVersion) {
      this.order = m.laneOrder();
      this.orderVersion = m.laneVersion;
      this.orderModel = m;
    }
    return this.order;
  }

  render(width: number): DrawStats {
    const t0ms = performance.now();
    this.width = width;
    const m = this.host.model();
    const order = this.lanesInOrder();
    const n = order.length;
    this.laneH = Math.max(2, Math.min(16, Math.floor(MAX_HEIGHT / Math.max(1, n))));
    const H = Math.max(30, n * this.laneH);
    const ctx = sizeCanvas(this.canvas, width, H);
    const [d0, d1] = this.host.domain();
    const x = timeScale([d0, d1], width);
    const xL = LEFT;
    const xR = width - RIGHT;
    ctx.clearRect(0, 0, width, H);
    // Node stripes and labels.
    ctx.font = '10px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    let nodeRow = 0;
    for (let r = 0; r < n; r++) {
      const L = m.lanes[order[r]];
      const prev = r > 0 ? m.lanes[order[r - 1]] : undefined;
      if (!prev || prev.node !== L.node) nodeRow++;
      if (nodeRow % 2 === 0) {
        ctx.fillStyle = '#f4f5f7';
        ctx.fillRect(0, r * this.laneH, width, this.laneH);
      }
      if (prev && prev.node !== L.node) {
        ctx.fillStyle = '#c9ccd1';
        ctx.fillRect(0, r * this.laneH, width, 1);
      }
    }
    // Labels in a second pass so a node's stripe never covers the label of the row above.
    ctx.fillStyle = '#333';
    for (let r = 0; r < n; r++) {
      const L = m.lanes[order[r]];
      const prev = r > 0 ? m.lanes[order[r - 1]] : undefined;
      if (this.laneH >= 9) {
        const where = L.gpu < 0 ? 'cpu' : `gpu${L.gpu}`;
        const share = L.instance ? ` ${L.instance}` : L.slot > 0 || this.hasSlots(order, r) ? ` ·${L.slot + 1}` : '';
        ctx.fillText(`${L.node} ${where}${share}`, 4, r * this.laneH + this.laneH / 2, LEFT - 8);
      } else if (!prev || prev.node !== L.node) {
        ctx.fillText(L.node, 4, r * this.laneH + 6, LEFT - 8);
      }
    }
    // Bars.
    if (this.stamp.length < m.jobs.length) this.stamp = new Uint32Array(Math.max(1024, m.jobs.length * 2));
    this.epoch++;
    const now = m.lastT;
    const colors = m.tenants.map((_, i) => tenantColor(i));
    const bh = this.laneH >= 4 ? this.laneH - 1 : this.laneH;
    let bars = 0;
    let jobsDrawn = 0;
    let painted = 0;
    let merged = 0;
    ctx.save();
    ctx.beginPath();
    ctx.rect(xL, 0, xR - xL, H);
    ctx.clip();
    const k = (xR - xL) / Math.max(1, d1 - d0);
    // Node outages (node-down … node-up): a grey band across the node's lanes.
    let outages = 0;
    if (m.outages.size > 0) {
      ctx.fillStyle = 'rgba(90, 90, 90, 0.28)';
      for (let r = 0; r < n; r++) {
        const o = m.outages.get(m.lanes[order[r]].node);
        if (!o) continue;
        for (let i = lowerBound(o.ends, d0); i < o.starts.length && o.starts[i] <= d1; i++) {
          const e = o.ends[i] === Infinity ? now : o.ends[i];
          const a = Math.floor(xL + (Math.max(o.starts[i], d0) - d0) * k);
          const b = Math.ceil(xL + (Math.min(e, d1) - d0) * k);
          ctx.fillRect(a, r * this.laneH, Math.max(1, b - a), this.laneH);
          outages++;
        }
      }
    }
    for (let r = 0; r < n; r++) {
      const L = m.lanes[order[r]];
      const y = r * this.laneH;
      let lastPx = -Infinity;
      let lastColor = '';
      for (let i = lowerBound(L.ends, d0); i < L.starts.length && L.starts[i] <= d1; i++) {
        const s = L.starts[i];
        const e = L.ends[i] === Infinity ? now : L.ends[i];
        if (e < d0) continue;
        bars++;
        const j = L.jobs[i];
        if (this.stamp[j] !== this.epoch) {
          this.stamp[j] = this.epoch;
          jobsDrawn++;
        }
        let a = Math.floor(xL + (Math.max(s, d0) - d0) * k);
        let b = Math.ceil(xL + (Math.min(e, d1) - d0) * k);
        if (b - a < 1) b = a + 1;
        if (b <= lastPx) {
          merged++;
          continue;
        }
        if (a < lastPx) a = lastPx;
        const c = colors[m.jobs[j].tenantIx];
        if (c !== lastColor) {
          ctx.fillStyle = c;
          lastColor = c;
        }
        // A 1px gap separates adjacent bars that are wide enough to show it.
        ctx.fillRect(a, y, b - a > 3 ? b - a - 1 : b - a, bh);
        painted++;
        lastPx = b;
      }
    }
    // The selected moment.
    const cur = this.host.cursor();
    if (cur >= d0 && cur <= d1) {
      ctx.fillStyle = '#d62728';
      ctx.fillRect(Math.round(x(cur)), 0, 1, H);
    }
    ctx.restore();
    this.stats = { lanes: n, bars, jobsDrawn, painted, merged, ms: performance.now() - t0ms };
    const ds = this.canvas.dataset;
    ds.lanes = String(n);
    ds.bars = String(bars);
    ds.jobsDrawn = String(jobsDrawn);
    ds.painted = String(painted);
    ds.merged = String(merged);
    ds.laneHeight = String(this.laneH);
    ds.outageBands = String(outages);
    this.drawAxis(x);
    return this.stats;
  }

  private hasSlots(order: number[], r: number): boolean {
    const m = this.host.model();
    const L = m.lanes[order[r]];
    const next = r + 1 < order.length ? m.lanes[order[r + 1]] : undefined;
    return next !== undefined && next.node === L.node && next.gpu === L.gpu;
  }

  private drawAxis(x: d3.ScaleLinear<number, number>): void {
    const svg = d3.select(this.axis).attr('width', this.width).attr('height', 22);
    svg.selectAll('*').remove();
    svg
      .append('g')
      .attr('transform', 'translate(0,21)')
      .call(d3.axisTop(x).ticks(Math.max(2, Math.floor(this.width / 110))).tickFormat((v) => fmtT(Number(v))));
  }

  /** Overview strip: allocation over the whole run with a brush that sets the visible range. */
  renderOverview(width: number): void {
    const m = this.host.model();
    const full = this.host.full();
    const x = timeScale(full, width);
    const h = 34;
    const svg = d3.select(this.overview).attr('width', width).attr('height', h + 18);
    svg.selectAll('*').remove();
    const s = m.series;
    const cols: [number, number][] = [];
    const cap = m.gpuCapacity || 1;
    for (let px = LEFT; px <= width - RIGHT; px += 2) {
      const i = lowerBound(s.t, x.invert(px) + 1e-9) - 1;
      cols.push([px, i >= 0 ? s.alloc[i] / cap : 0]);
    }
    const y = d3.scaleLinear().domain([0, 1]).range([h, 2]);
    svg
      .append('path')
      .attr('d', d3.area<[number, number]>().x((d) => d[0]).y0(h).y1((d) => y(d[1])).curve(d3.curveStepAfter)(cols) ?? '')
      .attr('fill', '#9db8d9');
    svg.append('text').attr('x', 4).attr('y', 14).attr('font-size', 10).text('overview: brush');
    svg.append('text').attr('x', 4).attr('y', 26).attr('font-size', 10).attr('fill', '#666').text('a range to zoom');
    svg
      .append('g')
      .attr('transform', `translate(0,${h})`)
      .call(d3.axisBottom(x).ticks(Math.max(2, Math.floor(width / 110))).tickFormat((v) => fmtT(Number(v))));
    this.brush = d3
      .brushX()
      .extent([
        [LEFT, 0],
        [width - RIGHT, h],
      ])
      .on('end', (ev: d3.D3BrushEvent<unknown>) => {
        if (this.movingBrush || !ev.sourceEvent) return;
        const sel = ev.selection as [number, number] | null;
        this.host.setDomain(sel ? [x.invert(sel[0]), x.invert(sel[1])] : full);
      });
    svg.append('g').attr('class', 'brush').call(this.brush);
    this.syncBrush(width);
  }

  /** Moves the brush to the visible range without feeding back into setDomain. */
  syncBrush(width: number): void {
    if (!this.brush) return;
    const full = this.host.full();
    const [d0, d1] = this.host.domain();
    const x = timeScale(full, width);
    this.movingBrush = true;
    const g = d3.select(this.overview).select<SVGGElement>('g.brush');
    const isFull = d0 <= full[0] && d1 >= full[1];
    g.call(this.brush.move, isFull ? null : [x(d0), x(d1)]);
    this.movingBrush = false;
  }

  /** The job under a canvas position (CSS px), with a 2px tolerance for thin bars. */
  hit(px: number, py: number): JobInfo | undefined {
    const m = this.host.model();
    const order = this.lanesInOrder();
    const r = Math.floor(py / this.laneH);
    if (r < 0 || r >= order.length || px < LEFT || px > this.width - RIGHT) return undefined;
    const L = m.lanes[order[r]];
    const x = timeScale(this.host.domain(), this.width);
    const t = x.invert(px);
    const tol = Math.abs(x.invert(px + 2) - t);
    const now = m.lastT;
    const i = lowerBound(L.ends, t);
    for (const k of [i, i - 1, i + 1]) {
      if (k < 0 || k >= L.starts.length) continue;
      const e = L.ends[k] === Infinity ? now : L.ends[k];
      if (L.starts[k] - tol <= t && t <= e + tol) return m.jobs[L.jobs[k]];
    }
    return undefined;
  }

  /** Canvas-relative centre of a job's first visible bar (test hook and "show job"). */
  barCenter(jobId: string): { x: number; y: number } | undefined {
    const m = this.host.model();
    const j = m.jobIndex.get(jobId);
    if (j === undefined) return undefined;
    const order = this.lanesInOrder();
    const [d0, d1] = this.host.domain();
    const x = timeScale([d0, d1], this.width);
    for (let r = 0; r < order.length; r++) {
      const L = m.lanes[order[r]];
      for (let i = 0; i < L.jobs.length; i++) {
        if (L.jobs[i] !== j) continue;
        const e = L.ends[i] === Infinity ? m.lastT : L.ends[i];
        const a = Math.max(L.starts[i], d0);
        const b = Math.min(e, d1);
        if (b < a) continue;
        return { x: x((a + b) / 2), y: r * this.laneH + this.laneH / 2 };
      }
    }
    return undefined;
  }

  private showTip(job: JobInfo, clientX: number, clientY: number): void {
    const m = this.host.model();
    const tip = this.tooltip;
    const r = job.row;
    const wait = r.start >= 0 ? r.start - r.submit : NaN;
    const ran = r.start >= 0 ? (r.end >= 0 ? r.end : m.lastT) - r.start : NaN;
    const demand = job.gpus > 0 ? `${job.gpus} GPU × ${r.milli} milli` : 'CPU only';
    tip.innerHTML =
      `<b>${esc(r.id)}</b> <span style="color:${tenantColor(job.tenantIx)}">■</span> ${esc(r.tenant)}<br>` +
      `demand: ${demand}, ${fmtInt(job.cpu / 1000)} CPU, ${fmtInt(job.mem)} MiB<br>` +
      `submit ${fmtT(r.submit)} · start ${fmtT(r.start >= 0 ? r.start : NaN)} · end ${fmtT(r.end >= 0 ? r.end : NaN)}<br>` +
      `wait ${fmtT(wait)} · ran ${fmtT(ran)} · state <b>${esc(r.state)}</b><br>` +
      `on ${esc(r.node)} gpus [${esc(r.gpus)}] · attempts ${r.attempts} · preemptions ${r.preemptions}` +
      (r.reason ? `<br>reason: ${esc(r.reason)}` : '') +
      (job.extra ? `<br>${esc(job.extra)}` : '');
    tip.dataset.job = r.id;
    tip.hidden = false;
    const w = tip.offsetWidth;
    tip.style.left = `${Math.min(clientX + 14, window.innerWidth - w - 8)}px`;
    tip.style.top = `${clientY + 14}px`;
  }

  private wire(): void {
    const c = this.canvas;
    let drag: { x: number; d: Domain; moved: boolean } | undefined;
    c.addEventListener(
      'wheel',
      (ev) => {
        ev.preventDefault();
        const rect = c.getBoundingClientRect();
        this.zoomAt(ev.clientX - rect.left, Math.exp(ev.deltaY * 0.002));
      },
      { passive: false },
    );
    c.addEventListener('pointerdown', (ev) => {
      drag = { x: ev.clientX, d: this.host.domain(), moved: false };
      c.setPointerCapture(ev.pointerId);
    });
    c.addEventListener('pointermove', (ev) => {
      const rect = c.getBoundingClientRect();
      if (drag) {
        const dx = ev.clientX - drag.x;
        if (Math.abs(dx) > 3) drag.moved = true;
        if (drag.moved) {
          const span = drag.d[1] - drag.d[0];
          const dt = (-dx / (this.width - LEFT - RIGHT)) * span;
          this.host.setDomain(clampDomain([drag.d[0] + dt, drag.d[1] + dt], this.host.full()));
          this.tooltip.hidden = true;
          return;
        }
      }
      const job = this.hit(ev.clientX - rect.left, ev.clientY - rect.top);
      if (job) this.showTip(job, ev.clientX, ev.clientY);
      else {
        this.tooltip.hidden = true;
        delete this.tooltip.dataset.job;
      }
    });
    c.addEventListener('pointerup', (ev) => {
      if (drag && !drag.moved) {
        const rect = c.getBoundingClientRect();
        const px = ev.clientX - rect.left;
        if (px >= LEFT) this.host.setCursor(timeScale(this.host.domain(), this.width).invert(px));
      }
      drag = undefined;
    });
    c.addEventListener('pointerleave', () => {
      this.tooltip.hidden = true;
    });
    c.addEventListener('dblclick', () => this.host.setDomain(this.host.full()));
  }

  /** Zooms by `factor` (<1 in, >1 out) around canvas x `px`. */
  zoomAt(px: number, factor: number): void {
    const [d0, d1] = this.host.domain();
    const x = timeScale([d0, d1], this.width);
    const t = x.invert(Math.max(LEFT, Math.min(this.width - RIGHT, px)));
    this.host.setDomain(clampDomain([t - (t - d0) * factor, t + (d1 - t) * factor], this.host.full()));
  }

  plotCenter(): number {
    return (LEFT + this.width - RIGHT) / 2;
  }
}
