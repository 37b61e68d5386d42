import type { Job } from '../jobs/job.ts';
import type { SchedEvent } from '../scheduler/events.ts';

/**
 * Events of a hierarchical run (src/sim/simulate-hierarchy.ts). A core's own events carry the
 * shard they belong to (`completion`, `wake`); arrivals and node failures are the run's (node
 * indices run-wide); the rest are the master's.
 */
export type HierarchyEvent =
  | Extract<SchedEvent, { kind: 'arrival' | 'node-down' | 'node-up' | 'cancel' }>
  | (Extract<SchedEvent, { kind: 'completion' | 'wake' }> & { readonly shard: number })
  /** A routed job reaches its shard (after the routing latency); `n`: the job's routings so far. */
  | { readonly kind: 'enter'; readonly shard: number; readonly job: Job; readonly n: number }
  /** A bounced job is back at the master (after the bounce cost); `avoid`: the shard it left. */
  | { readonly kind: 'reroute'; readonly job: Job; readonly avoid: number }
  /** Shards report their summaries; the rebalancer runs. */
  | { readonly kind: 'tick' }
  | { readonly kind: 'shard-down'; readonly shard: number }
  | { readonly kind: 'shard-up'; readonly shard: number };

/**
 * Tie-breaks at one instant, after the core's own (completion 0 … node-up 5): a job reaching a
 * shard or coming back to the master is handled like an arrival; shard failures after node
 * events; the summary tick last, so a report sees the instant's events.
 */
export const HPRIORITY = { enter: 2, reroute: 2, 'shard-down': 4, 'shard-up': 5, tick: 6 } as const;
