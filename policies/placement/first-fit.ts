import { fits, placeOn } from '../../src/cluster/fit.ts';
import type { ClusterView } from '../../src/cluster/types.ts';
import type { Demand } from '../../src/cluster/types.ts';
import type { PlacementPolicy } from '../../src/scheduler/policy.ts';
import { unfit } from '../../src/scheduler/placement-kit.ts';

/**
 * first-fit: the first node in cluster order (node index) that fits; on it, the lowest-index GPUs
 * that fit. Optimises nothing but speed and predictability. Pure.
 *
 * With the cluster's node groups (src/cluster/node-groups.ts) it asks each group once (all its
 * members fit alike) and takes the lowest member index of those that fit, and checks the loose
 * nodes one by one: the same node as the scan, in O(groups + loose nodes).
 */
export const firstFit = {
  name: 'first-fit',
  place(job, cluster) {
    const n = cluster.groups ? firstFitting(job, cluster) : cluster.nodes.findIndex((node) => fits(node, job));
    const p = n >= 0 ? placeOn(cluster.nodes[n], job, 'index') : undefined;
    return p ? { kind: 'placed', placement: p } : unfit(job);
  },
} satisfies PlacementPolicy;

/** Lowest index of a node that fits `d`, −1 if none, from the groups and the loose nodes. */
function firstFitting(d: Demand, cluster: ClusterView): number {
  const groups = cluster.groups!();
  const nodes = cluster.nodes;
  let best = Infinity;
  for (const g of groups.live()) {
    const first = groups.members(g)[0];
    if (first < best && groups.fits(g, d)) best = first;
  }
  for (const i of groups.loose()) {
    if (i >= best) break;
    if (fits(nodes[i], d)) best = i;
  }
  return best === Infinity ? -1 : best;
}
