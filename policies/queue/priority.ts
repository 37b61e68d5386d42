import { z } from 'zod';
import type { JobView } from '../../src/jobs/job.ts';
import type { QueuePolicy } from '../../src/scheduler/policy.ts';
import { byLeastLoss, planPreemption } from '../../src/scheduler/preempt-kit.ts';

/**
 * priority: priority classes, higher first; FIFO (admission order) within a class — Kubernetes
 * PriorityClass ordering in kube-scheduler's PrioritySort and Kueue's WorkloadPriorityClass.
 * With `preempt: true`, a queued job that cannot start names as victims running jobs of a strictly
 * lower class (lowest class first, then the most recently started), as kube-scheduler's
 * DefaultPreemption and Kueue's `withinClusterQueue: LowerPriority` do — only when evicting them
 * lets it start. Pure.
 *
 * Example: queue [a(0), b(5), c(0), d(5)] → b d a c.
 */
export const PriorityParams = z.strictObject({
  /** Evict running jobs of strictly lower classes for a queued job that cannot start. */
  preempt: z.boolean().default(false),
});

export function priority({ preempt = false }: z.input<typeof PriorityParams> = {}): QueuePolicy {
  const order = (view: { queue: readonly JobView[] }) =>
    view.queue
      .map((j, i) => ({ j, i }))
      .sort((a, b) => b.j.priority - a.j.priority || a.i - b.i)
      .map((x) => x.j);
  return {
    name: 'priority',
    order,
    claims: { workConserving: true },
    ...(preempt
      ? {
          victims: (view) =>
            planPreemption(
              view,
              order(view),
              (w, r) => w.priority > r.priority,
              byLeastLoss,
              (w) => `priority:${w.id}`,
            ),
        }
      : {}),
  } satisfies QueuePolicy;
}
