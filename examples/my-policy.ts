/**
 * A tiny user placement policy, kept passing the conformance kit:
 *   npm run conformance -- examples/my-policy.ts
 *
 * spread: the fitting node with the most free GPU (ties: node id); on it, the GPUs with the most
 * free milli first (ties: GPU index). Spreads load; the opposite of best-fit. Pure.
 */
import type { PlacementPolicy } from '../src/scheduler/policy.ts';
import { placeByScore } from '../src/scheduler/placement-kit.ts';
import { registerPlacementPolicy } from '../src/scheduler/registry.ts';

export const spread = {
  name: 'spread',
  place: (job, cluster) => placeByScore(cluster, job, 'loosest', (node) => -node.gpuFree),
} satisfies PlacementPolicy;

registerPlacementPolicy('spread', () => spread);
