import type { Cluster } from '../cluster/cluster.ts';
import type { Placement } from '../cluster/types.ts';
import type { Rng } from '../engine/rng.ts';
import type { Job, JobView } from '../jobs/job.ts';
import type { EventLog } from '../log/records.ts';
import type { Clock } from './clock.ts';
import type { Executor, StopReason } from './executor.ts';
import type { PreemptionCost } from './interruption.ts';
import type { PolicyGuard } from './policy-guard.ts';
import type { AdmissionPolicy, PlacementPolicy, PreemptionPolicy, QueuePolicy, QuotaView, WarmView } from './policy.ts';

/** What the core decided; every decision goes through `apply` and is logged. */
export type Decision =
  | { readonly kind: 'admit'; readonly job: Job }
  | { readonly kind: 'reject'; readonly job: Job; readonly reason: string }
  | { readonly kind: 'start'; readonly job: Job; readonly placement: Placement }
  | { readonly kind: 'stop'; readonly job: Job; readonly reason: StopReason }
  /** Stops a running job, keeps its progress (checkpoint), and requeues it. */
  | { readonly kind: 'preempt'; readonly job: Job; readonly reason: string }
  /** Stops a running job whose node `node` went down; requeues it or fails it (`onNodeLoss`). */
  | { readonly kind: 'lose'; readonly job: Job; readonly node: number };

/** What a start costs before progress, and what its start record adds (`ContextHooks.startOverhead`). */
export interface StartOverhead {
  /** Run time (ms) at the front of the attempt that makes no progress (held like MIG reconfiguration). */
  readonly ms: number;
  /** Added to the attempt's start record: the job's context, whether it was warm there, the overhead (ms). */
  readonly record?: { readonly context: string; readonly warm: boolean; readonly overhead: number };
}

/**
 * Context-aware starts (src/context/): the core calls these at each start, stop, arrival and node
 * loss and never reads their state; `warm` is passed to placement in `PolicyContext.warm`.
 */
export interface ContextHooks {
  readonly warm: WarmView;
  /** A job starts on `placement` now: the overhead it pays (warm or cold), or undefined for none. */
  startOverhead(job: JobView, placement: Placement, now: number): StartOverhead | undefined;
  /** A running job stopped (finished, preempted, lost), its resources just released. */
  stopped(job: JobView, now: number): void;
  /** A job arrived (before admission). */
  arrived(job: JobView, now: number): void;
  /** Node index `node` went down: whatever was warm there is gone. */
  nodeDown(node: number, now: number): void;
}

export interface TenantConfig {
  readonly name: string;
  readonly weight: number;
}

export interface CoreOptions {
  readonly cluster: Cluster;
  readonly queue: QueuePolicy;
  readonly placement: PlacementPolicy;
  /**
   * Admission control, asked in this order; the first rejection wins. Build the usual list with
   * `wireCore` (queue bound, never-fits, quota). Empty: every arrival is admitted.
   */
  readonly admission: readonly AdmissionPolicy[];
  /** The run's tenant quotas (the view's `quotas`, which a queue policy's preemption heeds); the gate and reclaim come in `admission` and `preemptors`. */
  readonly quotas?: QuotaView;
  /** Preemption policies, after the queue policy's own `victims` (quota reclaim is one). */
  readonly preemptors?: readonly PreemptionPolicy[];
  readonly clock: Clock;
  readonly executor: Executor;
  readonly log: EventLog;
  /** Each extension point's own seeded stream (`queue/<name>`, `placement/<name>`, `admission`, `preemption`). */
  readonly rng: { readonly queue: Rng; readonly placement: Rng; readonly admission?: Rng; readonly preemption?: Rng };
  readonly tenants?: readonly TenantConfig[];
  /**
   * `skip` (default): a job that does not fit is passed over and later jobs may start
   * (work-conserving, like kube-scheduler). `block`: the pass stops at the first job that does
   * not fit (strict head-of-line order, as in a batch FIFO).
   */
  readonly headOfLine?: 'skip' | 'block';
  /** `easy`: EASY backfilling around the first job that cannot start (backfill.ts); replaces `headOfLine`. */
  readonly backfill?: 'none' | 'easy';
  /** Gang options: `spanNodes` lets a multi-GPU job that fits no single node span several. */
  readonly gang?: { readonly spanNodes?: boolean };
  /** Interruption cost of preemption and node loss (default: no restore time, checkpoint at preemption). */
  readonly preemption?: PreemptionCost;
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
   * in the queue with its remaining work, charged as an interruption without a checkpoint at the
   * instant; `fail` — the job fails with reason `node-loss`.
   */
  readonly onNodeLoss?: 'requeue' | 'fail';
  /** With `requeue`: the N-th node loss of a job fails it (reason `node-loss`); unset, no limit. */
  readonly maxNodeLosses?: number;
  /**
   * Drop a job's record once it has ended (finished, rejected, cancelled): `jobs` then lists only
   * the jobs not yet ended, and the core's memory follows the jobs in flight, not the whole run
   * (its event log is then the record of the ended ones). Their ids are still kept: a duplicate id
   * is still an error, and a completion or cancel for an ended job is still ignored. Default false.
   */
  readonly forgetEnded?: boolean;
  /** Checks and times every policy call (default: a guard without the watchdog thread). */
  readonly guard?: PolicyGuard;
  /** Job contexts and their warm state (src/context/); absent: no start overhead, nothing warm. */
  readonly contexts?: ContextHooks;
}
