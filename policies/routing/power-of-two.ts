import { z } from 'zod';
import type { RoutingPolicy } from '../../src/hierarchy/routing-policy.ts';
import { loadOf } from '../../src/hierarchy/summary.ts';

export const PowerOfTwoParams = z.strictObject({
  /** How many distinct shards to sample (2: Mitzenmacher's power of two choices). */
  choices: z.number().int().min(1).max(64).default(2),
});

/**
 * power-of-two: Mitzenmacher, "The Power of Two Choices in Randomized Load Balancing" (IEEE TPDS
 * 2001): sample `choices` distinct candidate shards with the seeded stream and take the one with
 * the lowest estimated load (`loadOf`), ties by shard position. Reads two summaries instead of
 * all, yet keeps the maximum load near the least-loaded policy's. Pure but for its draws.
 *
 * Example: draws s3 (load 0.7) and s1 (load 0.4) → s1.
 */
export function powerOfTwo(p: z.output<typeof PowerOfTwoParams>): RoutingPolicy {
  return {
    name: 'power-of-two',
    route: (_job, shards, ctx) => {
      const k = Math.min(p.choices, shards.length);
      // Partial Fisher-Yates over positions: k distinct draws.
      const pos = shards.map((_, i) => i);
      let best = -1;
      let bestLoad = Infinity;
      for (let i = 0; i < k; i++) {
        const j = i + Math.min(pos.length - i - 1, Math.floor(ctx.rng() * (pos.length - i)));
        [pos[i], pos[j]] = [pos[j], pos[i]];
        const s = shards[pos[i]];
        const l = loadOf(s);
        if (l < bestLoad || (l === bestLoad && s.index < shards[best].index)) {
          best = pos[i];
          bestLoad = l;
        }
      }
      return shards[best].id;
    },
  };
}
