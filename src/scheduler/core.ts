import type { Cluster } from '../cluster/cluster.ts';
import { fitsEmpty } from '../cluster/fit.ts';
import { gpuDemand, reclaimVictims } from '../quota/reclaim.ts';
import type { Quotas } from '../quota/quotas.ts';
import { anyPlacement, fitsSpanningEmpty, placeSpanning } from './gang.ts';
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
  | { readonly kind: 'stop'; readonly job: Job; readonly reason: StopReason }
  /** Stops a running job, keeps its progress (checkpoint), and requeues it. */
  | { readonly kind: 'preempt'; readonly job: Job; readonly reason: string }
  /** Stops a running job whose node `node` went down; requeues it or fails it (`onNodeLoss`). */
  | { readonly kind: 'lose'; readonly job: Job; readonly node: number }
  /** Node `node` goes down: every job holding part of it is lost (`lose`), then it takes no placement. */
  | { readonly kind: 'node-down'; readonly node: number }
  /** Node `node` is up again and may take placements. */
  | { readonly kind: 'node-up'; readonly node: number };

/** Checkpoint/restore cost model of preemption (ms). */
export interface PreemptionCost {
  /** Run time a preempted job spends restoring before it makes progress again, on each restart. */
  readonly restoreMs: number;
  /**
   * Periodic checkpoint interval: progress since the last multiple of it is lost on preemption.
   * 0 (default): a checkpoint is taken at the preemption instant and no progress is lost.
   */
  readonly checkpointIntervalMs?: number;
}

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
  /**
   * `easy`: EASY backfilling (Lifka 1995; Mu'alem & Feitelson 2001). The first queued job in
   * policy order that cannot start gets a reservation at the earliest time the running jobs'
   * expected ends (start + estimate, see `expectedEnd`) free enough for it; a later job may start
   * now only if its expected end is before that time or it leaves the reservation intact. Works
   * with any queue policy; replaces `headOfLine`.
   */
  readonly backfill?: 'none' | 'easy';
  /** Gang options: `spanNodes` lets a multi-GPU job that fits no single node span several. */
  readonly gang?: { readonly spanNodes?: boolean };
  /** Preemption cost (default: no restore time, checkpoint at preemption). */
  readonly preemption?: PreemptionCost;
  /** Per-tenant quotas in cohorts (Kueue semantics, src/quota/quotas.ts). */
  readonly quotas?: Quotas;
  /** MIG: time (ms) to change a GPU's layout; nothing new is granted on it meanwhile. */
  readonly migReconfigMs?: number;
  /**
   * Re-run the scheduling pass every `tickMs` while jobs are both queued and running, for queue
   * policies whose order changes with time alone (LAS thresholds, starvation guards; Tiresias'
   * scheduling interval). Absent: passes run only when events happen.
   */
  readonly tickMs?: number;
  /**
   * What happens to a running job when a node it runs on goes down: `requeue` (default) — back
   * in the queue with its remaining work, charged as a preemption without a checkpoint at the
   * instant (progress since the last periodic checkpoint is lost; without `checkpointIntervalMs`
   * all progress is; a restart pays `restoreMs`); `fail` — the job fails with reason `node-loss`.
   */
  readonly onNodeLoss?: 'requeue' | 'fail';
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
    const m = gpuDemand(j);
    this.gpuInUse += m;
    this.cpuInUse += j.cpu;
    this.memoryInUse += j.memory;
    this.running++;
    this.runMilli += m;
    this.runMilliStart += m * now;
  }
  onStop(j: Job, now: number): void {
    const m = gpuDemand(j);
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
  private readonly span: boolean;
  /** MIG GPUs being reconfigured, and until when. */
  private migBusy: { until: number; node: number; gpu: number }[] = [];
  private nextTick = -1;
  /** Outages in progress per node (outages may overlap); a node is up when it has none. */
  private readonly outages: number[];
  /** Nodes that went down for good. */
  private readonly lostForGood = new Set<number>();

  constructor(options: CoreOptions) {
    this.o = options;
    this.block = options.headOfLine === 'block';
    this.span = options.gang?.spanNodes === true;
    this.outages = options.cluster.nodes.map(() => 0);
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
      spanNodes: this.span,
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
      case 'node-down':
        return this.nodeDown(ev.node, ev.permanent === true);
      case 'node-up':
        return this.nodeUp(ev.node);
    }
  }

  /**
   * One scheduling pass (a no-op when nothing changed since the last one). When jobs stay queued
   * and the queue policy names victims (or quota reclaim does), they are preempted through
   * `apply` and one more pass runs.
   */
  schedule(): void {
    if (!this.dirty) return;
    this.dirty = false;
    const o = this.o;
    const now = o.clock.now();
    if (this.migBusy.length > 0) {
      for (const b of this.migBusy) if (b.until <= now) o.cluster.setMigReconfiguring(b.node, b.gpu, false);
      this.migBusy = this.migBusy.filter((b) => b.until > now);
    }
    if (o.tickMs && this.queue.length > 0 && this.runningJobs.size > 0 && this.nextTick <= now) {
      this.nextTick = now + o.tickMs;
      o.clock.wakeAt(this.nextTick);
    }
    if (this.queue.length === 0) return;
    this.pass(now);
    if (this.queue.length === 0 || (!o.queue.victims && !o.quotas)) return;
    const ctx = { now, rng: o.rng.queue };
    const victims = [...(o.queue.victims?.(this.view, ctx) ?? [])];
    if (o.quotas) victims.push(...reclaimVictims(this.view, o.quotas, o.queue.order(this.view, ctx)));
    const seen = new Set<string>();
    const beneficiaries = new Set<string>();
    for (const v of victims) {
      if (v.for !== undefined) beneficiaries.add(v.for);
      // The policy and quota reclaim may name the same victim: preempt it once.
      if (seen.has(v.job.id)) continue;
      const j = this.all.get(v.job.id);
      if (!j || j.state !== 'running') {
        throw new Error(`preemption named job ${v.job.id}, which is not running`);
      }
      seen.add(j.id);
      this.apply({ kind: 'preempt', job: j, reason: v.reason });
    }
    if (seen.size > 0) {
      this.dirty = false;
      this.pass(now, beneficiaries);
    }
  }

  /** One pass over the queue in policy order; `first`: jobs tried before the rest (preemption beneficiaries). */
  private pass(now: number, first?: ReadonlySet<string>): void {
    const o = this.o;
    let order = o.queue.order(this.view, { now, rng: o.rng.queue });
    if (first && first.size > 0) order = [...order.filter((j) => first.has(j.id)), ...order.filter((j) => !first.has(j.id))];
    const ctx = { now, rng: o.rng.placement };
    const cluster = o.cluster;
    const unfitShapes = new Set<string>();
    const easy = o.backfill === 'easy';
    let reservation: Reservation | undefined;
    let started = 0;
    for (const job of order) {
      const j = this.all.get(job.id);
      if (!j || j.state !== 'queued') {
        throw new Error(`queue policy ${o.queue.name} returned job ${job.id}, which is not queued`);
      }
      if (o.quotas && o.quotas.admit(j.tenant, j.gpus * j.milli, (t) => this.tenantMap.get(t)?.gpuInUse ?? 0).kind !== 'ok') {
        continue; // over quota: waits, whatever fits
      }
      const shape = this.shapeOf.get(j)!;
      let unfit = unfitShapes.has(shape) || j.gpus * j.milli > cluster.gpuCapacity - cluster.gpuAllocated;
      if (!unfit) {
        const out = o.placement.place(j, cluster, ctx);
        const placement = out.kind === 'placed' ? out.placement : this.span ? placeSpanning(cluster, j) : undefined;
        if (placement && (!reservation || reservation.admits(j, placement, now))) {
          this.apply({ kind: 'start', job: j, placement });
          started++;
          continue;
        }
        unfit = !placement;
      }
      if (easy) {
        reservation ??= this.reserve(j, now);
        continue;
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
    if (d.kind === 'node-down') {
      const hit = o.cluster.jobsOn(d.node).map((id) => this.all.get(id)!);
      o.log.append({ t: now, ev: 'node-down', node: o.cluster.nodes[d.node].id, jobs: hit.map((h) => h.id) });
      for (const h of hit) this.apply({ kind: 'lose', job: h, node: d.node });
      o.cluster.setUp(d.node, false);
      return;
    }
    if (d.kind === 'node-up') {
      o.cluster.setUp(d.node, true);
      this.dirty = true;
      o.log.append({ t: now, ev: 'node-up', node: o.cluster.nodes[d.node].id });
      return;
    }
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
      case 'reject': {
        const wasQueued = j.state === 'queued';
        j.state = transition(j.state, 'reject', j.id);
        j.end = now;
        j.reason = d.reason;
        if (wasQueued) {
          // Admitted earlier, now unable ever to run (the nodes it fits on are lost for good):
          // it ends with a finish record, as every admitted job does.
          this.queue = this.queue.filter((q) => q !== j);
          this.dequeueShape(j);
          this.tenantOf(j).queued--;
          o.log.append({ t: now, ev: 'finish', job: j.id, state: j.state, reason: d.reason });
          return;
        }
        o.log.append({ t: now, ev: 'reject', job: j.id, reason: d.reason });
        return;
      }
      case 'start': {
        j.state = transition(j.state, 'start', j.id);
        const alloc = o.cluster.allocate(j.id, j, d.placement);
        j.placement = d.placement;
        j.start = now;
        j.attempt++;
        const reconfigMs = o.migReconfigMs ?? 0;
        if (alloc && alloc.reconfigured.length > 0 && reconfigMs > 0) {
          // The new MIG instance is usable only once the layout change is done.
          j.remaining += reconfigMs;
          j.setup += reconfigMs;
          for (const g of alloc.reconfigured) {
            o.cluster.setMigReconfiguring(g.node, g.gpu, true);
            this.migBusy.push({ until: now + reconfigMs, node: g.node, gpu: g.gpu });
          }
          o.clock.wakeAt(now + reconfigMs);
        }
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
          milli: d.placement.gpus[0]?.milli ?? j.milli,
          attempt: j.attempt,
          ...(d.placement.parts && d.placement.parts.length > 0
            ? { parts: d.placement.parts.map((p) => ({ node: o.cluster.nodes[p.node].id, gpus: p.gpus.map((g) => g.gpu) })) }
            : {}),
          ...(d.placement.gpus[0]?.mig ? { mig: d.placement.gpus[0].mig } : {}),
        });
        o.executor.start(j, d.placement);
        return;
      }
      case 'stop': {
        // Cancellation stops a job for good; preemption is its own decision below.
        o.executor.stop(j, d.reason);
        this.finish(j, 'cancel', now, d.reason);
        return;
      }
      case 'preempt': {
        o.executor.stop(j, 'preempt');
        j.state = transition(j.state, 'preempt', j.id);
        o.cluster.release(j.id);
        this.runningJobs.delete(j.id);
        this.tenantOf(j).onStop(j, now);
        const lost = chargePreemption(j, now - j.start, o.preemption);
        o.log.append({ t: now, ev: 'preempt', job: j.id, reason: d.reason, lost, left: j.remaining });
        this.requeue(j, now);
        return;
      }
      case 'lose': {
        o.executor.stop(j, 'node-loss');
        const node = o.cluster.nodes[d.node].id;
        if (o.onNodeLoss === 'fail') {
          // Nothing of the job is kept: the whole attempt is lost.
          const lost = now - j.start;
          j.nodeLosses++;
          j.lostWork += lost;
          o.log.append({ t: now, ev: 'node-loss', job: j.id, node, lost });
          this.finish(j, 'fail', now, 'node-loss');
          return;
        }
        j.state = transition(j.state, 'node-loss', j.id);
        o.cluster.release(j.id);
        this.runningJobs.delete(j.id);
        this.tenantOf(j).onStop(j, now);
        const lost = chargeNodeLoss(j, now - j.start, o.preemption);
        o.log.append({ t: now, ev: 'node-loss', job: j.id, node, lost, left: j.remaining });
        this.requeue(j, now);
        return;
      }
    }
  }

  /** Puts a stopped (preempted or node-lost) job back in the queue. */
  private requeue(j: Job, now: number): void {
    j.state = transition(j.state, 'requeue', j.id);
    j.queuedAt = now;
    // Back in submit order (Kueue requeues by creation time), after jobs submitted at the same time.
    let at = this.queue.findIndex((q) => q.submit > j.submit);
    if (at < 0) at = this.queue.length;
    this.queue.splice(at, 0, j);
    this.enqueueShape(j);
    this.tenantOf(j).queued++;
    this.dirty = true;
    this.o.log.append({ t: now, ev: 'requeue', job: j.id });
  }

  private nodeDown(node: number, permanent: boolean): void {
    if (this.o.cluster.nodes[node] === undefined) throw new Error(`node-down for unknown node index ${node}`);
    if (permanent) this.lostForGood.add(node);
    if (this.outages[node]++ === 0) this.apply({ kind: 'node-down', node });
    if (permanent) {
      for (const j of [...this.queue]) if (!this.canEverRun(j)) this.apply({ kind: 'reject', job: j, reason: 'never-fits' });
    }
  }

  private nodeUp(node: number): void {
    const n = this.o.cluster.nodes[node];
    if (n === undefined) throw new Error(`node-up for unknown node index ${node}`);
    if (this.outages[node] === 0) throw new Error(`node-up for node ${n.id}, which is not down`);
    if (--this.outages[node] === 0 && !this.lostForGood.has(node)) this.apply({ kind: 'node-up', node });
  }

  /** Whether `j` fits on some node not lost for good, were it empty (alone, or spanning when allowed). */
  private canEverRun(j: Job): boolean {
    const c = this.o.cluster;
    const lost = this.lostForGood;
    if (c.nodes.some((n) => !lost.has(n.index) && fitsEmpty(n, j))) return true;
    return this.span && fitsSpanningEmpty(c, j, lost.size > 0 ? (n) => !lost.has(n.index) : undefined);
  }

  /**
   * EASY reservation for `head`: release running jobs on a copy of the cluster in order of
   * expected end (ties by id) until `head` fits; the reservation is that time and that state.
   * Undefined when it cannot be computed (then nothing is held back).
   */
  private reserve(head: Job, now: number): Reservation | undefined {
    const sim = this.o.cluster.clone();
    const ends = [...this.runningJobs.values()]
      .map((r) => ({ r, end: expectedEnd(r) }))
      .sort((a, b) => a.end - b.end || (a.r.id < b.r.id ? -1 : a.r.id > b.r.id ? 1 : 0));
    const span = this.span;
    let shadow = now;
    for (const { r, end } of ends) {
      if (anyPlacement(sim, head, span)) break;
      sim.release(r.id);
      shadow = Math.max(now, end);
    }
    if (!anyPlacement(sim, head, span)) return undefined;
    const endOf = new Map(ends.map((e) => [e.r.id, e.end]));
    return {
      head: head.id,
      shadow,
      admits(j, placement, t) {
        // Ends (by its estimate) before the reservation starts: cannot delay it.
        if (t + estimateOf(j) <= shadow) return true;
        // Otherwise it must leave the head fitting at the shadow time.
        const trial = sim.clone();
        trial.allocate(j.id, j, placement);
        if (!anyPlacement(trial, head, span)) return false;
        sim.allocate(j.id, j, placement);
        endOf.set(j.id, t + estimateOf(j));
        return true;
      },
    };
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
      ...(j.mig ? { mig: j.mig } : {}),
    });
    if (o.maxQueue !== undefined && this.queue.length >= o.maxQueue) {
      this.apply({ kind: 'reject', job: j, reason: 'queue-full' });
    } else if (!this.canEverRun(j)) {
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
    j.executed += now - j.start;
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
  return `${j.cpu}/${j.memory}/${j.gpus}/${j.milli}/${j.models ? j.models.join('|') : ''}${j.mig ? `/${j.mig}` : ''}`;
}

