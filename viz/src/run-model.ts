import type { LogRecord } from '../../src/log/records.ts';
import { mean, percentileSorted, round } from '../../src/metrics/stats.ts';

/**
 * The browser's fold over one run's event log. It mirrors src/output/derive.ts (same queued /
 * running / allocation arithmetic) and adds what the views need: Gantt lanes, fragmentation and
 * per-tenant allocation. It is incremental: `addText` takes the log in arbitrary chunks (a live
 * run appends while the viewer polls), keeps a trailing partial line until its newline arrives,
 * and never re-reads what it has folded. Parsing is defensive: a line that is not JSON, a record
 * of an unknown type or a record about an unknown job is kept for the inspector and counted,
 * never thrown. Times are integer ms, as in the log.
 */

export interface JobInfo {
  id: string;
  tenant: string;
  tenantIx: number;
  submit: number;
  /** First start (ms) or -1. */
  start: number;
  /** Terminal time (ms) or -1 while not finished. */
  end: number;
  state: string;
  gpus: number;
  milli: number;
  cpu: number;
  mem: number;
  prio: number;
  /** Nominal duration from the arrival record (ms). */
  dur: number;
  node: string;
  gpuList: string;
  attempts: number;
  preemptions: number;
  reason: string;
  /** Extra fields of the last start record that the viewer does not know (MIG grants …). */
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
  known: boolean;
}

/** Timeline columns, one point per distinct time at which a counter changed. */
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

const KNOWN = new Set(['run', 'arrival', 'admit', 'reject', 'start', 'finish', 'cancel', 'end', 'preempt', 'requeue', 'node-down', 'node-loss', 'node-up']);
const START_FIELDS = new Set(['t', 'ev', 'job', 'node', 'gpus', 'milli', 'attempt', 'mig']);

interface Running {
  lanes: number[];
  segs: number[];
  milli: number;
  gpuKeys: string[];
  slots: number[];
}

