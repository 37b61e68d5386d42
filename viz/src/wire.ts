import type { FairnessReport } from '../../src/metrics/fairness.ts';
import type { RunMetrics } from '../../src/output/derive.ts';
import type { LogHierarchy } from '../../src/log/records.ts';
import type { LaneMeta } from './lanes.ts';
import type { RunModel } from './run-model.ts';

/**
 * What the log worker posts to the page: the change in one run's fold since the last post, as
 * columns (typed arrays, transferred, not copied) plus a table of the strings first seen since.
 * `Delta.encode` (worker) reads a RunModel; `RunView.apply` (page) appends it. Only what records
 * since the last post touched is sent (the model notes the jobs, lanes and nodes they were
 * about), each from the first index that may have changed: a lane from its oldest segment still
 * open at the last post, a timeline from its last point (the open instant the fold replaces).
 * Lanes and node series travel packed, one typed array per column for all of them, so that a
 * delta's cost (encoding, transfer, append) follows the records it carries, not the cluster's
 * size. Records travel as the log's own bytes with each record's byte range, so the page decodes
 * a line only when the inspector shows it.
 */

/** Numeric job columns, in this order, `JOB_NUM` per job. */
export const JOB_NUM_FIELDS = ['submit', 'start', 'end', 'reqGpus', 'reqMilli', 'milli', 'attempts', 'preemptions', 'lostMs', 'nodeLosses', 'tenantIx', 'gpus', 'cpu', 'mem', 'prio', 'dur', 'depth'] as const;
/** String job columns (codes into the string table), in this order. */
export const JOB_STR_FIELDS = ['id', 'tenant', 'state', 'node', 'gpuList', 'reason', 'extra', 'parent'] as const;
/**
 * A hierarchy's routing columns, sent beside the job columns only for a run with a hierarchy (so
 * that other runs' deltas and appends cost what they did): per job its route, bounce and steal
 * counts, and its shard (a string code).
 */
export const ROUTING_NUM_FIELDS = ['routes', 'bounces', 'steals'] as const;
export const ROUTING_NUM = ROUTING_NUM_FIELDS.length;
export const JOB_NUM = JOB_NUM_FIELDS.length;
export const JOB_STR = JOB_STR_FIELDS.length;

/**
 * Parts of several lanes' (or nodes') columns, packed: part k is entity `ix[k]`'s entries from
 * `from[k]` on, `count[k]` of them, at offset `count[0] + … + count[k-1]` of each column.
 */
export interface Packed {
  ix: Uint32Array;
  from: Uint32Array;
  count: Uint32Array;
}

/** Lanes' segments from their first changed one (`cols` as lanes.ts `Lane`'s); `meta` of lanes the page has not seen. */
export interface LanesDelta extends Packed {
  meta: [number, LaneMeta][];
  cols: LaneColumns;
}

/** Per node changed: t, alloc, strand from its first changed point (see fragmentation.ts `NodeSeries`). */
export interface NodesDelta extends Packed {
  t: Float64Array;
  alloc: Float64Array;
  strand: Float64Array;
}

/** A lane's segment columns as typed arrays (see lanes.ts `Lane`). */
export interface LaneColumns {
  starts: Float64Array;
  ends: Float64Array;
  jobs: Uint32Array;
  off: Float64Array;
  milli: Float64Array;
  endKind: Uint8Array;
}

export interface ColumnsDelta {
  from: number;
  cols: Float64Array[];
}

