import type { NodeSpec } from '../cluster/types.ts';
import { stream, type Rng } from '../engine/rng.ts';
import type { OpenbPod } from '../trace/openb.ts';
import { CostIndex } from './cost-index.ts';
import { FillCache } from './fill-cache.ts';
import { podShapes } from './pod-shapes.ts';
import { affinityBit, fitsState, type NodeState, type ScoreKernel } from './kernel.ts';

/**
 * The FGD study's static-fill experiment (its simulator's openb runs, verified in its code):
 *  1. pods sorted by name, then shuffled with the run's seed (Fisher–Yates, Go's order);
 *  2. padded by drawing pods uniformly with replacement, stopping before the next copy would push
 *     the arrived GPU demand Σ num_gpu × gpu_milli over `tune` × cluster GPU capacity;
 *  3. pods placed one at a time, never leaving; a pod that fits nowhere is counted failed.
 * Random streams: `fgd/order` (shuffle, padding) and `placement/<policy>` (ties, random GPUs), both
 * from the run seed. The study uses Go's math/rand, so the exact orders differ from its runs.
 *
 * Speed: nodes are interned as states (model, free CPU, free memory, pod kinds, sorted free GPU)
 * — most of the 1,213 nodes share a state — and a kernel's cost is memoised per (state, pod
 * shape) in a `FillCache`. The memo is keyed purely by the kernel's inputs, so it changes no
 * result; it is kept across runs of the same node set and typical pods.
 */

export { FillCache } from './fill-cache.ts';

export interface CurvePoint {
  /** Arrived GPU demand, integer % of cluster GPU capacity. */
  readonly arrivedPct: number;
  /** Allocated milli-GPU / capacity × 100. */
  readonly gpuAllocPct: number;
  /** Cluster fragmentation / capacity × 100. */
  readonly fragPct: number;
}

export interface FillResult {
  readonly policy: string;
  readonly seed: number;
  readonly pods: number;
  readonly placed: number;
  readonly failed: number;
  /** Final arrived GPU demand, % of capacity (not rounded). */
  readonly arrivedPct: number;
  readonly points: CurvePoint[];
  /** Failed pods by kind: cpu (no GPU), share (< 1 GPU), gpu-1, gpu-2, gpu-4, gpu-8 … */
  readonly failedByKind: Readonly<Record<string, number>>;
}

/** Kind label of a pod for failure counts. */
export function podKind(gpus: number, milli: number): string {
  if (gpus === 0) return 'cpu';
  if (milli < 1000) return 'share';
  return `gpu-${gpus}`;
}

/** Pod order of one run: sorted by name, seeded shuffle, then padding to `tune` × capacity. */
export function fillOrder(pods: readonly OpenbPod[], capacityMilli: number, tune: number, rng: Rng): OpenbPod[] {
  return fillOrderIndex(pods, capacityMilli, tune, rng).map((i) => pods[i]);
}

/** `fillOrder` as positions in `pods` (the runner reads per-pod data by position). */
export function fillOrderIndex(pods: readonly OpenbPod[], capacityMilli: number, tune: number, rng: Rng): number[] {
  // A stable sort of positions by name: the same order as sorting the pods themselves.
  const order = pods.map((_, i) => i).sort((a, b) => (pods[a].name < pods[b].name ? -1 : pods[a].name > pods[b].name ? 1 : 0));
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  // Without any GPU demand, padding could never reach the target: nothing to pad.
  if (tune <= 0 || !pods.some((p) => p.gpus * p.milli > 0)) return order;
  const target = tune * capacityMilli;
  let demand = 0;
  for (const i of order) demand += pods[i].gpus * pods[i].milli;
  const base = order.length;
  for (;;) {
    const i = order[Math.floor(rng() * base)];
    const d = pods[i].gpus * pods[i].milli;
    if (demand + d > target) break;
    demand += d;
    order.push(i);
  }
  return order;
}

export interface FillOptions {
  readonly nodes: readonly NodeSpec[];
  readonly pods: readonly OpenbPod[];
  readonly kernel: ScoreKernel;
  readonly seed: number;
  /** Pad to this multiple of the cluster's GPU capacity (1.3 in the study; 0 = no padding). */
  readonly tune: number;
  readonly cache: FillCache;
  /** Read the cheapest states from cost indexes (default) or scan every live state (tests, benchmarks): same result. */
  readonly scan?: boolean;
}

