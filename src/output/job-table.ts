import { JOB_STATES } from '../log/records.ts';
import type { JobRow } from './derive.ts';

/** A row's state as a number: its index here. */
export const ROW_STATES: readonly JobRow['state'][] = JOB_STATES;
const STATE_CODE = new Map<string, number>(ROW_STATES.map((s, i) => [s, i]));

/** The code of `state` in `ROW_STATES`; throws on a state the schema does not know. */
export function stateCode(state: JobRow['state']): number {
  const c = STATE_CODE.get(state);
  if (c === undefined) throw new Error(`unknown job state '${state}'`);
  return c;
}

export const PENDING = stateCode('pending');
export const QUEUED = stateCode('queued');
export const RUNNING = stateCode('running');
export const PREEMPTED = stateCode('preempted');
export const SUCCEEDED = stateCode('succeeded');
export const FAILED = stateCode('failed');
export const TIMED_OUT = stateCode('timed-out');
export const REJECTED = stateCode('rejected');
export const CANCELLED = stateCode('cancelled');

/**
 * The Deriver's jobs as columns, one entry per job in arrival order: typed arrays for numbers,
 * plain arrays of shared strings (ids, node lists, GPU lists, reasons), tenants as indices into
 * `tenants`: about 140 bytes per job (plus its id string, and up to twice that in typed-array
 * slack while the columns grow), with nothing per job for the garbage collector to trace but the
 * strings, where one row object and one map entry per job cost about 290 bytes.
 *
 * Ids are looked up through an index of the jobs still going; a job leaves it when it reaches an
 * end state (finish, reject), since no record follows those. A lookup of an id that has left
 * (a record after the end, or an outside caller) builds the full index once and keeps it.
 * The Deriver writes the columns directly; `get`/`values` give read-only live views for callers
 * that want rows (the viewer, tests).
 */
export class JobTable {
  size = 0;
  private cap = 0;
  readonly ids: string[] = [];
  readonly tenants: string[] = [];
  readonly tenantIndex = new Map<string, number>();
  tenant = new Int32Array(0);
  submit = new Float64Array(0);
  /** First start; -1 when it never started. */
  start = new Float64Array(0);
  /** -1 while unfinished. */
  end = new Float64Array(0);
  state = new Uint8Array(0);
  reqGpus = new Float64Array(0);
  reqMilli = new Float64Array(0);
  milli = new Float64Array(0);
  attempts = new Float64Array(0);
  preemptions = new Int32Array(0);
  lostMs = new Float64Array(0);
  nodeLosses = new Int32Array(0);
  /** Nominal run time (arrival record), ms. */
  dur = new Float64Array(0);
  /** GPUs × milli-GPU asked for. */
  demand = new Float64Array(0);
  /** Milli-GPU of the running attempt as the cluster counters see it; -1 while not running. */
  alloc = new Float64Array(0);
  readonly node: string[] = [];
  readonly gpus: string[] = [];
  readonly reason: string[] = [];
  private readonly going = new Map<string, number>();
  private all: Map<string, number> | undefined;

  /** The index of a job (the latest row for an id that arrived twice), or -1. */
  indexOf(id: string): number {
    const i = this.going.get(id);
    if (i !== undefined) return i;
    if (this.all === undefined) {
      this.all = new Map();
      for (let k = 0; k < this.size; k++) this.all.set(this.ids[k], k);
    }
    return this.all.get(id) ?? -1;
  }

