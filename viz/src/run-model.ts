import { checkLogValue, type LogRecord } from '../../src/log/records.ts';
import { Deriver, type TimelineRow } from '../../src/output/derive.ts';
import type { NodeSeries, Series } from './fragmentation.ts';
import type { JobInfo } from './job-info.ts';
import { jobDist, succeededJcts } from './job-dists.ts';
import { parseChunk, parseLine } from './log-lines.ts';
import { LaneFold } from './lane-fold.ts';
import { laneOrder, rowOrder, SEG_END, type Lane, type LaneRow } from './lanes.ts';
import { nodeDown, nodeUp, type Outages } from './outages.ts';
import { recordAt, setAside, type RecordRef } from './record-ref.ts';
import { ShardFold } from './shard-fold.ts';

export { FRAGMENTATION, type NodeSeries, type Series } from './fragmentation.ts';
export { SEG_END, type Lane } from './lanes.ts';
export type { JobInfo } from './job-info.ts';
export type { RecordRef } from './record-ref.ts';

/**
 * The browser's fold over one run's event log. Every quantity the CLI derives (job rows and
 * states, first start and end, queued / running / allocation timeline, per-tenant allocation,
 * metrics such as makespan) comes from the same `Deriver` (src/output/derive.ts) that writes
 * jobs.csv and summary.json, so the viewer and the CLI cannot disagree. This file adds only
 * what the views need beyond it: Gantt lanes (lane-fold.ts), node outages (outages.ts),
 * fragmentation (fragmentation.ts) and the raw records for the inspector (record-ref.ts).
 *
 * It is incremental: `addText` takes the log in arbitrary chunks (a live run appends while the
 * viewer polls), keeps a trailing partial line until its newline arrives, and never re-reads what
 * it has folded. Parsing is defensive: every line is checked with the log's schema
 * (src/log/records.ts); a line that is not JSON, a record of an unknown type, a record with an
 * invalid field or one about a job with no arrival is kept for the inspector and counted, never
 * thrown. Times are integer ms, as in the log.
 */

/** Start-record fields the tooltip shows in its own words; the others go to `JobInfo.extra`. */
const START_FIELDS = new Set(['t', 'ev', 'job', 'node', 'gpus', 'milli', 'attempt', 'mig']);

export class RunModel {
  /** The CLI's fold, fed every record this model folds. */
  readonly deriver = new Deriver();
  run = '';
  mode = '';
  queue = '';
  placement = '';
  seed = 0;
  nodes: { id: string; gpus: { model: string; capacity: number }[] }[] = [];
  readonly jobs: JobInfo[] = [];
  readonly jobIndex = new Map<string, number>();
  readonly tenants: string[] = [];
  /** Lanes, GPUs' use and per-node series (lane-fold.ts). */
  private readonly fold = new LaneFold();
  readonly lanes: Lane[] = this.fold.lanes;
  readonly records: RecordRef[] = [];
  readonly series: Series = { t: [], alloc: [], frag: [], queued: [], running: [], tenantAlloc: [] };
  /** Per node (run-record order): allocation and stranded share over time, for the heatmap. */
  readonly nodeSeries: NodeSeries[] = this.fold.frag.nodeSeries;
  /** Milli-GPU capacity per node (run-record order). */
  nodeCap: number[] = [];
  /** Jobs rejected (index into `jobs`), in log order. */
  readonly rejected: number[] = [];
  /** Outages per node id: [down, up) intervals in time order; up = Infinity while still down. */
  readonly outages: Outages = new Map();
  /** A scheduler hierarchy's shards, their outages and each job's routing (shard-fold.ts); empty without one. */
  readonly shards = new ShardFold();
  /** Counts of records the viewer could not use, by reason (shown on screen). */
  readonly problems = new Map<string, number>();
  ended = false;
  lastT = 0;
  firstT = Infinity;
  /** Jobs a record was about since the consumer last cleared this (the worker's delta encoder). */
  readonly dirtyJobs = new Set<number>();
  /** Lanes and nodes whose columns changed since the consumer last cleared these (the worker's delta encoder). */
  readonly dirtyLanes = this.fold.dirtyLanes;
  readonly dirtyNodes = this.fold.frag.dirtyNodes;
  /** Bumped whenever node outages change (the encoder sends them only then). */
  outageVersion = 0;

  private readonly tenantIndex = new Map<string, number>();
  /** Stranded share at each of the Deriver's closed timeline rows (same index). */
  private readonly fragAt: number[] = [];
  /** The series' last point is the Deriver's open instant, to be replaced on the next flush. */
  private provisional = false;
  private pending = '';
  private curT = -1;

  /** Bumped whenever lanes are added; views re-sort when it changes. */
  get laneVersion(): number {
    return this.fold.laneVersion;
  }

