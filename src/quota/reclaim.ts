import { heldMilli } from '../jobs/estimate.ts';
import type { JobView } from '../jobs/job.ts';
import { anyPlacement } from '../scheduler/gang.ts';
import { byLeastLoss, releaseUntilFits, scratchCluster } from '../scheduler/preempt-kit.ts';
import type { PreemptionPolicy, SchedulerView, Victim } from '../scheduler/policy.ts';
import type { Quotas } from './quotas.ts';

/**
 * Kueue's reclaimWithinCohort: a queued job whose tenant would stay within its nominal quota, but
 * which cannot start because borrowers hold the cohort's capacity, preempts jobs of cohort members
 * that are over their nominal quota (lowest priority, most recently started first), and only while
 * the victim's tenant remains over nominal before the removal. Victims are taken only when they
 * let the job start (capacity and cohort limit). Pure (works on a scratch copy of the view).
 */
export function reclaimVictims(view: SchedulerView, quotas: Quotas, order: readonly JobView[]): Victim[] {
  if (view.running.length === 0) return [];
  const usage = new Map<string, number>();
  for (const r of view.running) usage.set(r.tenant, (usage.get(r.tenant) ?? 0) + heldMilli(r));
  const use = (t: string) => usage.get(t) ?? 0;
  const sim = scratchCluster(view);
  const span = view.spanNodes === true;
  const taken = new Set<string>();
  const out: Victim[] = [];
  for (const w of order) {
    const q = quotas.quota(w.tenant);
    if (!q) continue;
    const d = w.gpus * w.milli;
    if (use(w.tenant) + d > q.nominal) continue; // borrowing jobs never reclaim
    const direct = quotas.admit(w.tenant, d, use).kind === 'ok' ? anyPlacement(sim, w, span) : undefined;
    if (direct) {
      sim.allocate(`w:${w.id}`, w, direct);
      usage.set(w.tenant, use(w.tenant) + d);
      continue;
    }
    const cohort = new Set(quotas.cohortMembers(w.tenant));
    const cands = view.running.filter((r) => !taken.has(r.id) && r.tenant !== w.tenant && cohort.has(r.tenant)).sort(byLeastLoss);
    const trialUse = new Map(usage);
    const tuse = (t: string) => trialUse.get(t) ?? 0;
    const plan = releaseUntilFits(sim.clone(), w, cands, span, {
      skip: (r) => tuse(r.tenant) <= quotas.quota(r.tenant)!.nominal, // not borrowing (any more)
      released: (r) => trialUse.set(r.tenant, tuse(r.tenant) - heldMilli(r)),
      admits: () => quotas.admit(w.tenant, d, tuse).kind === 'ok',
    });
    if (!plan) continue;
    for (const r of plan.chosen) {
      taken.add(r.id);
      sim.release(r.id);
      usage.set(r.tenant, use(r.tenant) - heldMilli(r));
      out.push({ job: r, reason: `reclaim:${w.tenant}:${w.id}`, for: w.id });
    }
    sim.allocate(`w:${w.id}`, w, anyPlacement(sim, w, span)!);
    usage.set(w.tenant, use(w.tenant) + d);
  }
  return out;
}

/** Quota reclaim as a preemption policy (`quota-reclaim`), configured whenever tenants have quotas. */
export function quotaReclaim(quotas: Quotas): PreemptionPolicy {
  return {
    name: 'quota-reclaim',
    victims: (view, order) => reclaimVictims(view, quotas, order),
  };
}
