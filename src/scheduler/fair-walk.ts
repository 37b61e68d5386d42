import type { JobView } from '../jobs/job.ts';
import type { SchedulerView, TenantView } from './policy.ts';

/** What a fair-share order charges a tenant for a job: its GPU (gpus × milli), CPU and memory. */
export interface Usage {
  gpu: number;
  cpu: number;
  memory: number;
}

/** A tenant's share under usage `u` (lowest goes next): finite, and never lower after a job is charged to `u`. */
export type Share = (t: TenantView, u: Usage) => number;

/**
 * Progressive filling: repeatedly take the head job of the tenant with the lowest `share`; ties go
 * to the lowest attained GPU time / weight (so equal instantaneous shares rotate between tenants
 * over time instead of always favouring one name), then to the tenant name. Then charge that
 * job's demand to the tenant as if it had started, so the next pick sees the updated share.
 * Everything but the jobs is read before the first pick (the tenants' usage, attained service and
 * weights); each tenant's jobs are read one ahead of its picks, from `jobsOf`. Pure.
 */
export function* fairPicks(view: SchedulerView, share: Share, jobsOf: (name: string) => Iterable<JobView>): Generator<JobView> {
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
    charge(best.u, j);
    yield j;
    const next = best.jobs.next();
    best.head = next.done ? undefined : next.value;
  }
}

/** Adds `j`'s demand to `u`. */
export function charge(u: Usage, j: JobView): void {
  u.gpu += j.gpus * j.milli;
  u.cpu += j.cpu;
  u.memory += j.memory;
}

/**
 * The scheduler core's progressive-filling order by `share` over its own per-tenant queues
 * (`SchedulerView.queuedFairly`): read as an iterable it is `fairPicks` over `view.queuedOf`;
 * the core's pass recognises it (`QueueIndex.isFairWalk`) and walks it by tenant and shape
 * instead (src/scheduler/queue-index.ts, `walkFairly`).
 */
export class FairWalk implements Iterable<JobView> {
  constructor(
    /** The queue index that made it (only that one may walk it). */
    readonly owner: object,
    readonly view: SchedulerView,
    readonly share: Share,
    private readonly jobsOf: (name: string) => Iterable<JobView>,
  ) {}

  [Symbol.iterator](): Iterator<JobView> {
    return fairPicks(this.view, this.share, this.jobsOf);
  }
}
