import type { JobView } from '../../src/jobs/job.ts';
import { fairPicks, groupByTenant, queuedFairly, type Share } from '../../src/scheduler/fair-walk.ts';
import type { SchedulerView } from '../../src/scheduler/policy.ts';

export type { Usage } from '../../src/scheduler/fair-walk.ts';

/**
 * Progressive filling shared by the fair-share queue policies (`fairPicks`,
 * src/scheduler/fair-walk.ts): repeatedly take the head job of the tenant with the lowest
 * `share`; ties go to the lowest attained GPU time / weight (so equal instantaneous shares rotate
 * between tenants over time instead of always favouring one name), then to the tenant name. Then
 * charge that job's demand to the tenant as if it had started, so the next pick sees the updated
 * share. Within a tenant, jobs keep the core's admission order. Pure. `share` must be finite and
 * never lower after a job is charged (both shipped shares are).
 *
 * `fairOrder` returns the whole order: O(jobs × tenants). `fairOrderLazily` yields the same jobs
 * one pick at a time from the core's per-tenant queues (`view.queuedFairly`, else
 * `view.queuedOf`): a scheduling pass that reads k jobs costs O(k × tenants), not O(queue). The
 * core's pass walks `queuedFairly`'s order by tenant and shape, passing over the jobs of shapes
 * it knows do not fit without reading them one pick at a time, so that with `headOfLine: skip` a
 * deep queue's cost per job stays low.
 */
export function fairOrder(view: SchedulerView, share: Share): JobView[] {
  return [...fairPicks(view, share, jobsOfTenant(queueByTenant(view)))];
}

export function fairOrderLazily(view: SchedulerView, share: Share): Iterable<JobView> {
  return queuedFairly(view, share);
}

/** Tenant name → its queued jobs in queue order, grouped from `view.queue` (O(queue)); tenants in order of first appearance. */
export function queueByTenant(view: SchedulerView): Map<string, JobView[]> {
  return groupByTenant(view.queue);
}

/** A tenant's jobs from `queueByTenant`'s map (none for a tenant without queued jobs). */
export function jobsOfTenant(m: ReadonlyMap<string, readonly JobView[]>): (name: string) => readonly JobView[] {
  return (name) => m.get(name) ?? [];
}

