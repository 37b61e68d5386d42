import { checkLogValue, type LogRecord } from '../../src/log/records.ts';
import { Deriver, type JobRow, type TimelineRow } from '../../src/output/derive.ts';

/**
 * The browser's fold over one run's event log. Every quantity the CLI derives (job rows and
 * states, first start and end, queued / running / allocation timeline, per-tenant allocation,
 * metrics such as makespan) comes from the same `Deriver` (src/output/derive.ts) that writes
 * jobs.csv and summary.json, so the viewer and the CLI cannot disagree. This file adds only
 * what the views need beyond it: Gantt lanes, node outages, fragmentation and the raw records
 * for the inspector.
 *
 * It is incremental: `addText` takes the log in arbitrary chunks (a live run appends while the
 * viewer polls), keeps a trailing partial line until its newline arrives, and never re-reads what
 * it has folded. Parsing is defensive: every line is checked with the log's schema
 * (src/log/records.ts); a line that is not JSON, a record of an unknown type, a record with an
 * invalid field or one about a job with no arrival is kept for the inspector and counted, never
 * thrown. Times are integer ms, as in the log.
 */

export interface JobInfo {
  /**
   * The Deriver's row: id, tenant, submit, first start and end (-1 when none yet), state, node,
   * GPU list, attempts, preemptions, lost work, reason. Updated in place as records fold.
   */
  readonly row: JobRow;
  /** Index into `RunModel.tenants` (the tenant's colour). */
  readonly tenantIx: number;
  /** Demand from the arrival record: GPUs, milli-CPU, MiB; priority; nominal duration (ms). */
  readonly gpus: number;
  readonly cpu: number;
  readonly mem: number;
  readonly prio: number;
  readonly dur: number;
  /** Fields of the last start record that the tooltip shows as they are (gang parts …). */
  extra: string;
}

/**
 * One Gantt row: a GPU, a share slot of a GPU (when jobs share it), a MIG instance, or the
 * CPU-only slot of a node. Segments in one lane never overlap and are appended in time order,
 * so `starts` and `ends` are both ascending (binary-searchable); an open segment has end=Infinity.
 */
export interface Lane {
  key: string;
  node: string;
  nodeIx: number;
  /** GPU index within the node, -1 for the CPU-only lanes. */
  gpu: number;
  slot: number;
  /** MIG instance or other named share, '' when none. */
  instance: string;
  starts: number[];
  ends: number[];
  jobs: number[];
}

export interface RecordRef {
  t: number;
  ev: string;
  line: string;
  /** A record of a known type that passed the schema. */
  known: boolean;
  /** Why the record was not folded ('' when it was): the schema's complaint, an unknown type … */
  note: string;
}

/**
 * Timeline columns, one point per distinct time at which a counter changed: the Deriver's
 * timeline rows (plus the instant still open), with the viewer's fragmentation beside them.
 */
export interface Series {
  t: number[];
  /** Allocated milli-GPU. */
  alloc: number[];
  /** Free milli-GPU stranded on partially allocated GPUs (see FRAGMENTATION below). */
  frag: number[];
  queued: number[];
  running: number[];
  /** Per tenant (index as in `tenants`), allocated milli-GPU. */
  tenantAlloc: number[][];
}

/**
 * Fragmentation % as the viewer defines it: free GPU share that sits on GPUs that are partly
 * allocated (so a whole-GPU job cannot use it), as a percentage of cluster GPU capacity.
 */
export const FRAGMENTATION = 'free share stranded on partly used GPUs, % of GPU capacity';

/** Start-record fields the tooltip shows in its own words; the others go to `JobInfo.extra`. */
const START_FIELDS = new Set(['t', 'ev', 'job', 'node', 'gpus', 'milli', 'attempt', 'mig']);

type Start = Extract<LogRecord, { ev: 'start' }>;

interface Running {
  lanes: number[];
  segs: number[];
  /** Milli-GPU taken on each of `gpuKeys` (0 for the CPU lane). */
  milli: number;
  gpuKeys: string[];
  slots: number[];
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
  /** Outages per node id: [down, up) intervals in time order; up = Infinity while still down. */
  readonly outages = new Map<string, { starts: number[]; ends: number[] }>();
  /** Counts of records the viewer could not use, by reason (shown on screen). */
  readonly problems = new Map<string, number>();
  ended = false;
  lastT = 0;
  firstT = Infinity;
  /** Bumped whenever lanes are added; views re-sort when it changes. */
  laneVersion = 0;

