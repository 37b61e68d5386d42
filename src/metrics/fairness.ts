import type { LogRecord } from '../log/records.ts';
import { mean, round } from './stats.ts';

/**
 * Fairness metrics folded from the event log.
 *
 * - Jain's fairness index (Jain, Chiu & Hawe 1984): J(x) = (Σx)² / (n·Σx²), 1 when all equal,
 *   1/n when one tenant gets everything. Applied here to each tenant's received / entitled GPU time.
 * - Entitled GPU time: at every instant the allocated GPUs are divided among the *active* tenants
 *   (with a queued or running job) in proportion to their weights — the weighted max-min share a
 *   work-conserving fair scheduler would give backlogged tenants.
 * - Finish-time fairness (Themis, Mahajan et al., NSDI 2020): ρ = T_shared / T_isolated, where
 *   T_isolated is the job's run time in an isolated 1/N share of the cluster (N tenants):
 *   duration × max(1, demand / (capacity / N)). ρ ≤ 1 means the job did no worse than in isolation.
 */

/** Jain's index of `xs` (1 for an empty or all-zero list). */
export function jain(xs: readonly number[]): number {
  if (xs.length === 0) return 1;
  const s = xs.reduce((a, x) => a + x, 0);
  const s2 = xs.reduce((a, x) => a + x * x, 0);
  return s2 === 0 ? 1 : (s * s) / (xs.length * s2);
}

/** Themis' isolated run time (ms) for a job of `demand` milli-GPU on a 1/`n` share of `capacity`. */
export function isolatedTime(duration: number, demand: number, capacity: number, n: number): number {
  const share = capacity / Math.max(1, n);
  return duration * Math.max(1, share > 0 ? demand / share : 1);
}

export interface TenantMetrics {
  tenant: string;
  weight: number;
  jobs: number;
  completed: number;
  /** GPU time received, GPU·ms. */
  gpuMs: number;
  /** GPU time entitled (see module comment), GPU·ms. */
  entitledGpuMs: number;
  /** received / total received, %. */
  sharePct: number;
  /** received / entitled. */
  ratio: number;
  /** Mean JCT over its succeeded jobs, ms (NaN: none). */
  jctMeanMs: number;
  /** Mean wait (submit → first start) over its started jobs, ms (NaN: none). */
  waitMeanMs: number;
  /** Mean and max finish-time fairness ρ over completed jobs. */
  rhoMean: number;
  rhoMax: number;
  preemptions: number;
  /** Run time lost to preemption (restore + work since the last checkpoint), GPU·ms. */
  lostGpuMs: number;
}

export interface FairnessReport {
  tenants: TenantMetrics[];
  /** Jain's index over the tenants' received / entitled ratios. */
  jain: number;
  preemptions: number;
  /** GPU·ms. */
  lostGpuMs: number;
}

/**
 * What the tracker needs of one job: the Deriver's row for it (src/output/derive.ts), which it
 * reads and updates in place (`held`), so no second per-job record is kept.
 */
export interface TrackedJob {
  readonly tenant: string;
  readonly submit: number;
  /** First start; -1 when it never started. */
  readonly start: number;
  /** When it ended; -1 while unfinished. */
  readonly end: number;
  readonly state: string;
  /** Nominal run time from the arrival record, ms. */
  readonly dur: number;
  /** GPUs × milli-GPU asked for at arrival. */
  readonly demand: number;
  /** Milli-GPU held by the running attempt (0 when not running); the tracker sets it. */
  held: number;
}

/**
 * Per-tenant GPU time, entitlement, JCT/wait, ρ, preemptions. Feed every record in order, each
 * with the job it is about (undefined for records about no job). Per-tenant totals only: the
 * per-job facts stay in the rows passed in, and `report` reads them back.
 */
export class TenantTracker {
  private readonly gpu = new Map<string, number>();
  private readonly active = new Map<string, number>();
  private readonly received = new Map<string, number>();
  private readonly entitled = new Map<string, number>();
  private readonly preempts = new Map<string, number>();
  private readonly lost = new Map<string, number>();
  private capacity = 0;
  private lastT = -1;
  private allocated = 0;

  /** Current milli-GPU held per tenant (timeline columns), tenants in order of first arrival. */
  get held(): ReadonlyMap<string, number> {
    return this.gpu;
  }

  /** Changes to `held` so far: equal counts, equal `held`. */
  heldChanges = 0;

