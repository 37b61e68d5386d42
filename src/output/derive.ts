import type { JobState } from '../jobs/lifecycle.ts';
import { round } from '../metrics/stats.ts';
import type { LogRecord } from '../log/records.ts';
import { MigFragmentation } from '../cluster/mig-fragmentation.ts';
import { TenantTracker, type FairnessReport } from '../metrics/fairness.ts';
import { gpuList } from './gpu-list.ts';
import { JobTable, PREEMPTED, QUEUED, REJECTED, RUNNING, stateCode } from './job-table.ts';
import { jobStats, type JobStats } from './job-stats.ts';

/** One job's row (jobs.csv). Times in ms; -1 (start, end) and '' (node, gpus) mean "not yet / never". */
export interface JobRow {
  id: string;
  tenant: string;
  submit: number;
  /** First start; -1 when it never started. */
  start: number;
  /** When it ended (finished, failed, rejected, cancelled …); -1 while unfinished. */
  end: number;
  state: JobState | 'queued' | 'running' | 'pending';
  /** GPUs and milli-GPU per GPU asked for at arrival. */
  reqGpus: number;
  reqMilli: number;
  /** Nodes of the latest attempt, `|`-separated (a gang spanning nodes lists every node). */
  node: string;
  /** GPU indices of the latest attempt: `;` within a node, `|` between nodes (in `node` order). */
  gpus: string;
  /** Milli-GPU per GPU granted at the latest start (a MIG instance: its slots × 125); 0 before. */
  milli: number;
  attempts: number;
  reason: string;
  preemptions: number;
  /** Run time lost to preemptions and node losses, ms. */
  lostMs: number;
  /** Times stopped because a node it ran on went down. */
  nodeLosses: number;
}

/**
 * Where a Deriver sends its timeline instead of keeping rows (RunWriter streams them to disk):
 * one call per closed instant with the cluster counters and the tenants' held milli-GPU, tenants
 * in order of first arrival (`held` is live: read it during the call, do not keep it).
 */
export interface TimelineSink {
  /** `held[k]`: milli-GPU held by tenant `tenants[k]`. */
  row(t: number, gpuAllocated: number, queued: number, running: number, gpuUp: number, held: readonly number[], tenants: readonly string[]): void;
}

export interface TimelineRow {
  t: number;
  gpuAllocated: number;
  queued: number;
  running: number;
  /** Milli-GPU on nodes that are up. */
  gpuUp: number;
  /** Milli-GPU held per tenant at this instant. */
  tenants?: Readonly<Record<string, number>>;
}

/**
 * A run's metrics (summary.json `metrics`). Times are integer ms (`…Ms`); NaN (null in JSON) when
 * no job is covered. Which jobs each covers: JCT (submit → finish) the `completed` (succeeded)
 * jobs; wait (submit → first start) the `started` jobs; makespan first arrival → last finish.
 */
export interface RunMetrics extends JobStats {
  makespanMs: number;
  meanGpuAllocPct: number;
  /** Node failures; present only when a node went down during the run. */
  failures?: NodeLossMetrics;
}

/** Which jobs each metric covers (summary.json `covers`). */
export const METRICS_COVER = {
  time: 'integer ms in fields ending Ms; GPU time in GPU·ms',
  jct: 'submit to finish, over the succeeded jobs (completed)',
  wait: 'submit to first start, over the jobs that started (started)',
  makespan: 'first arrival to last finish',
  unfinished: 'queued or running when the run ended',
} as const;

export interface NodeLossMetrics {
  /** Node-down events. */
  nodeDowns: number;
  /** Running jobs stopped by them (a job counts once per loss). */
  jobsHit: number;
  /** Jobs failed by node loss (onNodeLoss: fail). */
  jobsFailed: number;
  /** GPU time that gave no kept progress, GPU·ms: lost run time × the GPUs the job held. */
  lostGpuMs: number;
  /** Mean GPU capacity up over the makespan, % of the cluster's. */
  gpuUpPct: number;
}

