import { insertSorted, removeSorted } from './sorted-ids.ts';
import type { Demand, NodeView } from './types.ts';

/**
 * Nodes grouped by placement state, kept up to date by the cluster on every allocate, release and
 * node down/up, so that a placement policy scans distinct states instead of nodes.
 *
 * Two up nodes are in the same group when everything a placement policy's filter and score read
 * is equal: GPU model and capacity (all the node's GPUs alike, none MIG), CPU and memory capacity,
 * free CPU, free memory and the multiset of free milli per GPU. Every member of a group therefore
 * fits a job or not alike, and scores alike under any score that reads only those (first-fit,
 * best-fit, the FGD study's kernels); only the tie-break (lowest index, smallest id, the random
 * draw) tells members apart, and each group keeps its members in both orders for it.
 *
 * Nodes with a MIG GPU or GPUs of different models or capacities are "loose": never grouped, a
 * policy examines each of them itself (up or down), as before.
 *
 * Cost: an update reads one node's state as numbers (its GPUs sorted), finds its group by a hash
 * and moves it between two groups (binary search and an array splice, O(group size) memmove at
 * worst); it builds no string. A policy's pass costs
 * O(live groups + loose nodes), independent of the node count for a fixed mix of node types
 * (e.g. 8 whole GPUs and proportional CPU: at most 9 groups per node type).
 *
 * The view handed to policies exposes functions only (no Map, no `this`), so it works through the
 * conformance kit's read-only proxies.
 */
export interface NodeGroups {
  /** Ids of the non-empty groups, in an order that depends only on the history of updates. */
  readonly live: () => readonly number[];
  /** Nodes in no group (MIG or mixed GPUs), ascending index, whether up or down. */
  readonly loose: () => readonly number[];
  /** Members of group `g`, ascending node index (never empty for a live group). */
  readonly members: (g: number) => readonly number[];
  /** The member of group `g` with the smallest node id (string order). */
  readonly firstById: (g: number) => number;
  /**
   * A number that changes whenever id `g` is given to another state (an emptied group's id is
   * reused): a cost memoised for (g, stamp) stays valid while the stamp is unchanged.
   */
  readonly stamp: (g: number) => number;
  /** One past the largest group id ever handed out (sizes memo tables). */
  readonly capacity: () => number;
  /**
   * Whether the members of live group `g` fit `d` now: exactly `fits` (cluster/fit.ts) of any
   * member, answered from the group's state (free CPU and memory, sorted free milli) without
   * reading a node.
   */
  readonly fits: (g: number, d: Demand) => boolean;
  /**
   * Free milli-GPU of any member of live group `g` (`gpuFree` of its nodes), read from the
   * group's packed state: a scan that prunes by it touches no node.
   */
  readonly gpuFree: (g: number) => number;
  /** Free CPU (milli) and memory (MiB) of any member of live group `g`, from its packed state. */
  readonly cpuFree: (g: number) => number;
  readonly memoryFree: (g: number) => number;
  /** GPUs per member of group `g`, their model ('' without GPUs) and capacity (milli, 0 without GPUs). */
  readonly gpuCount: (g: number) => number;
  readonly gpuModel: (g: number) => string;
  readonly gpuCapacity: (g: number) => number;
  /** Free milli of the `k`-th GPU of a member of live group `g`, the GPUs ordered by free milli ascending (0 ≤ k < gpuCount). */
  readonly freeAt: (g: number, k: number) => number;
  /**
   * The live groups ordered by free milli-GPU, ascending (ties in an order that depends only on
   * the history of updates): a best-fit scan starts at `atLeast(need)` and may stop at the first
   * level where a group fits. Kept up to date when a group appears or empties (a group's state
   * never changes while it lives: nodes move between groups).
   */
  readonly ascending: () => readonly number[];
  /** The first position in `ascending()` whose group has at least `milli` free. */
  readonly atLeast: (milli: number) => number;
}

/** Whether a node can be grouped: no MIG GPU, all GPUs of one model and one capacity. */
function regular(n: NodeView): boolean {
  const g = n.gpus;
  for (let i = 0; i < g.length; i++) {
    if (g[i].mig || g[i].model !== g[0].model || g[i].capacity !== g[0].capacity) return false;
  }
  return true;
}

/** A node's fixed part of its state (GPU model and capacity, GPU count, CPU and memory capacity), as a string to intern once. */
function typeOf(n: NodeView): string {
  const g = n.gpus;
  return `${g.length > 0 ? `${g[0].model}|${g[0].capacity}` : '|'}|${g.length}|${n.cpu}|${n.memory}`;
}

/** Mixes a number into a 32-bit hash (integers exactly; other numbers by their two 32-bit halves). Exported for tests. */
export function mix(h: number, v: number): number {
  const lo = v | 0;
  const hi = (v / 4294967296) | 0;
  h = Math.imul(h ^ lo, 0x9e3779b1);
  h = Math.imul(h ^ hi, 0x85ebca6b);
  return h ^ (h >>> 15);
}

/**
 * The mutable index behind `NodeGroups`. Owned by the cluster: `update(i)` after node `i`
 * changed (free resources or up/down).
 */