/**
 * Fills `tied` with the nodes of lowest cost (in index order) and returns how many; 0 when no
 * node fits. Costs come from `memo` (per state id), computed by `miss` when absent. Kept small
 * and monomorphic: this is the hot loop (pods × nodes).
 */
/**
 * Nodes grouped by interned state. The hot loop (pods × distinct live states) scans `live`; a
 * placement moves one node between groups. Member order is deterministic (swap-removal).
 */
class Groups {
  readonly live: number[] = [];
  /** Every state that became live, in order (read by the cost indexes, src/fgd/cost-index.ts). */
  readonly log: number[] = [];
  private readonly livePos: number[] = [];
  readonly members: number[][] = [];
  private readonly nodePos: Int32Array;
  constructor(n: number) {
    this.nodePos = new Int32Array(n);
  }
  add(node: number, state: number): void {
    let m = this.members[state];
    if (!m) this.members[state] = m = [];
    if (m.length === 0) {
      this.livePos[state] = this.live.length;
      this.live.push(state);
      this.log.push(state);
    }
    this.nodePos[node] = m.length;
    m.push(node);
  }
  remove(node: number, state: number): void {
    const m = this.members[state];
    const i = this.nodePos[node];
    const last = m.pop()!;
    if (last !== node) {
      m[i] = last;
      this.nodePos[last] = i;
    }
    if (m.length === 0) {
      const j = this.livePos[state];
      const l = this.live.pop()!;
      if (l !== state) {
        this.live[j] = l;
        this.livePos[l] = j;
      }
    }
  }
}

/**
 * Fills `tied` with the live states of lowest cost and returns how many; 0 when no node fits.
 * States with less free memory than `memory` are skipped here: no kernel's cost reads memory, so
 * the memo is keyed by the shape without it (fewer distinct shapes, fewer misses).
 * Costs come from `memo` (per state id), computed by `miss` when absent. Kept small and
 * monomorphic: this is the hot loop.
 */
function scan(
  live: readonly number[],
  memo: Float64Array,
  mem: readonly number[],
  memory: number,
  tied: Int32Array,
  miss: (state: number) => number,
): number {
  let best = Infinity;
  let count = 0;
  const L = live.length;
  for (let k = 0; k < L; k++) {
    const s = live[k];
    if (mem[s] < memory) continue;
    let c = memo[s];
    if (c !== c) memo[s] = c = miss(s);
    if (c < best) {
      best = c;
      tied[0] = s;
      count = 1;
    } else if (c === best && c !== Infinity) tied[count++] = s;
  }
  return count;
}

/** A node among the tied states: uniform over their nodes with `rng`, else the lowest index. */
function pickNode(groups: Groups, tied: Int32Array, count: number, rng: Rng | undefined): number {
  if (rng) {
    let total = 0;
    for (let k = 0; k < count; k++) total += groups.members[tied[k]].length;
    let r = Math.floor(rng() * total);
    for (let k = 0; k < count; k++) {
      const m = groups.members[tied[k]];
      if (r < m.length) return m[r];
      r -= m.length;
    }
  }
  let best = Infinity;
  for (let k = 0; k < count; k++) for (const n of groups.members[tied[k]]) if (n < best) best = n;
  return best;
}

