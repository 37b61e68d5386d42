import { describe, expect, it } from 'vitest';
import '../policies/index.ts';
import { partition, PartitionError } from '../src/hierarchy/partition.ts';
import { routingPolicyFactory, routingPolicyNames } from '../src/hierarchy/routing-registry.ts';
import { fitsNow, loadOf, type ShardSummary } from '../src/hierarchy/summary.ts';
import { newJob } from '../src/jobs/job.ts';
import { PolicyParamsError } from '../src/scheduler/registry.ts';
import { job, node } from './helpers/builders.ts';

/** A summary of a shard of whole 8-GPU A100 nodes: `free` whole GPUs on its emptiest node, loads as given (milli). */
function shard(index: number, o: { cap?: number; alloc?: number; queued?: number; routed?: number; block?: number; up?: boolean }): ShardSummary {
  const cap = o.cap ?? 8000;
  const alloc = o.alloc ?? 0;
  const block = o.block ?? Math.floor((cap - alloc) / 1000);
  return {
    id: `s${index}`,
    index,
    asOf: 0,
    up: o.up ?? true,
    gpus: cap / 1000,
    capacityMilli: cap,
    freeMilli: cap - alloc,
    freeCpu: 64000,
    freeMemory: 262144,
    maxNodeCpuFree: 64000,
    maxNodeMemoryFree: 262144,
    queued: (o.queued ?? 0) > 0 ? 1 : 0,
    queuedMilli: o.queued ?? 0,
    running: 0,
    models: [{ model: 'A100', gpus: cap / 1000, freeGpus: block, freeMilli: cap - alloc, largestBlock: block, maxGpuFree: block > 0 ? 1000 : 0 }],
    routedJobs: (o.routed ?? 0) > 0 ? 1 : 0,
    routedMilli: o.routed ?? 0,
  };
}

const ctx = (draws: number[] = []) => {
  let i = 0;
  return { now: 0, rng: () => draws[i++ % Math.max(1, draws.length)] ?? 0 };
};
const route = (name: string, j = job('j').build(), shards: ShardSummary[], c = ctx(), params = {}) => routingPolicyFactory(name)(params).route(newJob(j), shards, c);

describe('shard summaries', () => {
  it('load is (allocated + queued + routed since the report) over capacity', () => {
    // (6000 + 1000 + 0) / 8000 = 0.875
    expect(loadOf(shard(0, { alloc: 6000, queued: 1000 }))).toBe(0.875);
    // (2000 + 0 + 5000) / 8000 = 0.875
    expect(loadOf(shard(1, { alloc: 2000, routed: 5000 }))).toBe(0.875);
  });

  it('a job fits by summary when some node has its GPUs whole and free; a down shard fits nothing', () => {
    expect(fitsNow(shard(0, { alloc: 6000 }), job('a').gpus(2).build())).toBe(true); // block 2 ≥ 2
    expect(fitsNow(shard(0, { alloc: 6000 }), job('a').gpus(3).build())).toBe(false); // block 2 < 3
    expect(fitsNow(shard(0, { up: false }), job('a').build())).toBe(false);
    expect(fitsNow(shard(0, {}), job('a').models('H100').build())).toBe(false); // no H100 in the shard
  });
});

