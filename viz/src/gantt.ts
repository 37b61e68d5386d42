import * as d3 from 'd3';
import { FLAG } from './filter.ts';
import { esc, fmtInt, fmtT, lowerBound, timeAxis } from './format.ts';
import { clampDomain, LEFT, RIGHT, sizeCanvas, timeScale, type Domain } from './layout.ts';
import { SEG_END } from './run-model.ts';
import type { JobInfo, RunView as RunModel } from './run-view.ts';

export interface GanttHost {
  model(): RunModel;
  domain(): Domain;
  full(): Domain;
  cursor(): number;
  setDomain(d: Domain): void;
  setCursor(t: number): void;
  /** Colour of a tenant by name (stable across runs). */
  colorOf(tenant: string): string;
  /** Per-job flags under the current filter and search (src/filter.ts). */
  flags(): { flags: Uint8Array; hits: number };
}

/** What the last frame drew; also exposed on the canvas as data-* attributes for tests. */
export interface DrawStats {
  lanes: number;
  /** Drawn rows: one per GPU (its shares and MIG instances inside), one per CPU lane, one for rejections. */
  rows: number;
  /** Job segments (one per job per GPU lane per attempt) that overlap the visible range. */
  bars: number;
  /** Distinct jobs with at least one bar in the visible range. */
  jobsDrawn: number;
  /** fillRect calls actually made. */
  painted: number;
  /** Bars that fell inside pixels already painted in their lane (aggregated at this zoom). */
  merged: number;
  /** End marks drawn: preempted, lost with a node; rejection ticks. */
  preemptMarks: number;
  lossMarks: number;
  rejectMarks: number;
  /** Bars of jobs matched by the search. */
  hitBars: number;
  ms: number;
}

const MAX_HEIGHT = 520;
const OUT_COLOR = '#e4e4e4';
const PREEMPT_COLOR = '#000000';
const LOSS_COLOR = '#c00000';
const REJECT_COLOR = '#c00000';

/** A drawn row: the model's row, or a collapsed node's summary row (`summary`); `sub[k]` of `subs` is lane k's band. */
type Row = ReturnType<RunModel['rowOrder']>[number] & { sub: number[]; subs: number; summary?: boolean };

/**
 * The schedule as a canvas Gantt: one row per GPU, in which each job's bar is as tall as the share
 * of the GPU it holds and sits at the offset it took (a MIG instance at its slices), so free and
 * stranded capacity shows as empty space; one row per CPU lane; a top row of rejection ticks.
 * Bars are coloured by tenant; a preempted segment ends in a black mark, one lost with its node
 * in a red mark. Everything is drawn to one canvas so 100,000 jobs stay responsive; in each lane
 * a bar that lands on pixels already painted is skipped (counted as merged). Wheel zooms around
 * the pointer, drag pans, a click selects a moment.
 */
export class Gantt {
  stats: DrawStats = { lanes: 0, rows: 0, bars: 0, jobsDrawn: 0, painted: 0, merged: 0, preemptMarks: 0, lossMarks: 0, rejectMarks: 0, hitBars: 0, ms: 0 };
  private rows: Row[] = [];
  private orderVersion = -1;
  private orderModel: RunModel | undefined;
  private rowH = 12;
  /** Rows start below the rejection row when there is one. */
  private top = 0;
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

  /** Nodes whose rows are drawn as one summary row (a label click toggles). */
  readonly collapsed = new Set<string>();
  private collapsedKey = '';