/**
 * Folds event-log records into per-job rows, a timeline and run metrics. Works the same on
 * records as they are written and on a log read back from `events.jsonl`, which is what makes
 * the log the single source of truth. Times are integer ms, in the rows and in the metrics.
 * The rows are columns (src/output/job-table.ts); `jobs.get`/`jobs.values` give them as rows.
 */
export class Deriver {
  readonly jobs = new JobTable();
  /**
   * Milli-GPU per job that the fairness tracker counts as held: set at a start, 0 once a
   * preemption, node loss, lost attempt (a requeue with a reason) or finish releases it.
   */
  private held = new Float64Array(0);
  /** Closed instants' rows; stays empty when a `TimelineSink` takes them. */
  readonly timeline: TimelineRow[] = [];
  /** Cluster GPU capacity in milli-GPU, from the run record. */
  gpuCapacity = 0;
  private gpuAllocated = 0;
  private queued = 0;
  private running = 0;
  private lastT = -1;
  private dirty = false;
  private allocIntegral = 0;
  private firstT = Infinity;
  private lastEnd = 0;
  /** Milli-GPU per node id, from the run record. */
  private readonly nodeGpu = new Map<string, number>();
  private gpuUp = 0;
  private upIntegral = 0;
  /** upIntegral at the first arrival and at the last finish. */
  private upAtFirst = 0;
  private upAtLastEnd = 0;
  private nodeDowns = 0;
  private jobsHit = 0;
  private jobsFailed = 0;
  /** milli-GPU·ms lost to node loss. */
  private lostByLoss = 0;
  /** Per-tenant shares, JCT, ρ, preemptions (src/metrics/fairness.ts). */
  readonly fair = new TenantTracker();
  /** MIG fragmentation (src/cluster/mig-fragmentation.ts). */
  readonly migFrag = new MigFragmentation();
  /** Tenant fair-share weights (1 when absent); set before the first record. */
  weights: ReadonlyMap<string, number> = new Map();
  private tenantsNow: Readonly<Record<string, number>> = Object.freeze({});
  private tenantsAt = -1;

  /** `sink`: where closed instants go instead of `timeline` (default: kept in `timeline`). */
  constructor(private readonly sink?: TimelineSink) {}

