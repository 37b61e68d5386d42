import { z } from 'zod';
import { MAX_TIME_SEC } from '../limits.ts';

const posSec = z.number().positive().max(MAX_TIME_SEC);
const nonNegSec = z.number().nonnegative().max(MAX_TIME_SEC);
const nonNegMs = z.number().int().nonnegative().max(MAX_TIME_SEC * 1000);

/**
 * What a shard does with a job that waits in its queue (README "Scheduler hierarchy"):
 * `wait` — nothing, it waits there; `bounce` — once it has waited `waitLimitSec` and another
 * shard's summary shows room for it, the shard gives it back to the master, which re-routes it
 * after `bounceCostMs`; `steal` — at each summary, a shard with an empty queue and free GPUs takes
 * the oldest jobs that fit it now from other shards' queues (the first `maxScan` of each).
 */
export const RebalanceSchema = z.strictObject({
  mode: z.enum(['wait', 'bounce', 'steal']).default('bounce'),
  waitLimitSec: nonNegSec.default(60),
  bounceCostMs: nonNegMs.default(100),
  maxScan: z.number().int().min(1).max(1e6).default(64),
});

/** A shard's scheduler down from `atSec` for `forSec` seconds: its nodes run on, nothing new starts there. */
export const ShardFailureSchema = z.strictObject({
  shard: z.string().min(1),
  atSec: nonNegSec,
  forSec: posSec,
});

/**
 * A policy combination's scheduler hierarchy: a master routes each job to one of several shards,
 * each a scheduler core (the combination's queue and placement policies, one instance per shard)
 * over its partition of the nodes. `shards: N` — N contiguous parts balanced by GPU count (ids
 * s0…); `by: <label>` — one shard per value of a node label. The routing policy (a registered
 * name, `params` for it) sees shard summaries refreshed every `summaryIntervalSec`; a routed job
 * enters its shard `routingLatencyMs` later. `onShardDown`: a failed shard's queued jobs go back
 * to the master (`bounce`) or wait for it (`wait`).
 */
export const HierarchyConfigSchema = z
  .strictObject({
    shards: z.number().int().min(1).max(100_000).optional(),
    by: z.string().min(1).optional(),
    routing: z.string().min(1),
    params: z.record(z.string(), z.unknown()).default({}),
    summaryIntervalSec: posSec.default(10),
    routingLatencyMs: nonNegMs.default(0),
    rebalance: RebalanceSchema.default({ mode: 'bounce', waitLimitSec: 60, bounceCostMs: 100, maxScan: 64 }),
    onShardDown: z.enum(['bounce', 'wait']).default('bounce'),
    failures: z.array(ShardFailureSchema).default([]),
  })
  .superRefine((h, ctx) => {
    if ((h.shards === undefined) === (h.by === undefined)) {
      ctx.addIssue({ code: 'custom', path: [h.shards === undefined ? 'shards' : 'by'], message: 'give `shards: N` or `by: <node label>`, one of them' });
    }
  });

export type HierarchyConfig = z.infer<typeof HierarchyConfigSchema>;

/** The part of a combination's default label that names its hierarchy: `h8-least-loaded`, `hzone-random`. */
export function hierarchyLabel(h: { shards?: number; by?: string; routing: string }): string {
  return `h${h.shards ?? h.by}-${h.routing}`;
}
