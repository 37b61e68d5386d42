import type { Placement } from '../cluster/types.ts';
import { newJob, type Job, type JobSpec, type JobView } from '../jobs/job.ts';
import { transition } from '../jobs/lifecycle.ts';
import { canEverRun } from './admission.ts';
import { FairWalk, type RoundWalk, type Share, type Usage } from './fair-walk.ts';
import { reserve, type Reservation } from './backfill.ts';
import type { SchedEvent } from './events.ts';
import { placeSpanning } from './gang.ts';
import { IdSet } from './id-set.ts';
import type { KeyedWalk } from './keyed-queue.ts';
import { interruption } from './interruption.ts';
import { Outages } from './outages.ts';
import { PolicyGuard } from './policy-guard.ts';
import type { AdmissionPolicy, LazyOrder, PolicyContext, PreemptionPolicy, QuotaView, SchedulerView, TenantView } from './policy.ts';
import { QueueIndex, queueOrder, type TenantVisit } from './queue-index.ts';
import { collectVictims } from './victims.ts';
import { arrivalRecord, startRecord } from './records.ts';
import { TenantLedger } from './tenant-ledger.ts';

import type { CoreOptions, Decision } from './core-options.ts';

export type { CoreOptions, Decision, TenantConfig } from './core-options.ts';
export type { PreemptionCost } from './interruption.ts';

/**
 * The scheduler core: reacts to events, asks the queue policy for an order, the admission
 * policies whether a job may enter or start, the placement policy for a place and the preemption
 * policies for victims, and applies the resulting decisions to the cluster, the jobs, the
 * executor and the log. It knows nothing of simulated versus real time: time comes from `Clock`,
 * work is run by `Executor`. Drivers call `handle` for each event and `schedule` once the events
 * of an instant are handled (`wireCore` builds one).
 */
export class SchedulerCore {
  private readonly o: CoreOptions;
  private readonly all = new Map<string, Job>();
  /** Ids of ended jobs dropped from `all` (`forgetEnded`). */
  private readonly endedIds = new IdSet();
  /** Hierarchy: ids of jobs withdrawn from this core (a completion of an attempt that ran here may still come). */
  private readonly withdrawnIds = new IdSet();
  private readonly queue: QueueIndex;
  /** The shape walk under way (`passByShape`), read by `shapeVisit`: its time, its placement context, whether it ran to its end. */
  private walkNow = 0;
  private walkCtx: PolicyContext | undefined;
  private walkDone = true;
  private readonly runningJobs = new Map<string, Job>();
  private readonly tenants: TenantLedger;
  private readonly outages: Outages;
  private readonly guard: PolicyGuard;
  private readonly arrivalGates: readonly AdmissionPolicy[];
  private readonly startGates: readonly AdmissionPolicy[];
  private readonly preemptors: readonly PreemptionPolicy[];
  private dirty = false;
  /**
   * Wake-ups asked of the clock and not yet handled, by time: one is asked per instant however
   * often a pass, a placement answering `wait` or a MIG layout change asks for it (a placement
   * that waits is asked again on every pass, and a walk by shape that meets it is followed by the
   * general pass, which asks again).
   */
  private readonly wakes = new Set<number>();
  /** During the pass after a preemption: the placements its plans nominated for the jobs preempted for. */
  private nominated: ReadonlyMap<string, Placement> | undefined;
  private readonly view: SchedulerView;
  private readonly span: boolean;
  /**
   * Passes may walk the queue by shape (`passByShape`) when no start gate but those whose refusal
   * holds for a tenant and shape (`claims.sameForTenantAndShape`) gates, nothing backfills and no
   * job contexts are kept, and the queue policy keeps queue order (fifo) or reads the core's own
   * index by a key (`view.queuedBy`).
   */
  private readonly shapeWalks: boolean;
  /**
   * Start gates that all claim `sameForTenantAndShape`: the queue keeps one list per tenant and
   * shape, and a pass drops a list (a tenant's jobs of a shape) at its first refusal.
   */
  private readonly heldByList: boolean;
  /** The walk under way: the placement shapes (`fitKeyOf`) found not to fit, with `heldByList` (other tenants' lists of a shape are dropped on sight). */
  private walkUnfit: Set<string> | undefined;
  /** The walk under way: its admission context, for the start gates. */
  private walkGateCtx: PolicyContext | undefined;
  /** `shapeWalks` and the queue policy keeps queue order (fifo): its passes walk the queue by shape. */
  private readonly fifoWalks: boolean;
  /** MIG GPUs being reconfigured, and until when. */
  private migBusy: { until: number; node: number; gpu: number }[] = [];
  private nextTick = -1;
  /**
   * Hierarchy: where a queued job goes that this core can no longer ever run after a permanent
   * node loss (withdrawn, for the master to route elsewhere); unset, such a job is rejected.
   */
  giveBack: ((j: Job) => void) | undefined = undefined;

