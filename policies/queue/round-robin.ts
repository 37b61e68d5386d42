import type { JobView } from '../../src/jobs/job.ts';
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
 * `lazyOrder` yields the same rounds from the core's per-tenant queues (`view.queuedOf`), as the
 * pass reads them: O(tenants) to start, O(1) a job, where `order` groups the whole queue.
 */
export const roundRobin = {
  name: 'round-robin',
  order: (view) => [...rounds(view, false)],
  lazyOrder: (view) => rounds(view, true),
  claims: { workConserving: true },
} satisfies QueuePolicy;

/** The rounds; the tenants and their order are read before the first job (`lazy`: from `view.queuedOf` when the view has it). */
function* rounds(view: SchedulerView, lazy: boolean): Generator<JobView> {
  let jobsOf: (name: string) => Iterable<JobView>;
  let names: string[];
  if (lazy && view.queuedOf) {
    jobsOf = view.queuedOf;
    names = view.tenants.map((t) => t.name);
  } else {
    const byTenant = queueByTenant(view);
    jobsOf = jobsOfTenant(byTenant);
    names = [...byTenant.keys()];
  }
  const running = new Map(view.tenants.map((t) => [t.name, t.running]));
  let lists: { jobs: Iterator<JobView>; head: JobView | undefined }[] = [];
  for (const name of names.sort((a, b) => (running.get(a) ?? 0) - (running.get(b) ?? 0) || (a < b ? -1 : a > b ? 1 : 0))) {
    const jobs = jobsOf(name)[Symbol.iterator]();
    const first = jobs.next();
    if (!first.done) lists.push({ jobs, head: first.value });
  }
  while (lists.length > 0) {
    for (const l of lists) {
      yield l.head!;
      const next = l.jobs.next();
      l.head = next.done ? undefined : next.value;
    }
    lists = lists.filter((l) => l.head !== undefined);
  }
}
