import type { Cluster } from '../cluster/cluster.ts';
import type { JobView } from '../jobs/job.ts';
import { anyPlacement } from '../scheduler/gang.ts';
import { byLeastLoss } from '../scheduler/preempt-kit.ts';
import type { SchedulerView, Victim } from '../scheduler/policy.ts';
import type { Quotas } from './quotas.ts';

/** milli-GPU a job holds or asks for. */
export function gpuDemand(j: { gpus: number; milli: number; placement?: { gpus: readonly { milli: number }[]; parts?: readonly { gpus: readonly { milli: number }[] }[] } | undefined }): number {
  const p = j.placement;
  if (!p) return j.gpus * j.milli;
  let m = 0;
  for (const g of p.gpus) m += g.milli;
  for (const part of p.parts ?? []) for (const g of part.gpus) m += g.milli;
  return m;
}

/**
 * Kueue's reclaimWithinCohort: a queued job whose tenant would stay within its nominal quota, but
 * which cannot start because borrowers hold the cohort's capacity, preempts jobs of cohort members
 * that are over their nominal quota (lowest priority, most recently started first), and only while
 * the victim's tenant remains over nominal before the removal. Victims are taken only when they
 * let the job start (capacity and cohort limit). Pure (works on a clone of the cluster).
 */
export function reclaimVictims(view: SchedulerView, quotas: Quotas, order: readonly JobView[]): Victim[] {
  const live = view.cluster as Cluster;
  if (view.running.length === 0) return [];
  const usage = new Map<string, number>();
  for (const r of view.running) usage.set(r.tenant, (usage.get(r.tenant) ?? 0) + gpuDemand(r));
  const use = (t: string) => usage.get(t) ?? 0;
  let sim: Cluster | undefined;
  const span = view.spanNodes === true;
  const taken = new Set<string>();
  const out: Victim[] = [];
  for (const w of order) {
    const q = quotas.quota(w.tenant);
    if (!q) continue;
    const d = w.gpus * w.milli;
    if (use(w.tenant) + d > q.nominal) continue; // borrowing jobs never reclaim
    sim ??= live.clone();
    const ok = () => quotas.admit(w.tenant, d, use).kind === 'ok' && anyPlacement(sim!, w, span) !== undefined;
    if (ok()) {
      sim.allocate(`w:${w.id}`, w, anyPlacement(sim, w, span)!);
      usage.set(w.tenant, use(w.tenant) + d);
      continue;
    }
    const cohort = new Set(quotas.cohortMembers(w.tenant));
    const cands = view.running
      .filter((r) => !taken.has(r.id) && r.tenant !== w.tenant && cohort.has(r.tenant))
      .sort(byLeastLoss);
    const trial = sim.clone();
    const trialUse = new Map(usage);
    const tuse = (t: string) => trialUse.get(t) ?? 0;
    const chosen: JobView[] = [];
    let fitsNow = false;
    for (const r of cands) {
      const rq = quotas.quota(r.tenant)!;
      if (tuse(r.tenant) <= rq.nominal) continue; // not borrowing (any more)
      trial.release(r.id);
      trialUse.set(r.tenant, tuse(r.tenant) - gpuDemand(r));
      chosen.push(r);
      if (quotas.admit(w.tenant, d, tuse).kind === 'ok' && anyPlacement(trial, w, span)) {
        fitsNow = true;
        break;
      }
    }
    if (!fitsNow) continue;
    for (const r of chosen) {
      taken.add(r.id);
      sim.release(r.id);
      usage.set(r.tenant, use(r.tenant) - gpuDemand(r));
      out.push({ job: r, reason: `reclaim:${w.tenant}:${w.id}`, for: w.id });
    }
    sim.allocate(`w:${w.id}`, w, anyPlacement(sim, w, span)!);
    usage.set(w.tenant, use(w.tenant) + d);
  }
  return out;
}
