import type { JobState } from '../jobs/lifecycle.ts';
import { mean, percentileSorted, round } from '../metrics/stats.ts';
import type { LogRecord } from './records.ts';
import { MigFragmentation } from '../cluster/mig-fragmentation.ts';
import { TenantTracker, type FairnessReport } from '../metrics/fairness.ts';

export interface JobRow {
  id: string;
  tenant: string;
  submit: number;
  start: number;
  end: number;
  state: JobState | 'queued' | 'running' | 'pending';
  node: string;
  gpus: string;
  milli: number;
  attempts: number;
  reason: string;
  preemptions: number;
  /** Run time lost to preemptions, ms. */
  lostMs: number;
}

export interface TimelineRow {
  t: number;
  gpuAllocated: number;
  queued: number;
  running: number;
  /** Milli-GPU held per tenant at this instant. */
  tenants?: Readonly<Record<string, number>>;
}

export interface RunMetrics {
  jobs: number;
  completed: number;
  failed: number;
  rejected: number;
  cancelled: number;
  unfinished: number;
  jctMean: number;
  jctP50: number;
  jctP95: number;
  jctP99: number;
  waitMean: number;
  waitP95: number;
  makespan: number;
  meanGpuAllocPct: number;
}

/**
 * Folds event-log records into per-job rows, a timeline and run metrics. Works the same on
 * records as they are written and on a log read back from `events.jsonl`, which is what makes
 * the log the single source of truth. Times in the rows are ms; metrics are in seconds.
 */
export class Deriver {
  readonly jobs = new Map<string, JobRow>();
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
  private readonly held = new Map<string, number>();
  /** Per-tenant shares, JCT, ρ, preemptions (src/metrics/fairness.ts). */
  readonly fair = new TenantTracker();
  /** MIG fragmentation (src/cluster/mig-fragmentation.ts). */
  readonly migFrag = new MigFragmentation();
  /** Tenant fair-share weights (1 when absent); set before the first record. */
  weights: ReadonlyMap<string, number> = new Map();
  private readonly weightOf = (t: string) => this.weights.get(t) ?? 1;

  add(r: LogRecord): void {
    if (r.t !== this.lastT) {
      this.closeInstant();
      if (this.lastT >= 0) this.allocIntegral += this.gpuAllocated * (r.t - this.lastT);
      this.lastT = r.t;
    }
    // After closing the previous instant, whose timeline row carries the tenants' shares then.
    this.fair.add(r, this.weightOf);
    this.migFrag.add(r);
    switch (r.ev) {
      case 'run':
        this.gpuCapacity = r.nodes.reduce((a, n) => a + n.gpus.reduce((b, g) => b + g.capacity, 0), 0);
        break;
      case 'arrival':
        if (r.t < this.firstT) this.firstT = r.t;
        this.jobs.set(r.job, {
          id: r.job,
          tenant: r.tenant,
          submit: r.t,
          start: -1,
          end: -1,
          state: 'pending',
          node: '',
          gpus: '',
          milli: r.milli,
          attempts: 0,
          reason: '',
          preemptions: 0,
          lostMs: 0,
        });
        break;
      case 'admit':
        this.row(r.job).state = 'queued';
        this.queued++;
        this.dirty = true;
        break;
      case 'reject': {
        const j = this.row(r.job);
        j.state = 'rejected';
        j.end = r.t;
        j.reason = r.reason;
        break;
      }
      case 'start': {
        const j = this.row(r.job);
        if (j.start < 0) j.start = r.t;
        j.state = 'running';
        j.node = r.node;
        j.gpus = r.gpus.join(';');
        j.attempts = r.attempt;
        const m = (r.gpus.length + (r.parts ? r.parts.reduce((a, p) => a + p.gpus.length, 0) : 0)) * r.milli;
        this.held.set(r.job, m);
        this.gpuAllocated += m;
        this.queued--;
        this.running++;
        this.dirty = true;
        break;
      }
      case 'finish': {
        const j = this.row(r.job);
        const m = this.held.get(r.job);
        if (m !== undefined) {
          this.gpuAllocated -= m;
          this.held.delete(r.job);
          this.running--;
        } else if (j.state === 'queued') {
          this.queued--;
        }
        j.state = r.state;
        j.end = r.t;
        if (r.reason) j.reason = r.reason;
        if (r.t > this.lastEnd) this.lastEnd = r.t;
        this.dirty = true;
        break;
      }
      case 'preempt': {
        const j = this.row(r.job);
        const m = this.held.get(r.job) ?? 0;
        this.gpuAllocated -= m;
        this.held.delete(r.job);
        this.running--;
        j.state = 'preempted';
        j.preemptions++;
        j.lostMs += r.lost;
        this.dirty = true;
        break;
      }
      case 'requeue':
        this.row(r.job).state = 'queued';
        this.queued++;
        this.dirty = true;
        break;
      case 'cancel':
      case 'end':
        break;
    }
  }