interface Reservation {
  readonly head: string;
  /** Time (ms) at which the head job is expected to fit. */
  readonly shadow: number;
  /** Whether starting `j` at `placement` now keeps the reservation; records it when it does. */
  admits(j: Job, placement: Placement, now: number): boolean;
}

/** The scenario-supplied estimate of a job's run time (ms): `estimate`, else `duration`. */
export function estimateOf(j: JobView): number {
  return j.estimate ?? j.duration;
}

/**
 * Expected end of a running job: start + this attempt's run time scaled by estimate / duration
 * (exact when the estimate is exact; the simulator knows `remaining`, a real scheduler only the
 * estimate).
 */
export function expectedEnd(j: JobView): number {
  const est = estimateOf(j);
  return j.start + (j.duration > 0 ? Math.round((j.remaining * est) / j.duration) : j.remaining);
}

/**
 * Accounts a preemption after `ran` ms of this attempt; updates `remaining`, `setup`, `lostWork`,
 * `executed` and `preemptions`, and returns the run time lost. Run time of an attempt =
 * setup (restore/reconfiguration) + progress; progress is kept up to the last checkpoint.
 * Invariant (tested): Σ run time over all attempts = duration + lostWork.
 */
export function chargePreemption(j: Job, ran: number, cost: PreemptionCost | undefined): number {
  j.preemptions++;
  return chargeInterruption(j, ran, cost, true);
}

/**
 * Accounts a node loss after `ran` ms of this attempt, as `chargePreemption` does except that no
 * checkpoint is taken at the instant: progress since the last multiple of `checkpointIntervalMs`
 * is lost, and all of this attempt's progress when no interval is set. The restart pays
 * `restoreMs`, as after a preemption. Same invariant: Σ run time = duration + lostWork.
 */
export function chargeNodeLoss(j: Job, ran: number, cost: PreemptionCost | undefined): number {
  j.nodeLosses++;
  return chargeInterruption(j, ran, cost, false);
}

function chargeInterruption(j: Job, ran: number, cost: PreemptionCost | undefined, checkpointNow: boolean): number {
  const setupPaid = Math.min(ran, j.setup);
  const progress = ran - setupPaid;
  const interval = cost?.checkpointIntervalMs ?? 0;
  const kept = interval > 0 ? Math.floor(progress / interval) * interval : checkpointNow ? progress : 0;
  const workLeft = j.remaining - j.setup - kept;
  const lost = ran - kept;
  const restore = cost?.restoreMs ?? 0;
  j.lostWork += lost;
  j.executed += ran;
  j.setup = restore;
  j.remaining = workLeft + restore;
  return lost;
}
