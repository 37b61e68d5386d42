import { z } from 'zod';
import type { WarmPoolPolicy } from '../../src/context/warm-pool-policy.ts';

export const IdleTimeoutParams = z.strictObject({
  /** Each released instance stays warm this long after its last use, seconds. */
  idleSec: z.number().positive().max(1e9).default(300),
  /** At most this many idle instances per context (default: no bound). */
  maxPerContext: z.number().int().nonnegative().max(1e6).optional(),
});

/**
 * idle-timeout: every released instance stays warm `idleSec` after its last use, then expires
 * (Knative's scale-to-zero grace, AWS Lambda's idle keep-alive). Example (idleSec 60): a job of m
 * ends at t = 100 s on A: m is warm on A until t = 160 s; a job of m placed on A at 150 s starts
 * warm, at 170 s cold; idle GPU·s of that instance (1 GPU) = 50 (reused) or 60 (expired).
 */
export function idleTimeout(params: z.output<typeof IdleTimeoutParams>): WarmPoolPolicy {
  const ttlMs = Math.round(params.idleSec * 1000);
  const keep = params.maxPerContext ?? Number.MAX_SAFE_INTEGER;
  return {
    name: 'idle-timeout',
    afterRelease: () => ({ keep, ttlMs }),
  } satisfies WarmPoolPolicy;
}
