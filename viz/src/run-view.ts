import type { FairnessReport } from '../../src/metrics/fairness.ts';
import type { LogHierarchy } from '../../src/log/records.ts';
import type { RunMetrics } from '../../src/output/derive.ts';
import { JobTable } from './job-table.ts';
import type { RecordRef } from './run-model.ts';
import type { LaneMeta } from './lanes.ts';
import type { Delta, LaneColumns } from './wire.ts';

export type { JobInfo } from './job-table.ts';

/**
 * The page's copy of one run's fold (the worker's RunModel): what the views read, appended from
 * the worker's deltas (src/wire.ts) and never folded here. Field names and meanings are those of
 * RunModel; lanes, timelines and records are typed arrays; a record's line is decoded from the
 * log's bytes only when asked for.
 */

/** A Gantt lane (see run-model.ts `Lane`), its segment columns as typed arrays. */
export type Lane = LaneMeta & LaneColumns;

/** Timeline columns (see run-model.ts `Series`). */
export interface SeriesCols {
  t: Float64Array;
  alloc: Float64Array;
  frag: Float64Array;
  queued: Float64Array;
  running: Float64Array;
  tenantAlloc: Float64Array[];
}

/** Per node: GPU milli allocated and stranded at each change (see run-model.ts `NodeSeries`). */
export interface NodeCols {
  t: Float64Array;
  alloc: Float64Array;
  strand: Float64Array;
}

export interface Row {
  key: string;
  node: string;
  nodeIx: number;
  gpu: number;
  lanes: number[];
}

/** Buffers `splice` allocated: only these are written in place (a delta's own are never written). */
const owned = new WeakSet<ArrayBufferLike>();

/**
 * `a` up to `from`, then `tail`: written into `a`'s buffer when `splice` allocated it and it has
 * room (its capacity doubles when not), returned as a new view of the new length; `tail` itself
 * when nothing of `a` is kept (from 0: a view of the delta's column, no copy; a later splice
 * copies it out). A view that still holds the old array keeps its old length and sees the
 * entries from `from` on as they are now.
 */
function splice<T extends Float64Array | Uint32Array | Uint8Array>(a: T, from: number, tail: T): T {
  if (from === 0) return tail;
  const n = from + tail.length;
  const cap = owned.has(a.buffer) ? a.buffer.byteLength / a.BYTES_PER_ELEMENT : 0;
  let out: T;
  if (n <= cap) out = new (a.constructor as new (b: ArrayBufferLike, at: number, n: number) => T)(a.buffer, 0, cap);
  else {
    out = new (a.constructor as new (n: number) => T)(Math.max(n, 2 * a.length, 4));
    owned.add(out.buffer);
    out.set(a.subarray(0, from));
  }
  out.set(tail, from);
  return out.subarray(0, n) as T;
}

const emptyNode = (): NodeCols => ({ t: new Float64Array(0), alloc: new Float64Array(0), strand: new Float64Array(0) });

/** Grows a typed array by doubling; `used` entries are kept. */
function grow<T extends Float64Array | Uint32Array | Uint8Array>(a: T, used: number, need: number): T {
  if (need <= a.length) return a;
  const out = new (a.constructor as new (n: number) => T)(Math.max(need, a.length * 2, 1024));
  out.set(a.subarray(0, used));
  return out;
}

/** The run's records: times, types and whether they folded, columns; lines from the log's bytes. */
export class RecordTable {
  length = 0;
  t: Float64Array = new Float64Array(0);
  private evCode: Uint32Array = new Uint32Array(0);
  private knownCol: Uint8Array = new Uint8Array(0);
  private lineStart: Float64Array = new Float64Array(0);
  private lineEnd: Float64Array = new Float64Array(0);
  /**
   * The log's bytes as the deltas brought them (each whole lines), in order: kept as they came
   * rather than copied into one growing buffer, so that appending a delta never copies the log.
   */
  private readonly chunks: { from: number; bytes: Uint8Array }[] = [];
  private readonly notes = new Map<number, string>();
  /** Every event type seen, in order of first appearance. */
  readonly types: string[] = [];
  private readonly typeSet = new Set<string>();
  /** String codes already seen as a record type (1), so each record costs one array read. */
  private readonly typeCodes: number[] = [];
  private readonly decoder = new TextDecoder();

  constructor(private readonly strings: string[]) {}

