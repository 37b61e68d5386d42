import { fits, placeOn } from '../../src/cluster/fit.ts';
import type { NodeView } from '../../src/cluster/types.ts';
import type { PlacementPolicy } from '../../src/scheduler/policy.ts';
import { unfit } from '../../src/scheduler/placement-kit.ts';

/**
 * best-fit: the node left with the least free GPU after the placement (tightest GPU fit), then
 * the least free CPU fraction, then the least free memory fraction; ties break by node id. Inside
 * the node it takes the GPUs with the least free milli first (tightest), ties by GPU index. Pure.
 *
 * Example: a 500-milli job, node A with GPUs free [1000, 600], node B free [1000, 1000]:
 * A leaves 1600 − 500 = 1100 free, B leaves 2000 − 500 = 1500, so A wins, on GPU 1 (600 < 1000).
 */
export const bestFit = {
  name: 'best-fit',
  place(job, cluster) {
    // placeByScore's rule with the score [GPU left, CPU fraction left, memory fraction left]
    // compared in place: no score array or placement built per node, the winner's GPUs picked once.
    const need = job.gpus * job.milli;
    let best: NodeView | undefined;
    let g0 = 0;
    let c0 = 0;
    let m0 = 0;
    for (const node of cluster.nodes) {
      if (best !== undefined && node.gpuFree - need > g0) continue; // loses on the first key whatever else
      if (!fits(node, job)) continue;
      const g = node.gpuFree - need;
      const c = node.cpu > 0 ? (node.cpuFree - job.cpu) / node.cpu : 0;
      const m = node.memory > 0 ? (node.memoryFree - job.memory) / node.memory : 0;
      const d = best === undefined ? -1 : g - g0 || c - c0 || m - m0;
      if (d < 0 || (d === 0 && node.id < best!.id)) {
        best = node;
        g0 = g;
        c0 = c;
        m0 = m;
      }
    }
    const p = best && placeOn(best, job, 'tightest');
    return p ? { kind: 'placed', placement: p } : unfit(job);
  },
} satisfies PlacementPolicy;
