import { z } from 'zod';
import type { RoutingPolicy } from '../../src/hierarchy/routing-policy.ts';
import { fitsNow, type ShardSummary } from '../../src/hierarchy/summary.ts';
import { fnv1a } from '../../src/scheduler/fnv1a.ts';
import { lowestLoad } from './least-loaded.ts';

export const TenantAffinityParams = z.strictObject({
  /** Send the job elsewhere (least-loaded among shards with room now) when its home shard has none by its summary. */
  spill: z.boolean().default(true),
});

/**
 * tenant-affinity: each tenant has a home shard, FNV-1a(tenant) mod (the largest shard position
 * + 1) among the candidates, so a tenant's jobs meet its own data, quotas and fair share in one
 * place; when the home is not a candidate, or (with `spill`) its summary shows no room now while
 * another's does, the least-loaded shard with room. Pure.
 *
 * Example: candidates s0..s3, FNV-1a('team-a') = 0x26db73d6 = 651916246, mod 4 = 2 → s2.
 */
export function tenantAffinity(p: z.output<typeof TenantAffinityParams>): RoutingPolicy {
  return {
    name: 'tenant-affinity',
    route: (job, shards) => {
      const width = shards.reduce((a, s) => Math.max(a, s.index + 1), 0);
      const want = fnv1a(job.tenant) % width;
      const home: ShardSummary | undefined = shards.find((s) => s.index === want);
      if (home && (!p.spill || fitsNow(home, job))) return home.id;
      const room = shards.filter((s) => fitsNow(s, job));
      if (home && room.length === 0) return home.id;
      return lowestLoad(room.length > 0 ? room : shards).id;
    },
  };
}
