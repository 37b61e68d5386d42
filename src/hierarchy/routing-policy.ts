import type { Rng } from '../engine/rng.ts';
import type { JobView } from '../jobs/job.ts';
import type { ShardSummary } from './summary.ts';

/** What a routing policy is given besides the job and the shards: the time and its own seeded stream. */
export interface RoutingContext {
  readonly now: number;
  /** The stream `routing/<name>` of the run seed; the only randomness a routing policy may use. */
  readonly rng: Rng;
}

/**
 * The master's extension point: which shard a job goes to. `route` is pure (it may draw from
 * `ctx.rng`, nothing else) and sees only the shards' summaries, as stale as the hierarchy's
 * `summaryIntervalSec` makes them. `shards` is never empty and holds only shards that are up and
 * could ever fit the job (the master's static check): the answer must be the id of one of them,
 * else the run stops with a contract error naming the policy.
 */
export interface RoutingPolicy {
  readonly name: string;
  route(job: JobView, shards: readonly ShardSummary[], ctx: RoutingContext): string;
}