  constructor(options: CoreOptions) {
    this.o = options;
    this.span = options.gang?.spanNodes === true;
    this.outages = new Outages(options.cluster.nodes.length);
    this.tenants = new TenantLedger(options.clock, options.tenants);
    this.guard = options.guard ?? new PolicyGuard();
    this.arrivalGates = options.admission.filter((a) => a.onArrival);
    this.startGates = options.admission.filter((a) => a.mayStart);
    this.preemptors = options.preemptors ?? [];
    this.heldByList = this.startGates.length > 0 && this.startGates.every((g) => g.claims?.sameForTenantAndShape === true);
    this.queue = new QueueIndex(this.heldByList);
    this.shapeWalks = (this.startGates.length === 0 || this.heldByList) && options.backfill !== 'easy' && !options.contexts;
    this.fifoWalks = this.shapeWalks && options.queue.order === queueOrder;
    const self = this;
    this.view = {
      get now() {
        return self.o.clock.now();
      },
      cluster: options.cluster,
      get queue() {
        return self.queue.jobs;
      },
      get running() {
        return [...self.runningJobs.values()];
      },
      get tenants() {
        return self.tenants.list;
      },
      spanNodes: this.span,
      get retiredNodes() {
        return self.outages.retiredNodes;
      },
      queuedOf: (name: string) => this.queue.tenantJobs(name),
      queuedBy: (key: (j: JobView) => number, moved?: ReadonlyMap<JobView, number>) => this.queue.sortedBy(key, moved),
      queuedFairly: (share: Share) => this.queue.fairly(this.view, share),
      queuedInRounds: (names: readonly string[]) => this.queue.inRounds(names),
      queuedShapesOf: (name: string) => this.queue.shapesOf(name),
      // A plain object of closures: a policy's read-only view (a proxy, in the conformance kit) calls them unbound.
      ...(options.quotas ? { quotas: quotaView(options.quotas) } : {}),
    };
  }

  /** Every job seen so far, by id (with `forgetEnded`: those not yet ended). */
  get jobs(): ReadonlyMap<string, JobView> {
    return this.all;
  }

  /** The read-only view queue policies receive (tools and tests use it too). */
  get schedulerView(): SchedulerView {
    return this.view;
  }

