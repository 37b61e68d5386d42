import type { JobView } from '../../src/jobs/job.ts';
import { queuedInRounds, roundPicks } from '../../src/scheduler/fair-walk.ts';
import type { QueuePolicy, SchedulerView } from '../../src/scheduler/policy.ts';
import { jobsOfTenant, queueByTenant } from './fair-order.ts';

/**
 * round-robin: one job per tenant per round (per-tenant round robin, as in Slurm's fair-tree
 * siblings or YuniKorn's per-queue round robin), each tenant's jobs in admission order. Rounds
 * visit tenants with the fewest running jobs first (the least recently served, as far as a pure
 * policy can tell), ties by name. Counts jobs, not GPUs: a tenant of 8-GPU jobs gets more GPUs
 * than one of 1-GPU jobs. Pure.
 *
 * Example: queue a1 a2 a3 b1 c1 c2, running A:0 B:2 C:1 → tenants A, C, B → a1 c1 b1 a2 c2 a3.
 *
 * `lazyOrder` yields the same rounds from the core's per-tenant queues (`view.queuedInRounds`), as
 * the pass reads them: O(tenants) to start, O(1) a job, where `order` groups the whole queue; the
 * core's pass walks them by tenant and shape, passing over the jobs of shapes that do not fit.
 */
export const roundRobin = {
  name: 'round-robin',
  order: (view) => [...rounds(view, false)],
  lazyOrder: (view) => rounds(view, true),
  claims: { workConserving: true },
} satisfies QueuePolicy;

/**
 * The rounds (`roundPicks`): tenants by fewest running jobs, then name, read before the first job;
 * `lazy`: from the core's per-tenant queues (`queuedInRounds`: `view.queuedInRounds`, which the
 * core's pass walks by tenant and shape), else over the queue grouped by tenant.
 */
function rounds(view: SchedulerView, lazy: boolean): Iterable<JobView> {
  const grouped = lazy ? undefined : queueByTenant(view);
  const names = grouped ? [...grouped.keys()] : view.tenants.map((t) => t.name);
  const running = new Map(view.tenants.map((t) => [t.name, t.running]));
  names.sort((a, b) => (running.get(a) ?? 0) - (running.get(b) ?? 0) || (a < b ? -1 : a > b ? 1 : 0));
  return grouped ? roundPicks(names, jobsOfTenant(grouped)) : queuedInRounds(view, names);
}
