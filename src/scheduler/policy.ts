import type { Rng } from '../engine/rng.ts';
import type { ClusterView, Placement } from '../cluster/types.ts';
import type { JobView } from '../jobs/job.ts';

/**
 * The extension points. A policy is a plain object of pure functions over read-only views: it
 * never mutates what it is given and returns decisions that the scheduler core applies. Given
 * the same view (and, where it draws random numbers, the same seeded stream) it returns the same
 * answer. Check a policy's shape with `satisfies QueuePolicy` / `satisfies PlacementPolicy`.
 */

export interface TenantView {
  readonly name: string;
  /** Fair-share weight (1 by default). */
  readonly weight: number;
  /** Resources currently held by the tenant's running jobs. */
  readonly gpuInUse: number;
  readonly cpuInUse: number;
  readonly memoryInUse: number;
  readonly running: number;
  readonly queued: number;
  /** GPU time received so far in milli-GPU·ms, running jobs included up to `now`. */
  readonly attainedGpu: number;
}

/** What queue policies see. Arrays are the core's own, typed read-only: do not cast them away. */
export interface SchedulerView {
  readonly now: number;
  readonly cluster: ClusterView;
  /** Queued jobs in arrival (admission) order. */
  readonly queue: readonly JobView[];
  /** Running jobs in start order. */
  readonly running: readonly JobView[];
  readonly tenants: readonly TenantView[];
  /** Whether multi-GPU gangs may span nodes (scheduler option `gang.spanNodes`). */
  readonly spanNodes?: boolean;
  /** Indices of nodes down for good (no node-up will follow): no job can ever run there. */
  readonly retiredNodes?: readonly number[];
  /**
   * Tenant `name`'s queued jobs in queue order, read as iterated (the source of a `lazyOrder`): a
   * step costs O(1) amortised, where `queue` costs O(queue) to group by tenant. Iterated while
   * the pass starts the jobs it yielded, it goes on with the rest. The scheduler core's views
   * have it; a view built elsewhere may not.
   */
  readonly queuedOf?: (name: string) => Iterable<JobView>;
  /**
   * The queued jobs by ascending `key(job)`, ties in queue order, read as iterated (the source of
   * a sorting policy's `lazyOrder`; the same sequence as sorting `queue` stably by `key`). The core
   * keeps an index per key function from its first call on, so a step costs O(1) and a job
   * entering or leaving the queue O(log queue), where sorting `queue` costs O(queue log queue) a
   * pass. `key` is read once, when a job enters the queue: it must be pure, depend only on what a
   * job keeps while queued (estimate, duration, remaining, setup, priority, submit, tenant …; not
   * `now`, not other jobs), never give NaN, and be the same function object from call to call
   * (one defined at module level, not a closure made per pass). Iterated while the pass starts the
   * jobs it yielded, it goes on with the rest. `moved`: queued jobs whose key has changed while
   * they waited (an aging or promoting policy: las promotes a starving job), each with the key it
   * has now; the order reads them by that key instead (ties in queue order as for the rest). Keep
   * it to the few jobs that moved: each pass reads it whole. The scheduler core's views have it;
   * a view built elsewhere may not.
   */
  readonly queuedBy?: (key: (j: JobView) => number, moved?: ReadonlyMap<JobView, number>) => Iterable<JobView>;
  /**
   * The queued jobs in progressive-filling order by `share` (`fairPicks`,
   * src/scheduler/fair-walk.ts, over `queuedOf`), read as iterated: the source of a fair-share
   * policy's `lazyOrder` (policies/queue/fair-order.ts). `share(tenant, usage)` must be finite and
   * never lower after a job is charged to `usage`; the core checks that for the jobs its pass
   * reaches and throws a contract error otherwise. Its pass walks this order by tenant and shape:
   * the jobs of a shape known not to fit are charged to their tenant's usage and passed over
   * without a pick each (the same jobs tried in the same order as reading it pick by pick). The
   * scheduler core's views have it; a view built elsewhere may not.
   */
  readonly queuedFairly?: (share: (t: TenantView, u: { gpu: number; cpu: number; memory: number }) => number) => Iterable<JobView>;
  /**
   * The queued jobs one per tenant per round (`roundPicks`, src/scheduler/fair-walk.ts, over
   * `queuedOf`): in each round the next job of every tenant that has one, tenants in the order of
   * `names` (each named once; a name without queued jobs is passed over). The source of
   * round-robin's `lazyOrder`; the core's pass walks it by tenant and shape as it does
   * `queuedFairly`'s. The scheduler core's views have it; a view built elsewhere may not.
   */
  readonly queuedInRounds?: (names: readonly string[]) => Iterable<JobView>;
  /**
   * Tenant `name`'s queued jobs by shape (equal CPU, memory, GPUs, milli, models, MIG profile):
   * one queued job of each shape and how many are queued, in no set order. O(the tenant's shapes)
   * where start gates split the core's queue by tenant and shape (quotas), else a scan of the
   * queue. What a preemption policy reads to know, before reading the order, which jobs it will
   * meet (quota reclaim stops once no tenant left to read can reclaim). The scheduler core's views
   * have it; a view built elsewhere may not.
   */
  readonly queuedShapesOf?: (name: string) => readonly QueuedShape[];
  /**
   * The run's tenant quotas (scenario `tenants[].quota`), where it has any; read-only. A queue
   * policy's own preemption heeds them through `planPreemption` (src/scheduler/preempt-kit.ts):
   * across tenants with a quota only quota reclaim preempts, and a job is planned for only when
   * its quota would let it start once its victims are gone.
   */
  readonly quotas?: QuotaView;
}

