import { fits, gpuUsable, migGrant, migStarts, modelAllowed } from '../cluster/fit.ts';
import type { NodeGroups } from '../cluster/node-groups.ts';
import { nthOfUnion } from '../cluster/sorted-ids.ts';
import type { ClusterView, NodeView } from '../cluster/types.ts';
import type { Rng } from '../engine/rng.ts';
import type { JobView } from '../jobs/job.ts';
import type { PlacementOutcome, PlacementPolicy } from '../scheduler/policy.ts';
import { unfit } from '../scheduler/placement-kit.ts';
import { modelAccessible } from '../frag/node-frag.ts';
import type { TypicalPod } from '../frag/typical-pods.ts';

/**
 * Scoring kernels: the study's placement policies written once, over a compact node state, and
 * used both by the scheduler core (through `kernelPolicy`) and by the static-fill runner (which
 * memoises `cost` per distinct node state × pod shape, see src/fgd/static-fill.ts).
 *
 * A node state holds only what the kernels read. GPUs are assumed to hold 1000 milli each (the
 * openb cluster); "fully free" means 1000 free.
 */

export interface NodeState {
  /** The node's GPU model ('' for a node without GPUs). */
  readonly model: string;
  readonly cpuFree: number;
  readonly memFree: number;
  /** Free milli-GPU of each GPU, in GPU-index order. */
  readonly gpuFree: readonly number[];
  /** Bit set of the kinds of GPU pods on the node (see `affinityBit`); for gpu-clustering. */
  readonly affinity: number;
}

export interface PodShape {
  readonly cpu: number;
  readonly memory: number;
  readonly gpus: number;
  /** Milli-GPU on each GPU; 0 for CPU-only pods. */
  readonly milli: number;
  readonly models: readonly string[] | undefined;
}

export interface ScoreKernel {
  readonly name: string;
  /**
   * Lower is better. Called only where `fitsState(node, pod)` holds. Must depend only on the
   * arguments and on the multiset of GPU free values (not on GPU order): the static-fill runner
   * memoises it per node state with GPUs sorted. Must not read memory (`memFree`, `memory`): the
   * runner checks memory itself and keys its memo on the shape without it.
   */
  cost(node: NodeState, pod: PodShape, typical: readonly TypicalPod[]): number;
  /** The GPU indices to use on `node` (length `pod.gpus`). `rng` is used only by random. */
  gpus(node: NodeState, pod: PodShape, typical: readonly TypicalPod[], rng: Rng): number[];
  /**
   * Equal costs: pick uniformly at random (stock kube-scheduler) or the lowest node index (the FGD
   * study's simulator, whose smallest node name is a seeded node order: src/fgd/node-order.ts).
   */
  readonly randomTies: boolean;
}

export const MILLI = 1000;
/** The study's normalisation constants (milli-CPU, milli-GPU of the largest node). */
export const MAX_SPEC_CPU = 128000;
export const MAX_SPEC_GPU = 8000;

/** Affinity kind of a pod (study's GpuAffinity tags): 0 CPU-only, share, then 1/2/4/8/other GPUs. */
export function affinityBit(gpus: number, milli: number): number {
  if (gpus === 0 || milli === 0) return 0;
  if (milli < MILLI) return 1;
  switch (gpus) {
    case 1: return 2;
    case 2: return 4;
    case 4: return 8;
    case 8: return 16;
    default: return 32;
  }
}

export function fitsState(n: NodeState, p: PodShape): boolean {
  if (n.cpuFree < p.cpu || n.memFree < p.memory) return false;
  if (p.gpus === 0) return true;
  if (!modelAccessible(n.model, p.models)) return false;
  let k = 0;
  for (const f of n.gpuFree) if (f >= p.milli && ++k >= p.gpus) return true;
  return false;
}

export function gpuFreeTotal(n: NodeState): number {
  let t = 0;
  for (const f of n.gpuFree) t += f;
  return t;
}

/** The first `count` fully free GPUs by index (the study's exclusive-GPU allocation). */
export function firstFreeGpus(n: NodeState, count: number, milli: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n.gpuFree.length && out.length < count; i++) if (n.gpuFree[i] >= milli) out.push(i);
  return out;
}

/**
 * The study's best-fit GPU choice: a share pod takes the GPU with the least free milli that
 * fits (lowest index on ties); other pods take the first fully free GPUs by index.
 */
export function bestFitGpus(n: NodeState, p: PodShape): number[] {
  if (p.gpus === 0) return [];
  if (p.milli < MILLI && p.gpus > 1) {
    // Not in openb (share pods there take one GPU): the tightest GPUs that fit, ties by index.
    const c: number[] = [];
    for (let i = 0; i < n.gpuFree.length; i++) if (n.gpuFree[i] >= p.milli) c.push(i);
    c.sort((a, b) => n.gpuFree[a] - n.gpuFree[b] || a - b);
    return c.slice(0, p.gpus).sort((a, b) => a - b);
  }
  if (p.milli < MILLI) {
    let best = -1;
    for (let i = 0; i < n.gpuFree.length; i++) {
      const f = n.gpuFree[i];
      if (f >= p.milli && (best < 0 || f < n.gpuFree[best])) best = i;
    }
    return [best];
  }
  return firstFreeGpus(n, p.gpus, p.milli);
}

