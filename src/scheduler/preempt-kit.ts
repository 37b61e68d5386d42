import { Cluster } from '../cluster/cluster.ts';
import type { Demand, Placement } from '../cluster/types.ts';
import { heldMilli } from '../jobs/estimate.ts';
import type { JobView } from '../jobs/job.ts';
import { anyPlacement } from './gang.ts';
import { JobShape } from './job-shape.ts';
import type { SchedulerView, Victim } from './policy.ts';

/**
 * Building blocks for preemption policies (`PreemptionPolicy`, or a queue policy's `victims`).
 * Every function here is pure: what-if questions are asked of a scratch copy of the view.
 */

/** A scratch cluster from a scheduler view: allocate and release freely; the live state never changes. */
export function scratchCluster(view: SchedulerView): Cluster {
  return Cluster.fromView(view.cluster, view.running);
}

/** Hooks of `releaseUntilFits` beyond capacity (quotas, limits). */
export interface ReleaseHooks {
  /** Skip this candidate (not releasable as things stand now, e.g. no longer over quota). */
  skip?(r: JobView): boolean;
  /** Called after `r` is released on the trial copy (bookkeeping such as per-tenant usage). */
  released?(r: JobView): void;
  /** A further condition for `w` to start once enough is released (e.g. its quota admits it). */
  admits?(): boolean;
}

/**
 * Releases `candidates` on `trial` in the given order until `w` fits there (and `hooks.admits`
 * holds). Returns the jobs released and the placement `w` then gets, or undefined when even all
 * of them do not make room — `trial` is then left with all of them released, so pass a copy.
 */
export function releaseUntilFits(
  trial: Cluster,
  w: Demand,
  candidates: readonly JobView[],
  spanNodes: boolean,
  hooks: ReleaseHooks = {},
): { chosen: JobView[]; placement: Placement } | undefined {
  const chosen: JobView[] = [];
  for (const r of candidates) {
    if (hooks.skip?.(r)) continue;
    trial.release(r.id);
    hooks.released?.(r);
    chosen.push(r);
    if (hooks.admits && !hooks.admits()) continue;
    const placement = anyPlacement(trial, w, spanNodes);
    if (placement) return { chosen, placement };
  }
  return undefined;
}

/**
 * For tests: when `victimsFirst` is set, `planPreemption` also reads each ranking whole and throws
 * where a `victimsFirst` promise does not hold (a job outranked after one that is not).
 */
export const planChecks = { victimsFirst: false };

/** `planPreemption`'s options beyond its functions. */
export interface PlanOptions {
  /** Waiting jobs planned for in a pass, at most (default 64). */
  readonly maxWaiting?: number;
  /**
   * `victimOrder` puts every running job a waiting job outranks before every one it does not
   * (both read the same key, as priority's, srtf's and las's do): the jobs a waiting job outranks
   * are then a prefix of the ranking, which the planner finds by a galloping search (O(log
   * prefix) calls of `outranks`, not one per running job), and a job of a shape that found no plan
   * with a prefix at least as long is passed at once. A promise the planner takes on trust: where it
   * does not hold, candidates are lost (`planChecks` makes tests check it).
   */
  readonly victimsFirst?: boolean;
}

/**
 * Walks the waiting jobs in the policy's order on a scratch copy of the cluster: a job that fits
 * there is reserved as if started; one that does not may take victims among running jobs the
 * policy ranks strictly below it (`outranks(waiting, running)`), tried in `victimOrder`, until it
 * fits. Victims are committed only when the waiting job then fits, and each names where the plan
 * puts that job (`Victim.nominated`; the core starts it there while that still fits), so no job
 * is preempted for one that then does not start (unless another preemption policy's job, placed
 * by the placement policy, takes that room first). Pure. `options`: a number is `maxWaiting`.
 *
 * With tenant quotas (`view.quotas`), as Kueue's `withinClusterQueue` preemption: a job of a
 * tenant with a quota takes victims of its own tenant only, and a tenant's job is never taken for
 * another tenant's when either has a quota (across quota tenants only quota reclaim preempts;
 * without that rule a preemption by rank and reclaim took jobs back and forth round after round).
 * A waiting job starts in the plan, directly or with victims, only when its quota admits it with
 * the usage the plan leaves (the jobs planned before it started, its victims gone): a job its
 * quota holds back is not planned for, and so no job is preempted for one.
 */
