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

/** Adds `k` times `d`'s demand (a job's, or a shape's) to `u`. */
export function charge(u: Usage, d: { readonly gpus: number; readonly milli: number; readonly cpu: number; readonly memory: number }, k = 1): void {
  u.gpu += k * d.gpus * d.milli;
  u.cpu += k * d.cpu;
  u.memory += k * d.memory;
}

/**
 * One job per tenant per round, tenants in the given order (`names`, each at most once), each
 * tenant's jobs in queue order from `jobsOf`: the r-th job of every tenant that has one, then the
 * (r+1)-th … (round-robin's order). Tenants are read before the first job. Pure.
 */
export function* roundPicks(names: readonly string[], jobsOf: (name: string) => Iterable<JobView>): Generator<JobView> {
  let lists: { jobs: Iterator<JobView>; head: JobView | undefined }[] = [];
  for (const name of names) {
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

/**
 * Progressive filling by `share` over `view`'s queue (`fairPicks`): the core's own order, which
 * its pass walks by tenant and shape (`view.queuedFairly`), or for a view without it the same
 * picks over `view.queuedOf`, else over the queue grouped by tenant (O(queue)). The source of a
 * fair-share policy's `lazyOrder` (policies/queue/fair-order.ts).
 */
export function queuedFairly(view: SchedulerView, share: Share): Iterable<JobView> {
  return view.queuedFairly?.(share) ?? fairPicks(view, share, view.queuedOf ?? byTenant(view.queue));
}

/** One job per tenant per round, tenants in `names`' order (`roundPicks`), from the core's own order (`view.queuedInRounds`) as `queuedFairly` does. */
export function queuedInRounds(view: SchedulerView, names: readonly string[]): Iterable<JobView> {
  return view.queuedInRounds?.(names) ?? roundPicks(names, view.queuedOf ?? byTenant(view.queue));
}

/** Tenant name → its jobs of `queue`, in queue order; tenants in order of first appearance. O(queue). */
export function groupByTenant(queue: readonly JobView[]): Map<string, JobView[]> {
  const m = new Map<string, JobView[]>();
  for (const j of queue) {
    const l = m.get(j.tenant);
    if (l) l.push(j);
    else m.set(j.tenant, [j]);
  }
  return m;
}

/** A tenant's jobs of `queue` (none for a tenant without any), grouped once. */
function byTenant(queue: readonly JobView[]): (name: string) => readonly JobView[] {
  const m = groupByTenant(queue);
  return (name) => m.get(name) ?? [];
}

/**
 * An order over the scheduler core's own per-tenant queues that its pass can walk by tenant and
 * shape (src/scheduler/queue-index.ts, `walkByTenant`) instead of reading it job by job; read
 * as an iterable, it is the order itself. `FairWalk`: progressive filling by `share`
 * (`SchedulerView.queuedFairly`); `RoundWalk`: rounds over `names` (`SchedulerView.queuedInRounds`).
 */
export abstract class TenantWalk implements Iterable<JobView> {
  constructor(
    /** The queue index that made it (only that one may walk it). */
    readonly owner: object,
    protected readonly jobsOf: (name: string) => Iterable<JobView>,
  ) {}
  abstract [Symbol.iterator](): Iterator<JobView>;
}

export class FairWalk extends TenantWalk {
  constructor(
    owner: object,
    readonly view: SchedulerView,
    readonly share: Share,
    jobsOf: (name: string) => Iterable<JobView>,
  ) {
    super(owner, jobsOf);
  }

  [Symbol.iterator](): Iterator<JobView> {
    return fairPicks(this.view, this.share, this.jobsOf);
  }
}

export class RoundWalk extends TenantWalk {
  constructor(
    owner: object,
    /** Tenant names in round order, each at most once. */
    readonly names: readonly string[],
    jobsOf: (name: string) => Iterable<JobView>,
  ) {
    super(owner, jobsOf);
  }

  [Symbol.iterator](): Iterator<JobView> {
    return roundPicks(this.names, this.jobsOf);
  }
}