function stateOf(node: NodeView, job: JobView): { state: NodeState; index: number[] } {
  // Only GPUs the job may use are shown to the kernel (allowed model; MIG GPUs only to MIG
  // requests, with a free start for the profile); `index` maps back to GPU indices.
  const gpuFree: number[] = [];
  const index: number[] = [];
  for (const g of node.gpus) {
    if (job.mig !== undefined || g.mig ? gpuUsable(g, job) : modelAllowed(job, g.model)) {
      gpuFree.push(g.free);
      index.push(g.index);
    }
  }
  const model = node.gpus.length > 0 ? (index.length > 0 ? node.gpus[index[0]].model : node.gpus[0].model) : '';
  return { state: { model, cpuFree: node.cpuFree, memFree: node.memoryFree, gpuFree, affinity: 0 }, index };
}

interface MemoEntry {
  readonly cpuFree: number;
  readonly free: readonly number[];
  readonly models: readonly string[];
  readonly cost: number;
}

/**
 * Costs already computed by a `kernelPolicy`, per pod shape and node index, each kept with the
 * node inputs it was computed from (free CPU, each GPU's model and free milli) and used only while
 * they are unchanged; nodes with MIG GPUs and MIG requests are never memoised. A kernel's cost
 * reads nothing else of the node (not memory: `fits` checks it first), and the typical pods are
 * fixed per policy object (or derived from the shape), so the answer is the one the kernel would
 * give: the policy stays a pure function of its inputs. Most nodes are unchanged between two
 * placements, so this saves the kernel's work on them (fgd's fragmentation sums above all).
 */
class CostMemo {
  private readonly rows = new Map<string, (MemoEntry | undefined)[]>();

  key(pod: PodShape): string {
    return `${pod.cpu}|${pod.gpus}|${pod.milli}|${pod.models ? pod.models.join('\u0000') : '*'}`;
  }

  /** The memo row of the pod shape whose `key` this is. */
  row(key: string): (MemoEntry | undefined)[] {
    let r = this.rows.get(key);
    if (!r) {
      if (this.rows.size >= 4096) this.rows.clear(); // bounded: a long live run sees many shapes
      this.rows.set(key, (r = []));
    }
    return r;
  }

  /** The memoised cost of `node`, or NaN when absent or stale. */
  get(row: readonly (MemoEntry | undefined)[], node: NodeView): number {
    const e = row[node.index];
    if (!e || e.cpuFree !== node.cpuFree || e.free.length !== node.gpus.length) return NaN;
    for (let i = 0; i < node.gpus.length; i++) {
      const g = node.gpus[i];
      if (g.mig || e.free[i] !== g.free || e.models[i] !== g.model) return NaN;
    }
    return e.cost;
  }

  set(row: (MemoEntry | undefined)[], node: NodeView, cost: number): void {
    if (node.gpus.some((g) => g.mig)) return;
    row[node.index] = { cpuFree: node.cpuFree, free: node.gpus.map((g) => g.free), models: node.gpus.map((g) => g.model), cost };
  }
}

/**
 * Costs per node group (src/cluster/node-groups.ts) and pod shape, each kept with the group's
 * stamp: valid while the group id stands for the same state. A group's members share everything
 * a kernel's cost reads, so one cost serves them all. Keyed by the groups view (one per cluster).
 */
class GroupMemo {
  private readonly byCluster = new WeakMap<NodeGroups, Map<string, { cost: Float64Array; stamp: Int32Array }>>();

  row(groups: NodeGroups, key: string): { cost: Float64Array; stamp: Int32Array } {
    let rows = this.byCluster.get(groups);
    if (!rows) this.byCluster.set(groups, (rows = new Map()));
    let r = rows.get(key);
    const need = groups.capacity();
    if (!r || r.cost.length < need) {
      if (!r && rows.size >= 1024) rows.clear(); // bounded: a long live run sees many shapes
      const size = Math.max(64, need * 2);
      const n = { cost: new Float64Array(size), stamp: new Int32Array(size) }; // stamp 0: never valid (stamps start at 1)
      if (r) {
        n.cost.set(r.cost);
        n.stamp.set(r.stamp);
      }
      rows.set(key, (r = n));
    }
    return r;
  }
}

/**
 * A kernel as a PlacementPolicy for the scheduler core: the nodes that fit (cluster/fit.ts), the
 * lowest cost, ties by the kernel's rule (random ties draw once from ctx.rng, so the answer is
 * the same for the same view and stream). Pure. Limits: the node's pod-kind affinities are not in
 * the ClusterView, so gpu-clustering sees none here; a mixed-model node is shown to the kernel as
 * its GPUs of the allowed models. Typical pods: `opts.typicalPods`, else the job's own shape.
 *
 * With the cluster's node groups each group is costed once (on its first member, memoised per
 * group state) and ties resolve over the groups' sorted members: the lowest index, or the n-th
 * tied node in index order for a random draw, as the scan over all nodes would pick.
 */