export interface Delta {
  /** Strings first used in this delta; their codes continue the page's table. */
  strings: string[];
  head?: { run: string; mode: string; queue: string; placement: string; seed: number; nodes: RunModel['nodes']; nodeCap: number[]; hierarchy?: LogHierarchy };
  /** `routing`: the jobs' routing columns (ROUTING_NUM numbers and a shard code per job, in `idx` order), for a run with a hierarchy. */
  jobs: { idx: Uint32Array; num: Float64Array; str: Uint32Array; routing?: { num: Float64Array; shard: Uint32Array } };
  lanes: LanesDelta;
  laneVersion: number;
  /** t, alloc, frag, queued, running, then one column per tenant. */
  series: ColumnsDelta;
  nodeSeries: NodesDelta;
  rejected: Uint32Array;
  /** Every node outage, sent when they changed since the last post (absent when not). */
  outages?: [string, number[], number[]][];
  /** A hierarchy's shard outages, as `outages` (absent without one). */
  shardOutages?: [string, number[], number[]][];
  /** A hierarchy's routing records since the last post: (job, record index) pairs, flattened (absent when none). */
  routing?: Uint32Array;
  problems: [string, number][];
  records: { t: Float64Array; ev: Uint32Array; known: Uint8Array; notes: [number, string][]; lineStart: Float64Array; lineEnd: Float64Array };
  /** The log's bytes from `bytesFrom` on (complete lines only). */
  bytes: Uint8Array;
  bytesFrom: number;
  tenants: string[];
  ended: boolean;
  lastT: number;
  firstT: number;
  gpuCapacity: number;
  /** Sent at the end of each poll (not with the progress posts of a long first read). */
  metrics?: RunMetrics;
  fairness?: FairnessReport & { migFragPct?: number };
}

/**
 * The `Packed` index of the entities in `dirty` (ascending; the set is cleared): entity `i`'s part
 * runs from `fromOf(i)` to `lenOf(i)`; `n` is the parts' total length.
 */
function packDirty(dirty: Set<number>, fromOf: (i: number) => number, lenOf: (i: number) => number): { dirty: number[]; from: Uint32Array; count: Uint32Array; n: number } {
  const ix = [...dirty].sort((a, b) => a - b);
  dirty.clear();
  const from = new Uint32Array(ix.length);
  const count = new Uint32Array(ix.length);
  let n = 0;
  ix.forEach((i, k) => {
    from[k] = fromOf(i);
    count[k] = lenOf(i) - from[k];
    n += count[k];
  });
  return { dirty: ix, from, count, n };
}

/** Worker side: remembers what was sent from one RunModel and encodes what changed since. */
export class DeltaEncoder {
  private readonly codes = new Map<string, number>();
  private fresh: string[] = [];
  private headSent = false;
  private records = 0;
  private tenants = 0;
  private rejected = 0;
  private seriesLen = 0;
  private seriesTenants = 0;
  private readonly nodeLen: number[] = [];
  private readonly laneFrom: number[] = [];
  private lanesSeen = 0;
  private outageVersion = 0;
  /** Byte ranges of the records folded since the last post, and the bytes themselves. */
  private starts: number[] = [];
  private ends: number[] = [];
  private chunks: Uint8Array[] = [];
  private bytesFrom = 0;
  private bytesLen = 0;

  constructor(private readonly m: RunModel) {}

  /** Notes complete-line bytes given to the model (`lines` byte ranges, one per record folded). */
  addBytes(bytes: Uint8Array, starts: number[], ends: number[]): void {
    this.chunks.push(bytes);
    this.bytesLen += bytes.length;
    for (let i = 0; i < starts.length; i++) {
      this.starts.push(starts[i]);
      this.ends.push(ends[i]);
    }
  }

  private code(s: string): number {
    let c = this.codes.get(s);
    if (c === undefined) {
      c = this.codes.size;
      this.codes.set(s, c);
      this.fresh.push(s);
    }
    return c;
  }