export class RunModel {
  run = '';
  mode = '';
  queue = '';
  placement = '';
  seed = 0;
  nodes: { id: string; gpus: { model: string; capacity: number }[] }[] = [];
  gpuCapacity = 0;
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
  private alloc = 0;
  private strand = 0;
  private queued = 0;
  private runningCount = 0;
  private tenantAlloc: number[] = [];
  private pending = '';
  private dirty = false;
  private curT = -1;

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
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      this.problem('lines that are not JSON records');
      this.records.push({ t: this.curT < 0 ? 0 : this.curT, ev: '(unparsed)', line, known: false });
      return;
    }
    const rec = v as Record<string, unknown>;
    const t = typeof rec.t === 'number' && Number.isFinite(rec.t) ? rec.t : this.curT < 0 ? 0 : this.curT;
    const ev = typeof rec.ev === 'string' ? rec.ev : '(no ev)';
    const known = KNOWN.has(ev);
    this.records.push({ t, ev, line, known });
    if (!known) {
      this.problem(`records of unknown type '${ev}' (inspector only)`);
      return;
    }
    if (t !== this.curT) {
      this.flush();
      this.curT = t;
    }
    if (t > this.lastT) this.lastT = t;
    this.apply(rec as unknown as LogRecord | PreemptLike);
  }

  /** Closes the current instant into the series (called after each chunk). */
  flush(): void {
    if (!this.dirty) return;
    this.dirty = false;
    const s = this.series;
    const last = s.t.length - 1;
    const tenantsNow = this.tenantAlloc.length;
    while (s.tenantAlloc.length < tenantsNow) s.tenantAlloc.push(new Array<number>(s.t.length).fill(0));
    if (last >= 0 && s.t[last] === this.curT) {
      // The same instant arrived in two chunks: overwrite its point.
      s.alloc[last] = this.alloc;
      s.frag[last] = this.strand;
      s.queued[last] = this.queued;
      s.running[last] = this.runningCount;
      for (let i = 0; i < tenantsNow; i++) s.tenantAlloc[i][last] = this.tenantAlloc[i];
      return;
    }
    s.t.push(this.curT);
    s.alloc.push(this.alloc);
    s.frag.push(this.strand);
    s.queued.push(this.queued);
    s.running.push(this.runningCount);
    for (let i = 0; i < tenantsNow; i++) s.tenantAlloc[i].push(this.tenantAlloc[i]);
  }

  private problem(what: string): void {
    this.problems.set(what, (this.problems.get(what) ?? 0) + 1);
  }

  private job(id: unknown): number {
    const ix = typeof id === 'string' ? this.jobIndex.get(id) : undefined;
    if (ix === undefined) {
      this.problem('records about a job with no arrival');
      return -1;
    }
    return ix;
  }

  private apply(r: LogRecord | PreemptLike): void {
    switch (r.ev) {
      case 'run': {
        this.run = String(r.run ?? '');
        this.mode = String(r.mode ?? '');
        this.queue = String(r.queue ?? '');
        this.placement = String(r.placement ?? '');
        this.seed = Number(r.seed ?? 0);
        const nodes = Array.isArray(r.nodes) ? r.nodes : [];
        this.nodes = nodes.map((n) => ({
          id: String(n.id),
          gpus: ((Array.isArray(n.gpus) ? n.gpus : []) as readonly { model?: unknown; capacity?: unknown }[]).map((g) => ({ model: String(g.model), capacity: Number(g.capacity) || 1000 })),
        }));
        this.gpuCapacity = 0;
        this.nodes.forEach((n, i) => this.nodeIndex.set(n.id, i));
        for (const n of this.nodes)
          n.gpus.forEach((g, i) => {
            this.gpuCapacity += g.capacity;
            this.gpuCap.set(`${n.id}/${i}`, g.capacity);
          });
        break;
      }
      case 'arrival': {
        if (r.t < this.firstT) this.firstT = r.t;
        const tenant = String(r.tenant ?? '?');
        let ti = this.tenantIndex.get(tenant);
        if (ti === undefined) {
          ti = this.tenants.length;
          this.tenants.push(tenant);
          this.tenantIndex.set(tenant, ti);
          this.tenantAlloc.push(0);
        }
        this.jobIndex.set(String(r.job), this.jobs.length);
        this.jobs.push({
          id: String(r.job),
          tenant,
          tenantIx: ti,
          submit: r.t,
          start: -1,
          end: -1,
          state: 'pending',
          gpus: Number(r.gpus) || 0,
          milli: Number(r.milli) || 0,
          cpu: Number(r.cpu) || 0,
          mem: Number(r.mem) || 0,
          prio: Number(r.prio) || 0,
          dur: Number(r.dur) || 0,
          node: '',
          gpuList: '',
          attempts: 0,
          preemptions: 0,
          reason: '',
          extra: '',
        });
        break;
      }
      case 'admit':
      case 'requeue': {
        const j = this.job(r.job);
        if (j < 0) return;
        this.jobs[j].state = 'queued';
        this.queued++;
        this.dirty = true;
        break;
      }
      case 'reject': {
        const j = this.job(r.job);
        if (j < 0) return;
        const job = this.jobs[j];
        job.state = 'rejected';
        job.end = r.t;
        job.reason = String(r.reason ?? '');
        break;
      }
      case 'start':
        this.start(r);
        break;
      case 'preempt': {
        const j = this.job(r.job);
        if (j < 0) return;
        this.release(j, r.t);
        this.jobs[j].state = 'preempted';
        this.jobs[j].preemptions++;
        this.dirty = true;
        break;
      }
      case 'node-loss': {
        // Stopped by its node going down: followed by requeue, or by a finish (failed).
        const j = this.job(r.job);
        if (j < 0) return;
        this.release(j, r.t);
        this.jobs[j].state = 'preempted';
        this.dirty = true;
        break;
      }
      case 'node-down': {
        // The jobs it hit each have their own node-loss record; here only the outage itself.
        const node = String(r.node ?? '');
        let o = this.outages.get(node);
        if (!o) this.outages.set(node, (o = { starts: [], ends: [] }));
        o.starts.push(r.t);
        o.ends.push(Infinity);
        this.dirty = true;
        break;
      }
      case 'node-up': {
        const o = this.outages.get(String(r.node ?? ''));
        if (o && o.ends.length > 0 && o.ends[o.ends.length - 1] === Infinity) o.ends[o.ends.length - 1] = r.t;
        else this.problem('node-up without a node-down');
        this.dirty = true;
        break;
      }
      case 'finish': {
        const j = this.job(r.job);
        if (j < 0) return;
        const job = this.jobs[j];
        if (this.running.has(j)) this.release(j, r.t);
        else if (job.state === 'queued') this.queued--;
        job.state = String(r.state ?? 'finished');
        job.end = r.t;
        if (r.reason) job.reason = String(r.reason);
        this.dirty = true;
        break;
      }
      case 'cancel':
        break;
      case 'end':
        this.ended = true;
        break;
    }
  }

  private start(r: Extract<LogRecord, { ev: 'start' }>): void {
    const j = this.job(r.job);
    if (j < 0) return;
    const job = this.jobs[j];
    if (this.running.has(j)) this.release(j, r.t);
    if (job.start < 0) job.start = r.t;
    job.state = 'running';
    job.node = String(r.node ?? '');
    const gpus = Array.isArray(r.gpus) ? r.gpus.map(Number) : [];
    job.gpuList = gpus.join(';');
    job.attempts = Number(r.attempt) || job.attempts + 1;
    const extras: string[] = [];
    for (const k in r) if (!START_FIELDS.has(k)) extras.push(`${k}: ${JSON.stringify((r as unknown as Record<string, unknown>)[k])}`);
    job.extra = extras.join(', ');
    const instance = instanceName(r as unknown as Record<string, unknown>);
    const nodeIx = this.nodeIndex.get(job.node) ?? -1;
    const milli = Number(r.milli) || 0;
    const run: Running = { lanes: [], segs: [], milli: gpus.length * milli, gpuKeys: [], slots: [] };
    const places = gpus.length > 0 ? gpus : [-1];
    for (const g of places) {
      const gpuKey = g < 0 ? `${job.node}/cpu` : `${job.node}/${g}`;
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
        this.lanes.push({ key: laneKey, node: job.node, nodeIx, gpu: g, slot, instance: g >= 0 ? instance : '', starts: [], ends: [], jobs: [] });
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
      if (g >= 0) this.use(gpuKey, milli);
    }
    this.running.set(j, run);
    this.alloc += run.milli;
    this.tenantAlloc[job.tenantIx] += run.milli;
    this.queued--;
    this.runningCount++;
    this.dirty = true;
  }

  private release(j: number, t: number): void {
    const run = this.running.get(j);
    if (!run) return;
    this.running.delete(j);
    const perGpu = run.gpuKeys.length > 0 && run.milli > 0 ? run.milli / run.gpuKeys.length : 0;
    run.lanes.forEach((lane, i) => {
      const L = this.lanes[lane];
      if (L.ends[run.segs[i]] === Infinity) L.ends[run.segs[i]] = t;
      const busy = this.slotsBusy.get(run.gpuKeys[i]);
      if (busy) busy[run.slots[i]] = -1;
      if (!run.gpuKeys[i].endsWith('/cpu')) this.use(run.gpuKeys[i], -perGpu);
    });
    this.alloc -= run.milli;
    this.tenantAlloc[this.jobs[j].tenantIx] -= run.milli;
    this.runningCount--;
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

  /** Seconds; same definitions as Deriver.metrics() (JCT of succeeded jobs, wait of started ones). Cached per log length. */
  metrics(): Record<string, number> {
    if (this.metricsCache?.at === this.records.length) return this.metricsCache.m;
    const jct = this.jcts();
    const waitArr: number[] = [];
    const counts = new Map<string, number>();
    let lastEnd = 0;
    for (const j of this.jobs) {
      if (j.start >= 0) waitArr.push((j.start - j.submit) / 1000);
      counts.set(j.state, (counts.get(j.state) ?? 0) + 1);
      if (j.end > lastEnd && j.state !== 'rejected') lastEnd = j.end;
    }
    const wait = Float64Array.from(waitArr).sort();
    const count = (st: string) => counts.get(st) ?? 0;
    const arr = (a: Float64Array) => a as unknown as number[];
    const m = {
      jobs: this.jobs.length,
      completed: count('succeeded'),
      failed: count('failed') + count('timed-out'),
      rejected: count('rejected'),
      cancelled: count('cancelled'),
      unfinished: count('queued') + count('running') + count('pending') + count('preempted'),
      jctMean: round(mean(arr(jct))),
      jctP50: round(percentileSorted(arr(jct), 50)),
      jctP95: round(percentileSorted(arr(jct), 95)),
      jctP99: round(percentileSorted(arr(jct), 99)),
      waitMean: round(mean(arr(wait))),
      waitP95: round(percentileSorted(arr(wait), 95)),
      makespan: round((lastEnd - (Number.isFinite(this.firstT) ? this.firstT : 0)) / 1000),
    };
    this.metricsCache = { at: this.records.length, m };
    return m;
  }

  /** Ascending JCTs (s) of succeeded jobs; cached per log length. */
  jcts(): Float64Array {
    if (this.jctCache?.at === this.records.length) return this.jctCache.v;
    const out: number[] = [];
    for (const j of this.jobs) if (j.state === 'succeeded') out.push((j.end - j.submit) / 1000);
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

/** Preemption records that other parts of the project add; read defensively. */
interface PreemptLike {
  t: number;
  ev: 'preempt' | 'requeue';
  job: string;
}

/**
 * The MIG instance a start record grants (`mig: { profile, start }`, src/output/records.ts) as a
 * lane name such as `3g.40gb@4` (profile, first memory slice), or '' for a whole GPU or a share.
 */
function instanceName(r: Record<string, unknown>): string {
  const m = r.mig as { profile?: unknown; start?: unknown } | undefined;
  if (m && typeof m === 'object' && typeof m.profile === 'string') return `${m.profile}@${Number(m.start)}`;
  return '';
}
