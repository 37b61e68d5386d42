import type { Places } from './places.ts';

/**
 * Fragmentation % as the viewer defines it: free GPU share that sits on GPUs that are partly
 * allocated (so a whole-GPU job cannot use it), as a percentage of cluster GPU capacity.
 */
export const FRAGMENTATION = 'free share stranded on partly used GPUs, % of GPU capacity';

/** Per node: GPU milli allocated and stranded (free on partly used GPUs), at each change. */
export interface NodeSeries {
  t: number[];
  alloc: number[];
  strand: number[];
}

/**
 * Timeline columns, one point per distinct time at which a counter changed: the Deriver's
 * timeline rows (plus the instant still open), with the viewer's fragmentation beside them.
 */
export interface Series {
  t: number[];
  /** Allocated milli-GPU. */
  alloc: number[];
  /** Free milli-GPU stranded on partially allocated GPUs (see FRAGMENTATION above). */
  frag: number[];
  queued: number[];
  running: number[];
  /** Per tenant (index as in `tenants`), allocated milli-GPU. */
  tenantAlloc: number[][];
}

/**
 * Stranded share, cluster-wide and per node: each GPU's use in milli-GPU, and per node the
 * allocation and stranded share over time (`nodeSeries`, one point per distinct time).
 * GPUs are the run model's place ids (places.ts), with their capacity and node.
 */
export class Fragmentation {
  /** Per node (run-record order): allocation and stranded share over time, for the heatmap. */
  readonly nodeSeries: NodeSeries[] = [];
  /** Stranded milli-GPU over the cluster now. */
  strand = 0;
  /** Nodes whose series changed since the consumer last cleared this (the worker's delta encoder). */
  readonly dirtyNodes = new Set<number>();
  /** Per place id: milli-GPU in use. */
  private readonly gpuUsed: number[] = [];
  private readonly nodeAlloc: number[] = [];
  private readonly nodeStrand: number[] = [];

  constructor(private readonly places: Places) {}

  /** A node of the run record (in order). */
  addNode(): void {
    this.nodeSeries.push({ t: [], alloc: [], strand: [] });
    this.nodeAlloc.push(0);
    this.nodeStrand.push(0);
  }

  /** Adds `delta` milli-GPU to GPU `id` at time `t` and keeps the stranded-share totals in step. */
  use(id: number, delta: number, t: number): void {
    const cap = this.places.cap[id];
    const before = this.gpuUsed[id] ?? 0;
    const after = before + delta;
    this.gpuUsed[id] = after;
    const ds = stranded(after, cap) - stranded(before, cap);
    this.strand += ds;
    const n = this.places.nodeIx[id];
    if (n < 0) return;
    this.nodeAlloc[n] += delta;
    this.nodeStrand[n] += ds;
    this.dirtyNodes.add(n);
    const S = this.nodeSeries[n];
    if (S.t.length > 0 && S.t[S.t.length - 1] === t) {
      S.alloc[S.alloc.length - 1] = this.nodeAlloc[n];
      S.strand[S.strand.length - 1] = this.nodeStrand[n];
    } else {
      S.t.push(t);
      S.alloc.push(this.nodeAlloc[n]);
      S.strand.push(this.nodeStrand[n]);
    }
  }
}

/** Free share of a GPU that is partly used (0 when idle or full). */
const stranded = (used: number, cap: number) => (used > 0 && used < cap ? cap - used : 0);