  add(r: LogRecord): void {
    // One lookup per record: the row of the job it is about (an arrival's is made below).
    const about = r.ev !== 'arrival' && 'job' in r;
    let j = about ? this.jobs.indexOf(r.job) : -1;
    if (about && j < 0) throw new Error(`event log refers to job ${r.job} before its arrival`);
    if (r.t !== this.lastT) {
      this.closeInstant();
      if (this.lastT >= 0) {
        this.allocIntegral += this.gpuAllocated * (r.t - this.lastT);
        this.upIntegral += this.gpuUp * (r.t - this.lastT);
      }
      this.lastT = r.t;
    }
    this.fair.at(r.t);
    const J = this.jobs;
    // After closing the previous instant, whose timeline row carries the tenants' shares then.
    if (r.ev === 'arrival') j = this.arrive(r);
    this.migFrag.add(r);
    switch (r.ev) {
      case 'run':
        this.gpuCapacity = r.nodes.reduce((a, n) => a + n.gpus.reduce((b, g) => b + g.capacity, 0), 0);
        this.gpuUp = this.gpuCapacity;
        for (const n of r.nodes) this.nodeGpu.set(n.id, n.gpus.reduce((b, g) => b + g.capacity, 0));
        this.fair.run(this.gpuCapacity);
        break;
      case 'arrival':
        if (r.t < this.firstT) {
          this.firstT = r.t;
          this.upAtFirst = this.upIntegral;
        }
        break;
      case 'admit':
        J.state[j] = QUEUED;
        this.fair.admit(J.tenant[j]);
        this.queued++;
        this.dirty = true;
        break;
      case 'reject':
        J.state[j] = REJECTED;
        J.end[j] = r.t;
        J.reason[j] = r.reason;
        J.ended(j);
        break;
      case 'start': {
        if (J.start[j] < 0) J.start[j] = r.t;
        J.state[j] = RUNNING;
        if (r.parts && r.parts.length > 0) {
          const parts = [{ node: r.node, gpus: r.gpus }, ...r.parts];
          J.node[j] = parts.map((p) => p.node).join('|');
          J.gpus[j] = parts.map((p) => gpuList(p.gpus)).join('|');
        } else {
          J.node[j] = r.node;
          J.gpus[j] = gpuList(r.gpus);
        }
        J.milli[j] = r.milli;
        J.attempts[j] = r.attempt;
        const m = (r.gpus.length + (r.parts ? r.parts.reduce((a, p) => a + p.gpus.length, 0) : 0)) * r.milli;
        J.alloc[j] = m;
        this.held[j] = m;
        this.fair.start(J.tenant[j], m);
        this.gpuAllocated += m;
        this.queued--;
        this.running++;
        this.dirty = true;
        break;
      }
      case 'finish': {
        const m = J.alloc[j];
        if (m >= 0) {
          this.gpuAllocated -= m;
          J.alloc[j] = -1;
          this.running--;
        } else if (J.state[j] === QUEUED) {
          this.queued--;
        }
        this.fair.finish(J.tenant[j], this.held[j]);
        this.held[j] = 0;
        if (r.state === 'failed' && r.reason === 'node-loss') this.jobsFailed++;
        J.state[j] = stateCode(r.state);
        J.end[j] = r.t;
        if (r.reason) J.reason[j] = r.reason;
        if (r.t > this.lastEnd) {
          this.lastEnd = r.t;
          this.upAtLastEnd = this.upIntegral;
        }
        J.ended(j);
        this.dirty = true;
        break;
      }
      case 'preempt':
        this.fair.preempt(J.tenant[j], this.held[j], r.lost);
        this.held[j] = 0;
        this.stopRunning(j, r.lost);
        J.preemptions[j]++;
        break;
      case 'node-down':
        this.nodeDowns++;
        this.gpuUp -= this.nodeGpu.get(r.node) ?? 0;
        this.dirty = true;
        break;
      case 'node-up':
        this.gpuUp += this.nodeGpu.get(r.node) ?? 0;
        this.dirty = true;
        break;
      case 'node-loss': {
        // The GPUs are released; the loss is not a preemption.
        this.fair.release(J.tenant[j], this.held[j]);
        this.held[j] = 0;
        const milli = this.stopRunning(j, r.lost);
        J.nodeLosses[j]++;
        this.jobsHit++;
        this.lostByLoss += r.lost * milli;
        break;
      }
      case 'requeue':
        // With a reason, a lost attempt: no preempt or node-loss record stopped it, this one does.
        if (r.reason !== undefined && J.alloc[j] >= 0) {
          // The attempt's GPUs are released for fairness too, as a node loss releases them.
          this.fair.release(J.tenant[j], this.held[j]);
          this.held[j] = 0;
          this.stopRunning(j, r.lost ?? 0);
        }
        J.state[j] = QUEUED;
        this.queued++;
        this.dirty = true;
        break;
      case 'cancel':
      case 'end':
      // A hierarchy's routing records: no change to a job's row or to the timeline.
      case 'route':
      case 'bounce':
      case 'steal':
      case 'shard-down':
      case 'shard-up':
        break;
    }
  }

  /** Closes the last instant; call once after the last record. */
  finish(): void {
    this.closeInstant();
  }

  /**
   * Whether `r` can follow the records added so far: false for a record about a job that has not
   * arrived, which `add` throws on. Pure. Lets a reader of an untrusted log set such records aside.
   */
  follows(r: LogRecord): boolean {
    return r.ev === 'arrival' || !('job' in r) || this.jobs.indexOf(r.job) >= 0;
  }

