import type { Cluster } from '../cluster/cluster.ts';
import { fitsEmpty } from '../cluster/fit.ts';
import type { Placement } from '../cluster/types.ts';
import type { Rng } from '../engine/rng.ts';
import { newJob, type Job, type JobSpec, type JobView } from '../jobs/job.ts';
import { transition } from '../jobs/lifecycle.ts';
import type { EventLog } from '../output/records.ts';
import type { Clock } from './clock.ts';
import type { SchedEvent } from './events.ts';
import type { Executor, StopReason } from './executor.ts';
import type { PlacementPolicy, QueuePolicy, SchedulerView, TenantView } from './policy.ts';

/** What the core decided; every decision goes through `apply` and is logged. */
export type Decision =
  | { readonly kind: 'admit'; readonly job: Job }
  | { readonly kind: 'reject'; readonly job: Job; readonly reason: string }
  | { readonly kind: 'start'; readonly job: Job; readonly placement: Placement }
  | { readonly kind: 'stop'; readonly job: Job; readonly reason: StopReason };

export interface TenantConfig {
  readonly name: string;
  readonly weight: number;
}

export interface CoreOptions {
  readonly cluster: Cluster;
  readonly queue: QueuePolicy;
  readonly placement: PlacementPolicy;
  readonly clock: Clock;
  readonly executor: Executor;
  readonly log: EventLog;
  readonly rng: { readonly queue: Rng; readonly placement: Rng };
  readonly tenants?: readonly TenantConfig[];
  /**
   * `skip` (default): a job that does not fit is passed over and later jobs may start
   * (work-conserving, like kube-scheduler). `block`: the pass stops at the first job that does
   * not fit (strict head-of-line order, as in a batch FIFO).
   */
  readonly headOfLine?: 'skip' | 'block';
  /** Bounded queue: arrivals beyond this many queued jobs are rejected with `queue-full`. */
  readonly maxQueue?: number;
}

class TenantState implements TenantView {
  gpuInUse = 0;
  cpuInUse = 0;
  memoryInUse = 0;
  running = 0;
  queued = 0;
  /** GPU·ms of finished attempts. */
  private attainedDone = 0;
  /** Σ milli over running jobs, and Σ milli × start: attained(now) is then O(1). */
  private runMilli = 0;
  private runMilliStart = 0;
  constructor(
    readonly name: string,
    readonly weight: number,
    private readonly clock: Clock,
  ) {}
  get attainedGpu(): number {
    return this.attainedDone + this.runMilli * this.clock.now() - this.runMilliStart;
  }
  onStart(j: Job, now: number): void {
    const m = j.gpus * j.milli;
    this.gpuInUse += m;
    this.cpuInUse += j.cpu;
    this.memoryInUse += j.memory;
    this.running++;
    this.runMilli += m;
    this.runMilliStart += m * now;
  }
  onStop(j: Job, now: number): void {
    const m = j.gpus * j.milli;
    this.gpuInUse -= m;
    this.cpuInUse -= j.cpu;
    this.memoryInUse -= j.memory;
    this.running--;
    this.runMilli -= m;
    this.runMilliStart -= m * j.start;
    this.attainedDone += m * (now - j.start);
  }
}

/**
 * The scheduler core: reacts to events, asks the queue policy for an order and the placement
 * policy for a place, and applies the resulting decisions to the cluster, the jobs, the executor
 * and the log. It knows nothing of simulated versus real time: time comes from `Clock`, work is
 * run by `Executor`. Drivers call `handle` for each event and `schedule` once the events of an
 * instant are handled.
 */
export class SchedulerCore {
  private readonly o: CoreOptions;
  private readonly all = new Map<string, Job>();
  private queue: Job[] = [];
  private readonly runningJobs = new Map<string, Job>();
  private readonly tenantMap = new Map<string, TenantState>();
  /** Placement shape of each queued job, and how many queued jobs share each shape. */
  private readonly shapeOf = new Map<Job, string>();
  private readonly queuedShapes = new Map<string, number>();
  private tenantList: TenantState[] = [];
  private dirty = false;
  private readonly block: boolean;
  private readonly view: SchedulerView;