/** Tenant quotas as policies may read them (`SchedulerView.quotas`; src/quota/quotas.ts). */
export interface QuotaView {
  /** Whether tenant `name` has a quota (a tenant without one is not limited, and in no cohort). */
  governs(name: string): boolean;
  /** Whether the quota rules let `job` start with `use(tenant)` milli-GPU in use per tenant. Pure. */
  admits(job: JobView, use: (tenant: string) => number): boolean;
}

/** One shape of a tenant's queued jobs (`SchedulerView.queuedShapesOf`): a queued job of that shape, and how many are queued. */
export interface QueuedShape {
  readonly job: JobView;
  readonly count: number;
}

/** A running job a policy wants preempted, and why (logged with the `preempt` record). */
export interface Victim {
  readonly job: JobView;
  readonly reason: string;
  /** The queued job the preemption makes room for: the core tries it first in the next pass. */
  readonly for?: string;
  /**
   * Where the plan puts `for` once its victims are gone (node indices of the view's cluster). The
   * core starts `for` there when that placement still fits, without asking the placement policy,
   * as kube-scheduler tries a preemptor's nominated node first: with several jobs preempted for
   * in one instant, the placement policy could put the first where the plan put a later one and
   * leave that one's victims preempted for nothing. When it no longer fits (or is absent), the
   * placement policy places `for` as usual.
   */
  readonly nominated?: Placement;
}

export interface PolicyContext {
  readonly now: number;
  /** The policy's own seeded stream (`placement/<name>` or `queue/<name>`). */
  readonly rng: Rng;
  /** Where job contexts are warm (placement only, and only in a run with `contexts`; src/context/). */
  readonly warm?: WarmView;
}

/**
 * Read-only warm state of job contexts (templates, model ids), per node: a warm instance is what
 * a job of that context left on the node and the warm-pool policy kept. Owned by the engine.
 */
export interface WarmView {
  /** Idle warm instances of `context` on node index `node` at `now` (ms; a start there then is warm). */
  idle(node: number, context: string, now: number): number;
  /** Node indices where `context` has an idle warm instance at `now`, ascending. */
  warmNodes(context: string, now: number): readonly number[];
  /** Running jobs of `context` (instances in use: slots that free when they end). */
  busy(context: string): number;
}

/** Orders the queue: the core tries jobs in the returned order. Must return queued jobs only. */
export interface QueuePolicy {
  readonly name: string;
  order(view: SchedulerView, ctx: PolicyContext): readonly JobView[];
  /**
   * Optional: the very sequence `order` returns, produced as the core's pass reads it, so that a
   * pass costs what it reads rather than the whole queue (a deep queue under overload; the pass
   * stops at the first job that does not fit with `headOfLine: block`, and once every queued shape
   * is known not to fit with `skip`). The core's passes use it when given (the pass right after a
   * preemption reads it as far as the last job the preemption made room for, and tries those
   * first). Contract: everything but the queued jobs is read before the first job is yielded (the
   * pass then starts jobs, which changes the tenants' usage), the jobs through `view.queuedOf`,
   * `view.queuedBy` (or `queue`); the conformance kit's `lazy-order` property checks that it
   * yields what `order` returns.
   */
  lazyOrder?(view: SchedulerView, ctx: PolicyContext): Iterable<JobView>;
  /**
   * Claims the conformance kit checks: `workConserving` — returns every queued job, so with
   * `headOfLine: skip` no GPU idles while a queued job that fits waits; `fairShare` — backlogged
   * equal-weight tenants converge to equal GPU shares.
   */
  readonly claims?: { readonly workConserving?: boolean; readonly fairShare?: boolean };
  /**
   * Preemption as part of the ordering algorithm (optional; priority, srtf, las): the core treats
   * it as a `PreemptionPolicy` of the same name placed before the configured ones. Same contract
   * as `PreemptionPolicy.victims` except that it is not given the order.
   */
  victims?(view: SchedulerView, ctx: PolicyContext): readonly Victim[];
}