  add(r: LogRecord, j: TrackedJob | undefined, weightOf: (t: string) => number = () => 1): void {
    if (r.t !== this.lastT) {
      if (this.lastT >= 0) this.integrate(r.t - this.lastT, weightOf);
      this.lastT = r.t;
    }
    switch (r.ev) {
      case 'run':
        this.capacity = r.nodes.reduce((a, n) => a + n.gpus.reduce((b, g) => b + g.capacity, 0), 0);
        return;
      case 'arrival':
        if (!this.gpu.has(r.tenant)) {
          this.gpu.set(r.tenant, 0);
          this.heldChanges++;
        }
        return;
      case 'admit':
        this.bump(this.active, j!.tenant, 1);
        return;
      case 'start':
        j!.held = (r.gpus.length + (r.parts ?? []).reduce((a, p) => a + p.gpus.length, 0)) * r.milli;
        this.bump(this.gpu, j!.tenant, j!.held);
        this.allocated += j!.held;
        return;
      case 'preempt':
        this.bump(this.preempts, j!.tenant, 1);
        this.bump(this.lost, j!.tenant, (r.lost * j!.held) / 1000);
        this.release(j!);
        return;
      case 'node-loss':
        // The GPUs are released; the loss is not a preemption (the Deriver counts it).
        this.release(j!);
        return;
      case 'finish':
        if (j!.held > 0) this.release(j!);
        this.bump(this.active, j!.tenant, -1);
        return;
      default:
        return;
    }
  }

  /** A report over `jobs` (the rows fed to `add`, in arrival order). */
  report(jobs: Iterable<TrackedJob>, weights: ReadonlyMap<string, number> = new Map()): FairnessReport {
    const names = [...this.gpu.keys()].sort();
    const n = names.length;
    const total = names.reduce((a, t) => a + (this.received.get(t) ?? 0), 0);
    // One pass groups the jobs by tenant, each group in arrival order (the order the sums run in).
    const byTenant = new Map<string, TrackedJob[]>(names.map((t) => [t, []]));
    for (const j of jobs) byTenant.get(j.tenant)?.push(j);
    const tenants = names.map((t): TenantMetrics => {
      const js = byTenant.get(t)!;
      const done = js.filter((j) => j.state === 'succeeded');
      const rho = done.map((j) => (j.end - j.submit) / isolatedTime(j.dur, j.demand, this.capacity, n));
      // milli-GPU·ms → GPU·ms.
      const rec = (this.received.get(t) ?? 0) / 1000;
      const ent = (this.entitled.get(t) ?? 0) / 1000;
      return {
        tenant: t,
        weight: weights.get(t) ?? 1,
        jobs: js.length,
        completed: done.length,
        gpuMs: round(rec, 0),
        entitledGpuMs: round(ent, 0),
        sharePct: total > 0 ? round((100 * (this.received.get(t) ?? 0)) / total) : 0,
        ratio: ent > 0 ? round(rec / ent, 3) : 0,
        jctMeanMs: round(mean(done.map((j) => j.end - j.submit)), 0),
        waitMeanMs: round(mean(js.filter((j) => j.start >= 0).map((j) => j.start - j.submit)), 0),
        rhoMean: round(mean(rho), 3),
        // A loop: spreading a million values into Math.max overflows the call stack.
        rhoMax: round(rho.length ? rho.reduce((a, b) => Math.max(a, b)) : 0, 3),
        preemptions: this.preempts.get(t) ?? 0,
        lostGpuMs: round(this.lost.get(t) ?? 0, 0),
      };
    });
    const ratios = tenants.filter((t) => t.entitledGpuMs > 0).map((t) => t.gpuMs / t.entitledGpuMs);
    return {
      tenants,
      jain: round(jain(ratios), 4),
      preemptions: tenants.reduce((a, t) => a + t.preemptions, 0),
      lostGpuMs: tenants.reduce((a, t) => a + t.lostGpuMs, 0),
    };
  }

  private release(j: TrackedJob): void {
    this.bump(this.gpu, j.tenant, -j.held);
    this.allocated -= j.held;
    j.held = 0;
  }

  private integrate(dt: number, weightOf: (t: string) => number): void {
    let wsum = 0;
    for (const [t, c] of this.active) if (c > 0) wsum += weightOf(t);
    for (const [t, m] of this.gpu) if (m > 0) this.bump(this.received, t, m * dt);
    if (wsum > 0 && this.allocated > 0) {
      for (const [t, c] of this.active) if (c > 0) this.bump(this.entitled, t, (this.allocated * dt * weightOf(t)) / wsum);
    }
  }

  private bump(m: Map<string, number>, k: string, d: number): void {
    if (m === this.gpu) this.heldChanges++;
    m.set(k, (m.get(k) ?? 0) + d);
  }
}
