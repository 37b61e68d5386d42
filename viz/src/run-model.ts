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
  /**
   * The drawn row this lane belongs to: every share slot and MIG instance of one GPU is drawn in
   * that GPU's row (`node/gpu`); a CPU lane is a row of its own.
   */
  row: string;
  starts: number[];
  ends: number[];
  jobs: number[];
  /**
   * Per segment, where in its GPU's row the job sits and how much of it it holds, in milli-GPU:
   * the lowest offset free when it started (a MIG instance: its slice × 125) and the share
   * granted. Drawn as a bar whose height is that share of the row. CPU lanes: 0 and 1000.
   */
  off: number[];
  milli: number[];
  /** How each segment ended: see SEG_END. Open segments: SEG_END.open. */
  endKind: number[];
}

/** Segment endings the Gantt marks. */
export const SEG_END = { open: 0, finished: 1, failed: 2, preempted: 3, nodeLoss: 4 } as const;

/** Per node: GPU milli allocated and stranded (free on partly used GPUs), at each change. */
export interface NodeSeries {
  t: number[];
  alloc: number[];
  strand: number[];
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
  /** Per lane: the offset taken in its GPU (released with it). */
  offs: number[];
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
  /** Per node (run-record order): allocation and stranded share over time, for the heatmap. */
  readonly nodeSeries: NodeSeries[] = [];
  /** Milli-GPU capacity per node (run-record order). */
  nodeCap: number[] = [];
  /** Jobs rejected (index into `jobs`), in log order. */
  readonly rejected: number[] = [];
  /** Outages per node id: [down, up) intervals in time order; up = Infinity while still down. */
  readonly outages = new Map<string, { starts: number[]; ends: number[] }>();
  /** Counts of records the viewer could not use, by reason (shown on screen). */
  readonly problems = new Map<string, number>();
  ended = false;
  lastT = 0;
  firstT = Infinity;
  /** Jobs a record was about since the consumer last cleared this (the worker's delta encoder). */
  readonly dirtyJobs = new Set<number>();
  /** Bumped whenever lanes are added; views re-sort when it changes. */
  laneVersion = 0;

