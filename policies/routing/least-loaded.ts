import type { RoutingPolicy } from '../../src/hierarchy/routing-policy.ts';
import { loadOf, type ShardSummary } from '../../src/hierarchy/summary.ts';

/**
 * least-loaded: the shard with the lowest estimated load, (allocated + queued + routed since its
 * report) milli-GPU over capacity (`loadOf`), ties by shard position. The routed term is the
 * master's own knowledge, so a burst between two reports spreads instead of piling onto the shard
 * that looked emptiest at the last report. Pure.
 *
 * Example: s0 has 8000 milli capacity, 6000 allocated, 1000 queued → 0.875; s1 8000, 2000
 * allocated, nothing queued, but 5000 routed since its report → 0.875; tie → s0.
 */
export function lowestLoad(shards: readonly ShardSummary[]): ShardSummary {
  let best = shards[0];
  let bestLoad = loadOf(best);
  for (let i = 1; i < shards.length; i++) {
    const l = loadOf(shards[i]);
    if (l < bestLoad || (l === bestLoad && shards[i].index < best.index)) {
      best = shards[i];
      bestLoad = l;
    }
  }
  return best;
}

export const leastLoaded = {
  name: 'least-loaded',
  route: (_job, shards) => lowestLoad(shards).id,
} satisfies RoutingPolicy;
