import type { Cluster } from '../cluster/cluster.ts';
import type { JobView } from '../jobs/job.ts';
import { anyPlacement } from './gang.ts';
import type { SchedulerView, Victim } from './policy.ts';

/**
 * Building block for preemption policies. Walks the waiting jobs in the policy's order on a copy
 * of the cluster: a job that fits there is reserved as if started; one that does not may take
 * victims among running jobs the policy ranks strictly below it (`outranks(waiting, running)`),
 * tried in `victimOrder`, until it fits. Victims are committed only when the waiting job then
 * fits, so no job is preempted for nothing. Pure (works on `cluster.clone()`).
 */
export function planPreemption(
  view: SchedulerView,
  waiting: readonly JobView[],
  outranks: (w: JobView, r: JobView) => boolean,
  victimOrder: (a: JobView, b: JobView) => number,
  reason: (w: JobView, r: JobView) => string,
  maxWaiting = 64,
): Victim[] {
  const live = view.cluster as Cluster;
  if (typeof live.clone !== 'function' || view.running.length === 0) return [];
  const sim = live.clone();
  const span = view.spanNodes === true;
  const taken = new Set<string>();
  const out: Victim[] = [];
  let k = 0;
  for (const w of waiting) {
    if (k++ >= maxWaiting) break;
    const direct = anyPlacement(sim, w, span);
    if (direct) {
      sim.allocate(`w:${w.id}`, w, direct);
      continue;
    }
    const cands = view.running.filter((r) => !taken.has(r.id) && outranks(w, r)).sort(victimOrder);
    if (cands.length === 0) continue;
    const trial = sim.clone();
    const chosen: JobView[] = [];
    let placed = false;
    for (const r of cands) {
      trial.release(r.id);
      chosen.push(r);
      const p = anyPlacement(trial, w, span);
      if (p) {
        trial.allocate(`w:${w.id}`, w, p);
        placed = true;
        break;
      }
    }
    if (!placed) continue;
    for (const r of chosen) {
      taken.add(r.id);
      sim.release(r.id);
      out.push({ job: r, reason: reason(w, r), for: w.id });
    }
    sim.allocate(`w:${w.id}`, w, anyPlacement(sim, w, span)!);
  }
  return out;
}

/**
 * Victim order: lowest priority first, then the most recently started (least work lost), then the
 * latest submitted, then the greater id (the most recently admitted, as Kueue picks).
 */
export function byLeastLoss(a: JobView, b: JobView): number {
  return a.priority - b.priority || b.start - a.start || b.submit - a.submit || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}