  /** The lanes changed since the last post, each from the oldest segment open at it (or its first). */
  private lanes(keep: <T extends ArrayBufferView>(a: T) => T): LanesDelta {
    const m = this.m;
    const { dirty, from, count, n } = packDirty(
      m.dirtyLanes,
      (i) => (i < this.lanesSeen ? this.laneFrom[i] : 0),
      (i) => m.lanes[i].starts.length,
    );
    const meta: [number, LaneMeta][] = [];
    for (const i of dirty) {
      const L = m.lanes[i];
      if (i >= this.lanesSeen) meta.push([i, { key: L.key, node: L.node, nodeIx: L.nodeIx, gpu: L.gpu, slot: L.slot, instance: L.instance, row: L.row }]);
    }
    const cols: LaneColumns = { starts: new Float64Array(n), ends: new Float64Array(n), jobs: new Uint32Array(n), off: new Float64Array(n), milli: new Float64Array(n), endKind: new Uint8Array(n) };
    let at = 0;
    dirty.forEach((i, k) => {
      const L = m.lanes[i];
      for (let s = from[k]; s < L.starts.length; s++, at++) {
        cols.starts[at] = L.starts[s];
        cols.ends[at] = L.ends[s];
        cols.jobs[at] = L.jobs[s];
        cols.off[at] = L.off[s];
        cols.milli[at] = L.milli[s];
        cols.endKind[at] = L.endKind[s];
      }
      let next = from[k];
      while (next < L.ends.length && L.ends[next] !== Infinity) next++;
      this.laneFrom[i] = next;
    });
    // A lane is created with its first segment, so every new lane is among the dirty ones.
    this.lanesSeen = m.lanes.length;
    for (const c of Object.values(cols) as ArrayBufferView[]) keep(c);
    return { ix: keep(Uint32Array.from(dirty)), from: keep(from), count: keep(count), meta, cols };
  }

  /** The nodes whose series changed since the last post, each from the last point sent (updated in place when at the same time). */
  private nodes(keep: <T extends ArrayBufferView>(a: T) => T): NodesDelta {
    const m = this.m;
    const { dirty, from, count, n } = packDirty(
      m.dirtyNodes,
      (i) => Math.max(0, (this.nodeLen[i] ?? 0) - 1),
      (i) => m.nodeSeries[i].t.length,
    );
    const [t, alloc, strand] = [new Float64Array(n), new Float64Array(n), new Float64Array(n)];
    let at = 0;
    dirty.forEach((i, k) => {
      const S = m.nodeSeries[i];
      t.set(S.t.slice(from[k]), at);
      alloc.set(S.alloc.slice(from[k]), at);
      strand.set(S.strand.slice(from[k]), at);
      at += count[k];
      this.nodeLen[i] = S.t.length;
    });
    return { ix: keep(Uint32Array.from(dirty)), from: keep(from), count: keep(count), t: keep(t), alloc: keep(alloc), strand: keep(strand) };
  }