  /**
   * Drawn rows: the model's, except that a collapsed node's rows become one summary row in which
   * each of them keeps a band of its own (`sub` of `subs`), so shares and offsets stay visible.
   */
  private rowsInOrder(): Row[] {
    const m = this.host.model();
    const key = [...this.collapsed].sort().join('\u0000');
    if (m !== this.orderModel || m.laneVersion !== this.orderVersion || key !== this.collapsedKey) {
      const out: Row[] = [];
      for (const R of m.rowOrder()) {
        const last = out[out.length - 1];
        if (!this.collapsed.has(R.node)) out.push({ ...R, sub: R.lanes.map(() => 0), subs: 1 });
        else if (last && last.node === R.node && last.summary) {
          for (const li of R.lanes) (last.lanes.push(li), last.sub.push(last.subs));
          last.subs++;
        } else out.push({ ...R, key: `${R.node}/*`, lanes: [...R.lanes], sub: R.lanes.map(() => 0), subs: 1, summary: true });
      }
      this.rows = out;
      this.orderVersion = m.laneVersion;
      this.orderModel = m;
      this.collapsedKey = key;
    }
    return this.rows;
  }

  /** Collapses or expands a node's rows; returns whether it is now collapsed. */
  toggleNode(node: string): boolean {
    if (this.collapsed.has(node)) this.collapsed.delete(node);
    else this.collapsed.add(node);
    this.host.setDomain(this.host.domain());
    return this.collapsed.has(node);
  }

  /** The node whose label is at canvas y `py` (CSS px), if any. */
  nodeAtLabel(py: number): string | undefined {
    const rows = this.rowsInOrder();
    const r = Math.floor((py - this.top) / this.rowH);
    return r >= 0 && r < rows.length ? rows[r].node : undefined;
  }

