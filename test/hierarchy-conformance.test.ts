import { describe, expect, it } from 'vitest';
import { checkRegisteredRouting, checkRouting } from '../src/conformance/routing.ts';
import type { RoutingPolicy } from '../src/hierarchy/routing-policy.ts';

const OPTS = { numRuns: 40 };
const statusOf = (rs: ReturnType<typeof checkRouting>) => Object.fromEntries(rs.map((r) => [r.property, r.status]));

describe('conformance kit: routing policies', () => {
  it('every shipped routing policy passes every routing property', () => {
    const all = checkRegisteredRouting(OPTS);
    expect(all.map((p) => p.name)).toEqual(['best-fit-by-summary', 'least-loaded', 'power-of-two', 'random', 'tenant-affinity']);
    for (const p of all) {
      for (const r of p.results) expect({ policy: p.name, property: r.property, status: r.status, error: r.error }).toEqual({ policy: p.name, property: r.property, status: 'pass', error: undefined });
    }
  }, 120_000);

  it('catches a policy that answers a shard it was not given', () => {
    const bad: RoutingPolicy = { name: 'outside', route: (_j, shards) => `s${shards.length}` };
    const r = checkRouting(() => bad, OPTS);
    expect(statusOf(r)['routes-to-candidate']).toBe('fail');
    expect(r.find((x) => x.property === 'routes-to-candidate')!.error).toMatch(/returned "s\d+", not one of s0/);
  });

  it('catches a policy whose answer depends on something besides its inputs and stream', () => {
    let calls = 0;
    const bad: RoutingPolicy = { name: 'stateful', route: (_j, shards) => shards[calls++ % shards.length].id };
    expect(statusOf(checkRouting(() => bad, OPTS)).deterministic).toBe('fail');
  });

  it('catches a policy that writes to the summaries', () => {
    const bad: RoutingPolicy = {
      name: 'writer',
      route: (_j, shards) => {
        (shards[0] as { routedJobs: number }).routedJobs++;
        return shards[0].id;
      },
    };
    const r = checkRouting(() => bad, OPTS);
    expect(statusOf(r).pure).toBe('fail');
    expect(r.find((x) => x.property === 'pure')!.error).toMatch(/wrote to its input/);
  });

  it('a policy can only choose among shards the master offers: even one that always picks the last gets no unfit shard', () => {
    const last: RoutingPolicy = { name: 'last', route: (_j, shards) => shards[shards.length - 1].id };
    expect(statusOf(checkRouting(() => last, OPTS))['never-unfit']).toBe('pass');
  });
});
