import { modelAllowed } from '../cluster/fit.ts';
import type { NodeGroups } from '../cluster/node-groups.ts';
import type { ClusterView, Demand, NodeView } from '../cluster/types.ts';

/** Free capacity of one GPU model in a shard, as a routing policy sees it. */
export interface ModelSummary {
  readonly model: string;
  /** GPUs of this model in the shard (up or down). */
  readonly gpus: number;
  /** Whole GPUs free (nothing allocated on them), on up nodes. */
  readonly freeGpus: number;
  /** Free milli-GPU summed over this model's GPUs on up nodes. */
  readonly freeMilli: number;
  /** The most whole free GPUs of this model on any one up node (the largest gang that fits one node now). */
  readonly largestBlock: number;
  /** The most free milli on any one GPU of this model on an up node (the largest fractional share that fits). */
  readonly maxGpuFree: number;
}

/**
 * What the master knows of a shard: the shard's report as of `asOf` (stale until the next one),
 * plus what the master itself sent it since (`routedJobs`, `routedMilli`, never stale). Routing
 * policies read only these. Units: milli-GPU, milli-CPU, MiB, ms.
 */
export interface ShardSummary {
  readonly id: string;
  /** Position of the shard in the hierarchy (ties break by it). */
  readonly index: number;
  /** Time of the report (ms). */
  readonly asOf: number;
  /** The shard's scheduler is up (the master learns of a shard failure at once). */
  readonly up: boolean;
  readonly gpus: number;
  readonly capacityMilli: number;
  readonly freeMilli: number;
  readonly freeCpu: number;
  readonly freeMemory: number;
  /** The most free CPU / memory on any one up node. */
  readonly maxNodeCpuFree: number;
  readonly maxNodeMemoryFree: number;
  /** Jobs waiting in the shard's queue, and their GPU demand (gpus × milli summed). */
  readonly queued: number;
  readonly queuedMilli: number;
  readonly running: number;
  /** Per GPU model, sorted by model name. */
  readonly models: readonly ModelSummary[];
  /** Jobs and milli-GPU the master routed here since `asOf`. */
  readonly routedJobs: number;
  readonly routedMilli: number;
}

/** The mutable form the master keeps (it adds its own routings between reports). */
export type MutableSummary = { -readonly [K in keyof ShardSummary]: ShardSummary[K] };

interface ModelAcc {
  gpus: number;
  freeGpus: number;
  freeMilli: number;
  largestBlock: number;
  maxGpuFree: number;
}

/** What never changes in a shard: its GPU count, per model. */
export interface ShardStatics {
  readonly gpus: number;
  readonly modelGpus: ReadonlyMap<string, number>;
}

export function shardStatics(cluster: ClusterView): ShardStatics {
  const modelGpus = new Map<string, number>();
  let gpus = 0;
  for (const n of cluster.nodes) {
    gpus += n.gpus.length;
    for (const g of n.gpus) modelGpus.set(g.model, (modelGpus.get(g.model) ?? 0) + 1);
  }
  return { gpus, modelGpus };
}

/**
 * A shard's report now: free capacity from the cluster's node groups (one representative per
 * group of identical nodes, so the cost is O(groups + loose nodes), not O(nodes)), queue length
 * and demand as given. Pure over its inputs.
 */
export function summarize(
  id: string,
  index: number,
  cluster: ClusterView,
  statics: ShardStatics,
  queue: { readonly queued: number; readonly queuedMilli: number; readonly running: number },
  up: boolean,
  now: number,
): MutableSummary {
  const acc = new Accumulator(cluster, statics);
  const nodes = cluster.nodes;
  const groups = cluster.groups?.();
  if (groups) {
    // Down nodes are in no group (a loose one is skipped by `add`). A group is read from its
    // packed state, not from a node (many shards' nodes do not stay in the CPU's cache).
    for (const g of groups.live()) acc.addGroup(groups, g);
    for (const i of groups.loose()) acc.add(nodes[i], 1);
  } else for (const n of nodes) acc.add(n, 1);
  const { models, freeCpu, freeMemory, maxCpu, maxMem } = acc;
  return {
    id,
    index,
    asOf: now,
    up,
    gpus: statics.gpus,
    capacityMilli: cluster.gpuCapacity,
    freeMilli: cluster.gpuCapacity - cluster.gpuAllocated,
    freeCpu,
    freeMemory,
    maxNodeCpuFree: maxCpu,
    maxNodeMemoryFree: maxMem,
    queued: queue.queued,
    queuedMilli: queue.queuedMilli,
    running: queue.running,
    models: [...models].map(([model, m]) => ({ model, ...m })),
    routedJobs: 0,
    routedMilli: 0,
  };
}

