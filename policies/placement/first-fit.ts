import { placeOn } from '../../src/cluster/fit.ts';
import type { PlacementPolicy } from '../../src/scheduler/policy.ts';
import { unfit } from '../../src/scheduler/placement-kit.ts';

/**
 * first-fit: the first node in cluster order (node index) that fits; on it, the lowest-index GPUs
 * that fit. Optimises nothing but speed and predictability. Pure.
 */
export const firstFit = {
  name: 'first-fit',
  place(job, cluster) {
    for (const node of cluster.nodes) {
      const p = placeOn(node, job, 'index');
      if (p) return { kind: 'placed', placement: p };
    }
    return unfit(job);
  },
} satisfies PlacementPolicy;