  constructor(options: CoreOptions) {
    this.o = options;
    this.block = options.headOfLine === 'block';
    for (const t of options.tenants ?? []) this.tenant(t.name, t.weight);
    const self = this;
    this.view = {
      get now() {
        return self.o.clock.now();
      },
      cluster: options.cluster,
      get queue() {
        return self.queue;
      },
      get running() {
        return [...self.runningJobs.values()];
      },
      get tenants() {
        return self.tenantList;
      },
    };
  }

  /** Every job seen so far, by id. */
  get jobs(): ReadonlyMap<string, JobView> {
    return this.all;
  }

  /** The read-only view queue policies receive (tools and tests use it too). */
  get schedulerView(): SchedulerView {
    return this.view;
  }

  get queued(): readonly JobView[] {
    return this.queue;
  }

  get runningCount(): number {
    return this.runningJobs.size;
  }

  /** True when nothing is queued or running. */
  get idle(): boolean {
    return this.queue.length === 0 && this.runningJobs.size === 0;
  }

  handle(ev: SchedEvent): void {
    switch (ev.kind) {
      case 'arrival':
        return this.arrive(ev.job);
      case 'completion':
        return this.complete(ev.jobId, ev.attempt, ev.outcome, ev.reason);
      case 'cancel':
        return this.cancel(ev.jobId);
      case 'wake':
        this.dirty = true;
        return;
    }
  }

  /** One scheduling pass (a no-op when nothing changed since the last one). */
  schedule(): void {
    if (!this.dirty) return;
    this.dirty = false;
    if (this.queue.length === 0) return;
    const o = this.o;
    const now = o.clock.now();
    const order = o.queue.order(this.view, { now, rng: o.rng.queue });
    const ctx = { now, rng: o.rng.placement };
    const cluster = o.cluster;
    const unfitShapes = new Set<string>();
    let started = 0;
    for (const job of order) {
      const j = this.all.get(job.id);
      if (!j || j.state !== 'queued') {
        throw new Error(`queue policy ${o.queue.name} returned job ${job.id}, which is not queued`);
      }
      const shape = this.shapeOf.get(j)!;
      let unfit = unfitShapes.has(shape) || j.gpus * j.milli > cluster.gpuCapacity - cluster.gpuAllocated;
      if (!unfit) {
        const out = o.placement.place(j, cluster, ctx);
        if (out.kind === 'placed') {
          this.apply({ kind: 'start', job: j, placement: out.placement });
          started++;
          continue;
        }
        unfit = true;
      }
      if (this.block) break;
      unfitShapes.add(shape);
      // Every shape still queued is known not to fit: the rest of the pass cannot start anything.
      if (unfitShapes.size === this.queuedShapes.size) break;
    }
    if (started > 0) this.queue = this.queue.filter((j) => j.state === 'queued');
  }

  /** Applies one decision: the only place where jobs, cluster, executor and log change together. */
  apply(d: Decision): void {
    const o = this.o;
    const now = o.clock.now();
    const j = d.job;
    switch (d.kind) {
      case 'admit':
        j.state = transition(j.state, 'admit', j.id);
        j.queuedAt = now;
        this.queue.push(j);
        this.enqueueShape(j);
        this.tenantOf(j).queued++;
        this.dirty = true;
        o.log.append({ t: now, ev: 'admit', job: j.id });
        return;
      case 'reject':
        j.state = transition(j.state, 'reject', j.id);
        j.end = now;
        j.reason = d.reason;
        o.log.append({ t: now, ev: 'reject', job: j.id, reason: d.reason });
        return;
      case 'start': {
        j.state = transition(j.state, 'start', j.id);
        o.cluster.allocate(j.id, j, d.placement);
        j.placement = d.placement;
        j.start = now;
        j.attempt++;
        this.runningJobs.set(j.id, j);
        this.dequeueShape(j);
        const t = this.tenantOf(j);
        t.queued--;
        t.onStart(j, now);
        o.log.append({
          t: now,
          ev: 'start',
          job: j.id,
          node: o.cluster.nodes[d.placement.node].id,
          gpus: d.placement.gpus.map((g) => g.gpu),
          milli: j.milli,
          attempt: j.attempt,
        });
        o.executor.start(j, d.placement);
        return;
      }
      case 'stop': {
        // Only cancellation stops a job in this core; preemption extends this case.
        o.executor.stop(j, d.reason);
        this.finish(j, 'cancel', now, d.reason);
        return;
      }
    }
  }

