import { fits, placeOn } from '../../src/cluster/fit.ts';
import type { Demand, NodeView } from '../../src/cluster/types.ts';
import type { PlacementPolicy } from '../../src/scheduler/policy.ts';
import { unfit } from '../../src/scheduler/placement-kit.ts';

/**
 * best-fit: the node left with the least free GPU after the placement (tightest GPU fit), then
 * the least free CPU fraction, then the least free memory fraction; ties break by node id. Inside
 * the node it takes the GPUs with the least free milli first (tightest), ties by GPU index. Pure.
 *
 * Example: a 500-milli job, node A with GPUs free [1000, 600], node B free [1000, 1000]:
 * A leaves 1600 − 500 = 1100 free, B leaves 2000 − 500 = 1500, so A wins, on GPU 1 (600 < 1000).
 *
 * With the cluster's node groups (src/cluster/node-groups.ts) every member of a group scores
 * alike (same free resources and capacities), so each group is scored once on its first member
 * and stands for its member of smallest id; loose nodes are scored one by one. Same node as the
 * scan over all nodes. The groups are scanned by free GPU ascending, from the first with at least
 * the job's GPU demand (none below can fit) up to the first level where one fits (every later
 * group loses on the first key): O(groups that do not fit in between + loose nodes). The scan
 * checks fit from the groups' packed state and reads a node only for a group that may win.
 */
export const bestFit = {
  name: 'best-fit',
  place(job, cluster) {
    // The score [GPU left, CPU fraction left, memory fraction left] compared in place: no score
    // array or placement built per node, the winner's GPUs picked once.
    const best = new Best(job);
    const groups = cluster.groups?.();
    if (groups) {
      const need = job.gpus * job.milli;
      const asc = groups.ascending();
      for (let p = groups.atLeast(need); p < asc.length; p++) {
        const g = asc[p];
        if (best.node !== undefined && groups.gpuFree(g) - need > best.g0) break;
        if (groups.fits(g, job)) best.offer(cluster.nodes[groups.members(g)[0]], cluster.nodes[groups.firstById(g)]);
      }
      for (const i of groups.loose()) if (!best.loses(cluster.nodes[i])) best.offer(cluster.nodes[i], cluster.nodes[i]);
    } else {
      for (const node of cluster.nodes) if (!best.loses(node)) best.offer(node, node);
    }
    const p = best.node && placeOn(best.node, job, 'tightest');
    return p ? { kind: 'placed', placement: p } : unfit(job);
  },
} satisfies PlacementPolicy;

/** The best node so far and its score; `offer` scores a node and, on a win, keeps `as` (same score, its id breaks ties). */
class Best {
  node: NodeView | undefined;
  /** The best node's GPU left after the placement (milli). */
  g0 = 0;
  private c0 = 0;
  private m0 = 0;
  private readonly need: number;
  constructor(private readonly job: Demand) {
    this.need = job.gpus * job.milli;
  }

  /** True when `node` cannot win: it loses on the first key whatever else, or does not fit. */
  loses(node: NodeView): boolean {
    return (this.node !== undefined && node.gpuFree - this.need > this.g0) || !fits(node, this.job);
  }

  offer(node: NodeView, as: NodeView): void {
    const job = this.job;
    const g = node.gpuFree - this.need;
    const c = node.cpu > 0 ? (node.cpuFree - job.cpu) / node.cpu : 0;
    const m = node.memory > 0 ? (node.memoryFree - job.memory) / node.memory : 0;
    const d = this.node === undefined ? -1 : g - this.g0 || c - this.c0 || m - this.m0;
    if (d < 0 || (d === 0 && as.id < this.node!.id)) {
      this.node = as;
      this.g0 = g;
      this.c0 = c;
      this.m0 = m;
    }
  }
}