describe('routing policies, hand-computed', () => {
  it('the shipped routing policies are registered', () => {
    expect(routingPolicyNames()).toEqual(['best-fit-by-summary', 'least-loaded', 'power-of-two', 'random', 'tenant-affinity']);
  });

  it.each([
    // loads: s0 (7000+0+0)/8000 = 0.875, s1 (2000+0+0)/8000 = 0.25 → s1
    ['least-loaded: the lower load', [shard(0, { alloc: 7000 }), shard(1, { alloc: 2000 })], 's1'],
    // s0 0.875; s1 (2000 + 0 + 5000 routed since its report)/8000 = 0.875: a tie → the lower position, s0
    ['least-loaded: routed work counts, ties by position', [shard(0, { alloc: 6000, queued: 1000 }), shard(1, { alloc: 2000, routed: 5000 })], 's0'],
    // s0 load 0.875 with one free GPU, s1 0.25: both fit; best fit is the fuller s0
    ['best-fit-by-summary: the fullest shard that fits', [shard(0, { alloc: 7000 }), shard(1, { alloc: 2000 })], 's0'],
    // s0 full (block 0), s1 0.25 → only s1 fits
    ['best-fit-by-summary: skips a shard with no room', [shard(0, { alloc: 8000 }), shard(1, { alloc: 2000 })], 's1'],
    // nothing fits (blocks 0): falls back to least-loaded: s0 (8000+1000)/8000 = 1.125, s1 (8000+0)/8000 = 1 → s1
    ['best-fit-by-summary: no room anywhere → least-loaded', [shard(0, { alloc: 8000, queued: 1000 }), shard(1, { alloc: 8000 })], 's1'],
  ] as const)('%s', (name, shards, want) => {
    expect(route(name.split(':')[0], job('j').build(), [...shards])).toBe(want);
  });

  it('tenant-affinity: FNV-1a of the tenant picks the home shard; spills to a shard with room when home has none', () => {
    const four = [0, 1, 2, 3].map((i) => shard(i, {}));
    // FNV-1a('team-a') = 0x26db73d6 = 651916246; mod 4 = 2 → s2
    expect(route('tenant-affinity', job('j').tenant('team-a').build(), four)).toBe('s2');
    // home s2 full; s0 load 0.5, s1 0.25, s3 0.75 all fit → least-loaded among them: s1
    const busy = [shard(0, { alloc: 4000 }), shard(1, { alloc: 2000 }), shard(2, { alloc: 8000 }), shard(3, { alloc: 6000 })];
    expect(route('tenant-affinity', job('j').tenant('team-a').build(), busy)).toBe('s1');
    // without spill the job goes home anyway
    expect(route('tenant-affinity', job('j').tenant('team-a').build(), busy, ctx(), { spill: false })).toBe('s2');
  });

  it('random draws a candidate from its stream: draw 0.6 of 3 shards → floor(1.8) = 1 → s1', () => {
    expect(route('random', job('j').build(), [0, 1, 2].map((i) => shard(i, {})), ctx([0.6]))).toBe('s1');
  });

  it('power-of-two samples two distinct shards and keeps the less loaded', () => {
    // loads s0 0.5, s1 0.875, s2 0.125, s3 0.75.
    const shards = [shard(0, { alloc: 4000 }), shard(1, { alloc: 7000 }), shard(2, { alloc: 1000 }), shard(3, { alloc: 6000 })];
    // positions [0,1,2,3]: draw 0.3 → floor(0.3 × 4) = 1 → s1, swapped to the front: [1,0,2,3];
    // draw 0.9 over the 3 left → 1 + floor(0.9 × 3) = 3 → position 3 holds 3 → s3.
    // s1 0.875 vs s3 0.75 → s3 (s2, the least loaded, was not sampled)
    expect(route('power-of-two', job('j').build(), shards, ctx([0.3, 0.9]))).toBe('s3');
    // choices: 4 samples every shard: least-loaded → s2
    expect(route('power-of-two', job('j').build(), shards, ctx([0.1, 0.1, 0.1, 0.1]), { choices: 4 })).toBe('s2');
  });

  it('params are checked against the policy schema', () => {
    expect(() => routingPolicyFactory('power-of-two')({ choices: 0 })).toThrow(PolicyParamsError);
    expect(() => routingPolicyFactory('least-loaded')({ x: 1 })).toThrow(/unknown param/);
  });
});

describe('partition', () => {
  it('shards: N cuts contiguous runs balanced by GPU count, never cutting a node', () => {
    // GPUs 8, 8, 4, 4 = 24; the first shard stops once it holds ≥ 12 → [8, 8] | [4, 4]
    const nodes = [node('a', 8), node('b', 8), node('c', 4), node('d', 4)];
    expect(partition(nodes, { shards: 2 })).toEqual([
      { id: 's0', nodes: [0, 1] },
      { id: 's1', nodes: [2, 3] },
    ]);
    // 4 shards of 4 nodes: one node each (each keeps at least one)
    expect(partition(nodes, { shards: 4 }).map((s) => s.nodes)).toEqual([[0], [1], [2], [3]]);
  });

  it('by: <label> makes one shard per label value in order of first appearance', () => {
    const nodes = [{ ...node('a', 1), labels: { zone: 'b' } }, { ...node('b', 1), labels: { zone: 'a' } }, { ...node('c', 1), labels: { zone: 'b' } }];
    expect(partition(nodes, { by: 'zone' })).toEqual([
      { id: 'b', nodes: [0, 2] },
      { id: 'a', nodes: [1] },
    ]);
    expect(() => partition([node('x', 1)], { by: 'zone' })).toThrow(/node x has no label 'zone'/);
  });

  it('more shards than nodes is an error', () => {
    expect(() => partition([node('a', 1)], { shards: 2 })).toThrow(PartitionError);
  });
});
