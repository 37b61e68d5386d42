import type { PlacementPolicy } from '../../src/scheduler/policy.ts';
import { placeByScore } from '../../src/scheduler/placement-kit.ts';

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
    return placeByScore(cluster, job, 'tightest', (node) => [
      node.gpuFree - job.gpus * job.milli,
      node.cpu > 0 ? (node.cpuFree - job.cpu) / node.cpu : 0,
      node.memory > 0 ? (node.memoryFree - job.memory) / node.memory : 0,
    ]);
  },
} satisfies PlacementPolicy;