export class NodeGroupIndex {
  readonly view: NodeGroups;
  /**
   * A group's state is (node type, free CPU, free memory, total free milli, free milli per GPU
   * sorted ascending), compared as numbers: `state` holds it per group (stride `width`) in one
   * typed array, so a policy's scan over groups reads contiguous memory, not nodes (with many
   * groups, or several shards' clusters in one run, the nodes outgrow the CPU cache); `scratch`
   * holds the node being filed. Groups are found by a hash of the state (the total left out):
   * `bucket` (hash → first group), `chain` (group → next group with the same hash). No string is
   * built per update.
   */
  private readonly types = new Map<string, number>();
  private readonly typeOf: Int32Array;
  /** Per node type: its GPU count, GPU model ('' without GPUs) and GPU capacity. */
  private readonly typeGpus: number[] = [];
  private readonly typeModel: string[] = [];
  private readonly typeCapacity: number[] = [];
  private readonly width: number;
  private state: Float64Array;
  private readonly scratch: Float64Array;
  private readonly hashes: number[] = [];
  private readonly chain: number[] = [];
  private readonly bucket = new Map<number, number>();
  private readonly byIndex: number[][] = [];
  /** Members by id order; the very arrays of `byIndex` when id order is index order (`sameOrder`). */
  private readonly byId: number[][];
  private readonly sameOrder: boolean;
  private readonly stamps: number[] = [];
  private readonly liveIds: number[] = [];
  /** The live groups by free milli-GPU ascending (see `NodeGroups.ascending`). */
  private readonly asc: number[] = [];
  private readonly livePos: number[] = [];
  private readonly spare: number[] = [];
  private readonly loose: number[] = [];
  /** Node → its group, −1 when down or loose. */
  private readonly groupOf: Int32Array;
  /** Node → rank of its id in string order. */
  private readonly rank: Int32Array;
  private readonly regular: Uint8Array;

  constructor(private readonly nodes: readonly NodeView[]) {
    const n = nodes.length;
    this.groupOf = new Int32Array(n).fill(-1);
    this.rank = new Int32Array(n);
    this.regular = new Uint8Array(n);
    this.typeOf = new Int32Array(n);
    let gpus = 0;
    for (const node of nodes) gpus = Math.max(gpus, node.gpus.length);
    this.width = 4 + gpus;
    this.scratch = new Float64Array(this.width);
    this.state = new Float64Array(this.width * 16);
    const order = nodes.map((_, i) => i).sort((a, b) => (nodes[a].id < nodes[b].id ? -1 : nodes[a].id > nodes[b].id ? 1 : 0));
    order.forEach((node, r) => (this.rank[node] = r));
    // Ids in index order (zero-padded names, as scenarios' node groups make them): one sorted
    // list per group serves both orders.
    this.sameOrder = order.every((node, r) => node === r);
    this.byId = this.sameOrder ? this.byIndex : [];
    for (let i = 0; i < n; i++) {
      if (regular(nodes[i])) {
        this.regular[i] = 1;
        const t = typeOf(nodes[i]);
        let id = this.types.get(t);
        if (id === undefined) {
          this.types.set(t, (id = this.types.size));
          this.typeGpus.push(nodes[i].gpus.length);
          this.typeModel.push(nodes[i].gpus.length > 0 ? nodes[i].gpus[0].model : '');
          this.typeCapacity.push(nodes[i].gpus.length > 0 ? nodes[i].gpus[0].capacity : 0);
        }
        this.typeOf[i] = id;
        this.update(i);
      } else this.loose.push(i);
    }
    const { byIndex, byId, stamps, liveIds, loose, asc } = this;
    this.view = {
      live: () => liveIds,
      loose: () => loose,
      members: (g) => byIndex[g],
      firstById: (g) => byId[g][0],
      stamp: (g) => stamps[g],
      capacity: () => byIndex.length,
      fits: (g, d) => this.fits(g, d),
      gpuFree: (g) => this.state[g * this.width + 3],
      cpuFree: (g) => this.state[g * this.width + 1],
      memoryFree: (g) => this.state[g * this.width + 2],
      gpuCount: (g) => this.typeGpus[this.state[g * this.width]],
      gpuModel: (g) => this.typeModel[this.state[g * this.width]],
      gpuCapacity: (g) => this.typeCapacity[this.state[g * this.width]],
      freeAt: (g, k) => this.state[g * this.width + 4 + k],
      ascending: () => asc,
      atLeast: (milli) => this.atLeast(milli),
    };
  }