/** Sums up nodes' free capacity for `summarize` (fields, not closure variables: one pass per report). */
class Accumulator {
  readonly models = new Map<string, ModelAcc>();
  freeCpu = 0;
  freeMemory = 0;
  maxCpu = 0;
  maxMem = 0;
  constructor(cluster: ClusterView, statics: ShardStatics) {
    for (const m of cluster.models) this.models.set(m, { gpus: statics.modelGpus.get(m) ?? 0, freeGpus: 0, freeMilli: 0, largestBlock: 0, maxGpuFree: 0 });
  }

  /** `count` up nodes with this much free CPU and memory. */
  private addHost(cpuFree: number, memoryFree: number, count: number): void {
    this.freeCpu += cpuFree * count;
    this.freeMemory += memoryFree * count;
    if (cpuFree > this.maxCpu) this.maxCpu = cpuFree;
    if (memoryFree > this.maxMem) this.maxMem = memoryFree;
  }

  /** The members of live node group `g` (GPUs of one model and capacity, none MIG). */
  addGroup(groups: NodeGroups, g: number): void {
    const count = groups.members(g).length;
    this.addHost(groups.cpuFree(g), groups.memoryFree(g), count);
    const n = groups.gpuCount(g);
    if (n === 0) return;
    const acc = this.models.get(groups.gpuModel(g))!;
    const top = groups.freeAt(g, n - 1);
    // Ascending: the whole free GPUs are the last ones, at the capacity (a whole GPU's milli).
    const cap = groups.gpuCapacity(g);
    let whole = 0;
    for (let k = n - 1; k >= 0 && groups.freeAt(g, k) === cap; k--) whole++;
    acc.freeMilli += groups.gpuFree(g) * count;
    if (top > acc.maxGpuFree) acc.maxGpuFree = top;
    acc.freeGpus += whole * count;
    if (whole > acc.largestBlock) acc.largestBlock = whole;
  }

  /** One node, any mix of GPU models (skipped when down). */
  add(n: NodeView, count: number): void {
    if (!n.up) return;
    this.addHost(n.cpuFree, n.memoryFree, count);
    const gpus = n.gpus;
    // The most whole free GPUs of one model on this node (a run of GPUs of one model is counted once).
    let model = '';
    let acc: ModelAcc | undefined;
    let whole = 0;
    for (let i = 0; i < gpus.length; i++) {
      const g = gpus[i];
      if (acc === undefined || g.model !== model) {
        if (acc !== undefined && whole > acc.largestBlock) acc.largestBlock = whole;
        model = g.model;
        acc = this.models.get(model)!;
        whole = wholeOn(gpus, model);
      }
      acc.freeMilli += g.free * count;
      if (g.free > acc.maxGpuFree) acc.maxGpuFree = g.free;
      if (g.free === g.capacity) acc.freeGpus += count;
    }
    if (acc !== undefined && whole > acc.largestBlock) acc.largestBlock = whole;
  }
}

/** Whole free GPUs of `model` on a node's GPU list. */
function wholeOn(gpus: readonly { readonly model: string; readonly free: number; readonly capacity: number }[], model: string): number {
  let n = 0;
  for (let i = 0; i < gpus.length; i++) if (gpus[i].model === model && gpus[i].free === gpus[i].capacity) n++;
  return n;
}

/**
 * Whether `d` would start in the shard now by its summary (optimistic: CPU, memory and GPUs are
 * checked against per-node maxima that may come from different nodes). A whole-GPU job needs a
 * node with `gpus` whole free GPUs of an allowed model; a fractional one-GPU job a GPU with
 * `milli` free; a fractional gang, as a whole-GPU gang (conservative). MIG requests: free milli of
 * the model at least the request. Pure.
 */
export function fitsNow(s: ShardSummary, d: Demand): boolean {
  if (!s.up || d.cpu > s.maxNodeCpuFree || d.memory > s.maxNodeMemoryFree) return false;
  if (d.gpus === 0) return true;
  for (const m of s.models) {
    if (!modelAllowed(d, m.model)) continue;
    if (d.mig !== undefined) {
      if (m.freeMilli >= d.milli) return true;
    } else if (d.gpus === 1 && d.milli < 1000) {
      if (m.maxGpuFree >= d.milli) return true;
    } else if (m.largestBlock >= d.gpus) return true;
  }
  return false;
}

/** GPU demand of a job in milli (gpus × milli). */
export const demandMilli = (d: Demand): number => d.gpus * d.milli;

/**
 * Load of a shard as the master estimates it: (allocated + queued + routed since the report)
 * milli-GPU over capacity. 0 = idle and empty; above 1, work waits. Pure.
 */
export function loadOf(s: ShardSummary): number {
  if (s.capacityMilli === 0) return s.queued + s.routedJobs;
  return (s.capacityMilli - s.freeMilli + s.queuedMilli + s.routedMilli) / s.capacityMilli;
}
