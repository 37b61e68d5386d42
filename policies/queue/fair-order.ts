import type { JobView } from '../../src/jobs/job.ts';
import type { SchedulerView, TenantView } from '../../src/scheduler/policy.ts';

/**
 * Progressive filling shared by the fair-share queue policies: repeatedly take the head job of
 * the tenant with the lowest `share`; ties go to the lowest attained GPU time / weight (so equal
 * instantaneous shares rotate between tenants over time instead of always favouring one name),
 * then to the tenant name. Then charge that job's demand to the
 * tenant as if it had started, so the next pick sees the updated share. Within a tenant, jobs keep
 * the core's admission order. Pure; O(jobs × tenants).
 */
export interface Usage {
  gpu: number;
  cpu: number;
  memory: number;
}

export function fairOrder(
  view: SchedulerView,
  share: (t: TenantView, u: Usage) => number,
): JobView[] {
  const byTenant = new Map<string, JobView[]>();
  for (const j of view.queue) {
    const l = byTenant.get(j.tenant);
    if (l) l.push(j);
    else byTenant.set(j.tenant, [j]);
  }
  const tenants = view.tenants.filter((t) => byTenant.has(t.name));
  const usage = new Map<string, Usage>(tenants.map((t) => [t.name, { gpu: t.gpuInUse, cpu: t.cpuInUse, memory: t.memoryInUse }]));
  const next = new Map<string, number>(tenants.map((t) => [t.name, 0]));
  const out: JobView[] = [];
  while (out.length < view.queue.length) {
    let best: TenantView | undefined;
    let bestShare = Infinity;
    let bestAttained = Infinity;
    for (const t of tenants) {
      if (next.get(t.name)! >= byTenant.get(t.name)!.length) continue;
      const s = share(t, usage.get(t.name)!);
      const a = t.attainedGpu / t.weight;
      if (s < bestShare || (s === bestShare && (a < bestAttained || (a === bestAttained && best !== undefined && t.name < best.name)))) {
        best = t;
        bestShare = s;
        bestAttained = a;
      }
    }
    if (!best) break;
    const i = next.get(best.name)!;
    const j = byTenant.get(best.name)![i];
    next.set(best.name, i + 1);
    out.push(j);
    const u = usage.get(best.name)!;
    u.gpu += j.gpus * j.milli;
    u.cpu += j.cpu;
    u.memory += j.memory;
  }
  return out;
}