  /** Closes the last instant; call once after the last record. */
  finish(): void {
    this.closeInstant();
  }

  metrics(): RunMetrics {
    const rows = [...this.jobs.values()];
    const done = rows.filter((j) => j.state === 'succeeded');
    const jct = done.map((j) => (j.end - j.submit) / 1000).sort((a, b) => a - b);
    const wait = rows.filter((j) => j.start >= 0).map((j) => (j.start - j.submit) / 1000).sort((a, b) => a - b);
    const count = (s: string) => rows.filter((j) => j.state === s).length;
    const span = this.lastEnd - (Number.isFinite(this.firstT) ? this.firstT : 0);
    return {
      jobs: rows.length,
      completed: done.length,
      failed: count('failed') + count('timed-out'),
      rejected: count('rejected'),
      cancelled: count('cancelled'),
      unfinished: rows.filter((j) => j.state === 'queued' || j.state === 'running' || j.state === 'pending').length,
      jctMean: round(mean(jct)),
      jctP50: round(percentileSorted(jct, 50)),
      jctP95: round(percentileSorted(jct, 95)),
      jctP99: round(percentileSorted(jct, 99)),
      waitMean: round(mean(wait)),
      waitP95: round(percentileSorted(wait, 95)),
      makespan: round(span / 1000),
      meanGpuAllocPct:
        this.gpuCapacity > 0 && span > 0 ? round((100 * this.integralUntil(this.lastEnd)) / (this.gpuCapacity * span)) : 0,
    };
  }

  /** Per-tenant metrics, Jain's index, preemptions and lost work; MIG fragmentation when MIG GPUs exist. */
  fairness(): FairnessReport & { migFragPct?: number } {
    const rep = this.fair.report(this.weights);
    return this.migFrag.enabled ? { ...rep, migFragPct: this.migFrag.meanPct() } : rep;
  }

  private integralUntil(t: number): number {
    // allocIntegral covers up to lastT; anything after is zero-allocation once all jobs ended.
    return this.allocIntegral + (t > this.lastT && this.lastT >= 0 ? this.gpuAllocated * (t - this.lastT) : 0);
  }

  private closeInstant(): void {
    if (!this.dirty) return;
    this.dirty = false;
    this.timeline.push({
      t: this.lastT,
      gpuAllocated: this.gpuAllocated,
      queued: this.queued,
      running: this.running,
      tenants: Object.fromEntries(this.fair.held),
    });
  }

  private row(id: string): JobRow {
    const j = this.jobs.get(id);
    if (!j) throw new Error(`event log refers to job ${id} before its arrival`);
    return j;
  }
}

function csvField(v: string | number): string {
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function jobsCsv(rows: Iterable<JobRow>): string {
  const out = ['id,tenant,submit_ms,start_ms,end_ms,state,node,gpus,milli,attempts,reason,preemptions,lost_ms'];
  for (const j of rows) {
    out.push(
      [j.id, j.tenant, j.submit, j.start, j.end, j.state, j.node, j.gpus, j.milli, j.attempts, j.reason, j.preemptions, j.lostMs]
        .map(csvField)
        .join(','),
    );
  }
  return out.join('\n') + '\n';
}

/**
 * timeline.csv: the cluster columns, then one `share_pct_<tenant>` column per tenant (its GPU held
 * as % of cluster capacity), tenants sorted by name.
 */
export function timelineCsv(rows: readonly TimelineRow[], gpuCapacity: number): string {
  const names = [...new Set(rows.flatMap((r) => Object.keys(r.tenants ?? {})))].sort();
  const pctOf = (m: number) => (gpuCapacity > 0 ? round((100 * m) / gpuCapacity, 2) : 0);
  const out = ['t_ms,gpu_alloc_milli,gpu_alloc_pct,queued,running' + names.map((n) => `,share_pct_${n}`).join('')];
  for (const r of rows) {
    const pct = pctOf(r.gpuAllocated);
    out.push(`${r.t},${r.gpuAllocated},${pct},${r.queued},${r.running}` + names.map((n) => `,${pctOf(r.tenants?.[n] ?? 0)}`).join(''));
  }
  return out.join('\n') + '\n';
}