export function kernelPolicy(kernel: ScoreKernel, opts: { readonly typicalPods?: readonly TypicalPod[] } = {}): PlacementPolicy {
  const given = opts.typicalPods;
  const memo = new CostMemo();
  const groupMemo = new GroupMemo();
  // The last job's pod shape, typical pods and memo key, reused while jobs of one shape follow
  // one another (the queue is walked shape by shape): no string built per call. Read-only.
  let last: { cpu: number; memory: number; gpus: number; milli: number; models: readonly string[] | undefined; pod: PodShape; typical: readonly TypicalPod[]; key: string } | undefined;
  const shapeOf = (job: JobView) => {
    if (last && last.cpu === job.cpu && last.memory === job.memory && last.gpus === job.gpus && last.milli === job.milli && last.models === job.models) return last;
    const pod: PodShape = { cpu: job.cpu, memory: job.memory, gpus: job.gpus, milli: job.gpus === 0 ? 0 : job.milli, models: job.models && job.models.length > 0 ? job.models : undefined };
    const typical = given ?? [{ cpu: pod.cpu, gpus: pod.gpus, milli: pod.milli, spec: '', models: pod.models, freq: 1, count: 1 }];
    return (last = { cpu: job.cpu, memory: job.memory, gpus: job.gpus, milli: job.milli, models: job.models, pod, typical, key: memo.key(pod) });
  };
  const costOf = (node: NodeView, job: JobView, pod: PodShape, typical: readonly TypicalPod[]): number => {
    const { state } = stateOf(node, job);
    return fitsState(state, pod) ? kernel.cost(state, pod, typical) : Infinity;
  };
  return {
    name: kernel.name,
    place(job: JobView, cluster: ClusterView, ctx): PlacementOutcome {
      const { pod, typical, key } = shapeOf(job);
      let best = Infinity;
      const tied: number[] = [];
      const tiedGroups: number[] = [];
      const row = job.mig === undefined ? memo.row(key) : undefined;
      const groups = cluster.groups?.();
      const scan = groups ? groups.loose() : cluster.nodes.map((n) => n.index);
      if (groups) {
        const grow = job.mig === undefined ? groupMemo.row(groups, key) : undefined;
        for (const g of groups.live()) {
          if (!groups.fits(g, job)) continue;
          let c: number;
          if (grow && grow.stamp[g] === groups.stamp(g)) c = grow.cost[g];
          else {
            c = costOf(cluster.nodes[groups.members(g)[0]], job, pod, typical);
            if (grow) {
              grow.cost[g] = c;
              grow.stamp[g] = groups.stamp(g);
            }
          }
          if (c === Infinity) continue;
          if (c < best) {
            best = c;
            tiedGroups.length = 0;
            tiedGroups.push(g);
          } else if (c === best) tiedGroups.push(g);
        }
      }
      for (const i of scan) {
        const node = cluster.nodes[i];
        if (!fits(node, job)) continue;
        let c = row ? memo.get(row, node) : NaN;
        if (c !== c) {
          c = costOf(node, job, pod, typical);
          if (row) memo.set(row, node, c);
        }
        if (c === Infinity) continue;
        if (c < best) {
          best = c;
          tied.length = 0;
          tiedGroups.length = 0;
          tied.push(node.index);
        } else if (c === best) tied.push(node.index);
      }
      const pick = tieBreak(kernel.randomTies, tied, tiedGroups, groups, cluster.nodes.length, ctx.rng);
      if (pick < 0) return unfit(job);
      const node = cluster.nodes[pick];
      const { state, index } = stateOf(node, job);
      const gpus = kernel.gpus(state, pod, typical, ctx.rng).map((i) =>
        job.mig !== undefined
          ? migGrant(node.gpus[index[i]], job.mig, migStarts(node.gpus[index[i]], job.mig)[0])
          : { gpu: index[i], milli: job.milli },
      );
      gpus.sort((a, b) => a.gpu - b.gpu);
      return { kind: 'placed', placement: { node: node.index, gpus } };
    },
  } satisfies PlacementPolicy;
}

/**
 * The node among the tied ones (`tied`: node indices, ascending; `tiedGroups`: groups whose
 * members all tie): the lowest index, or with random ties the n-th in index order for
 * n = ⌊rng · count⌋ (rng drawn only when more than one node ties). −1 when none.
 */
function tieBreak(random: boolean, tied: readonly number[], tiedGroups: readonly number[], groups: NodeGroups | undefined, nodeCount: number, rng: Rng): number {
  const lists: (readonly number[])[] = [tied];
  let count = tied.length;
  if (groups) {
    for (const g of tiedGroups) {
      const m = groups.members(g);
      lists.push(m);
      count += m.length;
    }
  }
  if (count === 0) return -1;
  if (random && count > 1) return nthOfUnion(lists, Math.floor(rng() * count), nodeCount);
  let first = Infinity;
  for (const l of lists) if (l.length > 0 && l[0] < first) first = l[0];
  return first;
}
