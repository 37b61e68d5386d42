import type { QueuePolicy, SchedulerView, TenantView } from '../../src/scheduler/policy.ts';
import { fairOrder, fairOrderLazily, type Usage } from './fair-order.ts';

/**
 * drf: Dominant Resource Fairness (Ghodsi et al., "Dominant Resource Fairness: Fair Allocation of
 * Multiple Resource Types", NSDI 2011), weighted as in the paper's §5 (share / weight). A tenant's
 * dominant share is the largest of its GPU, CPU and memory use as fractions of the cluster's
 * capacity; the tenant with the lowest weighted dominant share goes next (progressive filling),
 * within a tenant admission order, ties by tenant name. Pure.
 *
 * Example (cluster 9 GPUs, 18 CPUs): A runs 1 GPU + 4 CPU → max(1/9, 4/18) = 0.222 (CPU-dominant);
 * B runs 3 GPU + 1 CPU → max(3/9, 1/18) = 0.333 (GPU-dominant): A goes next.
 */
export const drf = {
  name: 'drf',
  order: (view) => fairOrder(view, dominantShare(view)),
  lazyOrder: (view) => fairOrderLazily(view, dominantShare(view)),
  claims: { workConserving: true, fairShare: true },
} satisfies QueuePolicy;

/** A tenant's weighted dominant share of `view`'s cluster. */
function dominantShare(view: SchedulerView): (t: TenantView, u: Usage) => number {
  const c = view.cluster;
  const frac = (x: number, cap: number) => (cap > 0 ? x / cap : 0);
  return (t, u) => Math.max(frac(u.gpu, c.gpuCapacity), frac(u.cpu, c.cpuCapacity), frac(u.memory, c.memoryCapacity)) / t.weight;
}