  private arrive(spec: JobSpec): void {
    if (this.all.has(spec.id)) throw new Error(`duplicate job id ${spec.id}`);
    const j = newJob(spec);
    this.all.set(j.id, j);
    this.tenantOf(j);
    const o = this.o;
    const now = o.clock.now();
    o.log.append({
      t: now,
      ev: 'arrival',
      job: j.id,
      tenant: j.tenant,
      cpu: j.cpu,
      mem: j.memory,
      gpus: j.gpus,
      milli: j.milli,
      ...(j.models && j.models.length > 0 ? { models: j.models } : {}),
      prio: j.priority,
      dur: j.duration,
    });
    if (o.maxQueue !== undefined && this.queue.length >= o.maxQueue) {
      this.apply({ kind: 'reject', job: j, reason: 'queue-full' });
    } else if (!o.cluster.nodes.some((n) => fitsEmpty(n, j))) {
      this.apply({ kind: 'reject', job: j, reason: 'never-fits' });
    } else {
      this.apply({ kind: 'admit', job: j });
    }
  }

  private complete(id: string, attempt: number, outcome: 'succeeded' | 'failed' | 'timed-out', reason?: string): void {
    const j = this.all.get(id);
    if (!j) throw new Error(`completion for unknown job ${id}`);
    // A completion from an earlier attempt, or for a job already stopped, is stale: ignore it.
    if (j.state !== 'running' || j.attempt !== attempt) return;
    const event = outcome === 'succeeded' ? 'succeed' : outcome === 'failed' ? 'fail' : 'timeout';
    j.remaining = outcome === 'succeeded' ? 0 : j.remaining;
    this.finish(j, event, this.o.clock.now(), reason);
  }

  private cancel(id: string): void {
    const j = this.all.get(id);
    if (!j) throw new Error(`cancel for unknown job ${id}`);
    if (j.state === 'running') {
      this.apply({ kind: 'stop', job: j, reason: 'cancel' });
    } else if (j.state === 'queued' || j.state === 'pending') {
      const wasQueued = j.state === 'queued';
      j.state = transition(j.state, 'cancel', j.id);
      j.end = this.o.clock.now();
      if (wasQueued) {
        this.queue = this.queue.filter((q) => q !== j);
        this.dequeueShape(j);
        this.tenantOf(j).queued--;
      }
      this.o.log.append({ t: j.end, ev: 'cancel', job: j.id });
      this.o.log.append({ t: j.end, ev: 'finish', job: j.id, state: j.state });
    }
    // Cancelling a job that already ended is a no-op (idempotent).
  }

  /** Ends a running job: releases its resources and logs the terminal state. */
  private finish(j: Job, event: 'succeed' | 'fail' | 'timeout' | 'cancel', now: number, reason?: string): void {
    j.state = transition(j.state, event, j.id);
    this.o.cluster.release(j.id);
    this.runningJobs.delete(j.id);
    this.tenantOf(j).onStop(j, now);
    j.end = now;
    if (reason) j.reason = reason;
    this.dirty = true;
    if (event === 'cancel') this.o.log.append({ t: now, ev: 'cancel', job: j.id });
    this.o.log.append({ t: now, ev: 'finish', job: j.id, state: j.state, ...(reason ? { reason } : {}) });
  }

  private enqueueShape(j: Job): void {
    const shape = shapeKey(j);
    this.shapeOf.set(j, shape);
    this.queuedShapes.set(shape, (this.queuedShapes.get(shape) ?? 0) + 1);
  }

  private dequeueShape(j: Job): void {
    const shape = this.shapeOf.get(j)!;
    this.shapeOf.delete(j);
    const n = this.queuedShapes.get(shape)! - 1;
    if (n === 0) this.queuedShapes.delete(shape);
    else this.queuedShapes.set(shape, n);
  }

  private tenant(name: string, weight: number): TenantState {
    const t = new TenantState(name, weight, this.o.clock);
    this.tenantMap.set(name, t);
    this.tenantList = [...this.tenantMap.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return t;
  }

  private tenantOf(j: JobSpec): TenantState {
    return this.tenantMap.get(j.tenant) ?? this.tenant(j.tenant, 1);
  }
}

/** Jobs with equal shapes are interchangeable for placement feasibility. */
function shapeKey(j: Job): string {
  return `${j.cpu}/${j.memory}/${j.gpus}/${j.milli}/${j.models ? j.models.join('|') : ''}`;
}
