/**
 * The warm-pool sizing extension point: after a job of a context ends, how many idle warm
 * instances of that context to keep and for how long. A policy is a plain object of pure
 * functions over a read-only view — no engine types — so the simulator's warm state
 * (src/context/warm-state.ts) and a live service's warm pools can drive the same policy.
 */

/** What a warm-pool policy sees (read-only; times in ms). */
export interface WarmPoolView {
  readonly now: number;
  /** Idle warm instances of `context`, all nodes, before the one just released is added. */
  idle(context: string): number;
  /** Arrivals of jobs of `context` at or after `since` (ms) up to now. */
  arrivals(context: string, since: number): number;
  /** Arrivals of `tenant`'s jobs of `context` at or after `since` (ms) up to now. */
  tenantArrivals(tenant: string, context: string, since: number): number;
}

/** The instance a job just released: its context, tenant and GPU share (milli-GPU). */
export interface ReleasedInstance {
  readonly context: string;
  readonly tenant: string;
  readonly node: number;
  readonly milliGpu: number;
}

/**
 * How the pool of `context` is kept after a release: at most `keep` idle instances of it (over
 * all nodes; the longest idle go first), the released one expiring `ttlMs` after now (absent:
 * until evicted or the run ends). `keep: 0` empties the pool of the context.
 */
export interface KeepDecision {
  readonly keep: number;
  readonly ttlMs?: number;
}

export interface WarmPoolPolicy {
  readonly name: string;
  /** Called once per release, in event order. Pure: same view and instance, same decision. */
  afterRelease(released: ReleasedInstance, view: WarmPoolView): KeepDecision;
}
