import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { SchedulerCore } from '../scheduler/core.ts';

/**
 * The service's Prometheus metrics (`GET /metrics`), on a registry of its own. Gauges read the
 * core when scraped; counters and histograms are fed by the job service.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly admissions: Counter<'result' | 'reason'>;
  private readonly wait: Histogram;
  private readonly run: Histogram;
  private readonly recoveredJobs: Counter<'action'>;
  private readonly restarts: Counter<'reason'>;

  constructor(core: () => SchedulerCore | undefined, warm: () => { readonly ready: number; readonly starting: number; readonly evicted: number } | undefined = () => undefined) {
    const r = this.registry;
    collectDefaultMetrics({ register: r, prefix: 'gpulab_' });
    new Gauge({
      name: 'gpulab_queue_length',
      help: 'Jobs queued, per tenant',
      labelNames: ['tenant'],
      registers: [r],
      collect() {
        this.reset();
        const c = core();
        if (!c) return;
        const by = new Map<string, number>();
        for (const t of c.schedulerView.tenants) by.set(t.name, 0);
        for (const j of c.queued) by.set(j.tenant, (by.get(j.tenant) ?? 0) + 1);
        for (const [t, n] of by) this.set({ tenant: t }, n);
      },
    });
    new Gauge({
      name: 'gpulab_jobs_running',
      help: 'Jobs running',
      registers: [r],
      collect() {
        this.set(core()?.runningCount ?? 0);
      },
    });
    new Gauge({
      name: 'gpulab_gpu_allocated_ratio',
      help: 'Allocated share of the GPU capacity (milli-GPU allocated / milli-GPU total), 0 without GPUs',
      registers: [r],
      collect() {
        const c = core();
        if (!c) return this.set(0);
        const v = c.schedulerView.cluster;
        this.set(v.gpuCapacity === 0 ? 0 : v.gpuAllocated / v.gpuCapacity);
      },
    });
    new Gauge({
      name: 'gpulab_warm_workers',
      help: 'Batch-job workers waiting in the warm pool (sandbox.warmPool), by state (ready, starting)',
      labelNames: ['state'],
      registers: [r],
      collect() {
        const w = warm() ?? { ready: 0, starting: 0 };
        this.set({ state: 'ready' }, w.ready);
        this.set({ state: 'starting' }, w.starting);
      },
    });
    let evictedSeen = 0;
    new Counter({
      name: 'gpulab_warm_evictions_total',
      help: 'Warm workers stopped to keep pools of other GPU pinnings than the start-up pool within as many workers as the node has GPUs',
      registers: [r],
      collect() {
        const n = warm()?.evicted ?? evictedSeen;
        if (n > evictedSeen) this.inc(n - evictedSeen);
        evictedSeen = n;
      },
    });
    this.admissions = new Counter({ name: 'gpulab_admissions_total', help: 'Submissions by result (accepted, refused) and reason', labelNames: ['result', 'reason'], registers: [r] });
    const buckets = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800, 3600];
    this.wait = new Histogram({ name: 'gpulab_job_wait_seconds', help: 'Queue wait of each start, seconds', buckets, registers: [r] });
    this.run = new Histogram({ name: 'gpulab_job_run_seconds', help: 'Run time of each finished job, seconds', buckets, registers: [r] });
    this.restarts = new Counter({ name: 'gpulab_executor_restarts', help: 'Workers the executor killed and replaced, by reason (stale-worker: no heartbeat for sandbox.staleAfterBeats intervals)', labelNames: ['reason'], registers: [r] });
    this.restarts.inc({ reason: 'stale-worker' }, 0);
    this.recoveredJobs = new Counter({ name: 'gpulab_recovered_jobs_total', help: 'Jobs found unfinished at start-up, by what recovery did', labelNames: ['action'], registers: [r] });
  }

  admission(result: 'accepted' | 'refused', reason: string): void {
    this.admissions.inc({ result, reason });
  }

  waited(sec: number): void {
    this.wait.observe(sec);
  }

  ran(sec: number): void {
    this.run.observe(sec);
  }

  executorRestart(reason: 'stale-worker'): void {
    this.restarts.inc({ reason });
  }

  recovered(requeued: number, failed: number, queued: number): void {
    this.recoveredJobs.inc({ action: 'requeued' }, requeued);
    this.recoveredJobs.inc({ action: 'failed' }, failed);
    this.recoveredJobs.inc({ action: 'queued' }, queued);
  }
}