  private readonly laneIndex = new Map<string, number>();
  private readonly nodeIndex = new Map<string, number>();
  private readonly slotsBusy = new Map<string, number[]>();
  private readonly gpuUsed = new Map<string, number>();
  private readonly gpuCap = new Map<string, number>();
  private readonly running = new Map<number, Running>();
  private readonly tenantIndex = new Map<string, number>();
  private strand = 0;
  /** Stranded share at each of the Deriver's closed timeline rows (same index). */
  private readonly fragAt: number[] = [];
  /** The series' last point is the Deriver's open instant, to be replaced on the next flush. */
  private provisional = false;
  private pending = '';
  private curT = -1;

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
    const lines = text.slice(0, cut).split('\n').filter((l) => l.trim() !== '');
    // One JSON.parse over the whole chunk is several times faster than one per line; a chunk
    // with a bad line falls back to line-by-line so only that line is set aside.
    let parsed: unknown[] | undefined;
    try {
      const all: unknown = JSON.parse(`[${lines.join(',')}]`);
      if (Array.isArray(all) && all.length === lines.length) parsed = all;
    } catch {
      parsed = undefined;
    }
    for (let i = 0; i < lines.length; i++) {
      if (parsed) this.addRecord(lines[i], parsed[i]);
      else this.addLine(lines[i]);
    }
    this.flush();
    return lines.length;
  }

  /** Folds one line; exposed for tests. */
  addLine(line: string): void {
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      v = undefined;
    }
    this.addRecord(line, v);
  }

  private addRecord(line: string, v: unknown): void {
    const raw = typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as { t?: unknown; ev?: unknown }) : undefined;
    const t = typeof raw?.t === 'number' && Number.isFinite(raw.t) ? raw.t : this.curT < 0 ? 0 : this.curT;
    const o = checkLogValue(v);
    switch (o.kind) {
      case 'not-record': {
        const ev = raw === undefined ? '(unparsed)' : '(no ev)';
        this.problem(raw === undefined ? 'lines that are not JSON records' : "records without a string 'ev' (inspector only)");
        this.records.push({ t, ev, line, known: false, note: raw === undefined ? 'not a JSON record' : "no string 'ev'" });
        return;
      }
      case 'unknown-ev':
        this.problem(`records of unknown type '${o.ev}' (inspector only)`);
        this.records.push({ t, ev: o.ev, line, known: false, note: 'unknown type' });
        return;
      case 'invalid':
        this.problem(`'${o.ev}' records with an invalid field (inspector only)`);
        this.records.push({ t, ev: o.ev, line, known: false, note: `invalid ${o.field}: ${o.message}` });
        return;
      case 'record':
        break;
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
    for (let i = rows; i < this.deriver.timeline.length; i++) this.fragAt.push(this.strand);
    this.apply(r, raw ?? {});
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
      this.point(open, this.strand);
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
  private apply(r: LogRecord, raw: object): void {
    switch (r.ev) {
      case 'run':
        this.run = r.run;
        this.mode = r.mode;
        this.queue = r.queue;
        this.placement = r.placement;
        this.seed = r.seed;
        this.nodes = r.nodes.map((n) => ({ id: n.id, gpus: n.gpus.map((g) => ({ model: g.model, capacity: g.capacity })) }));
        this.nodes.forEach((n, i) => {
          this.nodeIndex.set(n.id, i);
          n.gpus.forEach((g, k) => this.gpuCap.set(`${n.id}/${k}`, g.capacity));
        });
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
        this.jobs.push({ row, tenantIx: ti, gpus: r.gpus, cpu: r.cpu, mem: r.mem, prio: r.prio, dur: r.dur, extra: '' });
        break;
      }
      case 'start':
        this.start(r, raw);
        break;
      case 'preempt':
      case 'node-loss':
      case 'finish': {
        // node-loss: stopped by its node going down; followed by requeue, or by a finish (failed).
        const j = this.jobIndex.get(r.job);
        if (j !== undefined) this.release(j, r.t);
        break;
      }
      case 'node-down': {
        // The jobs it hit each have their own node-loss record; here only the outage itself.
        let o = this.outages.get(r.node);
        if (!o) this.outages.set(r.node, (o = { starts: [], ends: [] }));
        o.starts.push(r.t);
        o.ends.push(Infinity);
        break;
      }
      case 'node-up': {
        const o = this.outages.get(r.node);
        if (o && o.ends.length > 0 && o.ends[o.ends.length - 1] === Infinity) o.ends[o.ends.length - 1] = r.t;
        else this.problem('node-up without a node-down');
        break;
      }
      case 'end':
        this.ended = true;
        break;
      case 'admit':
      case 'reject':
      case 'requeue':
      case 'cancel':
        break;
    }
  }

  private start(r: Start, raw: object): void {
    const j = this.jobIndex.get(r.job);
    if (j === undefined) return;
    if (this.running.has(j)) this.release(j, r.t);
    const extras: string[] = [];
    for (const [k, v] of Object.entries(raw)) if (!START_FIELDS.has(k)) extras.push(`${k}: ${JSON.stringify(v)}`);
    this.jobs[j].extra = extras.join(', ');
    const instance = r.mig ? `${r.mig.profile}@${r.mig.start}` : '';
    const run: Running = { lanes: [], segs: [], milli: r.milli, gpuKeys: [], slots: [] };
    // A gang's parts on other nodes get lanes too; a CPU-only job gets its node's CPU lane.
    const places = [{ node: r.node, gpus: r.gpus }, ...(r.parts ?? [])];
    for (const p of places) {
      const nodeIx = this.nodeIndex.get(p.node) ?? -1;
      for (const g of p.gpus.length > 0 ? p.gpus : [-1]) {
        const gpuKey = g < 0 ? `${p.node}/cpu` : `${p.node}/${g}`;
        let busy = this.slotsBusy.get(gpuKey);
        if (!busy) this.slotsBusy.set(gpuKey, (busy = []));
        let slot = busy.indexOf(-1);
        if (slot < 0) {
          slot = busy.length;
          busy.push(-1);
        }
        busy[slot] = j;
        const laneKey = instance && g >= 0 ? `${gpuKey}/${instance}` : `${gpuKey}#${slot}`;
        let lane = this.laneIndex.get(laneKey);
        if (lane === undefined) {
          lane = this.lanes.length;
          this.lanes.push({ key: laneKey, node: p.node, nodeIx, gpu: g, slot, instance: g >= 0 ? instance : '', starts: [], ends: [], jobs: [] });
          this.laneIndex.set(laneKey, lane);
          this.laneVersion++;
        }
        const L = this.lanes[lane];
        // A MIG instance lane could in principle be re-granted while open; close defensively.
        const lastEnd = L.ends.length ? L.ends[L.ends.length - 1] : -Infinity;
        if (lastEnd === Infinity) L.ends[L.ends.length - 1] = r.t;
        L.starts.push(r.t);
        L.ends.push(Infinity);
        L.jobs.push(j);
        run.lanes.push(lane);
        run.segs.push(L.starts.length - 1);
        run.gpuKeys.push(gpuKey);
        run.slots.push(slot);
        if (g >= 0) this.use(gpuKey, r.milli);
      }
    }
    this.running.set(j, run);
  }

  private release(j: number, t: number): void {
    const run = this.running.get(j);
    if (!run) return;
    this.running.delete(j);
    run.lanes.forEach((lane, i) => {
      const L = this.lanes[lane];
      if (L.ends[run.segs[i]] === Infinity) L.ends[run.segs[i]] = t;
      const busy = this.slotsBusy.get(run.gpuKeys[i]);
      if (busy) busy[run.slots[i]] = -1;
      if (!run.gpuKeys[i].endsWith('/cpu')) this.use(run.gpuKeys[i], -run.milli);
    });
  }

  /** Adds `delta` milli-GPU to one GPU and keeps the stranded-share total in step. */
  private use(gpuKey: string, delta: number): void {
    const cap = this.gpuCap.get(gpuKey) ?? 1000;
    const before = this.gpuUsed.get(gpuKey) ?? 0;
    const after = before + delta;
    this.gpuUsed.set(gpuKey, after);
    const stranded = (u: number) => (u > 0 && u < cap ? cap - u : 0);
    this.strand += stranded(after) - stranded(before);
  }

  /** Lane order for drawing: node order of the run record, GPU lanes by index then slot, CPU last. */
  laneOrder(): number[] {
    const ix = this.lanes.map((_, i) => i);
    const gpuOf = (l: Lane) => (l.gpu < 0 ? 1e9 : l.gpu);
    ix.sort((a, b) => {
      const A = this.lanes[a];
      const B = this.lanes[b];
      return A.nodeIx - B.nodeIx || gpuOf(A) - gpuOf(B) || A.instance.localeCompare(B.instance) || A.slot - B.slot || a - b;
    });
    return ix;
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

  /** Ascending JCTs (s) of succeeded jobs, as the Deriver defines JCT; cached per log length. */
  jcts(): Float64Array {
    if (this.jctCache?.at === this.records.length) return this.jctCache.v;
    const out: number[] = [];
    for (const { row } of this.jobs) if (row.state === 'succeeded') out.push((row.end - row.submit) / 1000);
    const v = Float64Array.from(out).sort();
    this.jctCache = { at: this.records.length, v };
    return v;
  }

  /** Index of the first record with t >= time (records.length if none). */
  recordAt(time: number): number {
    let lo = 0;
    let hi = this.records.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.records[mid].t < time) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