  /** Cluster GPU capacity in milli-GPU, from the run record. */
  get gpuCapacity(): number {
    return this.deriver.gpuCapacity;
  }

  /** Folds a chunk of the log; returns the number of complete lines folded. */
  addText(chunk: string): number {
    const text = this.pending + chunk;
    const cut = text.lastIndexOf('\n');
    if (cut < 0) {
      this.pending = text;
      return 0;
    }
    this.pending = text.slice(cut + 1);
    return this.addLines(text.slice(0, cut).split('\n').filter((l) => l.trim() !== ''));
  }

  /** Folds complete, non-blank lines (no newlines in them); returns how many. One record per line. */
  addLines(lines: string[]): number {
    // A chunk with a bad line falls back to line-by-line so only that line is set aside.
    const parsed = parseChunk(lines);
    for (let i = 0; i < lines.length; i++) {
      if (parsed) this.addRecord(lines[i], parsed[i]);
      else this.addLine(lines[i]);
    }
    this.flush();
    return lines.length;
  }

  /** Folds one line; exposed for tests. */
  addLine(line: string): void {
    this.addRecord(line, parseLine(line));
  }

  private addRecord(line: string, v: unknown): void {
    const raw = typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as { t?: unknown; ev?: unknown }) : undefined;
    const t = typeof raw?.t === 'number' && Number.isFinite(raw.t) ? raw.t : this.curT < 0 ? 0 : this.curT;
    const o = checkLogValue(v);
    if (o.kind !== 'record') {
      const x = setAside(o, raw !== undefined);
      this.problem(x.problem);
      this.records.push({ t, ev: x.ev, line, known: false, note: x.note });
      return;
    }
    const r = o.record;
    if (!this.deriver.follows(r)) {
      this.problem('records about a job with no arrival');
      this.records.push({ t, ev: r.ev, line, known: true, note: 'job with no arrival' });
      return;
    }
    this.records.push({ t, ev: r.ev, line, known: true, note: '' });
    if (t > this.lastT) this.lastT = t;
    this.curT = t;
    const rows = this.deriver.timeline.length;
    this.deriver.add(r);
    // A row the Deriver just closed is the instant before `r`: the stranded share is still its.
    for (let i = rows; i < this.deriver.timeline.length; i++) this.fragAt.push(this.fold.frag.strand);
    // The job's index, looked up once per record (an arrival's is set by apply).
    const j = 'job' in r ? (r.ev === 'arrival' ? this.jobs.length : this.jobIndex.get(r.job)) : undefined;
    this.apply(r, raw ?? {}, j ?? -1);
    if (j !== undefined && j < this.jobs.length) this.dirtyJobs.add(j);
  }

  /**
   * Brings the series up to date with the Deriver's timeline, the open instant included as a
   * last point that the next flush replaces (called after each chunk). Idempotent.
   */
  flush(): void {
    const s = this.series;
    if (this.provisional) {
      for (const col of [s.t, s.alloc, s.frag, s.queued, s.running, ...s.tenantAlloc]) col.pop();
      this.provisional = false;
    }
    while (s.tenantAlloc.length < this.tenants.length) s.tenantAlloc.push(new Array<number>(s.t.length).fill(0));
    const rows = this.deriver.timeline;
    for (let i = s.t.length; i < rows.length; i++) this.point(rows[i], this.fragAt[i]);
    const open = this.deriver.pending();
    if (open) {
      this.point(open, this.fold.frag.strand);
      this.provisional = true;
    }
  }

  private point(row: TimelineRow, frag: number): void {
    const s = this.series;
    s.t.push(row.t);
    s.alloc.push(row.gpuAllocated);
    s.frag.push(frag);
    s.queued.push(row.queued);
    s.running.push(row.running);
    for (let i = 0; i < s.tenantAlloc.length; i++) s.tenantAlloc[i].push(row.tenants?.[this.tenants[i]] ?? 0);
  }

  private problem(what: string): void {
    this.problems.set(what, (this.problems.get(what) ?? 0) + 1);
  }

  /** The viewer's own state: run header, jobs' demand, lanes, outages, stranded share. */
  private apply(r: LogRecord, raw: object, j: number): void {
    switch (r.ev) {
      case 'run':
        this.run = r.run;
        this.mode = r.mode;
        this.queue = r.queue;
        this.placement = r.placement;
        this.seed = r.seed;
        this.nodes = r.nodes.map((n) => ({ id: n.id, gpus: n.gpus.map((g) => ({ model: g.model, capacity: g.capacity })) }));
        for (const n of this.nodes) this.fold.addNode(n.id, n.gpus.map((g) => g.capacity));
        this.nodeCap = this.nodes.map((n) => n.gpus.reduce((a, g) => a + g.capacity, 0));
        this.shards.hierarchy = r.hierarchy;
        break;
      case 'arrival': {
        const row = this.deriver.jobs.get(r.job);
        if (!row) return;
        if (r.t < this.firstT) this.firstT = r.t;
        let ti = this.tenantIndex.get(r.tenant);
        if (ti === undefined) {
          ti = this.tenants.length;
          this.tenants.push(r.tenant);
          this.tenantIndex.set(r.tenant, ti);
        }
        this.jobIndex.set(r.job, this.jobs.length);
        this.jobs.push({ row, tenantIx: ti, gpus: r.gpus, cpu: r.cpu, mem: r.mem, prio: r.prio, dur: r.dur, parent: r.parent ?? '', depth: r.depth ?? 0, extra: '' });
        break;
      }
      case 'start':
        if (j >= 0) this.start(r, raw, j);
        break;
      case 'preempt':
      case 'node-loss':
      case 'finish': {
        // node-loss: stopped by its node going down; followed by requeue, or by a finish (failed).
        const how = r.ev === 'preempt' ? SEG_END.preempted : r.ev === 'node-loss' ? SEG_END.nodeLoss : r.state === 'succeeded' ? SEG_END.finished : SEG_END.failed;
        if (j >= 0) this.fold.release(j, r.t, how);
        break;
      }
      case 'reject': {
        if (j >= 0) this.rejected.push(j);
        break;
      }
      case 'node-down': {
        // The jobs it hit each have their own node-loss record; here only the outage itself.
        nodeDown(this.outages, r.node, r.t);
        this.outageVersion++;
        break;
      }
      case 'node-up': {
        if (!nodeUp(this.outages, r.node, r.t)) this.problem('node-up without a node-down');
        this.outageVersion++;
        break;
      }
      case 'end':
        this.ended = true;
        break;
      case 'requeue':
        // With a reason, a lost attempt (a stale live worker): its segment ends here, marked lost.
        if (r.reason !== undefined && j >= 0 && this.fold.isRunning(j)) this.fold.release(j, r.t, SEG_END.nodeLoss);
        break;
      case 'admit':
      case 'cancel':
        break;
      default:
        // A hierarchy's records (shard-fold.ts), kept out of this hot switch's body.
        if (!this.shards.add(r, j, this.records.length - 1)) this.problem('shard-up without a shard-down');
    }
  }

  /** A start's extra fields for the tooltip, then its lanes (lane-fold.ts). */
  private start(r: Extract<LogRecord, { ev: 'start' }>, raw: object, j: number): void {
    let extras = '';
    for (const k in raw) if (!START_FIELDS.has(k)) extras += `${extras ? ', ' : ''}${k}: ${JSON.stringify((raw as Record<string, unknown>)[k])}`;
    this.jobs[j].extra = extras;
    this.fold.start(r, j);
  }

  /** Drawn rows in order, each listing its lanes: one per GPU, one per CPU lane (see lanes.ts). */
  rowOrder(): LaneRow[] {
    return rowOrder(this.lanes);
  }

  /** Lane order for drawing: node order of the run record, GPU lanes by index then slot, CPU last. */
  laneOrder(): number[] {
    return laneOrder(this.lanes);
  }

  private metricsCache: { at: number; m: Record<string, number> } | undefined;
  private jctCache: { at: number; v: Float64Array } | undefined;

  /** The Deriver's run metrics (integer ms, the same fields as summary.json) without the node-failure block. Cached per log length. */
  metrics(): Record<string, number> {
    if (this.metricsCache?.at === this.records.length) return this.metricsCache.m;
    const { failures: _, ...m } = this.deriver.metrics();
    this.metricsCache = { at: this.records.length, m };
    return m;
  }

  /** Ascending per-job JCT (ms), wait (ms) or slowdown (see job-dists.ts). Cached per log length. */
  dist(what: 'jct' | 'wait' | 'slowdown'): Float64Array {
    const key = `${what}@${this.records.length}`;
    const hit = this.distCache.get(what);
    if (hit && hit.key === key) return hit.v;
    const v = jobDist(this.jobs, what);
    this.distCache.set(what, { key, v });
    return v;
  }

  private readonly distCache = new Map<string, { key: string; v: Float64Array }>();

  /** Ascending JCTs (s) of succeeded jobs, as the Deriver defines JCT; cached per log length. */
  jcts(): Float64Array {
    if (this.jctCache?.at === this.records.length) return this.jctCache.v;
    const v = succeededJcts(this.jobs);
    this.jctCache = { at: this.records.length, v };
    return v;
  }

  /** Index of the first record with t >= time (records.length if none). */
  recordAt(time: number): number {
    return recordAt(this.records, time);
  }
}
