import type { JobRow } from '../../src/output/derive.ts';
import { JOB_NUM, JOB_STR, ROUTING_NUM } from './wire.ts';

/** A job as the tooltip, inspector and exports read it (see run-model.ts `JobInfo`). */
export interface JobInfo {
  row: JobRow;
  tenantIx: number;
  gpus: number;
  cpu: number;
  mem: number;
  prio: number;
  dur: number;
  /** The parent's id ('' for a top-level job) and the depth (0 for a top-level job). */
  parent: string;
  depth: number;
  extra: string;
  /** A hierarchy's routing: the job's shard now ('' when never routed), and its route, bounce and steal counts. */
  shard: string;
  routes: number;
  bounces: number;
  steals: number;
}

/** Column offsets in a job's numeric and string entries (wire.ts JOB_NUM_FIELDS, JOB_STR_FIELDS). */
const N = { submit: 0, start: 1, end: 2, tenantIx: 10, depth: 16 } as const;
const S = { id: 0, tenant: 1, state: 2, parent: 7 } as const;

/**
 * The page's jobs as the worker sends them: columns (JOB_NUM numbers and JOB_STR string codes per
 * job, wire.ts), appended without building an object per job. The views that run over every job
 * (drawing, filters, marks) read the columns through the accessors; a `JobInfo` object is built
 * only when one job is shown (hover, inspector, export) and kept until that job changes. The
 * id → index map is built on the first look-up by id, and extended after that.
 */
export class JobTable {
  length = 0;
  private num = new Float64Array(0);
  private str = new Uint32Array(0);
  private readonly built: (JobInfo | undefined)[] = [];
  private index: Map<string, number> | undefined;
  private indexed = 0;

  /** `strings`: the run's string table (codes in the columns index it); grows, never changes. */
  constructor(private readonly strings: string[]) {}

  /** A hierarchy's routing columns (wire.ts ROUTING_NUM_FIELDS and a shard code per job); empty for other runs. */
  private rnum = new Float64Array(0);
  private rshard = new Uint32Array(0);

  /**
   * Jobs `idx[k]` now have the entries `num[k * JOB_NUM …]` and `str[k * JOB_STR …]`, and for a
   * run with a hierarchy the routing entries `routing.num[k * ROUTING_NUM …]`, `routing.shard[k]`.
   */
  set(idx: Uint32Array, num: Float64Array, str: Uint32Array, routing?: { num: Float64Array; shard: Uint32Array }): void {
    if (routing) this.setRouting(idx, routing.num, routing.shard);
    let n = this.length;
    for (let k = 0; k < idx.length; k++) n = Math.max(n, idx[k] + 1);
    if (n * JOB_NUM > this.num.length) {
      const cap = Math.max(n, this.length * 2, 1024);
      const a = new Float64Array(cap * JOB_NUM);
      a.set(this.num.subarray(0, this.length * JOB_NUM));
      this.num = a;
      const b = new Uint32Array(cap * JOB_STR);
      b.set(this.str.subarray(0, this.length * JOB_STR));
      this.str = b;
    }
    const A = this.num;
    const B = this.str;
    for (let k = 0; k < idx.length; k++) {
      const j = idx[k];
      for (let f = 0; f < JOB_NUM; f++) A[j * JOB_NUM + f] = num[k * JOB_NUM + f];
      for (let f = 0; f < JOB_STR; f++) B[j * JOB_STR + f] = str[k * JOB_STR + f];
      if (j < this.built.length) this.built[j] = undefined;
    }
    this.length = n;
  }