/** An admission decision for an arriving job. */
export type AdmissionOutcome = { readonly kind: 'admit' } | { readonly kind: 'reject'; readonly reason: string };

/**
 * Admission control: which arrivals enter the queue, and which queued jobs may start now. The
 * core asks every configured admission policy in turn; the first rejection wins (its reason is
 * logged). Shipped: never-fits, queue bound (`queue-full`), quota (src/quota/). Pure over the view.
 */
export interface AdmissionPolicy {
  readonly name: string;
  /** On arrival (the job is not yet queued): admit, or reject for good with a reason. */
  onArrival?(job: JobView, view: SchedulerView, ctx: PolicyContext): AdmissionOutcome;
  /**
   * In a scheduling pass, before placement: whether this queued job may start now (false: it
   * stays queued this pass, whatever fits — a quota or rate limit holding it back).
   */
  mayStart?(job: JobView, view: SchedulerView, ctx: PolicyContext): boolean;
  /**
   * Promises the core may use. `sameForTenantAndShape` — within one scheduling pass, once
   * `mayStart` has refused a job it refuses every queued job of the same tenant and shape (equal
   * CPU, memory, GPUs, milli, models, MIG profile): it reads only the job's tenant and demand and
   * the tenants' usage, draws no randomness, and a refusal stays a refusal as usage grows (a pass
   * only starts jobs). The core then asks once per tenant and shape a pass and walks the queue by
   * tenant and shape, so a pass costs the jobs it starts and the (tenant, shape) pairs, not the
   * queue. Quota admission makes it.
   */
  readonly claims?: { readonly sameForTenantAndShape?: boolean };
}

/**
 * Preemption: after a scheduling pass that left jobs queued, running jobs to stop so that queued
 * ones can start. The core applies every named victim as a `preempt` decision (checkpoint/restore
 * cost, requeue) and runs one more pass, trying the beneficiaries (`Victim.for`) first. Contract:
 * running jobs only, each at most once per call (the conformance kit checks it). Pure; what-if
 * questions go to a scratch copy (`scratchCluster(view)` in preempt-kit.ts), never the view.
 */
export interface PreemptionPolicy {
  readonly name: string;
  /** `order`: the queued jobs in the queue policy's order for this instant. */
  victims(view: SchedulerView, order: readonly JobView[], ctx: PolicyContext): readonly Victim[];
  /**
   * Optional; when given, the core calls it instead of `victims`, which must give the same
   * answer: `order` is the same order produced as it is read (the queue policy's `lazyOrder`
   * where it has one), not built whole, so reading it once from the front and stopping when the
   * rest cannot matter costs what was read, not the queue. Quota reclaim has it.
   */
  victimsLazily?(view: SchedulerView, order: LazyOrder, ctx: PolicyContext): readonly Victim[];
}

/**
 * What a reader of an order answers for each job (`LazyOrder.walk`): 'next' — go on; 'pass' — pass
 * over every later job of this job's tenant and shape (nothing about them can matter to the
 * reader as things stand); 'reset' — go on, every tenant and shape passed so far read again from
 * here on (things changed); 'stop'.
 */
export type OrderStep = 'next' | 'pass' | 'reset' | 'stop';

/**
 * The queue policy's order produced as it is read (`PreemptionPolicy.victimsLazily`). `walk`,
 * where present, reads the same order but passes over in bulk the tenants and shapes the reader
 * says to pass (the core's walk by tenant and shape, for a fair order over a queue split by tenant
 * and shape), so a reader that passes what it cannot use costs the jobs it reads, not the queue.
 */
export interface LazyOrder extends Iterable<JobView> {
  walk?(visit: (j: JobView) => OrderStep): void;
}

export type PlacementOutcome =
  | { readonly kind: 'placed'; readonly placement: Placement }
  | { readonly kind: 'unfit'; readonly reason: string }
  /**
   * Not now, though it may fit: the job stays queued and the core wakes at `until` (ms, > now)
   * to try it again; other jobs of its shape are still tried in the pass (affinity-wait).
   */
  | { readonly kind: 'wait'; readonly until: number; readonly reason: string };

/**
 * Chooses where a job goes. Contract: `unfit` means no node can host the job under the current
 * free resources (the core may then skip jobs of the identical shape for the rest of a pass).
 */
export interface PlacementPolicy {
  readonly name: string;
  place(job: JobView, cluster: ClusterView, ctx: PolicyContext): PlacementOutcome;
}