  append(d: Delta['records'], bytes: Uint8Array, bytesFrom: number): void {
    const n = d.t.length;
    const need = this.length + n;
    this.t = grow(this.t, this.length, need);
    this.evCode = grow(this.evCode, this.length, need);
    this.knownCol = grow(this.knownCol, this.length, need);
    this.lineStart = grow(this.lineStart, this.length, need);
    this.lineEnd = grow(this.lineEnd, this.length, need);
    this.t.set(d.t, this.length);
    this.evCode.set(d.ev, this.length);
    this.knownCol.set(d.known, this.length);
    this.lineStart.set(d.lineStart, this.length);
    this.lineEnd.set(d.lineEnd, this.length);
    for (let i = 0; i < n; i++) {
      const code = d.ev[i];
      if (this.typeCodes[code] === 1) continue;
      this.typeCodes[code] = 1;
      const ev = this.strings[code];
      if (!this.typeSet.has(ev)) (this.typeSet.add(ev), this.types.push(ev));
    }
    for (const [i, note] of d.notes) this.notes.set(i, note);
    this.length = need;
    if (bytes.length > 0) {
      // Bytes from `bytesFrom` on replace whatever was kept from there on.
      const C = this.chunks;
      while (C.length > 0 && C[C.length - 1].from >= bytesFrom) C.pop();
      const last = C[C.length - 1];
      if (last && last.from + last.bytes.length > bytesFrom) last.bytes = last.bytes.subarray(0, bytesFrom - last.from);
      C.push({ from: bytesFrom, bytes });
    }
    // The column views stop at `length`, so code reading `t` sees no stale tail.
  }

  /** Times of the records, exactly `length` long. */
  times(): Float64Array {
    return this.t.subarray(0, this.length);
  }

  ev(i: number): string {
    return this.strings[this.evCode[i]];
  }

  line(i: number): string {
    const a = this.lineStart[i];
    const b = this.lineEnd[i];
    // The last chunk that starts at or before the line; a line lies in one chunk.
    const C = this.chunks;
    let lo = 0;
    let hi = C.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (C[mid].from <= a) lo = mid + 1;
      else hi = mid;
    }
    const c = C[lo - 1];
    if (!c || b > c.from + c.bytes.length) return '';
    return this.decoder.decode(c.bytes.subarray(a - c.from, b - c.from));
  }

  get(i: number): RecordRef {
    return { t: this.t[i], ev: this.ev(i), line: this.line(i), known: this.knownCol[i] === 1, note: this.notes.get(i) ?? '' };
  }
}

export class RunView {
  run = '';
  mode = '';
  queue = '';
  placement = '';
  seed = 0;
  nodes: { id: string; gpus: { model: string; capacity: number }[] }[] = [];
  nodeCap: number[] = [];
  readonly tenants: string[] = [];
  readonly lanes: Lane[] = [];
  private readonly strings: string[] = [];
  /** Jobs as columns; a job object is built only when one is shown (job-table.ts). */
  readonly jobs = new JobTable(this.strings);
  readonly records = new RecordTable(this.strings);
  readonly series: SeriesCols = { t: new Float64Array(0), alloc: new Float64Array(0), frag: new Float64Array(0), queued: new Float64Array(0), running: new Float64Array(0), tenantAlloc: [] };
  readonly nodeSeries: NodeCols[] = [];
  rejected: Uint32Array = new Uint32Array(0);
  readonly outages = new Map<string, { starts: number[]; ends: number[] }>();
  /** A scheduler hierarchy (the run record's): routing policy, shards and their nodes; undefined without one. */
  hierarchy: LogHierarchy | undefined;
  /** A hierarchy's shard outages, as `outages` but per shard id. */
  readonly shardOutages = new Map<string, { starts: number[]; ends: number[] }>();
  /** Per job index: the log indices of its route, bounce and steal records, in log order. */
  readonly routing = new Map<number, number[]>();
  readonly problems = new Map<string, number>();
  ended = false;
  lastT = 0;
  firstT = Infinity;
  gpuCapacity = 0;
  laneVersion = 0;
  private runMetrics: RunMetrics | undefined;
  private fair: (FairnessReport & { migFragPct?: number }) | undefined;

