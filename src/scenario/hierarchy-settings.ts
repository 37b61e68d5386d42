import type { NodeSpec } from '../cluster/types.ts';
import { partition, PartitionError } from '../hierarchy/partition.ts';
import { routingPolicyFactory } from '../hierarchy/routing-registry.ts';
import type { HierarchySettings } from '../sim/simulate-hierarchy.ts';
import type { HierarchyConfig } from './hierarchy-schema.ts';
import type { Scenario } from './schema.ts';

/** A combination's `hierarchy:` in core units (seconds → ms) with a fresh routing policy. */
export function hierarchySettings(h: HierarchyConfig): HierarchySettings {
  const ms = (sec: number) => Math.max(1, Math.round(sec * 1000));
  return {
    partition: h.by !== undefined ? { by: h.by } : { shards: h.shards! },
    routing: routingPolicyFactory(h.routing)(h.params),
    summaryIntervalMs: ms(h.summaryIntervalSec),
    routingLatencyMs: h.routingLatencyMs,
    rebalance: { mode: h.rebalance.mode, waitLimitMs: Math.round(h.rebalance.waitLimitSec * 1000), bounceCostMs: h.rebalance.bounceCostMs, maxScan: h.rebalance.maxScan },
    onShardDown: h.onShardDown,
    failures: h.failures.map((f) => ({ shard: f.shard, at: Math.round(f.atSec * 1000), forMs: ms(f.forSec) })),
  };
}

/**
 * What a scenario's hierarchies cannot do on its loaded nodes, as `field: message` lines: a
 * partition the cluster cannot take, a shard failure naming no shard, and settings a hierarchy
 * does not model (quotas and warm pools are per cluster; cancellations and live runs are not
 * routed). Empty when every hierarchy can run.
 */
export function hierarchyProblems(scn: Scenario, nodes: readonly NodeSpec[]): string[] {
  const out: string[] = [];
  const quotas = (scn.workload.kind === 'synthetic' ? scn.workload.tenants : (scn.tenants ?? [])).some((t) => t.quota !== undefined);
  scn.policies.forEach((c, i) => {
    const h = c.hierarchy;
    if (!h) return;
    const at = `policies.${i}.hierarchy`;
    if (quotas) out.push(`${at}: tenant quotas are not supported with a hierarchy (a quota is cluster-wide; shards admit on their own)`);
    if (scn.contexts) out.push(`${at}: contexts (warm pools) are not supported with a hierarchy`);
    let ids: string[];
    try {
      ids = partition(nodes, h.by !== undefined ? { by: h.by } : { shards: h.shards! }).map((s) => s.id);
    } catch (e) {
      if (!(e instanceof PartitionError)) throw e;
      out.push(`${at}.${h.by !== undefined ? 'by' : 'shards'}: ${e.message}`);
      return;
    }
    h.failures.forEach((f, j) => {
      if (!ids.includes(f.shard)) out.push(`${at}.failures.${j}.shard: unknown shard '${f.shard}' (shards: ${ids.length > 8 ? `${ids.slice(0, 8).join(', ')}, … (${ids.length})` : ids.join(', ')})`);
    });
  });
  return out;
}