export function planPreemption(
  view: SchedulerView,
  waiting: Iterable<JobView>,
  outranks: (w: JobView, r: JobView) => boolean,
  victimOrder: (a: JobView, b: JobView) => number,
  reason: (w: JobView, r: JobView) => string,
  options: number | PlanOptions = {},
): Victim[] {
  const { maxWaiting = 64, victimsFirst = false } = typeof options === 'number' ? { maxWaiting: options } : options;
  const running = view.running;
  if (running.length === 0) return [];
  const sim = Cluster.fromView(view.cluster, running);
  const span = view.spanNodes === true;
  // A plan is tried on `sim` itself and undone when it fails, rather than on a copy per waiting
  // job; gangs split over nodes and MIG instances (whose release is not undone by allocating the
  // same placement again) take the copy.
  const inPlace = !span && !sim.nodes.some((n) => n.gpus.some((g) => g.mig !== undefined));
  const taken = new Set<string>();
  const out: Victim[] = [];
  const quotas = view.quotas;
  /** With quotas: each tenant's usage (milli-GPU) as the plan leaves it, from its usage now. */
  const usage = new Map<string, number>();
  if (quotas) for (const t of view.tenants) usage.set(t.name, t.gpuInUse);
  const use = (t: string) => usage.get(t) ?? 0;
  const admitted = (w: JobView) => quotas === undefined || quotas.admits(w, use);
  const charge = (t: string, milli: number) => usage.set(t, use(t) + milli);
  /** A running job its tenant's quota lets `w` take (see above). */
  const mayTake = (w: JobView, r: JobView) => quotas === undefined || r.tenant === w.tenant || (!quotas.governs(w.tenant) && !quotas.governs(r.tenant));
  /** The running jobs in victim order, sorted once (a stable sort then a filter is the filter then the sort). */
  let ranked: JobView[] | undefined;
  /**
   * With `victimsFirst`: how many of the ranked running jobs `w` outranks, a prefix of the ranking
   * (a galloping search: O(log prefix) calls of `outranks`; one when it outranks none).
   */
  const outrankedPrefix = (w: JobView, r: readonly JobView[]): number => {
    // r[lo - 1] is outranked (or lo = 0); r[hi] is not (or hi = r.length).
    let lo = 0;
    let step = 1;
    while (lo < r.length && outranks(w, r[lo])) {
      lo += step;
      step *= 2;
    }
    let hi = Math.min(lo, r.length);
    lo = lo === 0 ? 0 : lo - step / 2 + 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (outranks(w, r[mid])) lo = mid + 1;
      else hi = mid;
    }
    if (planChecks.victimsFirst) {
      const at = r.findIndex((x, i) => (i < lo) !== outranks(w, x));
      if (at >= 0) {
        const first = r.findIndex((x) => !outranks(w, x));
        const late = r.findIndex((x, i) => i > first && outranks(w, x));
        throw new Error(`planPreemption: victimsFirst promised, but ${w.id} outranks ${r[late].id}, ranked after ${r[first].id}, which it does not outrank`);
      }
    }
    return lo;
  };
  /**
   * Since `sim` last changed, the shapes that found no plan (or no candidates), each with the
   * candidates it had (`victimsFirst`: how long a prefix of the ranking): a job of the same shape
   * fits no better directly, and one whose candidates are among those finds no plan either
   * (placement is monotone in free capacity), so it is passed without a trial. (`taken` only
   * grows with a plan found, which empties this list: the same jobs are taken for all its entries.)
   */
  // With quotas the candidates and the admission depend on the tenant too: a failure holds for its tenant and shape.
  let failed: { shape: JobShape; tenant: string; cands: Set<string> | undefined; prefix: number }[] = [];
  let k = 0;
  for (const w of waiting) {
    if (k++ >= maxWaiting) break;
    const known = failed.find((f) => f.shape.holds(w) && (quotas === undefined || f.tenant === w.tenant));
    const direct = known || !admitted(w) ? undefined : anyPlacement(sim, w, span);
    if (direct) {
      sim.allocate(`w:${w.id}`, w, direct);
      if (quotas) charge(w.tenant, heldMilli(w));
      failed = [];
      continue;
    }
    const r = (ranked ??= [...running].sort(victimOrder));
    let cands: JobView[];
    let prefix = 0;
    if (victimsFirst) {
      prefix = outrankedPrefix(w, r);
      if (known && prefix <= known.prefix) continue;
      cands = [];
      for (let i = 0; i < prefix; i++) if (!taken.has(r[i].id) && mayTake(w, r[i])) cands.push(r[i]);
    } else {
      cands = r.filter((x) => !taken.has(x.id) && mayTake(w, x) && outranks(w, x));
      if (known && cands.every((x) => known.cands!.has(x.id))) continue;
    }
    // With quotas, the plan's usage as victims go, and whether the quota then admits `w`; undone when no plan is found.
    const before = quotas && cands.length > 0 ? new Map(usage) : undefined;
    const hooks: ReleaseHooks = quotas ? { released: (x) => charge(x.tenant, -heldMilli(x)), admits: () => admitted(w) } : NO_HOOKS;
    const plan = cands.length === 0 ? undefined : inPlace ? releaseOrUndo(sim, w, cands, hooks) : releaseUntilFits(sim.clone(), w, cands, span, hooks);
    if (before && !plan) {
      usage.clear();
      for (const [t, m] of before) usage.set(t, m);
    }
    if (quotas && plan) charge(w.tenant, heldMilli(w));
    if (!plan) {
      const entry = { shape: new JobShape(w), tenant: w.tenant, cands: victimsFirst ? undefined : new Set(cands.map((x) => x.id)), prefix };
      if (known) failed[failed.indexOf(known)] = entry;
      else failed.push(entry);
      continue;
    }
    failed = [];
    for (const v of plan.chosen) {
      taken.add(v.id);
      if (!inPlace) sim.release(v.id);
      out.push({ job: v, reason: reason(w, v), for: w.id, nominated: plan.placement });
    }
    sim.allocate(`w:${w.id}`, w, plan.placement);
  }
  return out;
}

/** Hooks of a plan without quotas: capacity alone. */
const NO_HOOKS: ReleaseHooks = {};

/**
 * `releaseUntilFits` on `sim` itself (gangs on one node only, no MIG); when even all the
 * candidates do not make room, they are allocated again where they were (the same free capacity,
 * to the milli), and undefined is returned.
 */
function releaseOrUndo(sim: Cluster, w: Demand, candidates: readonly JobView[], hooks: ReleaseHooks): { chosen: JobView[]; placement: Placement } | undefined {
  const plan = releaseUntilFits(sim, w, candidates, false, hooks);
  if (!plan) for (const r of candidates) sim.allocate(r.id, r, r.placement!);
  return plan;
}

/**
 * Victim order: lowest priority first, then the most recently started (least work lost), then the
 * latest submitted, then the greater id (the most recently admitted, as Kueue picks).
 */
export function byLeastLoss(a: JobView, b: JobView): number {
  return a.priority - b.priority || b.start - a.start || b.submit - a.submit || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}