  private readonly laneIndex = new Map<string, number>();
  private readonly nodeIndex = new Map<string, number>();
  private readonly slotsBusy = new Map<string, number[]>();
  private readonly gpuUsed = new Map<string, number>();
  /** Per GPU key: occupied [offset, offset + milli) ranges of the running jobs. */
  private readonly gpuRanges = new Map<string, [number, number][]>();
  private readonly nodeAlloc: number[] = [];
  private readonly nodeStrand: number[] = [];
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
    return this.addLines(text.slice(0, cut).split('\n').filter((l) => l.trim() !== ''));
  }

  /** Folds complete, non-blank lines (no newlines in them); returns how many. One record per line. */
  addLines(lines: string[]): number {
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
    if ('job' in r) {
      const j = this.jobIndex.get(r.job);
      if (j !== undefined) this.dirtyJobs.add(j);
    }
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
          this.nodeSeries.push({ t: [], alloc: [], strand: [] });
          this.nodeAlloc.push(0);
          this.nodeStrand.push(0);
        });
        this.nodeCap = this.nodes.map((n) => n.gpus.reduce((a, g) => a + g.capacity, 0));
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
        const how = r.ev === 'preempt' ? SEG_END.preempted : r.ev === 'node-loss' ? SEG_END.nodeLoss : r.state === 'succeeded' ? SEG_END.finished : SEG_END.failed;
        if (j !== undefined) this.release(j, r.t, how);
        break;
      }
      case 'reject': {
        const j = this.jobIndex.get(r.job);
        if (j !== undefined) this.rejected.push(j);
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
      case 'requeue':
      case 'cancel':
        break;
    }
  }

  private start(r: Start, raw: object): void {
    const j = this.jobIndex.get(r.job);
    if (j === undefined) return;
    if (this.running.has(j)) this.release(j, r.t, SEG_END.preempted);
    const extras: string[] = [];
    for (const [k, v] of Object.entries(raw)) if (!START_FIELDS.has(k)) extras.push(`${k}: ${JSON.stringify(v)}`);
    this.jobs[j].extra = extras.join(', ');
    const instance = r.mig ? `${r.mig.profile}@${r.mig.start}` : '';
    const run: Running = { lanes: [], offs: [], segs: [], milli: r.milli, gpuKeys: [], slots: [] };
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
          const row = g >= 0 ? gpuKey : laneKey;
          this.lanes.push({ key: laneKey, node: p.node, nodeIx, gpu: g, slot, instance: g >= 0 ? instance : '', row, starts: [], ends: [], jobs: [], off: [], milli: [], endKind: [] });
          this.laneIndex.set(laneKey, lane);
          this.laneVersion++;
        }
        const L = this.lanes[lane];
        // A MIG instance lane could in principle be re-granted while open; close defensively.
        const lastEnd = L.ends.length ? L.ends[L.ends.length - 1] : -Infinity;
        if (lastEnd === Infinity) L.ends[L.ends.length - 1] = r.t;
        const cap = this.gpuCap.get(gpuKey) ?? 1000;
        const share = g < 0 ? 1000 : Math.min(cap, r.milli > 0 ? r.milli : cap);
        const off = g < 0 ? 0 : this.takeRange(gpuKey, share, cap, r.mig ? r.mig.start * 125 : undefined);
        L.starts.push(r.t);
        L.ends.push(Infinity);
        L.jobs.push(j);
        L.off.push(g < 0 ? 0 : (1000 * off) / cap);
        L.milli.push(g < 0 ? 1000 : (1000 * share) / cap);
        L.endKind.push(SEG_END.open);
        run.offs.push(off);
        run.lanes.push(lane);
        run.segs.push(L.starts.length - 1);
        run.gpuKeys.push(gpuKey);
        run.slots.push(slot);
        if (g >= 0) this.use(gpuKey, r.milli);
      }
    }
    this.running.set(j, run);
  }

  /**
   * Takes `milli` of a GPU's row for a starting job: at `want` (a MIG instance's slice) or at the
   * lowest offset where it fits between the running jobs' ranges (past the end when none does,
   * which only an over-committed log produces). Returns the offset.
   */
  private takeRange(gpuKey: string, milli: number, cap: number, want?: number): number {
    let ranges = this.gpuRanges.get(gpuKey);
    if (!ranges) this.gpuRanges.set(gpuKey, (ranges = []));
    let off = 0;
    if (want !== undefined) off = Math.min(want, Math.max(0, cap - milli));
    else {
      for (const [a, b] of ranges) {
        if (a - off >= milli) break;
        off = Math.max(off, b);
      }
      if (off + milli > cap) off = Math.max(0, cap - milli);
    }
    ranges.push([off, off + milli]);
    ranges.sort((x, y) => x[0] - y[0]);
    return off;
  }

  private release(j: number, t: number, how: number): void {
    const run = this.running.get(j);
    if (!run) return;
    this.running.delete(j);
    run.lanes.forEach((lane, i) => {
      const L = this.lanes[lane];
      if (L.ends[run.segs[i]] === Infinity) L.ends[run.segs[i]] = t;
      L.endKind[run.segs[i]] = how;
      const ranges = this.gpuRanges.get(run.gpuKeys[i]);
      if (ranges && L.gpu >= 0) {
        const k = ranges.findIndex((rg) => rg[0] === run.offs[i]);
        if (k >= 0) ranges.splice(k, 1);
      }
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
    const ds = stranded(after) - stranded(before);
    this.strand += ds;
    const n = this.nodeIndex.get(gpuKey.slice(0, gpuKey.lastIndexOf('/')));
    if (n === undefined) return;
    this.nodeAlloc[n] += delta;
    this.nodeStrand[n] += ds;
    const S = this.nodeSeries[n];
    const t = Math.max(0, this.curT);
    if (S.t.length > 0 && S.t[S.t.length - 1] === t) {
      S.alloc[S.alloc.length - 1] = this.nodeAlloc[n];
      S.strand[S.strand.length - 1] = this.nodeStrand[n];
    } else {
      S.t.push(t);
      S.alloc.push(this.nodeAlloc[n]);
      S.strand.push(this.nodeStrand[n]);
    }
  }

  /**
   * Drawn rows in order: one per GPU (its share slots and MIG instances together) and one per CPU
   * lane, nodes in run-record order. Each row lists its lanes.
   */
  rowOrder(): { key: string; node: string; nodeIx: number; gpu: number; lanes: number[] }[] {
    const out: { key: string; node: string; nodeIx: number; gpu: number; lanes: number[] }[] = [];
    const byKey = new Map<string, number>();
    for (const i of this.laneOrder()) {
      const L = this.lanes[i];
      let k = byKey.get(L.row);
      if (k === undefined) {
        byKey.set(L.row, (k = out.length));
        out.push({ key: L.row, node: L.node, nodeIx: L.nodeIx, gpu: L.gpu, lanes: [] });
      }
      out[k].lanes.push(i);
    }
    return out;
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

  /**
   * Ascending per-job values over the succeeded jobs (JCT, ms; slowdown: JCT / nominal duration)
   * or the started jobs (wait, ms). Cached per log length.
   */
  dist(what: 'jct' | 'wait' | 'slowdown'): Float64Array {
    const key = `${what}@${this.records.length}`;
    const hit = this.distCache.get(what);
    if (hit && hit.key === key) return hit.v;
    const out: number[] = [];
    for (const j of this.jobs) {
      const r = j.row;
      if (what === 'wait') {
        if (r.start >= 0) out.push(r.start - r.submit);
      } else if (r.state === 'succeeded') out.push(what === 'jct' ? r.end - r.submit : (r.end - r.submit) / Math.max(1, j.dur));
    }
    const v = Float64Array.from(out).sort();
    this.distCache.set(what, { key, v });
    return v;
  }

  private readonly distCache = new Map<string, { key: string; v: Float64Array }>();

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
