import { checkLogValue, type LogRecord } from '../../src/log/records.ts';
import { Deriver, type TimelineRow } from '../../src/output/derive.ts';
import { Fragmentation, type NodeSeries, type Series } from './fragmentation.ts';
import type { JobInfo } from './job-info.ts';
import { jobDist, succeededJcts } from './job-dists.ts';
import { parseChunk, parseLine } from './log-lines.ts';
import { laneOrder, rowOrder, SEG_END, takeRange, type Lane, type LaneRow } from './lanes.ts';
import { nodeDown, nodeUp, type Outages } from './outages.ts';
import { Places } from './places.ts';
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
 * what the views need beyond it: Gantt lanes (lanes.ts), node outages (outages.ts),
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

type Start = Extract<LogRecord, { ev: 'start' }>;

/** A running attempt: per lane, its segment, the offset taken in its GPU, its place id (places.ts) and share slot; `milli` taken on each GPU. */
interface Running {
  lanes: number[];
  segs: number[];
  offs: number[];
  places: number[];
  slots: number[];
  milli: number;
}

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
  readonly lanes: Lane[] = [];
  readonly records: RecordRef[] = [];
  readonly series: Series = { t: [], alloc: [], frag: [], queued: [], running: [], tenantAlloc: [] };
  /** Per node (run-record order): allocation and stranded share over time, for the heatmap. */
  readonly nodeSeries: NodeSeries[];
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
  /** Bumped whenever lanes are added; views re-sort when it changes. */
  laneVersion = 0;

  /** GPUs and CPU lanes by integer id; the per-place state below is indexed by it. */
  private readonly places = new Places();
  /** Per place: the job in each share slot (-1: free). */
  private readonly slotsBusy: number[][] = [];
  /** Per place and share slot: its lane. */
  private readonly slotLane: number[][] = [];
  /** MIG instance lanes by `place id/instance`. */
  private readonly instanceLane = new Map<string, number>();
  /** Per place: occupied [offset, offset + milli) ranges of the running jobs. */
  private readonly gpuRanges: [number, number][][] = [];
  /** Stranded share per GPU, per node and in total (owns `nodeSeries`). */
  private readonly frag = new Fragmentation(this.places);
  /** Per job index: its running attempt. */
  private readonly running: (Running | undefined)[] = [];
  private readonly tenantIndex = new Map<string, number>();
  /** Stranded share at each of the Deriver's closed timeline rows (same index). */
  private readonly fragAt: number[] = [];
  /** The series' last point is the Deriver's open instant, to be replaced on the next flush. */
  private provisional = false;
  private pending = '';
  private curT = -1;

  constructor() {
    this.nodeSeries = this.frag.nodeSeries;
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
    for (let i = rows; i < this.deriver.timeline.length; i++) this.fragAt.push(this.frag.strand);
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
      this.point(open, this.frag.strand);
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
        for (const n of this.nodes) {
          this.places.addNode(n.id, n.gpus.map((g) => g.capacity));
          this.frag.addNode();
        }
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
        if (j >= 0) this.release(j, r.t, how);
        break;
      }
      case 'reject': {
        if (j >= 0) this.rejected.push(j);
        break;
      }
      case 'node-down': {
        // The jobs it hit each have their own node-loss record; here only the outage itself.
        nodeDown(this.outages, r.node, r.t);
        break;
      }
      case 'node-up': {
        if (!nodeUp(this.outages, r.node, r.t)) this.problem('node-up without a node-down');
        break;
      }
      case 'end':
        this.ended = true;
        break;
      case 'requeue':
        // With a reason, a lost attempt (a stale live worker): its segment ends here, marked lost.
        if (r.reason !== undefined && j >= 0 && this.running[j]) this.release(j, r.t, SEG_END.nodeLoss);
        break;
      case 'admit':
      case 'cancel':
        break;
      default:
        // A hierarchy's records (shard-fold.ts), kept out of this hot switch's body.
        if (!this.shards.add(r, j, this.records.length - 1)) this.problem('shard-up without a shard-down');
    }
  }

  private start(r: Start, raw: object, j: number): void {
    if (this.running[j]) this.release(j, r.t, SEG_END.preempted);
    let extras = '';
    for (const k in raw) if (!START_FIELDS.has(k)) extras += `${extras ? ', ' : ''}${k}: ${JSON.stringify((raw as Record<string, unknown>)[k])}`;
    this.jobs[j].extra = extras;
    const instance = r.mig ? `${r.mig.profile}@${r.mig.start}` : '';
    const run: Running = { lanes: [], offs: [], segs: [], milli: r.milli, places: [], slots: [] };
    // A gang's parts on other nodes get lanes too; a CPU-only job gets its node's CPU lane.
    const places = r.parts ? [{ node: r.node, gpus: r.gpus }, ...r.parts] : [r];
    for (const p of places) {
      const nodeIx = this.places.indexOf(p.node);
      for (let k = 0; k < Math.max(1, p.gpus.length); k++) {
        const g = p.gpus.length > 0 ? p.gpus[k] : -1;
        const id = this.places.id(p.node, nodeIx, g);
        const busy = (this.slotsBusy[id] ??= []);
        let slot = busy.indexOf(-1);
        if (slot < 0) {
          slot = busy.length;
          busy.push(-1);
        }
        busy[slot] = j;
        const lane = this.laneOf(id, slot, g >= 0 ? instance : '');
        const L = this.lanes[lane];
        // A MIG instance lane could in principle be re-granted while open; close defensively.
        const lastEnd = L.ends.length ? L.ends[L.ends.length - 1] : -Infinity;
        if (lastEnd === Infinity) L.ends[L.ends.length - 1] = r.t;
        const cap = this.places.cap[id];
        const share = g < 0 ? 1000 : Math.min(cap, r.milli > 0 ? r.milli : cap);
        const off = g < 0 ? 0 : takeRange((this.gpuRanges[id] ??= []), share, cap, r.mig ? r.mig.start * 125 : undefined);
        L.starts.push(r.t);
        L.ends.push(Infinity);
        L.jobs.push(j);
        L.off.push(g < 0 ? 0 : (1000 * off) / cap);
        L.milli.push(g < 0 ? 1000 : (1000 * share) / cap);
        L.endKind.push(SEG_END.open);
        run.offs.push(off);
        run.lanes.push(lane);
        run.segs.push(L.starts.length - 1);
        run.places.push(id);
        run.slots.push(slot);
        if (g >= 0) this.use(id, r.milli);
      }
    }
    this.running[j] = run;
  }

  /** The lane of a place's share slot (or of its MIG instance), created on first use. */
  private laneOf(id: number, slot: number, instance: string): number {
    const bySlot = (this.slotLane[id] ??= []);
    let lane = instance ? this.instanceLane.get(`${id}/${instance}`) : bySlot[slot];
    if (lane !== undefined) return lane;
    lane = this.lanes.length;
    const [P, placeKey, g] = [this.places, this.places.key(id), this.places.gpu[id]];
    const key = instance ? `${placeKey}/${instance}` : `${placeKey}#${slot}`;
    this.lanes.push({ key, node: P.node[id], nodeIx: P.nodeIx[id], gpu: g, slot, instance, row: g >= 0 ? placeKey : key, starts: [], ends: [], jobs: [], off: [], milli: [], endKind: [] });
    if (instance) this.instanceLane.set(`${id}/${instance}`, lane);
    else bySlot[slot] = lane;
    this.laneVersion++;
    return lane;
  }

  private release(j: number, t: number, how: number): void {
    const run = this.running[j];
    if (!run) return;
    this.running[j] = undefined;
    run.lanes.forEach((lane, i) => {
      const L = this.lanes[lane];
      const id = run.places[i];
      if (L.ends[run.segs[i]] === Infinity) L.ends[run.segs[i]] = t;
      L.endKind[run.segs[i]] = how;
      const ranges = this.gpuRanges[id];
      if (ranges && L.gpu >= 0) {
        const k = ranges.findIndex((rg) => rg[0] === run.offs[i]);
        if (k >= 0) ranges.splice(k, 1);
      }
      const busy = this.slotsBusy[id];
      if (busy) busy[run.slots[i]] = -1;
      if (this.places.gpu[id] >= 0) this.use(id, -run.milli);
    });
  }

  /** Adds `delta` milli-GPU to GPU `id` at the current time (see Fragmentation.use). */
  private use(id: number, delta: number): void {
    this.frag.use(id, delta, Math.max(0, this.curT));
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
