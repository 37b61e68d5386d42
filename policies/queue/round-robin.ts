import type { JobView } from '../../src/jobs/job.ts';
import type { QueuePolicy } from '../../src/scheduler/policy.ts';

/**
 * round-robin: one job per tenant per round (per-tenant round robin, as in Slurm's fair-tree
 * siblings or YuniKorn's per-queue round robin), each tenant's jobs in admission order. Rounds
 * visit tenants with the fewest running jobs first (the least recently served, as far as a pure
 * policy can tell), ties by name. Counts jobs, not GPUs: a tenant of 8-GPU jobs gets more GPUs
 * than one of 1-GPU jobs. Pure.
 *
 * Example: queue a1 a2 a3 b1 c1 c2, running A:0 B:2 C:1 → tenants A, C, B → a1 c1 b1 a2 c2 a3.
 */
export const roundRobin = {
  name: 'round-robin',
  order(view) {
    const byTenant = new Map<string, JobView[]>();
    for (const j of view.queue) {
      const l = byTenant.get(j.tenant);
      if (l) l.push(j);
      else byTenant.set(j.tenant, [j]);
    }
    const running = new Map(view.tenants.map((t) => [t.name, t.running]));
    const tenants = [...byTenant.keys()].sort(
      (a, b) => (running.get(a) ?? 0) - (running.get(b) ?? 0) || (a < b ? -1 : a > b ? 1 : 0),
    );
    const out: JobView[] = [];
    for (let round = 0; out.length < view.queue.length; round++) {
      for (const t of tenants) {
        const j = byTenant.get(t)![round];
        if (j) out.push(j);
      }
    }
    return out;
  },
  claims: { workConserving: true },
} satisfies QueuePolicy;
