import { z } from 'zod';
import type { WarmPoolPolicy } from '../../src/context/warm-pool-policy.ts';

export const FixedParams = z.strictObject({
  /** Idle warm instances kept per context (over all nodes); the longest idle go first. */
  perContext: z.number().int().nonnegative().max(1e6).default(1),
});

/**
 * fixed: keep at most N idle warm instances of each context, for as long as the run lasts.
 * Example (N = 2): jobs of context m end at t = 10, 20, 30 s on nodes A, B, C: after the third
 * release the pool of m holds B and C (A, idle longest, is evicted at 30 s: 20 s idle).
 */
export function fixed(params: z.output<typeof FixedParams>): WarmPoolPolicy {
  const keep = params.perContext;
  return {
    name: 'fixed',
    afterRelease: () => ({ keep }),
  } satisfies WarmPoolPolicy;
}