export function staticFill(o: FillOptions): FillResult {
  const { nodes, kernel, cache } = o;
  const typical = cache.typical;
  const N = nodes.length;
  const model = nodes.map((n) => n.gpus[0]?.model ?? '');
  const cpuFree = nodes.map((n) => n.cpu);
  const memFree = nodes.map((n) => n.memory);
  const gpuFree = nodes.map((n) => n.gpus.map((g) => g.capacity));
  const affinity = new Array<number>(N).fill(0);
  const stateOf = new Int32Array(N);
  const groups = new Groups(N);
  let capacity = 0;
  let frag = 0;
  for (let n = 0; n < N; n++) {
    for (const g of nodes[n].gpus) capacity += g.capacity;
    stateOf[n] = cache.intern(model[n], cpuFree[n], memFree[n], 0, gpuFree[n]);
    frag += cache.frag[stateOf[n]];
    groups.add(n, stateOf[n]);
  }
  // The curve is in % of GPU capacity.
  if (capacity <= 0) throw new Error(`static fill: the cluster has no GPU capacity (${N} nodes), so no curve over arrived GPU demand`);
  const order = fillOrderIndex(o.pods, capacity, o.tune, stream(o.seed, 'fgd/order'));
  const rng = stream(o.seed, `placement/${kernel.name}`);
  const shapes = podShapes(o.pods);
  const tied = new Int32Array(N);
  const points: CurvePoint[] = [];
  let allocated = 0;
  let arrived = 0;
  let nextPct = 0;
  const sample = (upTo: number) => {
    for (; nextPct <= upTo; nextPct++) {
      points.push({ arrivedPct: nextPct, gpuAllocPct: (allocated / capacity) * 100, fragPct: (frag / capacity) * 100 });
    }
  };
  sample(0);
  let placed = 0;
  let failed = 0;
  const failedByKind: Record<string, number> = {};
  // The cheapest states come from a cost index per (shape, memory), by the list's shape numbers.
  // With random ties, a few uniform draws of a node come first: the first whose state has the
  // lowest indexed cost is the pick (uniform over the tied nodes, as the draw over the whole tied
  // list that follows when the draws miss).
  const useIndex = !o.scan;
  const DRAWS = 4;
  const indexes: (CostIndex | undefined)[] = new Array(shapes.indexes).fill(undefined);
  const memos: (Float64Array | undefined)[] = new Array(shapes.shapes).fill(undefined);
  for (const at of order) {
    const p = o.pods[at];
    const ref = shapes.refs[at];
    const shape = ref.shape;
    const noMem = ref.noMem;
    let memo = memos[ref.shapeId];
    if (memo === undefined || memo.length < cache.states.length) memos[ref.shapeId] = memo = cache.table(kernel.name, noMem.key);
    const miss = (s: number) => {
      const st = cache.states[s];
      return fitsState(st, noMem) ? kernel.cost(st, noMem, typical) : Infinity;
    };
    let count: number;
    let drawn = -1;
    if (useIndex) {
      let index = indexes[ref.indexId];
      if (index === undefined) indexes[ref.indexId] = index = new CostIndex(ref.memory);
      if (kernel.randomTies) {
        const lowest = index.lowest(groups.log, groups.members, cache.mem, memo, miss);
        for (let t = 0; t < DRAWS && lowest !== Infinity; t++) {
          const n = Math.floor(rng() * N);
          const s = stateOf[n];
          if (cache.mem[s] < p.memory) continue;
          let c = memo[s];
          if (c !== c) memo[s] = c = miss(s);
          if (c === lowest) {
            drawn = n;
            break;
          }
        }
      }
      count = drawn >= 0 ? 1 : index.best(groups.log, groups.members, cache.mem, memo, miss, tied);
    } else count = scan(groups.live, memo, cache.mem, p.memory, tied, miss);
    arrived += p.gpus * p.milli;
    if (count === 0) {
      failed++;
      const k = podKind(p.gpus, p.milli);
      failedByKind[k] = (failedByKind[k] ?? 0) + 1;
    }
    else {
      const n = drawn >= 0 ? drawn : pickNode(groups, tied, count, kernel.randomTies ? rng : undefined);
      const live: NodeState = { model: model[n], cpuFree: cpuFree[n], memFree: memFree[n], gpuFree: gpuFree[n], affinity: affinity[n] };
      const gpus = kernel.gpus(live, shape, typical, rng);
      const g = gpuFree[n].slice();
      for (const i of gpus) g[i] -= p.milli;
      gpuFree[n] = g;
      cpuFree[n] -= p.cpu;
      memFree[n] -= p.memory;
      affinity[n] |= affinityBit(p.gpus, p.milli);
      const old = stateOf[n];
      stateOf[n] = cache.intern(model[n], cpuFree[n], memFree[n], affinity[n], g);
      groups.remove(n, old);
      groups.add(n, stateOf[n]);
      frag += cache.frag[stateOf[n]] - cache.frag[old];
      allocated += p.gpus * p.milli;
      placed++;
    }
    sample(Math.floor((arrived * 100) / capacity + 1e-9));
  }
  const arrivedPct = (arrived / capacity) * 100;
  // The padding stops within one pod of the target, so the target's own row (e.g. 130) is the
  // state at the end of the fill.
  if (o.tune > 0) sample(Math.round(o.tune * 100));
  return { policy: kernel.name, seed: o.seed, pods: order.length, placed, failed, arrivedPct, points, failedByKind };
}
