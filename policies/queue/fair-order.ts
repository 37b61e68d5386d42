import type { JobView } from '../../src/jobs/job.ts';
import type { SchedulerView, TenantView } from '../../src/scheduler/policy.ts';

/**
 * Progressive filling shared by the fair-share queue policies: repeatedly take the head job of
 * the tenant with the lowest `share`; ties go to the lowest attained GPU time / weight (so equal
 * instantaneous shares rotate between tenants over time instead of always favouring one name),
 * then to the tenant name. Then charge that job's demand to the
 * tenant as if it had started, so the next pick sees the updated share. Within a tenant, jobs keep
 * the core's admission order. Pure.
 *
 * `fairOrder` returns the whole order: O(jobs × tenants). `fairOrderLazily` yields the same jobs
 * one pick at a time from the core's per-tenant queues (`view.queuedOf`): a scheduling pass that
 * reads k jobs costs O(k × tenants), not O(queue), which keeps a deep queue's cost per job flat.
 */
export interface Usage {
  gpu: number;
  cpu: number;
  memory: number;
}

type Share = (t: TenantView, u: Usage) => number;

export function fairOrder(view: SchedulerView, share: Share): JobView[] {
  return [...fairPicks(view, share, jobsOfTenant(queueByTenant(view)))];
}

export function fairOrderLazily(view: SchedulerView, share: Share): Iterable<JobView> {
  return fairPicks(view, share, view.queuedOf ?? jobsOfTenant(queueByTenant(view)));
}

/** Tenant name → its queued jobs in queue order, grouped from `view.queue` (O(queue)); tenants in order of first appearance. */
export function queueByTenant(view: SchedulerView): Map<string, JobView[]> {
  const m = new Map<string, JobView[]>();
  for (const j of view.queue) {
    const l = m.get(j.tenant);
    if (l) l.push(j);
    else m.set(j.tenant, [j]);
  }
  return m;
}

/** A tenant's jobs from `queueByTenant`'s map (none for a tenant without queued jobs). */
export function jobsOfTenant(m: ReadonlyMap<string, readonly JobView[]>): (name: string) => readonly JobView[] {
  return (name) => m.get(name) ?? [];
}

/**
 * The picks. Everything but the jobs is read before the first pick (the tenants' usage, attained
 * service and weights); each tenant's jobs are read one ahead of its picks.
 */
function* fairPicks(view: SchedulerView, share: Share, jobsOf: (name: string) => Iterable<JobView>): Generator<JobView> {
  const tenants: { t: TenantView; jobs: Iterator<JobView>; head: JobView | undefined; u: Usage; attained: number }[] = [];
  for (const t of view.tenants) {
    const jobs = jobsOf(t.name)[Symbol.iterator]();
    const first = jobs.next();
    if (!first.done) tenants.push({ t, jobs, head: first.value, u: { gpu: t.gpuInUse, cpu: t.cpuInUse, memory: t.memoryInUse }, attained: t.attainedGpu / t.weight });
  }
  for (;;) {
    let best: (typeof tenants)[number] | undefined;
    let bestShare = Infinity;
    let bestAttained = Infinity;
    for (const c of tenants) {
      if (c.head === undefined) continue;
      const s = share(c.t, c.u);
      const a = c.attained;
      if (s < bestShare || (s === bestShare && (a < bestAttained || (a === bestAttained && best !== undefined && c.t.name < best.t.name)))) {
        best = c;
        bestShare = s;
        bestAttained = a;
      }
    }
    if (!best) return;
    const j = best.head!;
    best.u.gpu += j.gpus * j.milli;
    best.u.cpu += j.cpu;
    best.u.memory += j.memory;
    yield j;
    const next = best.jobs.next();
    best.head = next.done ? undefined : next.value;
  }
}
