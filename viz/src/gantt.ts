import * as d3 from 'd3';
import { FLAG } from './filter.ts';
import { fmtInt, lowerBound, timeAxis } from './format.ts';
import { barCenterOf, hitJob, type GanttGeometry } from './gantt-hit.ts';
import { wireGantt } from './gantt-interaction.ts';
import { drawEndMarks, drawHitOutlines, drawOutages, drawRejections, LOSS_COLOR, PREEMPT_COLOR, type EndMark, type XMap } from './gantt-marks.ts';
import { GanttOverview } from './gantt-overview.ts';
import { drawShardHeads, drawShardOutages, routingMarks, shardDataset, type ShardHeadStats } from './gantt-shards.ts';
import { collapseRows, cpuSlots, innerHeight, type GanttRow as Row } from './gantt-rows.ts';
import { showJobTip } from './gantt-tooltip.ts';
import { clampDomain, LEFT, RIGHT, sizeCanvas, timeScale, type Domain } from './layout.ts';
import { PixelLayer, rgbaOf } from './pixel-layer.ts';
import { SEG_END } from './run-model.ts';
import { ShardCollapse } from './shard-collapse.ts';
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
  /** Bars actually painted (rectangles written into the bar layer). */
  painted: number;
  /** Bars that fell inside pixels already painted in their lane (aggregated at this zoom). */
  merged: number;
  /** End marks drawn: preempted, lost with a node; rejection ticks. */
  preemptMarks: number;
  lossMarks: number;
  rejectMarks: number;
  /** Bars of jobs matched by the search. */
  hitBars: number;
  /** Child jobs' bars marked with a notch at their start (job trees). */
  childMarks: number;
  /** A hierarchy's shard-down bands, and the start marks of bounced and stolen jobs' first bars. */
  shardBands: number;
  bounceMarks: number;
  stealMarks: number;
  ms: number;
}

const MAX_HEIGHT = 520;
/** The notch cut into a child job's bar (job-tree.ts): the page's background, visible on dark and light tenant colours. */
const CHILD_NOTCH_COLOR = '#ffffff';
const OUT_COLOR = '#e4e4e4';

/**
 * The schedule as a canvas Gantt: one row per GPU, in which each job's bar is as tall as the share
 * of the GPU it holds and sits at the offset it took (a MIG instance at its slices), so free and
 * stranded capacity shows as empty space; one row per CPU lane; a top row of rejection ticks.
 * Bars are coloured by tenant; a preempted segment ends in a black mark, one lost with its node
 * in a red mark. Everything is drawn to one canvas so 100,000 jobs stay responsive: the bars are
 * rasterised in JavaScript into one pixel buffer put on the canvas in one call (pixel-layer.ts),
 * and in each lane a bar that lands on pixels already painted is skipped (counted as merged).
 * Wheel zooms around the pointer, drag pans, a click selects a moment (gantt-interaction.ts). Rows
 * and their collapse: gantt-rows.ts; marks: gantt-marks.ts; hit-testing: gantt-hit.ts; the
 * overview: gantt-overview.ts.
 */
