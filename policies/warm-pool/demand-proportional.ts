import { z } from 'zod';
import type { WarmPoolPolicy } from '../../src/context/warm-pool-policy.ts';

export const DemandProportionalParams = z.strictObject({
  /** Arrival rate measured over the last `windowSec` seconds. */
  windowSec: z.number().positive().max(1e9).default(600),
  /** Keep enough instances for the arrivals expected in the next `horizonSec` seconds. */
  horizonSec: z.number().positive().max(1e9).default(120),
  /** Rate of the context over all tenants, or only of the tenant whose job released the instance. */
  by: z.enum(['context', 'tenant']).default('context'),
  /** Upper bound of idle instances per context. */
  maxPerContext: z.number().int().nonnegative().max(1e6).default(8),
  /** Each kept instance expires this long after release, seconds (default: when evicted). */
  idleSec: z.number().positive().max(1e9).optional(),
});

/**
 * demand-proportional: the pool of a context is sized by its recent arrival rate — keep
 * ceil(arrivals in the last windowSec × horizonSec / windowSec), at most maxPerContext. Hot
 * contexts keep several instances, the long tail none. With `by: tenant` the rate is that of the
 * releasing tenant's jobs of the context (per-tenant pools, as a service would size them).
 *
 * Example (window 600 s, horizon 120 s): 25 arrivals of m in the last 600 s → ceil(25 × 120 / 600)
 * = 5 kept; 2 arrivals → ceil(0.4) = 1; none → 0 (dropped at once).
 */
export function demandProportional(params: z.output<typeof DemandProportionalParams>): WarmPoolPolicy {
  const windowMs = Math.round(params.windowSec * 1000);
  const ttlMs = params.idleSec === undefined ? undefined : Math.round(params.idleSec * 1000);
  return {
    name: 'demand-proportional',
    afterRelease(r, view) {
      const since = view.now - windowMs;
      const n = params.by === 'tenant' ? view.tenantArrivals(r.tenant, r.context, since) : view.arrivals(r.context, since);
      const keep = Math.min(params.maxPerContext, Math.ceil((n * params.horizonSec) / params.windowSec));
      return ttlMs === undefined ? { keep } : { keep, ttlMs };
    },
  } satisfies WarmPoolPolicy;
}
