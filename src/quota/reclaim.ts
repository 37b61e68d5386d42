import type { Demand } from '../cluster/types.ts';
import { heldMilli } from '../jobs/estimate.ts';
import type { JobView } from '../jobs/job.ts';
import { anyPlacement } from '../scheduler/gang.ts';
import { modelsKey } from '../scheduler/job-shape.ts';
import { byLeastLoss, releaseUntilFits, scratchCluster } from '../scheduler/preempt-kit.ts';
import type { LazyOrder, OrderStep, PreemptionPolicy, SchedulerView, Victim } from '../scheduler/policy.ts';
import type { Quotas } from './quotas.ts';

/**
 * Kueue's reclaimWithinCohort: a queued job whose tenant would stay within its nominal quota, but
 * which cannot start because borrowers hold the cohort's capacity, preempts jobs of cohort members
 * that are over their nominal quota (lowest priority, most recently started first), and only while
 * the victim's tenant remains over nominal before the removal. Victims are taken only when they
 * let the job start (capacity and cohort limit). Waiting jobs are read in `order`, each taking
 * what it is given (a fit, or victims) before the next is read. Pure (works on a scratch copy of
 * the view).
 *
 * What it reads of `order` (the same victims as reading it all):
 * - With `view.queuedShapesOf`, it counts each quota tenant's queued jobs by shape before reading,
 *   and stops once no tenant has a job left to read that could reclaim: one whose demand fits
 *   under its nominal quota beside its usage, of a shape that has not failed as things stand.
 *   Usage drops only when victims are taken, and victims are taken only for such a job, so
 *   nothing after that point can change the answer. Under overload most rounds read nothing.
 * - A job of a tenant and shape that found neither a fit nor victims is passed over until the
 *   scratch cluster or the usage changes: it would meet the same candidates and the same limits.
 * - Where `order` can be walked (`LazyOrder.walk`), the tenants and shapes that cannot reclaim as
 *   things stand (no quota, over nominal with that demand, failed) are passed there in bulk, and
 *   read again after each change: a beneficiary deep in a long fair order costs its tenant's
 *   shapes, not the jobs before it.
 */
export function reclaimVictims(view: SchedulerView, quotas: Quotas, order: Iterable<JobView> | LazyOrder): Victim[] {
  const running = view.running;
  if (running.length === 0) return [];
  const usage = new Map<string, number>();
  for (const r of running) usage.set(r.tenant, (usage.get(r.tenant) ?? 0) + heldMilli(r));
  const use = (t: string) => usage.get(t) ?? 0;
  const left = view.queuedShapesOf ? new Reclaimers(view, quotas, use) : undefined;
  if (left?.done) return [];
  const sim = scratchCluster(view);
  const span = view.spanNodes === true;
  const taken = new Set<string>();
  const out: Victim[] = [];
  /** Bumped whenever `sim` or `usage` changes: a failure recorded at an older version no longer holds. */
  let version = 0;
  const failed = new Map<string, number>();
  const changed = () => {
    version++;
    left?.changed(failed, version);
  };
  /** Reads `w`: what it takes, and what the reader may pass or must read again (`OrderStep`). */
  const step = (w: JobView): OrderStep => {
    const q = quotas.quota(w.tenant);
    if (!q) return 'pass';
    const key = pairKey(w);
    left?.read(w.tenant, key, failed, version);
    const d = w.gpus * w.milli;
    let r: OrderStep;
    if (use(w.tenant) + d > q.nominal || failed.get(key) === version) {
      // Borrowing jobs never reclaim; a job like one that just failed fails as it did. Both hold
      // for its tenant and shape until usage or the scratch cluster changes.
      r = 'pass';
    } else if (quotas.admit(w.tenant, d, use).kind === 'ok' && trySim(sim, w, span)) {
      usage.set(w.tenant, use(w.tenant) + d);
      changed();
      r = 'reset';
    } else {
      const cohort = new Set(quotas.cohortMembers(w.tenant));
      const cands = running.filter((x) => !taken.has(x.id) && x.tenant !== w.tenant && cohort.has(x.tenant)).sort(byLeastLoss);
      const trialUse = new Map(usage);
      const tuse = (t: string) => trialUse.get(t) ?? 0;
      const plan = releaseUntilFits(sim.clone(), w, cands, span, {
        skip: (x) => tuse(x.tenant) <= quotas.quota(x.tenant)!.nominal, // not borrowing (any more)
        released: (x) => trialUse.set(x.tenant, tuse(x.tenant) - heldMilli(x)),
        admits: () => quotas.admit(w.tenant, d, tuse).kind === 'ok',
      });
      if (!plan) {
        failed.set(key, version);
        left?.failed(w.tenant, key, failed, version);
        r = 'pass';
      } else {
        for (const x of plan.chosen) {
          taken.add(x.id);
          sim.release(x.id);
          usage.set(x.tenant, use(x.tenant) - heldMilli(x));
          out.push({ job: x, reason: `reclaim:${w.tenant}:${w.id}`, for: w.id });
        }
        sim.allocate(`w:${w.id}`, w, anyPlacement(sim, w, span)!);
        usage.set(w.tenant, use(w.tenant) + d);
        changed();
        r = 'reset';
      }
    }
    return left?.done ? 'stop' : r;
  };
  const walk = (order as LazyOrder).walk;
  if (walk !== undefined) walk.call(order, step);
  else for (const w of order) if (step(w) === 'stop') break;
  return out;
}