  /**
   * Adds a row for an arriving job; returns its index. An id that arrives again while its job is
   * going gets a fresh row in the old one's place (as a Map's `set` would); one that arrives after
   * its job ended gets a row of its own.
   */
  add(id: string, tenant: string, submit: number, reqGpus: number, reqMilli: number, dur: number): number {
    const again = this.going.get(id);
    if (again === undefined && this.size === this.cap) this.grow();
    const i = again ?? this.size++;
    let t = this.tenantIndex.get(tenant);
    if (t === undefined) {
      t = this.tenants.length;
      this.tenants.push(tenant);
      this.tenantIndex.set(tenant, t);
    }
    this.ids[i] = id;
    this.tenant[i] = t;
    this.submit[i] = submit;
    this.start[i] = -1;
    this.end[i] = -1;
    this.state[i] = PENDING;
    this.reqGpus[i] = reqGpus;
    this.reqMilli[i] = reqMilli;
    this.milli[i] = 0;
    this.attempts[i] = 0;
    this.preemptions[i] = 0;
    this.lostMs[i] = 0;
    this.nodeLosses[i] = 0;
    this.dur[i] = dur;
    this.demand[i] = reqGpus * reqMilli;
    this.alloc[i] = -1;
    this.node[i] = '';
    this.gpus[i] = '';
    this.reason[i] = '';
    this.going.set(id, i);
    this.all?.set(id, i);
    return i;
  }

  /** Whether job `i` succeeded (the fairness report's `TrackedJobs`). */
  succeeded(i: number): boolean {
    return this.state[i] === SUCCEEDED;
  }

  /** The job reached an end state: no record about it follows, it leaves the index of jobs going. */
  ended(i: number): void {
    this.going.delete(this.ids[i]);
  }

  has(id: string): boolean {
    return this.indexOf(id) >= 0;
  }

  /** A live read-only view of the job's row (it follows later records), or undefined. */
  get(id: string): JobRow | undefined {
    const i = this.indexOf(id);
    return i < 0 ? undefined : new JobRowView(this, i);
  }

  /** Every job's row (live views), in arrival order. */
  *values(): IterableIterator<JobRow> {
    for (let i = 0; i < this.size; i++) yield new JobRowView(this, i);
  }

  private grow(): void {
    const cap = Math.max(1024, this.cap * 2);
    const f64 = (a: Float64Array) => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    const i32 = (a: Int32Array) => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    this.tenant = i32(this.tenant);
    this.submit = f64(this.submit);
    this.start = f64(this.start);
    this.end = f64(this.end);
    const state = new Uint8Array(cap);
    state.set(this.state);
    this.state = state;
    this.reqGpus = f64(this.reqGpus);
    this.reqMilli = f64(this.reqMilli);
    this.milli = f64(this.milli);
    this.attempts = f64(this.attempts);
    this.preemptions = i32(this.preemptions);
    this.lostMs = f64(this.lostMs);
    this.nodeLosses = i32(this.nodeLosses);
    this.dur = f64(this.dur);
    this.demand = f64(this.demand);
    this.alloc = f64(this.alloc);
    this.cap = cap;
  }
}

/** One job's row read from the columns as they are now. */
class JobRowView implements JobRow {
  constructor(
    private readonly table: JobTable,
    private readonly i: number,
  ) {}
  get id(): string {
    return this.table.ids[this.i];
  }
  get tenant(): string {
    return this.table.tenants[this.table.tenant[this.i]];
  }
  get submit(): number {
    return this.table.submit[this.i];
  }
  get start(): number {
    return this.table.start[this.i];
  }
  get end(): number {
    return this.table.end[this.i];
  }
  get state(): JobRow['state'] {
    return ROW_STATES[this.table.state[this.i]];
  }
  get reqGpus(): number {
    return this.table.reqGpus[this.i];
  }
  get reqMilli(): number {
    return this.table.reqMilli[this.i];
  }
  get node(): string {
    return this.table.node[this.i];
  }
  get gpus(): string {
    return this.table.gpus[this.i];
  }
  get milli(): number {
    return this.table.milli[this.i];
  }
  get attempts(): number {
    return this.table.attempts[this.i];
  }
  get reason(): string {
    return this.table.reason[this.i];
  }
  get preemptions(): number {
    return this.table.preemptions[this.i];
  }
  get lostMs(): number {
    return this.table.lostMs[this.i];
  }
  get nodeLosses(): number {
    return this.table.nodeLosses[this.i];
  }
}