  private setRouting(idx: Uint32Array, num: Float64Array, shard: Uint32Array): void {
    let n = this.rshard.length;
    for (let k = 0; k < idx.length; k++) n = Math.max(n, idx[k] + 1);
    if (n > this.rshard.length) {
      const cap = Math.max(n, this.rshard.length * 2, 1024);
      const a = new Float64Array(cap * ROUTING_NUM);
      a.set(this.rnum);
      this.rnum = a;
      // (code 0 for jobs not yet sent: they are sent before they are read)
      const b = new Uint32Array(cap);
      b.set(this.rshard);
      this.rshard = b;
    }
    for (let k = 0; k < idx.length; k++) {
      for (let f = 0; f < ROUTING_NUM; f++) this.rnum[idx[k] * ROUTING_NUM + f] = num[k * ROUTING_NUM + f];
      this.rshard[idx[k]] = shard[k];
    }
  }

  tenantIx(j: number): number {
    return this.num[j * JOB_NUM + N.tenantIx];
  }
  submit(j: number): number {
    return this.num[j * JOB_NUM + N.submit];
  }
  /** First start (ms), -1 when it never started. */
  start(j: number): number {
    return this.num[j * JOB_NUM + N.start];
  }
  /** End (ms), -1 while it has not ended. */
  end(j: number): number {
    return this.num[j * JOB_NUM + N.end];
  }
  id(j: number): string {
    return this.strings[this.str[j * JOB_STR + S.id]];
  }
  tenant(j: number): string {
    return this.strings[this.str[j * JOB_STR + S.tenant]];
  }
  state(j: number): JobRow['state'] {
    return this.strings[this.str[j * JOB_STR + S.state]] as JobRow['state'];
  }
  /** Nominal duration (ms). */
  dur(j: number): number {
    return this.num[j * JOB_NUM + 15];
  }

  /** The parent job's id ('' for a top-level job). */
  parent(j: number): string {
    return this.strings[this.str[j * JOB_STR + S.parent]];
  }
  /** Depth in its job tree (0 for a top-level job). */
  depth(j: number): number {
    return this.num[j * JOB_NUM + N.depth];
  }

  /** The shard a hierarchy's master routed the job to, or that stole it, last ('' when never routed). */
  shard(j: number): string {
    return j < this.rshard.length ? this.strings[this.rshard[j]] : '';
  }
  /** Times the job was routed, bounced back to the master, and stolen by another shard (0 without a hierarchy). */
  routes(j: number): number {
    return j < this.rshard.length ? this.rnum[j * ROUTING_NUM] : 0;
  }
  bounces(j: number): number {
    return j < this.rshard.length ? this.rnum[j * ROUTING_NUM + 1] : 0;
  }
  steals(j: number): number {
    return j < this.rshard.length ? this.rnum[j * ROUTING_NUM + 2] : 0;
  }

  /** The index of the job with this id, if any. */
  indexOf(id: string): number | undefined {
    const ix = (this.index ??= new Map());
    for (; this.indexed < this.length; this.indexed++) ix.set(this.id(this.indexed), this.indexed);
    return ix.get(id);
  }

  /** Job `j` as one object (built on first use, again after the job changes). */
  get(j: number): JobInfo {
    const hit = this.built[j];
    if (hit) return hit;
    const n = this.num.subarray(j * JOB_NUM, (j + 1) * JOB_NUM);
    const s = this.str.subarray(j * JOB_STR, (j + 1) * JOB_STR);
    const S = this.strings;
    const row: JobRow = {
      id: S[s[0]],
      tenant: S[s[1]],
      submit: n[0],
      start: n[1],
      end: n[2],
      state: S[s[2]] as JobRow['state'],
      reqGpus: n[3],
      reqMilli: n[4],
      node: S[s[3]],
      gpus: S[s[4]],
      milli: n[5],
      attempts: n[6],
      reason: S[s[5]],
      preemptions: n[7],
      lostMs: n[8],
      nodeLosses: n[9],
    };
    const info: JobInfo = { row, tenantIx: n[10], gpus: n[11], cpu: n[12], mem: n[13], prio: n[14], dur: n[15], parent: S[s[7]], depth: n[16], extra: S[s[6]], shard: this.shard(j), routes: this.routes(j), bounces: this.bounces(j), steals: this.steals(j) };
    this.built[j] = info;
    return info;
  }
}
