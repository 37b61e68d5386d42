import type { MasterCounts } from './master.ts';

/** One shard's share of a hierarchical run. */
export interface ShardMetrics {
  readonly shard: string;
  readonly gpus: number;
  /** Routing decisions that sent a job here. */
  readonly routed: number;
  /** Mean allocated GPU capacity over the run (first arrival to end), %. */
  readonly utilPct: number;
}

/**
 * A hierarchical run's metrics (summary.json `hierarchy`, the printed hierarchy table). Counts as
 * in `MasterCounts`. Imbalance of per-shard utilisation: `utilMaxOverMean` (1 = perfectly even)
 * and `utilCov` (coefficient of variation: population standard deviation / mean, 0 = even).
 */
export interface HierarchyMetrics extends MasterCounts {
  readonly routing: string;
  readonly shards: number;
  readonly rebalance: string;
  readonly utilMaxOverMean: number;
  readonly utilCov: number;
  readonly perShard: readonly ShardMetrics[];
}

const round = (x: number, d: number) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : x);

/**
 * The metrics from the shards' utilisation integrals (milli-GPU × ms), capacities and routing
 * counts over `spanMs`. Pure. Example: two shards of 8 GPUs busy 50 % and 100 % → mean 75 %,
 * max/mean 100/75 = 1.333, CoV 25/75 = 0.333.
 */
export function hierarchyMetrics(
  o: { routing: string; rebalance: string; counts: MasterCounts; spanMs: number },
  shards: readonly { readonly id: string; readonly gpus: number; readonly capacityMilli: number; readonly routed: number; readonly allocMilliMs: number }[],
): HierarchyMetrics {
  const util = shards.map((s) => (s.capacityMilli > 0 && o.spanMs > 0 ? (100 * s.allocMilliMs) / (s.capacityMilli * o.spanMs) : 0));
  const mean = util.reduce((a, b) => a + b, 0) / Math.max(1, util.length);
  const max = util.reduce((a, b) => Math.max(a, b), 0);
  const sd = Math.sqrt(util.reduce((a, u) => a + (u - mean) ** 2, 0) / Math.max(1, util.length));
  return {
    routing: o.routing,
    shards: shards.length,
    rebalance: o.rebalance,
    ...o.counts,
    utilMaxOverMean: mean > 0 ? round(max / mean, 4) : 1,
    utilCov: mean > 0 ? round(sd / mean, 4) : 0,
    perShard: shards.map((s, i) => ({ shard: s.id, gpus: s.gpus, routed: s.routed, utilPct: round(util[i], 2) })),
  };
}