  get queued(): readonly JobView[] {
    return this.queue.jobs;
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
        return this.complete(ev.jobId, ev.attempt, ev.outcome, ev.reason, ev.retry === true);
      case 'cancel':
        return this.cancel(ev.jobId);
      case 'wake': {
        this.dirty = true;
        const now = this.o.clock.now();
        // A wake-up due now (or, on a wall clock, already past) is no longer pending.
        for (const t of this.wakes) if (t <= now) this.wakes.delete(t);
        return;
      }
      case 'node-down':
        return this.nodeDown(ev.node, ev.permanent === true);
      case 'node-up':
        return this.nodeUp(ev.node);
    }
  }

  /**
   * One scheduling pass (a no-op when nothing changed since the last one). When jobs stay queued
   * and a preemption policy names victims, they are preempted through `apply` and one more pass
   * runs, trying the jobs they were preempted for first.
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
      this.wakeAt(this.nextTick);
    }
    if (this.queue.length === 0) return;
    this.pass(now);
    if (this.queue.length === 0 || (!o.queue.victims && this.preemptors.length === 0)) return;
    const victims = collectVictims(this.guard, o.queue, this.preemptors, this.view, o.rng, now, () => this.readerOrder(now));
    const seen = new Set<string>();
    const beneficiaries = new Set<string>();
    /** Where the plans put the jobs preempted for (the first plan naming a job wins). */
    let nominated: Map<string, Placement> | undefined;
    for (const v of victims) {
      if (v.for !== undefined) {
        beneficiaries.add(v.for);
        // The guard checked its shape; spanning nodes is the core's rule, as for `place`.
        if (v.nominated !== undefined && !nominated?.has(v.for)) {
          if (!this.span && v.nominated.parts && v.nominated.parts.length > 0) {
            throw this.guard.contract('preemption', v.policy, 'victims', '', now, `nominated a placement spanning nodes for job ${v.for} while gang.spanNodes is off,`);
          }
          (nominated ??= new Map()).set(v.for, v.nominated);
        }
      }
      // Two policies (say the queue policy and quota reclaim) may name the same victim: preempt it once.
      if (seen.has(v.job.id)) continue;
      const j = this.all.get(v.job.id);
      if (!j || j.state !== 'running') throw this.guard.contract('preemption', v.policy, 'victims', '', now, `named job ${v.job.id}, which is not running,`);
      seen.add(j.id);
      this.apply({ kind: 'preempt', job: j, reason: v.reason });
    }
    if (seen.size > 0) {
      this.dirty = false;
      this.nominated = nominated;
      try {
        this.pass(now, beneficiaries);
      } finally {
        this.nominated = undefined;
      }
    }
  }

  /** One pass over the queue in policy order; `first`: jobs tried before the rest (preemption beneficiaries). */
  private pass(now: number, first?: ReadonlySet<string>): void {
    const o = this.o;
    const front = first && first.size > 0 ? first : undefined;
    if (this.fifoWalks && this.queue.ordered && this.passByShape(now, undefined, front)) return;
    const guard = this.guard;
    const qctx: PolicyContext = { now, rng: o.rng.queue };
    let order: Iterable<JobView>;
    if (o.queue.lazyOrder) {
      const source = guard.lazySource(o.queue, this.view, qctx);
      // The core's own index by a key (view.queuedBy) need not be read job by job: walk it by shape.
      if (this.shapeWalks && this.queue.isSortedWalk(source) && this.passByShape(now, source, front)) return;
      // An order over the core's tenant queues (view.queuedFairly, view.queuedInRounds): walk it by
      // tenant and shape (after a preemption, with the one job it made room for tried first).
      const one = front === undefined ? undefined : this.onlyQueued(front);
      if (this.shapeWalks && (!front || one) && this.queue.isTenantWalk(source) && this.passByTenant(now, source, one)) return;
      order = guard.lazySteps(o.queue, source, qctx);
    } else order = guard.order(o.queue, this.view, qctx);
    if (front) order = firstThenRest(order, front);
    const ctx: PolicyContext = o.contexts ? { now, rng: o.rng.placement, warm: o.contexts.warm } : { now, rng: o.rng.placement };
    const actx: PolicyContext = { now, rng: o.rng.admission ?? o.rng.queue };
    const cluster = o.cluster;
    // Placement shapes found not to fit. With `heldByList`, `done` holds the lists (tenant and
    // shape) passed for good: a gate refused one of their jobs, or their shape does not fit.
    const unfitShapes = new Set<string>();
    const byList = this.heldByList;
    const done = byList ? new Set<string>() : unfitShapes;
    const easy = o.backfill === 'easy';
    const block = o.headOfLine === 'block';
    const gates = this.startGates;
    let reservation: Reservation | undefined;
    for (const job of order) {
      const j = job === null || typeof job !== 'object' ? undefined : this.all.get(job.id);
      if (!j || j.state !== 'queued') {
        throw guard.contract('queue', o.queue.name, 'order', '', now, `returned ${j ? `job ${j.id}, which is ${j.state}` : `${JSON.stringify(job)}, which is not a queued job`},`);
      }
      const list = this.queue.shapeOf(j);
      if (byList && done.has(list)) continue;
      if (gates.length > 0 && !gates.every((g) => guard.mayStart(g, j, this.view, actx))) {
        // Held back: waits, whatever fits; with `heldByList`, so do its tenant's jobs of its shape.
        if (byList) {
          done.add(list);
          if (done.size === this.queue.shapeCount) break;
        }
        continue;
      }
      const shape = byList ? this.queue.fitKeyOf(j) : list;
      let unfit = unfitShapes.has(shape);
      if (!unfit) {
        const placement = this.placeJob(j, now, ctx);
        if (placement === 'wait') continue; // asked to be tried again later (a wake-up is set): not a verdict on its shape
        if (placement && (!reservation || reservation.admits(j, placement, now))) {
          this.apply({ kind: 'start', job: j, placement });
          continue;
        }
        unfit = !placement;
      }
      if (easy) {
        reservation ??= reserve(cluster, this.runningJobs.values(), j, now, this.span);
        continue;
      }
      if (block) break;
      unfitShapes.add(shape);
      if (byList) done.add(list);
      // Every shape still queued is known not to fit (or held): the rest of the pass cannot start anything.
      if (done.size === this.queue.shapeCount) break;
    }
  }

  /**
   * The pass of a queue policy that keeps queue order (`queueOrder`, fifo), or whose lazy order is
   * the core's own index by a key (`sorted`, a `view.queuedBy` walk: sjf, srtf, priority), with no
   * start gates and no backfill: the same jobs tried in the same order as walking that order,
   * skipping the shapes known not to fit, but found by merging the heads of the per-shape lists
   * (each by the key, for `sorted`) — O((started + shapes) · log shapes) a pass, not O(queue).
   * After a preemption, the jobs it made room for (`first`) are tried first, as the general pass
   * tries them. False when the placement asked a job to wait: the walk
   * stops there and the caller runs the general pass (a waiting job does not rule out its shape).
   */
  private passByShape(now: number, sorted?: KeyedWalk, first?: ReadonlySet<string>): boolean {
    // The walk's state lives in fields read by the one `shapeVisit` closure made with the core (a
    // pass made a state object and a closure before). Put back as it was after the walk, should a
    // decision's executor ever run a pass of its own.
    const { walkNow, walkCtx, walkDone, walkUnfit, walkGateCtx } = this;
    this.walkNow = now;
    this.walkCtx = { now, rng: this.o.rng.placement };
    this.walkDone = true;
    this.beginHolds(now);
    try {
      this.walkShapes(sorted, first);
      return this.walkDone;
    } finally {
      this.walkNow = walkNow;
      this.walkCtx = walkCtx;
      this.walkDone = walkDone;
      this.walkUnfit = walkUnfit;
      this.walkGateCtx = walkGateCtx;
    }
  }

  private walkShapes(sorted?: KeyedWalk, first?: ReadonlySet<string>): void {
    const visit = this.shapeVisit;
    // The jobs a preemption made room for first, in the order's order; a shape that does not fit
    // is dropped from the walk after them.
    let dropped: Set<string> | undefined;
    if (first) {
      dropped = new Set<string>();
      const front: Job[] = [];
      for (const id of first) {
        const j = this.all.get(id);
        if (j && j.state === 'queued') front.push(j);
      }
      for (const j of this.queue.inOrder(front, sorted)) {
        const shape = this.queue.shapeOf(j);
        if (dropped.has(shape)) continue;
        const r = visit(j);
        if (r === 'stop') return;
        if (!r) dropped.add(shape);
      }
    }
    const rest = dropped === undefined || dropped.size === 0 ? visit : this.skipShapes(dropped, visit);
    if (sorted) this.queue.walkByKeyAndShape(sorted, rest);
    else this.queue.walkByShape(rest);
  }

  /** `passByShape`'s visit: tries `j` (true: started; false: its shape does not fit; 'stop': block, or a placement asked to wait, then `walkDone` is false). */
  private readonly shapeVisit = (j: Job): boolean | 'stop' => {
    if (this.heldByList && this.held(j)) return false;
    const placement = this.placeJob(j, this.walkNow, this.walkCtx!);
    if (placement === 'wait') {
      this.walkDone = false;
      return 'stop';
    }
    if (!placement) return this.o.headOfLine === 'block' ? 'stop' : this.unfitInWalk(j);
    this.apply({ kind: 'start', job: j, placement });
    return true;
  };

  /** A walk's start (`passByShape`, `passByTenant`): with `heldByList`, no shape known unfit yet. */
  private beginHolds(now: number): void {
    if (!this.heldByList) return;
    this.walkUnfit = new Set();
    this.walkGateCtx = { now, rng: this.o.rng.admission ?? this.o.rng.queue };
  }

  /**
   * With `heldByList`, in a walk: whether `j`'s list is to be dropped before placement — its
   * placement shape found not to fit (in another tenant's list), or a start gate refusing it
   * (which then holds for its tenant and shape for the rest of the pass).
   */
  private held(j: Job): boolean {
    if (this.walkUnfit!.has(this.queue.fitKeyOf(j))) return true;
    const gates = this.startGates;
    for (let i = 0; i < gates.length; i++) if (!this.guard.mayStart(gates[i], j, this.view, this.walkGateCtx!)) return true;
    return false;
  }

  /** `j` did not fit (`skip`): with `heldByList`, its placement shape is remembered for the other tenants' lists. False. */
  private unfitInWalk(j: Job): false {
    if (this.heldByList) this.walkUnfit!.add(this.queue.fitKeyOf(j));
    return false;
  }

  /**
   * The pass of an order over the core's tenant queues (`view.queuedFairly`, `view.queuedInRounds`)
   * with no start gates but those whose refusals hold by tenant and shape, no backfill and at most
   * one job to try first (`first`, the job a preemption made room for): the jobs of the order tried
   * in its order, as the general pass reads it, but the jobs of shapes known not to fit (or held)
   * passed over in bulk by the queue's tenant cursors instead of read one by one (`QueueIndex.walkByTenant`). A
   * fair order's `share` is called through the guard, for each tenant's next job. False when the
   * walk declines (a share or attained service not finite at the start): the caller reads the order.
   */
  private passByTenant(now: number, w: FairWalk | RoundWalk, first?: Job): boolean {
    const { walkNow, walkCtx, walkUnfit, walkGateCtx } = this;
    this.walkNow = now;
    this.walkCtx = { now, rng: this.o.rng.placement };
    this.beginHolds(now);
    const q = this.o.queue;
    const share = w instanceof FairWalk ? (t: TenantView, u: Usage) => this.guard.lazyShare(q, w.share, t, u, now) : undefined;
    try {
      return this.queue.walkByTenant(w, share, (what) => this.guard.contract('queue', q.name, 'lazyOrder', '', now, what), this.tenantVisit, first);
    } finally {
      this.walkNow = walkNow;
      this.walkCtx = walkCtx;
      this.walkUnfit = walkUnfit;
      this.walkGateCtx = walkGateCtx;
    }
  }

  /** `passByTenant`'s visit: as the general pass treats a job it reads (a wait is no verdict on the shape; block stops at the first that does not fit). */
  private readonly tenantVisit = (j: Job): TenantVisit => {
    if (this.heldByList && this.held(j)) return 'unfit';
    const placement = this.placeJob(j, this.walkNow, this.walkCtx!);
    if (placement === 'wait') return 'wait';
    if (!placement) return this.o.headOfLine === 'block' ? 'stop' : (this.unfitInWalk(j), 'unfit');
    this.apply({ kind: 'start', job: j, placement });
    return 'started';
  };

  /**
   * The queue policy's order for a preemption policy that reads it as produced (`victimsLazily`):
   * its lazy order read step by step (checked as a pass's is), else the order built whole. A fair
   * order over a queue split by tenant and shape can also be walked (`LazyOrder.walk`) by the
   * queue's tenant cursors, and queue order (fifo) by its lists merged in queue order, either
   * passing what the reader passes in bulk.
   */
  private readerOrder(now: number): LazyOrder {
    const o = this.o;
    const q = o.queue;
    const qctx: PolicyContext = { now, rng: o.rng.queue };
    if (!q.lazyOrder) {
      // Queue order (fifo) over a split queue: walked by its tenant and shape lists merged in queue
      // order, the queue array (compacted when read: O(queue)) built only if read as an iterable.
      if (this.heldByList && q.order === queueOrder && this.queue.ordered) {
        return { [Symbol.iterator]: () => this.guard.order(q, this.view, qctx)[Symbol.iterator](), walk: (visit) => this.queue.readByShape(visit) };
      }
      return this.guard.order(q, this.view, qctx);
    }
    const source = this.guard.lazySource(q, this.view, qctx);
    const steps = () => this.guard.lazySteps(q, source, qctx);
    if (!this.heldByList || !this.queue.isTenantWalk(source)) return { [Symbol.iterator]: steps };
    const w = source;
    const share = w instanceof FairWalk ? (t: TenantView, u: Usage) => this.guard.lazyShare(q, w.share, t, u, now) : undefined;
    const broken = (what: string) => this.guard.contract('queue', q.name, 'lazyOrder', '', now, what);
    return {
      [Symbol.iterator]: steps,
      walk: (visit) => {
        const walked = this.queue.walkByTenant(w, share, broken, (j) => {
          const r = visit(j);
          return r === 'pass' ? 'unfit' : r === 'next' ? 'wait' : r;
        });
        // Declined before reading anything (a share not finite at the start): read step by step.
        if (!walked) for (const j of steps()) if (visit(j) === 'stop') return;
      },
    };
  }

  /** The one job of `ids` when there is exactly one and it is queued; else undefined. */
  private onlyQueued(ids: ReadonlySet<string>): Job | undefined {
    if (ids.size !== 1) return undefined;
    const [id] = ids;
    const j = this.all.get(id);
    return j !== undefined && j.state === 'queued' ? j : undefined;
  }

  /** `visit`, but a job of a shape in `dropped` is passed over as not fitting. */
  private skipShapes(dropped: ReadonlySet<string>, visit: (j: Job) => boolean | 'stop'): (j: Job) => boolean | 'stop' {
    return (j) => (dropped.has(this.queue.shapeOf(j)) ? false : visit(j));
  }

  /**
   * Where `j` can start now: the placement policy's answer (checked), else a spanning gang when
   * allowed; undefined when it does not fit; 'wait' when the policy asked to retry it later (the
   * wake-up is set here).
   */
  private placeJob(j: Job, now: number, ctx: PolicyContext): Placement | 'wait' | undefined {
    const o = this.o;
    const cluster = o.cluster;
    if (j.gpus * j.milli > cluster.gpuCapacity - cluster.gpuAllocated) return undefined;
    // A job preempted for starts where its plan put it, while that still fits (see `Victim.nominated`).
    const nominated = this.nominated?.get(j.id);
    if (nominated !== undefined && cluster.canAllocate(j, nominated)) return nominated;
    const out = this.guard.place(o.placement, j, cluster, ctx);
    if (out.kind === 'wait') {
      this.wakeAt(out.until);
      return 'wait';
    }
    if (out.kind === 'placed' && !this.span && out.placement.parts && out.placement.parts.length > 0) {
      throw this.guard.contract('placement', o.placement.name, 'place', j.id, now, 'returned a placement spanning nodes while gang.spanNodes is off');
    }
    return out.kind === 'placed' ? out.placement : this.span ? placeSpanning(cluster, j) : undefined;
  }

  /** Asks the clock for a wake-up at `time` (ms, after now) unless one is pending then. */
  private wakeAt(time: number): void {
    if (this.wakes.has(time)) return;
    this.wakes.add(time);
    this.o.clock.wakeAt(time);
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
        this.tenants.of(j).queued++;
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
          this.queue.remove(j);
          this.tenants.of(j).queued--;
          o.log.append({ t: now, ev: 'finish', job: j.id, state: j.state, reason: d.reason });
          this.ended(j);
          return;
        }
        o.log.append({ t: now, ev: 'reject', job: j.id, reason: d.reason });
        this.ended(j);
        return;
      }
      case 'start':
        return this.start(j, d.placement, now);
      case 'stop':
        // Cancellation stops a job for good; preemption is its own decision below.
        o.executor.stop(j, d.reason);
        this.finish(j, 'cancel', now, d.reason);
        return;
      case 'preempt': {
        o.executor.stop(j, 'preempt');
        j.state = transition(j.state, 'preempt', j.id);
        this.release(j, now);
        j.preemptions++;
        const lost = this.interrupt(j, now, true);
        o.log.append({ t: now, ev: 'preempt', job: j.id, reason: d.reason, lost, left: j.remaining });
        this.requeue(j, now);
        return;
      }
      case 'lose': {
        o.executor.stop(j, 'node-loss');
        const node = o.cluster.nodes[d.node].id;
        j.nodeLosses++;
        if (o.onNodeLoss === 'fail' || j.nodeLosses >= (o.maxNodeLosses ?? Infinity)) {
          // Nothing of the job is kept: the whole attempt is lost.
          const lost = now - j.start;
          j.lostWork += lost;
          o.log.append({ t: now, ev: 'node-loss', job: j.id, node, lost });
          this.finish(j, 'fail', now, 'node-loss');
          return;
        }
        j.state = transition(j.state, 'node-loss', j.id);
        this.release(j, now);
        const lost = this.interrupt(j, now, false);
        o.log.append({ t: now, ev: 'node-loss', job: j.id, node, lost, left: j.remaining });
        this.requeue(j, now);
        return;
      }
    }
  }

  private start(j: Job, placement: Placement, now: number): void {
    const o = this.o;
    let alloc;
    try {
      alloc = o.cluster.allocate(j.id, j, placement);
    } catch (e) {
      throw this.guard.contract('placement', o.placement.name, 'place', j.id, now, `returned a placement the cluster refuses (${e instanceof Error ? `${e.name}: ${e.message}` : String(e)})`);
    }
    j.state = transition(j.state, 'start', j.id);
    j.placement = placement;
    j.start = now;
    j.attempt++;
    const reconfigMs = o.migReconfigMs ?? 0;
    if (alloc.reconfigured.length > 0 && reconfigMs > 0) {
      // The new MIG instance is usable only once the layout change is done.
      j.remaining += reconfigMs;
      j.setup += reconfigMs;
      for (const g of alloc.reconfigured) {
        o.cluster.setMigReconfiguring(g.node, g.gpu, true);
        this.migBusy.push({ until: now + reconfigMs, node: g.node, gpu: g.gpu });
      }
      this.wakeAt(now + reconfigMs);
    }
    // Context start overhead (cold or warm start, src/context/): held like the MIG delay above.
    const over = o.contexts?.startOverhead(j, placement, now);
    if (over && over.ms > 0) {
      j.remaining += over.ms;
      j.setup += over.ms;
    }
    this.runningJobs.set(j.id, j);
    this.queue.started(j);
    const t = this.tenants.of(j);
    t.queued--;
    t.onStart(j, now);
    o.log.append(over?.record ? { ...startRecord(j, placement, o.cluster, now), ...over.record } : startRecord(j, placement, o.cluster, now));
    o.executor.start(j, placement);
  }

  /** Frees a stopped job's resources and its tenant's share. */
  private release(j: Job, now: number): void {
    this.o.cluster.release(j.id);
    this.runningJobs.delete(j.id);
    this.tenants.of(j).onStop(j, now);
    this.o.contexts?.stopped(j, now);
  }

  /** Charges an interrupted attempt (interruption.ts) and returns the run time it lost. */
  private interrupt(j: Job, now: number, checkpointNow: boolean): number {
    const ran = now - j.start;
    const r = interruption(j, ran, this.o.preemption, checkpointNow);
    j.lostWork += r.lost;
    j.executed += ran;
    j.setup = r.setup;
    j.remaining = r.remaining;
    return r.lost;
  }

  /** Puts a stopped (preempted, node-lost or lost) job back in the queue; `lostAttempt` only for a lost attempt (no record stopped it). */
  private requeue(j: Job, now: number, lostAttempt?: { readonly reason: string; readonly lost: number }): void {
    j.state = transition(j.state, 'requeue', j.id);
    j.queuedAt = now;
    this.queue.requeue(j);
    this.tenants.of(j).queued++;
    this.dirty = true;
    this.o.log.append(lostAttempt === undefined ? { t: now, ev: 'requeue', job: j.id } : { t: now, ev: 'requeue', job: j.id, reason: lostAttempt.reason, lost: lostAttempt.lost, left: j.remaining });
  }

  /** A node fails: every job with any part on it is lost, then it takes no placement. */
  private nodeDown(node: number, permanent: boolean): void {
    const o = this.o;
    if (o.cluster.nodes[node] === undefined) throw new Error(`node-down for unknown node index ${node}`);
    if (this.outages.down(node, permanent)) {
      const hit = o.cluster.jobsOn(node).map((id) => this.all.get(id)!);
      o.log.append({ t: o.clock.now(), ev: 'node-down', node: o.cluster.nodes[node].id, jobs: hit.map((h) => h.id) });
      for (const h of hit) this.apply({ kind: 'lose', job: h, node });
      o.cluster.setUp(node, false);
      o.contexts?.nodeDown(node, o.clock.now());
    }
    if (permanent) {
      for (const j of [...this.queue.jobs]) {
        if (j.state !== 'queued' || canEverRun(this.view, j)) continue;
        if (this.giveBack) this.giveBack(this.withdraw(j.id));
        else this.apply({ kind: 'reject', job: j, reason: 'never-fits' });
      }
    }
  }

  private nodeUp(node: number): void {
    const o = this.o;
    const n = o.cluster.nodes[node];
    if (n === undefined) throw new Error(`node-up for unknown node index ${node}`);
    if (!this.outages.up(node, n.id)) return;
    o.cluster.setUp(node, true);
    this.dirty = true;
    o.log.append({ t: o.clock.now(), ev: 'node-up', node: n.id });
  }

  private arrive(spec: JobSpec): void {
    if (this.all.has(spec.id) || this.endedIds.has(spec.id)) throw new Error(`duplicate job id ${spec.id}`);
    const j = newJob(spec);
    this.all.set(j.id, j);
    this.tenants.of(j);
    const o = this.o;
    const now = o.clock.now();
    o.log.append(arrivalRecord(j, now));
    o.contexts?.arrived(j, now);
    this.gateThenAdmit(j, now);
  }

  /** The arrival gates in order (the first reject rejects the job), then admit. */
  private gateThenAdmit(j: Job, now: number): void {
    if (this.arrivalGates.length > 0) {
      const o = this.o;
      const ctx: PolicyContext = { now, rng: o.rng.admission ?? o.rng.queue };
      for (const a of this.arrivalGates) {
        const out = this.guard.onArrival(a, j, this.view, ctx);
        if (out.kind === 'reject') return this.apply({ kind: 'reject', job: j, reason: out.reason });
      }
    }
    this.apply({ kind: 'admit', job: j });
  }

  /**
   * Hierarchy (src/hierarchy/): a job the master routed to this core. A new job (state `pending`,
   * from `newJob`) is handled as an arrival without the arrival record (the master wrote it at
   * submit): the arrival gates, then admit. A job another core gave up (`withdraw`, state `queued`)
   * joins this queue in submit order with no record (the log has it queued since its admit).
   */
  enter(j: Job): void {
    if (this.all.has(j.id) || this.endedIds.has(j.id)) throw new Error(`duplicate job id ${j.id}`);
    this.all.set(j.id, j);
    const o = this.o;
    const now = o.clock.now();
    if (j.state === 'queued') {
      j.queuedAt = now;
      this.queue.requeue(j);
      this.tenants.of(j).queued++;
      this.dirty = true;
      return;
    }
    this.tenants.of(j);
    o.contexts?.arrived(j, now);
    this.gateThenAdmit(j, now);
  }

  /**
   * Hierarchy: takes queued job `id` out of this core (a bounce or a steal), writing nothing; the
   * job stays `queued` with its counters and progress, for another core's `enter`.
   */
  withdraw(id: string): Job {
    const j = this.all.get(id);
    if (!j || j.state !== 'queued') throw new Error(`withdraw: job ${id} is not queued here`);
    this.queue.remove(j);
    this.tenants.of(j).queued--;
    this.all.delete(id);
    this.withdrawnIds.add(id);
    return j;
  }

  private complete(id: string, attempt: number, outcome: 'succeeded' | 'failed' | 'timed-out' | 'lost', reason?: string, retry = false): void {
    const j = this.all.get(id);
    if (!j) {
      // Stale: the job ended and was dropped (forgetEnded), or ran here and was since withdrawn.
      if (this.endedIds.has(id) || this.withdrawnIds.has(id)) return;
      throw new Error(`completion for unknown job ${id}`);
    }
    // A completion from an earlier attempt, or for a job already stopped, is stale: ignore it.
    if (j.state !== 'running' || j.attempt !== attempt) return;
    if (outcome === 'lost' && retry) {
      // A lost attempt is handled as a node loss of this job alone: nothing since the start is kept.
      const now = this.o.clock.now();
      j.state = transition(j.state, 'node-loss', j.id);
      this.release(j, now);
      const lost = this.interrupt(j, now, false);
      this.requeue(j, now, { reason: reason ?? 'attempt lost', lost });
      return;
    }
    const event = outcome === 'succeeded' ? 'succeed' : outcome === 'timed-out' ? 'timeout' : 'fail';
    j.remaining = outcome === 'succeeded' ? 0 : j.remaining;
    this.finish(j, event, this.o.clock.now(), reason);
  }

  private cancel(id: string): void {
    const j = this.all.get(id);
    if (!j) {
      if (this.endedIds.has(id)) return; // the job ended and was dropped (forgetEnded): a no-op as below
      throw new Error(`cancel for unknown job ${id}`);
    }
    if (j.state === 'running') {
      this.apply({ kind: 'stop', job: j, reason: 'cancel' });
    } else if (j.state === 'queued' || j.state === 'pending') {
      const wasQueued = j.state === 'queued';
      j.state = transition(j.state, 'cancel', j.id);
      j.end = this.o.clock.now();
      if (wasQueued) {
        this.queue.remove(j);
        this.tenants.of(j).queued--;
      }
      this.o.log.append({ t: j.end, ev: 'cancel', job: j.id });
      this.o.log.append({ t: j.end, ev: 'finish', job: j.id, state: j.state });
      this.ended(j);
    }
    // Cancelling a job that already ended is a no-op (idempotent).
  }

  /** Ends a running job: releases its resources and logs the terminal state. */
  private finish(j: Job, event: 'succeed' | 'fail' | 'timeout' | 'cancel', now: number, reason?: string): void {
    j.state = transition(j.state, event, j.id);
    j.executed += now - j.start;
    this.release(j, now);
    j.end = now;
    if (reason) j.reason = reason;
    this.dirty = true;
    if (event === 'cancel') this.o.log.append({ t: now, ev: 'cancel', job: j.id });
    this.o.log.append(reason ? { t: now, ev: 'finish', job: j.id, state: j.state, reason } : { t: now, ev: 'finish', job: j.id, state: j.state });
    this.ended(j);
  }

  /** A job reached a terminal state: with `forgetEnded`, its record goes and only its id stays. */
  private ended(j: Job): void {
    if (!this.o.forgetEnded) return;
    this.all.delete(j.id);
    this.endedIds.add(j.id);
  }
}

/**
 * `order` with the jobs named in `first` moved to the front, each part in `order`'s order (the
 * pass after a preemption tries the jobs it made room for first). Reads `order` only until it has
 * met every job of `first`, holding what it read before them: a lazy order is then read as far as
 * its last beneficiary, not in full.
 */
function* firstThenRest(order: Iterable<JobView>, first: ReadonlySet<string>): Generator<JobView> {
  const it = order[Symbol.iterator]();
  const front: JobView[] = [];
  const held: JobView[] = [];
  let done = false;
  while (front.length < first.size) {
    const n = it.next();
    if (n.done) {
      done = true;
      break;
    }
    (first.has(n.value.id) ? front : held).push(n.value);
  }
  yield* front;
  yield* held;
  if (done) return;
  for (let n = it.next(); !n.done; n = it.next()) yield n.value;
}

/** `SchedulerView.quotas` over the run's quotas: functions that need no `this`. */
function quotaView(q: QuotaView): QuotaView {
  return { governs: (name) => q.governs(name), admits: (job, use) => q.admits(job, use) };
}