  /**
   * The timeline row of the instant still open (the row `finish`, or the next record at a later
   * time, will push), or undefined when nothing changed at it. Pure. For a view of a growing log.
   */
  pending(): TimelineRow | undefined {
    return this.dirty ? this.rowNow() : undefined;
  }

  metrics(): RunMetrics {
    const span = this.lastEnd - (Number.isFinite(this.firstT) ? this.firstT : 0);
    return {
      ...jobStats(this.jobs),
      makespanMs: span,
      meanGpuAllocPct:
        this.gpuCapacity > 0 && span > 0 ? round((100 * this.integralUntil(this.lastEnd)) / (this.gpuCapacity * span)) : 0,
      ...(this.nodeDowns > 0 ? { failures: this.failureMetrics(span) } : {}),
    };
  }

  private failureMetrics(span: number): NodeLossMetrics {
    // Capacity up over [first arrival, last finish], the span of the allocation mean.
    const up = this.upAtLastEnd - this.upAtFirst;
    return {
      nodeDowns: this.nodeDowns,
      jobsHit: this.jobsHit,
      jobsFailed: this.jobsFailed,
      lostGpuMs: round(this.lostByLoss / 1000, 0),
      gpuUpPct: this.gpuCapacity > 0 && span > 0 ? round((100 * up) / (this.gpuCapacity * span)) : 100,
    };
  }

  /** Per-tenant metrics, Jain's index, preemptions and lost work; MIG fragmentation when MIG GPUs exist. */
  fairness(): FairnessReport & { migFragPct?: number } {
    const rep = this.fair.report(this.jobs);
    return this.migFrag.enabled ? { ...rep, migFragPct: this.migFrag.meanPct() } : rep;
  }

  private integralUntil(t: number): number {
    // allocIntegral covers up to lastT; anything after is zero-allocation once all jobs ended.
    return this.allocIntegral + (t > this.lastT && this.lastT >= 0 ? this.gpuAllocated * (t - this.lastT) : 0);
  }

  private closeInstant(): void {
    if (!this.dirty) return;
    this.dirty = false;
    if (this.sink) this.sink.row(this.lastT, this.gpuAllocated, this.queued, this.running, this.gpuUp, this.fair.held, this.fair.tenants);
    else this.timeline.push(this.rowNow());
  }

  private rowNow(): TimelineRow {
    if (this.tenantsAt !== this.fair.heldChanges) {
      // Rows share one frozen tenants object until a share changes (most instants change none).
      const held = this.fair.held;
      this.tenantsNow = Object.freeze(Object.fromEntries(this.fair.tenants.map((name, k) => [name, held[k]])));
      this.tenantsAt = this.fair.heldChanges;
    }
    return {
      t: this.lastT,
      gpuAllocated: this.gpuAllocated,
      queued: this.queued,
      running: this.running,
      gpuUp: this.gpuUp,
      tenants: this.tenantsNow,
    };
  }

  /** A running job stopped without finishing (preempted, lost with its node, a lost attempt): frees what it held; returns that milli-GPU. */
  private stopRunning(j: number, lost: number): number {
    const J = this.jobs;
    const milli = Math.max(0, J.alloc[j]);
    this.gpuAllocated -= milli;
    J.alloc[j] = -1;
    this.running--;
    J.state[j] = PREEMPTED;
    J.lostMs[j] += lost;
    this.dirty = true;
    return milli;
  }

  /** The row of an arriving job. */
  private arrive(r: Extract<LogRecord, { ev: 'arrival' }>): number {
    const J = this.jobs;
    const j = J.add(r.job, r.tenant, r.t, r.gpus, r.milli, r.dur);
    const t = J.tenant[j];
    this.fair.arrive(t, r.tenant, this.weights.get(r.tenant) ?? 1);
    if (this.held.length < J.ids.length) {
      const h = new Float64Array(Math.max(1024, this.held.length * 2));
      h.set(this.held);
      this.held = h;
    }
    this.held[j] = 0;
    return j;
  }
}
