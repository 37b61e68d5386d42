import type { RoutingPolicy } from '../../src/hierarchy/routing-policy.ts';
import { fitsNow, loadOf } from '../../src/hierarchy/summary.ts';
import { lowestLoad } from './least-loaded.ts';

/**
 * best-fit-by-summary: bin packing across shards. Among the shards whose summary says the job
 * starts now (`fitsNow`), the one with the highest estimated load (`loadOf`: the fullest shard
 * that still has room, keeping the emptier shards' large free blocks for large jobs), ties by
 * shard position; when the summaries show no room anywhere, the least-loaded shard. Pure.
 *
 * Example: a 1-GPU job; s0 load 0.9 with a free GPU, s1 load 0.3, s2 load 0.95 with none free →
 * s0 (fits, and fuller than s1).
 */
export const bestFitBySummary = {
  name: 'best-fit-by-summary',
  route: (job, shards) => {
    let best: (typeof shards)[number] | undefined;
    let bestLoad = -Infinity;
    for (const s of shards) {
      if (!fitsNow(s, job)) continue;
      const l = loadOf(s);
      if (l > bestLoad || (l === bestLoad && best !== undefined && s.index < best.index)) {
        best = s;
        bestLoad = l;
      }
    }
    return (best ?? lowestLoad(shards)).id;
  },
} satisfies RoutingPolicy;
