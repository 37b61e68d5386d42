import type { NodeView } from './types.ts';

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
 * Cost: an update recomputes one node's key (its GPUs sorted) and moves it between two groups
 * (binary search and an array splice, O(group size) memmove at worst). A policy's pass costs
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
}

/** Whether a node can be grouped: no MIG GPU, all GPUs of one model and one capacity. */
function regular(n: NodeView): boolean {
  const g = n.gpus;
  for (let i = 0; i < g.length; i++) {
    if (g[i].mig || g[i].model !== g[0].model || g[i].capacity !== g[0].capacity) return false;
  }
  return true;
}

function keyOf(n: NodeView): string {
  const g = n.gpus;
  const free: number[] = new Array(g.length);
  for (let i = 0; i < g.length; i++) free[i] = g[i].free;
  free.sort((a, b) => a - b);
  const head = g.length > 0 ? `${g[0].model}|${g[0].capacity}` : '|';
  return `${head}|${n.cpu}|${n.memory}|${n.cpuFree}|${n.memoryFree}|${free.join(',')}`;
}

/** The first position in ascending `a` (ordered by `by`: node index → sort key) whose key is not below `v`'s. */
function lowerBound(a: readonly number[], v: number, by: ArrayLike<number> | undefined): number {
  const k = by ? by[v] : v;
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((by ? by[a[mid]] : a[mid]) < k) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Inserts `v` into ascending `a` ordered by `by`. */
function insertSorted(a: number[], v: number, by: ArrayLike<number> | undefined): void {
  a.splice(lowerBound(a, v, by), 0, v);
}

function removeSorted(a: number[], v: number, by: ArrayLike<number> | undefined): void {
  const lo = lowerBound(a, v, by);
  if (a[lo] !== v) throw new Error(`node ${v} missing from its group`); // an index bug, never input
  a.splice(lo, 1);
}

/**
 * The mutable index behind `NodeGroups`. Owned by the cluster: `update(i)` after node `i`
 * changed (free resources or up/down).
 */
export class NodeGroupIndex {
  readonly view: NodeGroups;
  private readonly ids = new Map<string, number>();
  private readonly keys: string[] = [];
  private readonly byIndex: number[][] = [];
  private readonly byId: number[][] = [];
  private readonly stamps: number[] = [];
  private readonly liveIds: number[] = [];
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
    const order = nodes.map((_, i) => i).sort((a, b) => (nodes[a].id < nodes[b].id ? -1 : nodes[a].id > nodes[b].id ? 1 : 0));
    order.forEach((node, r) => (this.rank[node] = r));
    for (let i = 0; i < n; i++) {
      if (regular(nodes[i])) {
        this.regular[i] = 1;
        this.update(i);
      } else this.loose.push(i);
    }
    const { byIndex, byId, stamps, liveIds, loose } = this;
    this.view = {
      live: () => liveIds,
      loose: () => loose,
      members: (g) => byIndex[g],
      firstById: (g) => byId[g][0],
      stamp: (g) => stamps[g],
      capacity: () => byIndex.length,
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
    const key = keyOf(node);
    if (old >= 0) {
      if (this.keys[old] === key) return;
      this.leave(i, old);
    }
    let g = this.ids.get(key);
    if (g === undefined) {
      g = this.spare.pop() ?? this.byIndex.length;
      if (g === this.byIndex.length) {
        this.byIndex.push([]);
        this.byId.push([]);
        this.stamps.push(0);
        this.keys.push('');
        this.livePos.push(-1);
      }
      this.stamps[g]++;
      this.keys[g] = key;
      this.ids.set(key, g);
      this.livePos[g] = this.liveIds.length;
      this.liveIds.push(g);
    }
    insertSorted(this.byIndex[g], i, undefined);
    insertSorted(this.byId[g], i, this.rank);
    this.groupOf[i] = g;
  }

  private leave(i: number, g: number): void {
    removeSorted(this.byIndex[g], i, undefined);
    removeSorted(this.byId[g], i, this.rank);
    this.groupOf[i] = -1;
    if (this.byIndex[g].length > 0) return;
    // Emptied: the id goes back to the pool (its stamp changes when reused), the key is forgotten,
    // so the table stays bounded by the number of states live at once.
    this.ids.delete(this.keys[g]);
    this.keys[g] = '';
    const p = this.livePos[g];
    const last = this.liveIds.pop()!;
    if (last !== g) {
      this.liveIds[p] = last;
      this.livePos[last] = p;
    }
    this.livePos[g] = -1;
    this.spare.push(g);
  }
}

/**
 * The `n`-th smallest (0-based) node index in the union of disjoint ascending lists, without
 * merging them: binary search on the index, counting with a binary search in each list.
 * O(lists · log² nodes). Used for a uniform draw among tied nodes in index order.
 */
export function nthOfUnion(lists: readonly (readonly number[])[], n: number, nodeCount: number): number {
  let lo = 0;
  let hi = nodeCount - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    let c = 0;
    for (const l of lists) c += countAtMost(l, mid);
    if (c > n) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function countAtMost(a: readonly number[], v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
