import { fits, placeOn } from '../../src/cluster/fit.ts';
import type { ClusterView, NodeView } from '../../src/cluster/types.ts';
import type { JobView } from '../../src/jobs/job.ts';
import type { PlacementOutcome, PlacementPolicy, PolicyContext } from '../../src/scheduler/policy.ts';
import { bestFit } from './best-fit.ts';

/**
 * affinity: a job with a context goes to a node where that context is warm (an idle warm
 * instance, `ctx.warm`), the tightest such node by best-fit's score (least GPU left after the
 * placement, then node id); when no warm node fits — or the job has no context, or the run none —
 * it is placed by best-fit, cold. Pure.
 *
 * Example: a 1-GPU job of context m; node A (2 GPUs free) has m warm, node B (1 GPU free) has not.
 * Best-fit alone picks B (leaves 0 < 1); affinity picks A, warm: it pays warmStartSec, not coldStartSec.
 */
export const affinity = {
  name: 'affinity',
  place(job, cluster, ctx) {
    return placeWarm(job, cluster, ctx) ?? bestFit.place(job, cluster);
  },
} satisfies PlacementPolicy;

/** The best-fit placement among the nodes where `job`'s context is warm now; undefined when none fits. */
export function placeWarm(job: JobView, cluster: ClusterView, ctx: PolicyContext): PlacementOutcome | undefined {
  if (job.context === undefined || ctx.warm === undefined) return undefined;
  const need = job.gpus * job.milli;
  let best: NodeView | undefined;
  for (const n of ctx.warm.warmNodes(job.context, ctx.now)) {
    const node = cluster.nodes[n];
    if (!fits(node, job)) continue;
    // Tightest GPU fit, ties by node id (best-fit's first keys).
    if (best === undefined || node.gpuFree - need < best.gpuFree - need || (node.gpuFree === best.gpuFree && node.id < best.id)) best = node;
  }
  const p = best && placeOn(best, job, 'tightest');
  return p ? { kind: 'placed', placement: p } : undefined;
}
