import { z } from 'zod';
import type { JobView } from '../../src/jobs/job.ts';
import { byKey, queuedByKey } from '../../src/scheduler/keyed-queue.ts';
import type { QueuePolicy, SchedulerView } from '../../src/scheduler/policy.ts';
import { byLeastLoss, planPreemption } from '../../src/scheduler/preempt-kit.ts';

/**
 * priority: priority classes, higher first; FIFO (admission order) within a class — Kubernetes
 * PriorityClass ordering in kube-scheduler's PrioritySort and Kueue's WorkloadPriorityClass.
 * With `preempt: true`, a queued job that cannot start names as victims running jobs of a strictly
 * lower class (lowest class first, then the most recently started), as kube-scheduler's
 * DefaultPreemption and Kueue's `withinClusterQueue: LowerPriority` do — only when evicting them
 * lets it start. Pure.
 *
 * `lazyOrder` (and the victims' walk) read the same order from the core's index by class
 * (`view.queuedBy`) instead of sorting the queue every pass.
 *
 * Example: queue [a(0), b(5), c(0), d(5)] → b d a c.
 */
export const PriorityParams = z.strictObject({
  /** Evict running jobs of strictly lower classes for a queued job that cannot start. */
  preempt: z.boolean().default(false),
});

/** Higher classes first: the sort key (one function object, so the core keeps one index for it). */
const lowerClassFirst = (j: JobView) => -j.priority;

export function priority({ preempt = false }: z.input<typeof PriorityParams> = {}): QueuePolicy {
  const lazily = (view: SchedulerView) => queuedByKey(view, lowerClassFirst);
  return {
    name: 'priority',
    order: (view) => byKey(view.queue, lowerClassFirst),
    lazyOrder: lazily,
    claims: { workConserving: true },
    ...(preempt
      ? {
          victims: (view) =>
            planPreemption(
              view,
              lazily(view),
              (w, r) => w.priority > r.priority,
              byLeastLoss,
              (w) => `priority:${w.id}`,
              { victimsFirst: true }, // lower classes first: the jobs a waiting job outranks come first
            ),
        }
      : {}),
  } satisfies QueuePolicy;
}