  /** Appends one worker delta. */
  apply(d: Delta): void {
    for (const s of d.strings) this.strings.push(s);
    const S = this.strings;
    if (d.head) {
      Object.assign(this, { run: d.head.run, mode: d.head.mode, queue: d.head.queue, placement: d.head.placement, seed: d.head.seed, nodes: d.head.nodes, nodeCap: d.head.nodeCap, hierarchy: d.head.hierarchy });
      // Every node has a series (empty until a job runs there): deltas carry only changed ones.
      for (let n = 0; n < d.head.nodes.length; n++) this.nodeSeries[n] ??= emptyNode();
    }
    for (const t of d.tenants) this.tenants.push(t);
    this.jobs.set(d.jobs.idx, d.jobs.num, d.jobs.str, d.jobs.routing);
    this.applyLanes(d.lanes);
    this.laneVersion = d.laneVersion;
    const s = this.series;
    const from = d.series.from;
    d.series.cols.forEach((c, k) => {
      if (k === 0) s.t = splice(s.t, from, c);
      else if (k === 1) s.alloc = splice(s.alloc, from, c);
      else if (k === 2) s.frag = splice(s.frag, from, c);
      else if (k === 3) s.queued = splice(s.queued, from, c);
      else if (k === 4) s.running = splice(s.running, from, c);
      else if (k - 5 < s.tenantAlloc.length) s.tenantAlloc[k - 5] = splice(s.tenantAlloc[k - 5], from, c);
      else s.tenantAlloc.push(c);
    });
    const N = d.nodeSeries;
    for (let k = 0, at = 0; k < N.ix.length; at += N.count[k++]) {
      const cur = (this.nodeSeries[N.ix[k]] ??= emptyNode());
      const [from, to] = [N.from[k], at + N.count[k]];
      cur.t = splice(cur.t, from, N.t.subarray(at, to));
      cur.alloc = splice(cur.alloc, from, N.alloc.subarray(at, to));
      cur.strand = splice(cur.strand, from, N.strand.subarray(at, to));
    }
    if (d.rejected.length) this.rejected = splice(this.rejected, this.rejected.length, d.rejected);
    if (d.outages) {
      this.outages.clear();
      for (const [k, a, b] of d.outages) this.outages.set(k, { starts: a, ends: b });
    }
    if (d.shardOutages) {
      this.shardOutages.clear();
      for (const [k, a, b] of d.shardOutages) this.shardOutages.set(k, { starts: a, ends: b });
    }
    const R = d.routing;
    if (R) {
      for (let i = 0; i < R.length; i += 2) {
        const list = this.routing.get(R[i]);
        if (list) list.push(R[i + 1]);
        else this.routing.set(R[i], [R[i + 1]]);
      }
    }
    this.problems.clear();
    for (const [k, n] of d.problems) this.problems.set(k, n);
    this.records.append(d.records, d.bytes, d.bytesFrom);
    this.ended = d.ended;
    this.lastT = d.lastT;
    this.firstT = d.firstT;
    this.gpuCapacity = d.gpuCapacity;
    if (d.metrics) this.runMetrics = d.metrics;
    if (d.fairness) this.fair = d.fairness;
  }

  /** Appends the lanes' segments a delta carries (new lanes first get their meta). */
  private applyLanes(D: Delta['lanes']): void {
    for (const [i, meta] of D.meta) this.lanes[i] ??= { ...meta, starts: new Float64Array(0), ends: new Float64Array(0), jobs: new Uint32Array(0), off: new Float64Array(0), milli: new Float64Array(0), endKind: new Uint8Array(0) };
    const C = D.cols;
    for (let k = 0, at = 0; k < D.ix.length; at += D.count[k++]) {
      const cur = this.lanes[D.ix[k]];
      const [from, to] = [D.from[k], at + D.count[k]];
      cur.starts = splice(cur.starts, from, C.starts.subarray(at, to));
      cur.ends = splice(cur.ends, from, C.ends.subarray(at, to));
      cur.jobs = splice(cur.jobs, from, C.jobs.subarray(at, to));
      cur.off = splice(cur.off, from, C.off.subarray(at, to));
      cur.milli = splice(cur.milli, from, C.milli.subarray(at, to));
      cur.endKind = splice(cur.endKind, from, C.endKind.subarray(at, to));
    }
  }

  /** Whether the worker has sent the metrics of the fold as it now stands (end of each poll). */
  get settled(): boolean {
    return this.runMetrics !== undefined;
  }

  /** The CLI's run metrics (integer ms, summary.json's fields) without the node-failure block; empty until the first poll ends. */
  metrics(): Record<string, number> {
    const { failures: _, ...m } = this.runMetrics ?? ({} as RunMetrics);
    return m as unknown as Record<string, number>;
  }

  /** The node-failure block of the CLI's metrics, when a node went down. */
  failures(): Record<string, number> | undefined {
    return this.runMetrics?.failures as Record<string, number> | undefined;
  }

  fairness(): FairnessReport & { migFragPct?: number } {
    return this.fair ?? ({ jain: NaN, tenants: [] } as unknown as FairnessReport);
  }

  private readonly distCache = new Map<string, { key: number; v: Float64Array }>();

  /**
   * Ascending per-job values over the succeeded jobs (JCT, ms; slowdown: JCT / nominal duration)
   * or the started jobs (wait, ms). Cached per log length.
   */
  dist(what: 'jct' | 'wait' | 'slowdown'): Float64Array {
    const hit = this.distCache.get(what);
    if (hit && hit.key === this.records.length) return hit.v;
    const out: number[] = [];
    const J = this.jobs;
    for (let j = 0; j < J.length; j++) {
      const start = J.start(j);
      if (what === 'wait') {
        if (start >= 0) out.push(start - J.submit(j));
      } else if (J.state(j) === 'succeeded') out.push(what === 'jct' ? J.end(j) - J.submit(j) : (J.end(j) - J.submit(j)) / Math.max(1, J.dur(j)));
    }
    const v = Float64Array.from(out).sort();
    this.distCache.set(what, { key: this.records.length, v });
    return v;
  }

  /** Index of the first record with t >= time (records.length if none). */
  recordAt(time: number): number {
    const t = this.records.t;
    let lo = 0;
    let hi = this.records.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (t[mid] < time) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Drawn rows in order: one per GPU (its share slots and MIG instances together) and one per CPU
   * lane, nodes in run-record order. Each row lists its lanes.
   */
  rowOrder(): Row[] {
    const out: Row[] = [];
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
}
