import type { RoutingPolicy } from '../../src/hierarchy/routing-policy.ts';

/**
 * random: a shard drawn uniformly from the candidates with the policy's seeded stream (the
 * baseline that reads no summary at all). Pure but for its draws.
 */
export const randomRouting = {
  name: 'random',
  route: (_job, shards, ctx) => shards[Math.min(shards.length - 1, Math.floor(ctx.rng() * shards.length))].id,
} satisfies RoutingPolicy;
