import type { JobState } from '../jobs/lifecycle.ts';
import { round } from '../metrics/stats.ts';
import type { LogRecord } from '../log/records.ts';
import { MigFragmentation } from '../cluster/mig-fragmentation.ts';
import { TenantTracker, type FairnessReport, type TrackedJob } from '../metrics/fairness.ts';
import { gpuList } from './gpu-list.ts';
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
 * A job's row as the Deriver keeps it: the jobs.csv row plus what the fairness tracker reads
 * (nominal duration, demand, held share), so that each job has one record here.
 */
interface DerivedRow extends JobRow, TrackedJob {
  tenant: string;
  submit: number;
  start: number;
  end: number;
  state: JobRow['state'];
  /** Milli-GPU of the running attempt as the cluster counters see it; -1 while not running. */
  alloc: number;
}

/**
 * Where a Deriver sends its timeline instead of keeping rows (RunWriter streams them to disk):
 * one call per closed instant with the cluster counters and the tenants' held milli-GPU, tenants
 * in order of first arrival (`held` is live: read it during the call, do not keep it).
 */
export interface TimelineSink {
  row(t: number, gpuAllocated: number, queued: number, running: number, gpuUp: number, held: ReadonlyMap<string, number>): void;
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
 */
export class Deriver {
  readonly jobs = new Map<string, DerivedRow>();
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
  private readonly weightOf = (t: string) => this.weights.get(t) ?? 1;
  private tenantsNow: Readonly<Record<string, number>> = Object.freeze({});
  private tenantsAt = -1;

  /** `sink`: where closed instants go instead of `timeline` (default: kept in `timeline`). */
  constructor(private readonly sink?: TimelineSink) {}

  add(r: LogRecord): void {
    // One lookup per record: the row of the job it is about (an arrival's is made below).
    let job = r.ev !== 'arrival' && 'job' in r ? this.jobs.get(r.job) : undefined;
    if (!job && r.ev !== 'arrival' && 'job' in r) throw new Error(`event log refers to job ${r.job} before its arrival`);
    if (r.t !== this.lastT) {
      this.closeInstant();
      if (this.lastT >= 0) {
        this.allocIntegral += this.gpuAllocated * (r.t - this.lastT);
        this.upIntegral += this.gpuUp * (r.t - this.lastT);
      }
      this.lastT = r.t;
    }
    // After closing the previous instant, whose timeline row carries the tenants' shares then.
    if (r.ev === 'arrival') job = this.arrive(r);
    this.fair.add(r, job, this.weightOf);
    this.migFrag.add(r);
    switch (r.ev) {
      case 'run':
        this.gpuCapacity = r.nodes.reduce((a, n) => a + n.gpus.reduce((b, g) => b + g.capacity, 0), 0);
        this.gpuUp = this.gpuCapacity;
        for (const n of r.nodes) this.nodeGpu.set(n.id, n.gpus.reduce((b, g) => b + g.capacity, 0));
        break;
      case 'arrival':
        if (r.t < this.firstT) {
          this.firstT = r.t;
          this.upAtFirst = this.upIntegral;
        }
        break;
      case 'admit':
        job!.state = 'queued';
        this.queued++;
        this.dirty = true;
        break;
      case 'reject': {
        const j = job!;
        j.state = 'rejected';
        j.end = r.t;
        j.reason = r.reason;
        break;
      }
      case 'start': {
        const j = job!;
        if (j.start < 0) j.start = r.t;
        j.state = 'running';
        if (r.parts && r.parts.length > 0) {
          const parts = [{ node: r.node, gpus: r.gpus }, ...r.parts];
          j.node = parts.map((p) => p.node).join('|');
          j.gpus = parts.map((p) => gpuList(p.gpus)).join('|');
        } else {
          j.node = r.node;
          j.gpus = gpuList(r.gpus);
        }
        j.milli = r.milli;
        j.attempts = r.attempt;
        const m = (r.gpus.length + (r.parts ? r.parts.reduce((a, p) => a + p.gpus.length, 0) : 0)) * r.milli;
        j.alloc = m;
        this.gpuAllocated += m;
        this.queued--;
        this.running++;
        this.dirty = true;
        break;
      }
      case 'finish': {
        const j = job!;
        const m = j.alloc;
        if (m >= 0) {
          this.gpuAllocated -= m;
          j.alloc = -1;
          this.running--;
        } else if (j.state === 'queued') {
          this.queued--;
        }
        if (r.state === 'failed' && r.reason === 'node-loss') this.jobsFailed++;
        j.state = r.state;
        j.end = r.t;
        if (r.reason) j.reason = r.reason;
        if (r.t > this.lastEnd) {
          this.lastEnd = r.t;
          this.upAtLastEnd = this.upIntegral;
        }
        this.dirty = true;
        break;
      }
      case 'preempt': {
        const { j } = this.stopRunning(job!, r.lost);
        j.preemptions++;
        break;
      }
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
        const { j, milli } = this.stopRunning(job!, r.lost);
        j.nodeLosses++;
        this.jobsHit++;
        this.lostByLoss += r.lost * milli;
        break;
      }
      case 'requeue':
        // With a reason, a lost attempt: no preempt or node-loss record stopped it, this one does.
        if (r.reason !== undefined && job!.alloc >= 0) this.stopRunning(job!, r.lost ?? 0);
        job!.state = 'queued';
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
    return r.ev === 'arrival' || !('job' in r) || this.jobs.has(r.job);
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
      ...jobStats(this.jobs.values(), this.jobs.size),
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
    const rep = this.fair.report(this.jobs.values(), this.weights);
    return this.migFrag.enabled ? { ...rep, migFragPct: this.migFrag.meanPct() } : rep;
  }