  /** The change since the last call, and the buffers to transfer with it. */
  encode(final: boolean): { delta: Delta; transfer: ArrayBuffer[] } {
    const m = this.m;
    const transfer: ArrayBuffer[] = [];
    const keep = <T extends ArrayBufferView>(a: T): T => (transfer.push(a.buffer as ArrayBuffer), a);
    // Jobs: every job a record since the last post was about.
    const dirty = [...m.dirtyJobs].sort((a, b) => a - b);
    m.dirtyJobs.clear();
    const idx = new Uint32Array(dirty);
    const num = new Float64Array(dirty.length * JOB_NUM);
    const H = m.shards;
    const str = new Uint32Array(dirty.length * JOB_STR);
    dirty.forEach((j, k) => {
      const J = m.jobs[j];
      const r = J.row;
      const n = [r.submit, r.start, r.end, r.reqGpus, r.reqMilli, r.milli, r.attempts, r.preemptions, r.lostMs, r.nodeLosses, J.tenantIx, J.gpus, J.cpu, J.mem, J.prio, J.dur, J.depth];
      num.set(n, k * JOB_NUM);
      const s = [r.id, r.tenant, r.state, r.node, r.gpus, r.reason, J.extra, J.parent];
      for (let f = 0; f < JOB_STR; f++) str[k * JOB_STR + f] = this.code(s[f]);
    });
    let routing: Delta['jobs']['routing'];
    if (H.hierarchy) {
      const rn = new Float64Array(dirty.length * ROUTING_NUM);
      const rs = new Uint32Array(dirty.length);
      dirty.forEach((j, k) => {
        rn.set([H.routes[j] ?? 0, H.bounces[j] ?? 0, H.steals[j] ?? 0], k * ROUTING_NUM);
        rs[k] = this.code(H.shard[j] ?? '');
      });
      routing = { num: keep(rn), shard: keep(rs) };
    }
    const lanes = this.lanes(keep);
    // Series: from the last point sent (the open instant may have been replaced).
    const s = m.series;
    const sFrom = Math.max(0, this.seriesLen - 1);
    const cols = [s.t, s.alloc, s.frag, s.queued, s.running, ...s.tenantAlloc].map((c, k) => keep(Float64Array.from(c.slice(k >= 5 + this.seriesTenants ? 0 : sFrom))));
    this.seriesLen = s.t.length;
    this.seriesTenants = s.tenantAlloc.length;
    const nodeSeries = this.nodes(keep);
    // Records and their bytes.
    const recs = m.records;
    const n0 = this.records;
    const t = new Float64Array(recs.length - n0);
    const ev = new Uint32Array(recs.length - n0);
    const known = new Uint8Array(recs.length - n0);
    const notes: [number, string][] = [];
    for (let i = n0; i < recs.length; i++) {
      const r = recs[i];
      t[i - n0] = r.t;
      ev[i - n0] = this.code(r.ev);
      known[i - n0] = r.known ? 1 : 0;
      if (r.note) notes.push([i, r.note]);
    }
    this.records = recs.length;
    const routed = H.takeRouting();
    const bytes = new Uint8Array(this.bytesLen);
    let at = 0;
    for (const c of this.chunks) {
      bytes.set(c, at);
      at += c.length;
    }
    const delta: Delta = {
      strings: [],
      head: !this.headSent && m.nodes.length > 0 ? { run: m.run, mode: m.mode, queue: m.queue, placement: m.placement, seed: m.seed, nodes: m.nodes, nodeCap: m.nodeCap, ...(H.hierarchy ? { hierarchy: H.hierarchy } : {}) } : undefined,
      jobs: { idx: keep(idx), num: keep(num), str: keep(str), ...(routing ? { routing } : {}) },
      lanes,
      laneVersion: m.laneVersion,
      series: { from: sFrom, cols },
      nodeSeries,
      rejected: keep(Uint32Array.from(m.rejected.slice(this.rejected))),
      ...(m.outageVersion !== this.outageVersion ? { outages: [...m.outages].map(([k, o]): [string, number[], number[]] => [k, o.starts, o.ends]) } : {}),
      ...(H.outages.size > 0 ? { shardOutages: [...H.outages].map(([k, o]): [string, number[], number[]] => [k, o.starts, o.ends]) } : {}),
      ...(routed.length > 0 ? { routing: keep(Uint32Array.from(routed)) } : {}),
      problems: [...m.problems],
      records: { t: keep(t), ev: keep(ev), known: keep(known), notes, lineStart: keep(Float64Array.from(this.starts)), lineEnd: keep(Float64Array.from(this.ends)) },
      bytes: keep(bytes),
      bytesFrom: this.bytesFrom,
      tenants: m.tenants.slice(this.tenants),
      ended: m.ended,
      lastT: m.lastT,
      firstT: m.firstT,
      gpuCapacity: m.gpuCapacity,
    };
    if (delta.head) this.headSent = true;
    this.outageVersion = m.outageVersion;
    this.tenants = m.tenants.length;
    this.rejected = m.rejected.length;
    this.bytesFrom += this.bytesLen;
    this.bytesLen = 0;
    this.chunks = [];
    this.starts = [];
    this.ends = [];
    if (final) {
      delta.metrics = m.deriver.metrics();
      delta.fairness = m.deriver.fairness();
    }
    delta.strings = this.fresh;
    this.fresh = [];
    return { delta, transfer };
  }
}
