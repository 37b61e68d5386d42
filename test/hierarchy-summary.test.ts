import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import '../policies/index.ts';
import { Cluster } from '../src/cluster/cluster.ts';
import type { ClusterView, NodeSpec } from '../src/cluster/types.ts';
import { stream } from '../src/engine/rng.ts';
import { shardStatics, summarize } from '../src/hierarchy/summary.ts';
import { newJob } from '../src/jobs/job.ts';
import { placementPolicyFactory } from '../src/scheduler/registry.ts';

/**
 * A shard's report read from the node groups' packed state equals the report summed node by node
 * (the view without groups), over random clusters of whole-GPU, mixed-model, CPU-only and MIG
 * nodes after random placements, releases and node down/up.
 */

/** The view without its groups: `summarize` falls back to reading every node. */
function plain(c: Cluster): ClusterView {
  const { nodes, gpuCapacity, gpuAllocated, cpuCapacity, cpuAllocated, memoryCapacity, memoryAllocated, models } = c;
  return { nodes, gpuCapacity, gpuAllocated, cpuCapacity, cpuAllocated, memoryCapacity, memoryAllocated, models };
}

const nodeArb = fc.record({
  gpus: fc.oneof(
    fc.tuple(fc.integer({ min: 0, max: 8 }), fc.constantFrom('A', 'B'), fc.constantFrom(1000, 2000)).map(([n, model, capacity]) => Array.from({ length: n }, () => ({ model, capacity }))),
    fc.constant([{ model: 'A', capacity: 1000 }, { model: 'B', capacity: 1000 }, { model: 'A', capacity: 1000 }]),
    fc.constant([{ model: 'A100-80GB', capacity: 1000, mig: true }]),
  ),
  cpu: fc.constantFrom(8000, 32000),
  memory: fc.constantFrom(32768, 65536),
});
const demandArb = fc.record({ gpus: fc.integer({ min: 0, max: 3 }), milli: fc.constantFrom(250, 500, 1000), cpu: fc.constantFrom(0, 2000, 8000), memory: fc.constantFrom(0, 16384) });
const opArb = fc.oneof(
  { weight: 6, arbitrary: demandArb.map((d) => ({ kind: 'place' as const, d })) },
  { weight: 2, arbitrary: fc.nat().map((k) => ({ kind: 'release' as const, k })) },
  { weight: 1, arbitrary: fc.nat().map((k) => ({ kind: 'down' as const, k })) },
  { weight: 1, arbitrary: fc.nat().map((k) => ({ kind: 'up' as const, k })) },
);

describe('shard summary from node groups', () => {
  it('equals the summary read node by node, after any placements, releases and node down/up', () => {
    fc.assert(
      fc.property(fc.array(nodeArb, { minLength: 1, maxLength: 12 }), fc.array(opArb, { maxLength: 40 }), (ns, ops) => {
        const nodes: NodeSpec[] = ns.map((n, i) => ({ id: `n${i}`, ...n }));
        const c = new Cluster(nodes);
        c.groups();
        const place = placementPolicyFactory('random')({});
        const held: string[] = [];
        ops.forEach((op, k) => {
          if (op.kind === 'place') {
            const j = newJob({ id: `j${k}`, tenant: 't', submit: 0, duration: 1, priority: 0, ...op.d, milli: op.d.gpus === 0 ? 0 : op.d.milli });
            const out = place.place(j, c, { now: 0, rng: stream(k, 'p') });
            if (out.kind === 'placed') {
              c.allocate(j.id, j, out.placement);
              held.push(j.id);
            }
          } else if (op.kind === 'release' && held.length > 0) c.release(held.splice(op.k % held.length, 1)[0]);
          else if (op.kind === 'down' || op.kind === 'up') {
            const i = op.k % nodes.length;
            if (op.kind === 'up' || c.jobsOn(i).length === 0) c.setUp(i, op.kind === 'up');
          }
        });
        const st = shardStatics(c);
        const q = { queued: 2, queuedMilli: 1500, running: held.length };
        expect(summarize('s0', 0, c, st, q, true, 7)).toEqual(summarize('s0', 0, plain(c), st, q, true, 7));
      }),
      { numRuns: 300 },
    );
  });

  it('counts whole free GPUs, the largest block and the largest share per model (hand-computed)', () => {
    // Two 4-GPU nodes of model A (one with 1 GPU at 600 used, one empty) and a 2-GPU node of B.
    const c = new Cluster([
      { id: 'a0', cpu: 8000, memory: 8192, gpus: Array.from({ length: 4 }, () => ({ model: 'A', capacity: 1000 })) },
      { id: 'a1', cpu: 8000, memory: 8192, gpus: Array.from({ length: 4 }, () => ({ model: 'A', capacity: 1000 })) },
      { id: 'b0', cpu: 4000, memory: 4096, gpus: Array.from({ length: 2 }, () => ({ model: 'B', capacity: 1000 })) },
    ]);
    c.groups();
    c.allocate('x', newJob({ id: 'x', tenant: 't', submit: 0, duration: 1, priority: 0, cpu: 1000, memory: 0, gpus: 1, milli: 600 }), { node: 0, gpus: [{ gpu: 2, milli: 600 }] });
    const s = summarize('s0', 0, c, shardStatics(c), { queued: 0, queuedMilli: 0, running: 1 }, true, 0);
    // A: free 3400 + 4000 = 7400 milli; whole free 3 + 4 = 7; largest block 4 (a1); largest share 1000.
    expect(s.models).toEqual([
      { model: 'A', gpus: 8, freeGpus: 7, freeMilli: 7400, largestBlock: 4, maxGpuFree: 1000 },
      { model: 'B', gpus: 2, freeGpus: 2, freeMilli: 2000, largestBlock: 2, maxGpuFree: 1000 },
    ]);
    expect([s.freeCpu, s.maxNodeCpuFree, s.freeMilli]).toEqual([7000 + 8000 + 4000, 8000, 10000 - 600]);
  });
});