  render(width: number): DrawStats {
    const t0ms = performance.now();
    this.width = width;
    const m = this.host.model();
    const rows = this.rowsInOrder();
    const hasRej = m.rejected.length > 0;
    const n = rows.length + (hasRej ? 1 : 0);
    this.rowH = Math.max(3, Math.min(20, Math.floor(MAX_HEIGHT / Math.max(1, n))));
    this.top = hasRej ? this.rowH : 0;
    const H = Math.max(30, n * this.rowH);
    const ctx = sizeCanvas(this.canvas, width, H);
    const [d0, d1] = this.host.domain();
    const x = timeScale([d0, d1], width);
    const xL = LEFT;
    const xR = width - RIGHT;
    const rowY = (r: number) => this.top + r * this.rowH;
    ctx.clearRect(0, 0, width, H);
    // Node stripes, separators and labels.
    ctx.font = '10px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    let nodeRow = 0;
    for (let r = 0; r < rows.length; r++) {
      const prev = r > 0 ? rows[r - 1] : undefined;
      if (!prev || prev.node !== rows[r].node) nodeRow++;
      if (nodeRow % 2 === 0) {
        ctx.fillStyle = '#f4f5f7';
        ctx.fillRect(0, rowY(r), width, this.rowH);
      }
      if (prev && prev.node !== rows[r].node) {
        ctx.fillStyle = '#c9ccd1';
        ctx.fillRect(0, rowY(r), width, 1);
      }
    }
    ctx.fillStyle = '#333';
    if (hasRej) {
      ctx.fillStyle = '#fbeaea';
      ctx.fillRect(0, 0, width, this.rowH);
      ctx.fillStyle = '#8a1f1f';
      ctx.fillText(`rejected (${fmtInt(m.rejected.length)})`, 4, this.rowH / 2, LEFT - 8);
      ctx.fillStyle = '#333';
    }
    for (let r = 0; r < rows.length; r++) {
      const R = rows[r];
      const prev = r > 0 ? rows[r - 1] : undefined;
      if (R.summary) {
        ctx.fillText(`▸ ${R.node} (${R.subs} rows)`, 4, rowY(r) + this.rowH / 2, LEFT - 8);
      } else if (this.rowH >= 9) {
        const L = m.lanes[R.lanes[0]];
        const where = R.gpu < 0 ? `cpu${L.slot > 0 || R.lanes.length > 1 || this.cpuSlots(rows, r) ? ` ·${L.slot + 1}` : ''}` : `gpu${R.gpu}`;
        ctx.fillText(`${R.node} ${where}`, 4, rowY(r) + this.rowH / 2, LEFT - 8);
      } else if (!prev || prev.node !== R.node) {
        ctx.fillText(R.node, 4, rowY(r) + 5, LEFT - 8);
      }
    }
    if (this.stamp.length < m.jobs.length) this.stamp = new Uint32Array(Math.max(1024, m.jobs.length * 2));
    this.epoch++;
    const now = m.lastT;
    const colors = m.tenants.map((t) => this.host.colorOf(t));
    const { flags, hits } = this.host.flags();
    const searching = hits > 0;
    const inner = this.rowH >= 4 ? this.rowH - 1 : this.rowH;
    let bars = 0;
    let jobsDrawn = 0;
    let painted = 0;
    let merged = 0;
    let preemptMarks = 0;
    let lossMarks = 0;
    let rejectMarks = 0;
    let hitBars = 0;
    ctx.save();
    ctx.beginPath();
    ctx.rect(xL, 0, xR - xL, H);
    ctx.clip();
    const k = (xR - xL) / Math.max(1, d1 - d0);
    // Node outages (node-down … node-up): a grey band across the node's rows.
    let outages = 0;
    if (m.outages.size > 0) {
      ctx.fillStyle = 'rgba(90, 90, 90, 0.28)';
      for (let r = 0; r < rows.length; r++) {
        const o = m.outages.get(rows[r].node);
        if (!o) continue;
        for (let i = lowerBound(o.ends, d0); i < o.starts.length && o.starts[i] <= d1; i++) {
          const e = o.ends[i] === Infinity ? now : o.ends[i];
          const a = Math.floor(xL + (Math.max(o.starts[i], d0) - d0) * k);
          const b = Math.ceil(xL + (Math.min(e, d1) - d0) * k);
          ctx.fillRect(a, rowY(r), Math.max(1, b - a), this.rowH);
          outages++;
        }
      }
    }
    const marks: { x: number; y: number; h: number; c: string }[] = [];
    const hitRects: [number, number, number, number][] = [];
    for (let r = 0; r < rows.length; r++) {
      const y0 = rowY(r);
      const R = rows[r];
      for (let q = 0; q < R.lanes.length; q++) {
        const L = m.lanes[R.lanes[q]];
        // A summary row stacks its rows' bands; a plain row is one band (sub 0 of 1).
        const band = inner / R.subs;
        const yb = y0 + Math.floor(R.sub[q] * band);
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
          const y = yb + Math.floor((L.off[i] / 1000) * band);
          const h = Math.max(1, Math.round((L.milli[i] / 1000) * band) - (L.off[i] + L.milli[i] < 1000 && band >= 8 ? 1 : 0));
          const f = flags[j];
          if (f === FLAG.hit) {
            hitBars++;
            hitRects.push([a, y, Math.max(2, b - a), h]);
          }
          const kind = L.endKind[i];
          if ((kind === SEG_END.preempted || kind === SEG_END.nodeLoss) && e <= d1 && b - a >= 1) {
            marks.push({ x: b, y, h, c: kind === SEG_END.preempted ? PREEMPT_COLOR : LOSS_COLOR });
            if (kind === SEG_END.preempted) preemptMarks++;
            else lossMarks++;
          }
          if (b <= lastPx) {
            merged++;
            continue;
          }
          if (a < lastPx) a = lastPx;
          const c = f === FLAG.out || (searching && f !== FLAG.hit) ? OUT_COLOR : colors[m.jobs[j].tenantIx];
          if (c !== lastColor) {
            ctx.fillStyle = c;
            lastColor = c;
          }
          // A 1px gap separates adjacent bars that are wide enough to show it.
          ctx.fillRect(a, y, b - a > 3 ? b - a - 1 : b - a, h);
          painted++;
          lastPx = b;
        }
      }
    }
    // End marks of preempted and node-lost segments: a 2px stroke at the segment's end.
    for (const mk of marks) {
      ctx.fillStyle = mk.c;
      ctx.fillRect(mk.x - 2, mk.y, 2, mk.h);
    }
    // Search hits: outlined on top of everything.
    if (hitRects.length > 0) {
      ctx.strokeStyle = '#000';
      ctx.lineWidth = 1.5;
      for (const [a, y, w, h] of hitRects) ctx.strokeRect(a + 0.5, y + 0.5, w - 1, Math.max(1, h - 1));
    }
    // Rejections: a tick at the moment of rejection, in the top row.
    if (hasRej) {
      ctx.fillStyle = REJECT_COLOR;
      for (const j of m.rejected) {
        const t = m.jobs[j].row.end >= 0 ? m.jobs[j].row.end : m.jobs[j].row.submit;
        if (t < d0 || t > d1) continue;
        if (flags[j] === FLAG.out) continue;
        const px = Math.floor(xL + (t - d0) * k);
        ctx.fillRect(px, 1, flags[j] === FLAG.hit ? 3 : 1, this.rowH - 2);
        rejectMarks++;
      }
    }
    // The selected moment.
    const cur = this.host.cursor();
    if (cur >= d0 && cur <= d1) {
      ctx.fillStyle = '#d62728';
      ctx.fillRect(Math.round(x(cur)), 0, 1, H);
    }
    ctx.restore();
    this.stats = { lanes: m.lanes.length, rows: n, bars, jobsDrawn, painted, merged, preemptMarks, lossMarks, rejectMarks, hitBars, ms: performance.now() - t0ms };
    const ds = this.canvas.dataset;
    ds.lanes = String(m.lanes.length);
    ds.rows = String(n);
    ds.bars = String(bars);
    ds.jobsDrawn = String(jobsDrawn);
    ds.painted = String(painted);
    ds.merged = String(merged);
    ds.laneHeight = String(this.rowH);
    ds.outageBands = String(outages);
    ds.collapsed = [...this.collapsed].sort().join(',');
    ds.rows = String(rows.length);
    ds.preemptMarks = String(preemptMarks);
    ds.lossMarks = String(lossMarks);
    ds.rejectMarks = String(rejectMarks);
    ds.hitBars = String(hitBars);
    this.drawAxis(x);
    return this.stats;
  }

  /** Whether the CPU row at `r` shares its node's CPU with another slot row (then slots are numbered). */
  private cpuSlots(rows: Row[], r: number): boolean {
    const R = rows[r];
    const next = rows[r + 1];
    return next !== undefined && next.node === R.node && next.gpu < 0;
  }

  private drawAxis(x: d3.ScaleLinear<number, number>): void {
    const svg = d3.select(this.axis).attr('width', this.width).attr('height', 22);
    svg.selectAll('*').remove();
    svg
      .append('g')
      .attr('transform', 'translate(0,21)')
      .call(timeAxis(d3.axisTop(x), x));
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
      .call(timeAxis(d3.axisBottom(x), x));
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
    const rows = this.rowsInOrder();
    if (px < LEFT || px > this.width - RIGHT) return undefined;
    const x = timeScale(this.host.domain(), this.width);
    const t = x.invert(px);
    const tol = Math.abs(x.invert(px + 2) - t);
    if (this.top > 0 && py < this.top) {
      let best: number | undefined;
      let bestD = tol * 2;
      for (const j of m.rejected) {
        const r = m.jobs[j].row;
        const d = Math.abs((r.end >= 0 ? r.end : r.submit) - t);
        if (d <= bestD) {
          bestD = d;
          best = j;
        }
      }
      return best === undefined ? undefined : m.jobs[best];
    }
    const r = Math.floor((py - this.top) / this.rowH);
    if (r < 0 || r >= rows.length) return undefined;
    const inner = this.rowH >= 4 ? this.rowH - 1 : this.rowH;
    const R = rows[r];
    const inRow = ((py - this.top - r * this.rowH) / inner) * R.subs;
    const now = m.lastT;
    let fallback: JobInfo | undefined;
    for (let q = 0; q < R.lanes.length; q++) {
      const L = m.lanes[R.lanes[q]];
      const frac = inRow - R.sub[q];
      if (R.subs > 1 && (frac < -0.05 || frac > 1.05)) continue;
      const i = lowerBound(L.ends, t);
      for (const k of [i, i - 1, i + 1]) {
        if (k < 0 || k >= L.starts.length) continue;
        const e = L.ends[k] === Infinity ? now : L.ends[k];
        if (!(L.starts[k] - tol <= t && t <= e + tol)) continue;
        const a = L.off[k] / 1000;
        const b = (L.off[k] + L.milli[k]) / 1000;
        if (frac >= a - 0.05 && frac <= b + 0.05) return m.jobs[L.jobs[k]];
        fallback ??= m.jobs[L.jobs[k]];
      }
    }
    return fallback;
  }

  /** Canvas-relative centre of a job's first visible bar (test hook and "show job"). */
  barCenter(jobId: string): { x: number; y: number } | undefined {
    const m = this.host.model();
    const j = m.jobIndex.get(jobId);
    if (j === undefined) return undefined;
    const rows = this.rowsInOrder();
    const [d0, d1] = this.host.domain();
    const x = timeScale([d0, d1], this.width);
    const inner = this.rowH >= 4 ? this.rowH - 1 : this.rowH;
    for (let r = 0; r < rows.length; r++) {
      const R = rows[r];
      for (let q = 0; q < R.lanes.length; q++) {
        const L = m.lanes[R.lanes[q]];
        const band = inner / R.subs;
        for (let i = 0; i < L.jobs.length; i++) {
          if (L.jobs[i] !== j) continue;
          const e = L.ends[i] === Infinity ? m.lastT : L.ends[i];
          const a = Math.max(L.starts[i], d0);
          const b = Math.min(e, d1);
          if (b < a) continue;
          const y = this.top + r * this.rowH + Math.floor(R.sub[q] * band) + Math.floor((L.off[i] / 1000) * band) + Math.max(1, Math.round((L.milli[i] / 1000) * band)) / 2;
          return { x: x((a + b) / 2), y };
        }
      }
    }
    if (m.rejected.includes(j) && this.top > 0) {
      const r = m.jobs[j].row;
      return { x: x(r.end >= 0 ? r.end : r.submit), y: this.top / 2 };
    }
    return undefined;
  }

  private showTip(job: JobInfo, clientX: number, clientY: number): void {
    const m = this.host.model();
    const tip = this.tooltip;
    const r = job.row;
    const wait = r.start >= 0 ? r.start - r.submit : NaN;
    const ran = r.start >= 0 ? (r.end >= 0 ? r.end : m.lastT) - r.start : NaN;
    const demand = job.gpus > 0 ? `${job.gpus} GPU × ${r.reqMilli} milli${r.milli > 0 && r.milli !== r.reqMilli ? ` (granted ${r.milli})` : ''}` : 'CPU only';
    const marks = [r.preemptions > 0 ? `preempted ${r.preemptions}×` : '', r.nodeLosses > 0 ? `lost with its node ${r.nodeLosses}×` : '', r.lostMs > 0 ? `lost work ${fmtT(r.lostMs)}` : ''].filter(Boolean).join(' · ');
    tip.innerHTML =
      `<b>${esc(r.id)}</b> <span style="color:${this.host.colorOf(r.tenant)}">■</span> ${esc(r.tenant)}<br>` +
      `demand: ${demand}, ${fmtInt(job.cpu / 1000)} CPU, ${fmtInt(job.mem)} MiB · nominal ${fmtT(job.dur)}<br>` +
      `submit ${fmtT(r.submit)} · start ${fmtT(r.start >= 0 ? r.start : NaN)} · end ${fmtT(r.end >= 0 ? r.end : NaN)}<br>` +
      `wait ${fmtT(wait)} · ran ${fmtT(ran)} · state <b>${esc(r.state)}</b><br>` +
      (r.node ? `on ${esc(r.node)} gpus [${esc(r.gpus)}] · ` : '') +
      `attempts ${r.attempts}` +
      (marks ? `<br>${marks}` : '') +
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
        else {
          const node = this.nodeAtLabel(ev.clientY - rect.top);
          if (node !== undefined) this.toggleNode(node);
        }
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