/** Allocates `w` on `sim` where it fits as things stand; false when it fits nowhere. */
function trySim(sim: ReturnType<typeof scratchCluster>, w: JobView, span: boolean): boolean {
  const at = anyPlacement(sim, w, span);
  if (!at) return false;
  sim.allocate(`w:${w.id}`, w, at);
  return true;
}

/** A tenant and a shape as text: jobs with the same one meet the same limits and the same fit. */
function pairKey(w: JobView): string {
  return `${w.tenant}\u0000${shapeKey(w)}`;
}

function shapeKey(d: Demand): string {
  return `${d.gpus}/${d.milli}/${d.cpu}/${d.memory}/${modelsKey(d)}/${d.mig ?? ''}`;
}

/**
 * The quota tenants' queued jobs not yet read, counted by shape, and which tenants could still
 * reclaim with them (`done` when none can): a tenant can while it has a job left to read whose
 * demand fits under its nominal quota beside its usage, of a pair (tenant, shape) not failed at
 * the current version.
 */
class Reclaimers {
  /** Tenant → pair key → [GPU demand, jobs left to read]. */
  private readonly left = new Map<string, Map<string, [number, number]>>();
  private readonly live = new Set<string>();
  /** A job of a quota tenant not counted was read (the view's counts and its order disagree): never done. */
  private blind = false;

  constructor(
    view: SchedulerView,
    private readonly quotas: Quotas,
    private readonly use: (t: string) => number,
  ) {
    for (const t of view.tenants) {
      if (t.queued === 0 || !quotas.quota(t.name)) continue;
      const m = new Map<string, [number, number]>();
      for (const s of view.queuedShapesOf!(t.name)) m.set(pairKey(s.job), [s.job.gpus * s.job.milli, s.count]);
      this.left.set(t.name, m);
      this.update(t.name, undefined, 0);
    }
  }

  get done(): boolean {
    return this.live.size === 0 && !this.blind;
  }

  /** A job of `tenant` and pair `key` was read. */
  read(tenant: string, key: string, failed: ReadonlyMap<string, number>, version: number): void {
    const e = this.left.get(tenant)?.get(key);
    if (e === undefined || e[1] === 0) {
      this.blind = true;
      return;
    }
    e[1]--;
    this.update(tenant, failed, version);
  }

  /** Pair `key` of `tenant` failed at `version`. */
  failed(tenant: string, key: string, failed: ReadonlyMap<string, number>, version: number): void {
    this.update(tenant, failed, version);
  }

  /** The scratch cluster or the usage changed (a new version): every tenant's standing is read again. */
  changed(failed: ReadonlyMap<string, number>, version: number): void {
    for (const t of this.left.keys()) this.update(t, failed, version);
  }

  private update(tenant: string, failed: ReadonlyMap<string, number> | undefined, version: number): void {
    const m = this.left.get(tenant);
    if (m === undefined) return;
    const room = this.quotas.quota(tenant)!.nominal - this.use(tenant);
    let can = false;
    for (const [key, [d, n]] of m) {
      if (n > 0 && d <= room && failed?.get(key) !== version) {
        can = true;
        break;
      }
    }
    if (can) this.live.add(tenant);
    else this.live.delete(tenant);
  }
}

/** Quota reclaim as a preemption policy (`quota-reclaim`), configured whenever tenants have quotas. */
export function quotaReclaim(quotas: Quotas): PreemptionPolicy {
  return {
    name: 'quota-reclaim',
    victims: (view, order) => reclaimVictims(view, quotas, order),
    victimsLazily: (view, order) => reclaimVictims(view, quotas, order),
  };
}
