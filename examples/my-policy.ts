/**
 * A tiny user placement policy, kept passing the conformance kit:
 *   npm run conformance -- examples/my-policy.ts
 *
 * spread: the fitting node with the most free GPU (ties: node id); on it, the GPUs with the most
 * free milli first (ties: GPU index). Spreads load; the opposite of best-fit. Pure. With
 * `params: { placement: { by: cpu } }` in a scenario it spreads by free CPU instead.
 */
import { placeByScore, registerPlacementPolicy, z, type PlacementPolicy } from 'gpulab';

/** The policy's `params:`; a wrong type or an unknown key is a scenario error naming the field. */
export const SpreadParams = z.strictObject({ by: z.enum(['gpu', 'cpu']).default('gpu') });

export function spreadBy({ by }: z.infer<typeof SpreadParams>) {
  return {
    name: 'spread',
    // lowest score wins; ties break by node id; GPUs inside the node: most free first
    place: (job, cluster) => placeByScore(cluster, job, 'loosest', (node) => (by === 'gpu' ? -node.gpuFree : -node.cpuFree)),
  } satisfies PlacementPolicy;
}

export const spread = spreadBy({ by: 'gpu' });

// `create` receives the parsed params (defaults filled in), typed from the schema.
registerPlacementPolicy('spread', spreadBy, { params: SpreadParams });
