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
 * The jobs a report reads: the Deriver's columns (src/output/job-table.ts), one entry per job in
 * arrival order, tenants as indices into the tracker's `tenants`.
 */
export interface TrackedJobs {
  readonly size: number;
  readonly tenant: ArrayLike<number>;
  readonly submit: ArrayLike<number>;
  /** First start; -1 when it never started. */
  readonly start: ArrayLike<number>;
  /** When it ended; -1 while unfinished. */
  readonly end: ArrayLike<number>;
  /** Nominal run time from the arrival record, ms. */
  readonly dur: ArrayLike<number>;
  /** GPUs × milli-GPU asked for at arrival. */
  readonly demand: ArrayLike<number>;
  /** Whether job `i` succeeded. */
  succeeded(i: number): boolean;
}

/**
 * Per-tenant GPU time, entitlement, JCT/wait, ρ, preemptions. Fed by the Deriver, record by
 * record: `at` for every record's time, then the call for what the record did. Tenants are
 * indices in order of first arrival (`arrive` names them); per-tenant totals live in arrays of
 * numbers (no map lookups, no boxed numbers per update), per-job facts stay in the Deriver's
 * columns, which `report` reads back.
 */
export class TenantTracker {
  /** Tenant names in order of first arrival; the index is the tenant's number below. */
  readonly tenants: string[] = [];
  private readonly weight: number[] = [];
  /** Current milli-GPU held per tenant. */
  private readonly gpu: number[] = [];
  /** Queued or running jobs per tenant. */
  private readonly active: number[] = [];
  /** Tenants in order of their first admission (the order the weights are summed in). */
  private readonly admitted: number[] = [];
  private readonly received: number[] = [];
  private readonly entitled: number[] = [];
  private readonly preempts: number[] = [];
  private readonly lost: number[] = [];
  private capacity = 0;
  private lastT = -1;
  private allocated = 0;

  /** Current milli-GPU held per tenant (timeline columns), tenants in order of first arrival (`tenants`). */
  get held(): readonly number[] {
    return this.gpu;
  }

  /** Changes to `held` (or to the tenants) so far: equal counts, equal `held`. */
  heldChanges = 0;

  /** The time of the next record: integrates shares over the time since the last one. */
  at(t: number): void {
    if (t !== this.lastT) {
      if (this.lastT >= 0) this.integrate(t - this.lastT);
      this.lastT = t;
    }
  }

  /** The run record: the cluster's GPU capacity, milli-GPU. */
  run(capacity: number): void {
    this.capacity = capacity;
  }

  /** A job of tenant `name` (number `t`) arrived; `weight` is its fair-share weight, read at its first arrival. */
  arrive(t: number, name: string, weight: number): void {
    if (t < this.tenants.length) return;
    this.tenants.push(name);
    this.weight.push(weight);
    this.gpu.push(0);
    this.active.push(0);
    this.received.push(0);
    this.entitled.push(0);
    this.preempts.push(0);
    this.lost.push(0);
    this.heldChanges++;
  }

  admit(t: number): void {
    if (this.active[t] === 0 && !this.admitted.includes(t)) this.admitted.push(t);
    this.active[t]++;
  }

  /**
   * A start holding `held` milli-GPU (every GPU of every part × milli). What the job's previous
   * attempt held is not released here: a caller's job keeps `held` from start to release.
   */
  start(t: number, held: number): void {
    this.gpu[t] += held;
    this.heldChanges++;
    this.allocated += held;
  }

  /** A preemption of a job that held `held`, losing `lostMs` of run time. */
  preempt(t: number, held: number, lostMs: number): void {
    this.preempts[t] += 1;
    this.lost[t] += (lostMs * held) / 1000;
    this.release(t, held);
  }

  /** A running job stopped without a preemption (its node went down): its GPUs are released. */
  release(t: number, held: number): void {
    this.gpu[t] -= held;
    this.heldChanges++;
    this.allocated -= held;
  }

  /** A finish; `held` is what it held when running (0 when not running). */
  finish(t: number, held: number): void {
    if (held > 0) this.release(t, held);
    if (this.active[t] === 0 && !this.admitted.includes(t)) this.admitted.push(t);
    this.active[t]--;
  }

  /** A report over `jobs` (the columns of the jobs fed in, in arrival order). */
  report(jobs: TrackedJobs): FairnessReport {
    const order = this.tenants.map((name, t) => ({ name, t })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const n = order.length;
    const total = order.reduce((a, { t }) => a + this.received[t], 0);
    // One pass over the jobs, sums per tenant in arrival order (the order the means add in).
    const k = this.tenants.length;
    const count = new Array<number>(k).fill(0);
    const done = new Array<number>(k).fill(0);
    const jct = new Array<number>(k).fill(0);
    const started = new Array<number>(k).fill(0);
    const wait = new Array<number>(k).fill(0);
    const rho = new Array<number>(k).fill(0);
    const rhoMax = new Array<number>(k).fill(-Infinity);
    for (let i = 0; i < jobs.size; i++) {
      const t = jobs.tenant[i];
      count[t]++;
      if (jobs.succeeded(i)) {
        done[t]++;
        const x = jobs.end[i] - jobs.submit[i];
        jct[t] += x;
        const r = x / isolatedTime(jobs.dur[i], jobs.demand[i], this.capacity, n);
        rho[t] += r;
        rhoMax[t] = Math.max(rhoMax[t], r);
      }
      if (jobs.start[i] >= 0) {
        started[t]++;
        wait[t] += jobs.start[i] - jobs.submit[i];
      }
    }
    const meanOf = (s: number, c: number) => (c === 0 ? NaN : s / c);
    const tenants = order.map(({ name, t }): TenantMetrics => {
      // milli-GPU·ms → GPU·ms.
      const rec = this.received[t] / 1000;
      const ent = this.entitled[t] / 1000;
      return {
        tenant: name,
        weight: this.weight[t],
        jobs: count[t],
        completed: done[t],
        gpuMs: round(rec, 0),
        entitledGpuMs: round(ent, 0),
        sharePct: total > 0 ? round((100 * this.received[t]) / total) : 0,
        ratio: ent > 0 ? round(rec / ent, 3) : 0,
        jctMeanMs: round(meanOf(jct[t], done[t]), 0),
        waitMeanMs: round(meanOf(wait[t], started[t]), 0),
        rhoMean: round(meanOf(rho[t], done[t]), 3),
        rhoMax: round(done[t] > 0 ? rhoMax[t] : 0, 3),
        preemptions: this.preempts[t],
        lostGpuMs: round(this.lost[t], 0),
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

  private integrate(dt: number): void {
    let wsum = 0;
    const adm = this.admitted;
    for (let k = 0; k < adm.length; k++) if (this.active[adm[k]] > 0) wsum += this.weight[adm[k]];
    const gpu = this.gpu;
    for (let t = 0; t < gpu.length; t++) if (gpu[t] > 0) this.received[t] += gpu[t] * dt;
    if (wsum > 0 && this.allocated > 0) {
      for (let k = 0; k < adm.length; k++) {
        const t = adm[k];
        if (this.active[t] > 0) this.entitled[t] += (this.allocated * dt * this.weight[t]) / wsum;
      }
    }
  }
}