  /** Re-files node `i` after a change to its free resources or its up state. */
  update(i: number): void {
    if (!this.regular[i]) return;
    const node = this.nodes[i];
    const old = this.groupOf[i];
    if (!node.up) {
      if (old >= 0) this.leave(i, old);
      return;
    }
    const h = this.read(i);
    if (old >= 0) {
      if (this.hashes[old] === h && this.same(old)) return;
      this.leave(i, old);
    }
    let g = this.find(h);
    if (g < 0) {
      g = this.spare.pop() ?? this.byIndex.length;
      if (g === this.byIndex.length) {
        this.byIndex.push([]);
        if (!this.sameOrder) this.byId.push([]);
        this.stamps.push(0);
        this.hashes.push(0);
        this.chain.push(-1);
        this.livePos.push(-1);
        if (this.state.length < (g + 1) * this.width) {
          const grown = new Float64Array(this.state.length * 2);
          grown.set(this.state);
          this.state = grown;
        }
      }
      this.stamps[g]++;
      this.state.set(this.scratch, g * this.width);
      this.hashes[g] = h;
      this.chain[g] = this.bucket.get(h) ?? -1;
      this.bucket.set(h, g);
      this.livePos[g] = this.liveIds.length;
      this.liveIds.push(g);
      // After the groups with as much free milli or less (so equal ones keep their age order).
      const at = this.atLeast(this.scratch[3] + 1);
      if (at === this.asc.length) this.asc.push(g);
      else this.asc.splice(at, 0, g);
    }
    insertSorted(this.byIndex[g], i, undefined);
    if (!this.sameOrder) insertSorted(this.byId[g], i, this.rank);
    this.groupOf[i] = g;
  }

  private leave(i: number, g: number): void {
    removeSorted(this.byIndex[g], i, undefined);
    if (!this.sameOrder) removeSorted(this.byId[g], i, this.rank);
    this.groupOf[i] = -1;
    if (this.byIndex[g].length > 0) return;
    // Emptied: the id goes back to the pool (its stamp changes when reused), its state leaves its
    // hash chain, so the table stays bounded by the number of states live at once.
    this.unlink(g);
    const p = this.livePos[g];
    const last = this.liveIds.pop()!;
    if (last !== g) {
      this.liveIds[p] = last;
      this.livePos[last] = p;
    }
    this.livePos[g] = -1;
    let at = this.atLeast(this.state[g * this.width + 3]);
    while (this.asc[at] !== g) at++;
    this.asc.splice(at, 1);
    this.spare.push(g);
  }

  /** The first position in `asc` whose group has at least `milli` free (binary search). */
  private atLeast(milli: number): number {
    const a = this.asc;
    const st = this.state;
    const w = this.width;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (st[a[mid] * w + 3] < milli) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * `fits` of a member of live group `g` (all up, regular: one model, no MIG GPU): CPU and
   * memory, then `d.gpus` GPUs with `d.milli` free — with the free milli sorted ascending, the
   * `d.gpus`-th largest is enough. A MIG request fits no GPU here; a disallowed model none.
   */
  private fits(g: number, d: Demand): boolean {
    const st = this.state;
    const at = g * this.width;
    if (st[at + 1] < d.cpu || st[at + 2] < d.memory) return false;
    if (d.gpus === 0) return true;
    if (d.mig !== undefined) return false;
    const type = st[at];
    const n = this.typeGpus[type];
    if (d.gpus > n) return false;
    if (d.models && d.models.length > 0 && !d.models.includes(this.typeModel[type])) return false;
    return st[at + 4 + n - d.gpus] >= d.milli;
  }

  /** Writes node `i`'s state into `scratch` (its GPUs' free milli summed, then sorted ascending) and returns its hash. */
  private read(i: number): number {
    const node = this.nodes[i];
    const s = this.scratch;
    const g = node.gpus;
    s[0] = this.typeOf[i];
    s[1] = node.cpuFree;
    s[2] = node.memoryFree;
    s[3] = node.gpuFree;
    // Insertion sort: a handful of GPUs per node.
    for (let k = 0; k < g.length; k++) {
      const v = g[k].free;
      let j = 4 + k;
      while (j > 4 && s[j - 1] > v) {
        s[j] = s[j - 1];
        j--;
      }
      s[j] = v;
    }
    s.fill(0, 4 + g.length);
    // The hash leaves out the total (it follows from the GPUs' free milli).
    let h = mix(mix(mix(0, s[0]), s[1]), s[2]);
    for (let k = 4; k < 4 + g.length; k++) h = mix(h, s[k]);
    return h;
  }

  /** Whether group `g`'s state equals `scratch` (nodes of one type have equally many GPUs). */
  private same(g: number): boolean {
    const s = this.scratch;
    const st = this.state;
    const at = g * this.width;
    if (st[at] !== s[0]) return false;
    for (let k = 1; k < this.width; k++) if (st[at + k] !== s[k]) return false;
    return true;
  }

  /** The live group whose state is `scratch` (hash `h`), or −1. */
  private find(h: number): number {
    const b = this.bucket.get(h);
    for (let g = b === undefined ? -1 : b; g >= 0; g = this.chain[g]) if (this.same(g)) return g;
    return -1;
  }

  /** Takes emptied group `g` out of its hash chain. */
  private unlink(g: number): void {
    const h = this.hashes[g];
    const first = this.bucket.get(h)!;
    if (first === g) {
      if (this.chain[g] < 0) this.bucket.delete(h);
      else this.bucket.set(h, this.chain[g]);
    } else {
      let p = first;
      while (this.chain[p] !== g) p = this.chain[p];
      this.chain[p] = this.chain[g];
    }
    this.chain[g] = -1;
  }
}