export class Gantt {
  stats: DrawStats = { lanes: 0, rows: 0, bars: 0, jobsDrawn: 0, painted: 0, merged: 0, preemptMarks: 0, lossMarks: 0, rejectMarks: 0, hitBars: 0, childMarks: 0, shardBands: 0, bounceMarks: 0, stealMarks: 0, ms: 0 };
  /** The shard header rows of the last frame (empty without a hierarchy). */
  heads: ShardHeadStats[] = [];
  private rows: Row[] = [];
  private orderVersion = -1;
  private orderModel: RunModel | undefined;
  private rowH = 12;
  /** Rows start below the rejection row when there is one. */
  private top = 0;
  private width = 800;
  private stamp = new Uint32Array(0);
  private epoch = 0;
  private readonly overview: GanttOverview;
  /** The bars of a frame, rasterised in one pixel buffer (pixel-layer.ts). */
  private readonly bars = new PixelLayer();

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly axis: SVGSVGElement,
    overview: SVGSVGElement,
    private readonly tooltip: HTMLElement,
    private readonly host: GanttHost,
  ) {
    this.overview = new GanttOverview(overview, host);
    wireGantt(canvas, tooltip, {
      host,
      width: () => this.width,
      zoomAt: (px, factor) => this.zoomAt(px, factor),
      hit: (px, py) => this.hit(px, py),
      showTip: (job, cx, cy) => showJobTip(this.tooltip, this.host.model(), (t) => this.host.colorOf(t), job, cx, cy),
      labelAt: (py) => this.labelAt(py),
      toggle: (l, all) => (l.kind === 'shard' ? this.toggleShard(l.id, all) : this.toggleNode(l.id)),
    });
  }

  /** Nodes whose rows are drawn as one summary row (a label click toggles). */
  readonly collapsed = new Set<string>();
  /** A hierarchy's shards drawn as their header row alone (shard-collapse.ts). */
  readonly shards = new ShardCollapse();
  get collapsedShards(): Set<string> {
    return this.shards.collapsed;
  }
  private collapsedKey = '';

  /** Drawn rows (see collapseRows; grouped by shard for a hierarchy), rebuilt when the model, its lanes or a collapsed set change. */
  private rowsInOrder(): Row[] {
    const m = this.host.model();
    const key = () => [...this.collapsed].sort().join('\u0000') + '\u0001' + this.shards.key();
    if (m !== this.orderModel || m.laneVersion !== this.orderVersion || key() !== this.collapsedKey) {
      this.rows = this.shards.rows(m, collapseRows(m.rowOrder(), this.collapsed));
      this.orderVersion = m.laneVersion;
      this.orderModel = m;
      this.collapsedKey = key();
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

  /** Collapses a shard to its header row or expands it (`all`: every shard the same way); returns whether it is now collapsed. */
  toggleShard(id: string, all = false): boolean {
    const collapsed = this.shards.toggle(this.host.model(), id, all);
    this.host.setDomain(this.host.domain());
    return collapsed;
  }

  /** The node, or a hierarchy's shard header, whose label is at canvas y `py` (CSS px), if any. */
  labelAt(py: number): { kind: 'node' | 'shard'; id: string } | undefined {
    const rows = this.rowsInOrder();
    const r = Math.floor((py - this.top) / this.rowH);
    if (r < 0 || r >= rows.length) return undefined;
    const h = rows[r].shard;
    return h ? { kind: 'shard', id: h.id } : { kind: 'node', id: rows[r].node };
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
      if (rows[r].shard) continue;
      if (!prev || prev.node !== rows[r].node) nodeRow++;
      if (nodeRow % 2 === 0) {
        ctx.fillStyle = '#f4f5f7';
        ctx.fillRect(0, rowY(r), width, this.rowH);
      }
      if (prev && prev.node !== rows[r].node && !prev.shard) {
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
    this.heads = m.hierarchy ? drawShardHeads(ctx, m, rows, rowY, this.rowH, width, this.host.domain()) : [];
    for (let r = 0; r < rows.length; r++) {
      const R = rows[r];
      const prev = r > 0 ? rows[r - 1] : undefined;
      if (R.shard) continue;
      if (R.summary) {
        ctx.fillText(`▸ ${R.node} (${R.subs} rows)`, 4, rowY(r) + this.rowH / 2, LEFT - 8);
      } else if (this.rowH >= 9) {
        const L = m.lanes[R.lanes[0]];
        const where = R.gpu < 0 ? `cpu${L.slot > 0 || R.lanes.length > 1 || cpuSlots(rows, r) ? ` ·${L.slot + 1}` : ''}` : `gpu${R.gpu}`;
        ctx.fillText(`${R.node} ${where}`, 4, rowY(r) + this.rowH / 2, LEFT - 8);
      } else if (!prev || prev.node !== R.node) {
        ctx.fillText(R.node, 4, rowY(r) + 5, LEFT - 8);
      }
    }
    if (this.stamp.length < m.jobs.length) this.stamp = new Uint32Array(Math.max(1024, m.jobs.length * 2));
    this.epoch++;
    const now = m.lastT;
    const layer = this.bars;
    layer.begin(width, H, window.devicePixelRatio || 1, xL, xR);
    const { flags, hits } = this.host.flags();
    const searching = hits > 0;
    const jobRgba = this.jobColors(m, flags, searching);
    const inner = innerHeight(this.rowH);
    let bars = 0;
    let jobsDrawn = 0;
    let painted = 0;
    let merged = 0;
    let preemptMarks = 0;
    let lossMarks = 0;
    let hitBars = 0;
    let childMarks = 0;
    /** A hierarchy's bounce and steal marks. */
    const routed: [number, number] = [0, 0];
    const notch = rgbaOf(CHILD_NOTCH_COLOR);
    const hier = m.hierarchy !== undefined;
    ctx.save();
    ctx.beginPath();
    ctx.rect(xL, 0, xR - xL, H);
    ctx.clip();
    const k = (xR - xL) / Math.max(1, d1 - d0);
    const xm: XMap = { xL, d0, d1, k };
    const outages = drawOutages(ctx, m, rows, rowY, this.rowH, xm);
    const marks: EndMark[] = [];
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
          if (hier && s >= d0 && s === m.jobs.start(j)) routingMarks(m, j, a, y, h, marks, routed);
          if (b <= lastPx) {
            merged++;
            continue;
          }
          if (a < lastPx) a = lastPx;
          // A 1px gap separates adjacent bars that are wide enough to show it.
          layer.rect(a, y, b - a > 3 ? b - a - 1 : b - a, h, jobRgba[j]);
          // A child job (arrival with a parent): a small notch cut at the top of its bar's start.
          if (s >= d0 && b - a >= 8 && h >= 6 && m.jobs.depth(j) > 0) {
            layer.rect(a, y, 4, Math.min(5, h >> 1), notch);
            childMarks++;
          }
          painted++;
          lastPx = b;
        }
      }
    }
    layer.compose(ctx);
    // Over the bars: a down shard's nodes keep running their jobs.
    const shardBands = hier ? drawShardOutages(ctx, m, rows, rowY, this.rowH, xm) : 0;
    drawEndMarks(ctx, marks);
    drawHitOutlines(ctx, hitRects);
    const rejectMarks = hasRej ? drawRejections(ctx, m, flags, this.rowH, xm) : 0;
    // The selected moment.
    const cur = this.host.cursor();
    if (cur >= d0 && cur <= d1) {
      ctx.fillStyle = '#d62728';
      ctx.fillRect(Math.round(x(cur)), 0, 1, H);
    }
    ctx.restore();
    this.stats = { lanes: m.lanes.length, rows: n, bars, jobsDrawn, painted, merged, preemptMarks, lossMarks, rejectMarks, hitBars, childMarks, shardBands, bounceMarks: routed[0], stealMarks: routed[1], ms: performance.now() - t0ms };
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
    ds.childMarks = String(childMarks);
    // A hierarchy's counts; absent for a run without one.
    shardDataset(ds, hier ? { shardBands, bounceMarks: routed[0], stealMarks: routed[1], shardHeads: this.heads.map((h) => `${h.id}:${h.nodes}`).join(','), collapsedShards: [...this.collapsedShards].sort().join(',') } : undefined);
    this.drawAxis(x);
    return this.stats;
  }

  private colorCache: { m: RunModel; flags: Uint8Array; searching: boolean; key: string; rgba: Uint32Array } | undefined;

  /**
   * Each job's bar colour as a pixel value: its tenant's, or faint grey when the filter hides it
   * or a search matches other jobs. Cached until the model, the flags or the colours change, so
   * that a frame reads one small array per bar instead of the job's columns.
   */
  private jobColors(m: RunModel, flags: Uint8Array, searching: boolean): Uint32Array {
    const colors = m.tenants.map((t) => rgbaOf(this.host.colorOf(t)));
    const key = colors.join(',');
    const c = this.colorCache;
    if (c && c.m === m && c.flags === flags && c.searching === searching && c.key === key && c.rgba.length === m.jobs.length) return c.rgba;
    const out = rgbaOf(OUT_COLOR);
    const rgba = new Uint32Array(m.jobs.length);
    for (let j = 0; j < rgba.length; j++) {
      const f = flags[j];
      rgba[j] = f === FLAG.out || (searching && f !== FLAG.hit) ? out : colors[m.jobs.tenantIx(j)];
    }
    this.colorCache = { m, flags, searching, key, rgba };
    return rgba;
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
    this.overview.render(width);
  }

  /** Moves the brush to the visible range without feeding back into setDomain. */
  syncBrush(width: number): void {
    this.overview.sync(width);
  }

  /** Where the rows are now: for mapping pixels to jobs and back. */
  private geometry(): GanttGeometry {
    return { m: this.host.model(), rows: this.rowsInOrder(), top: this.top, rowH: this.rowH, width: this.width, domain: this.host.domain() };
  }

  /** The job under a canvas position (CSS px), with a 2px tolerance for thin bars. */
  hit(px: number, py: number): JobInfo | undefined {
    return hitJob(this.geometry(), px, py);
  }

  /** Canvas-relative centre of a job's first visible bar (test hook and "show job"). */
  barCenter(jobId: string): { x: number; y: number } | undefined {
    return barCenterOf(this.geometry(), jobId);
  }

  /** Canvas-relative centre of the label of the drawn row with this key (`shard:<id>` for a shard header), if drawn. */
  labelCenter(key: string): { x: number; y: number } | undefined {
    const r = this.rowsInOrder().findIndex((R) => R.key === key);
    return r < 0 ? undefined : { x: 20, y: this.top + r * this.rowH + this.rowH / 2 };
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