  private integralUntil(t: number): number {
    // allocIntegral covers up to lastT; anything after is zero-allocation once all jobs ended.
    return this.allocIntegral + (t > this.lastT && this.lastT >= 0 ? this.gpuAllocated * (t - this.lastT) : 0);
  }

  private closeInstant(): void {
    if (!this.dirty) return;
    this.dirty = false;
    if (this.sink) this.sink.row(this.lastT, this.gpuAllocated, this.queued, this.running, this.gpuUp, this.fair.held);
    else this.timeline.push(this.rowNow());
  }

  private rowNow(): TimelineRow {
    if (this.tenantsAt !== this.fair.heldChanges) {
      // Rows share one frozen tenants object until a share changes (most instants change none).
      this.tenantsNow = Object.freeze(Object.fromEntries(this.fair.held));
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

  /** A running job stopped without finishing (preempted or lost with its node): frees what it held. */
  private stopRunning(j: DerivedRow, lost: number): { j: JobRow; milli: number } {
    const milli = Math.max(0, j.alloc);
    this.gpuAllocated -= milli;
    j.alloc = -1;
    this.running--;
    j.state = 'preempted';
    j.lostMs += lost;
    this.dirty = true;
    return { j, milli };
  }

  /** The row of an arriving job. Every row has the same fields in one order (one object shape). */
  private arrive(r: Extract<LogRecord, { ev: 'arrival' }>): DerivedRow {
    const row: DerivedRow = {
      id: r.job,
      tenant: r.tenant,
      submit: r.t,
      start: -1,
      end: -1,
      state: 'pending',
      reqGpus: r.gpus,
      reqMilli: r.milli,
      node: '',
      gpus: '',
      milli: 0,
      attempts: 0,
      reason: '',
      preemptions: 0,
      lostMs: 0,
      nodeLosses: 0,
      dur: r.dur,
      demand: r.gpus * r.milli,
      held: 0,
      alloc: -1,
    };
    this.jobs.set(r.job, row);
    return row;
  }
}
