import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import '../policies/index.ts';
import { Cluster } from '../src/cluster/cluster.ts';
import { fits } from '../src/cluster/fit.ts';
import { mix } from '../src/cluster/node-groups.ts';
import { nthOfUnion } from '../src/cluster/sorted-ids.ts';
import type { ClusterView, GpuSpec, NodeSpec } from '../src/cluster/types.ts';
import { stream } from '../src/engine/rng.ts';
import { newJob, type JobSpec } from '../src/jobs/job.ts';
import { placementPolicyFactory } from '../src/scheduler/registry.ts';

/**
 * The node groups (src/cluster/node-groups.ts) must change no placement: every policy that scans
 * groups picks, on the live cluster, exactly what it picks on a plain copy of the view (no groups:
 * the scan over every node), over random clusters and random sequences of placements, releases
 * and node down/up, whole, fractional, model-restricted and MIG requests.
 */

const POLICIES = ['first-fit', 'best-fit', 'worst-fit', 'best-fit-study', 'dot-product', 'gpu-packing', 'gpu-clustering', 'fgd', 'random', 'mig-best-fit'];
const TYPICAL = [
  { cpu: 4000, gpus: 1, milli: 500, spec: '', freq: 0.5, count: 5 },
  { cpu: 8000, gpus: 1, milli: 1000, spec: '', freq: 0.3, count: 3 },
  { cpu: 2000, gpus: 0, milli: 0, spec: '', freq: 0.2, count: 2 },
];

/** The view without its groups: policies fall back to scanning every node. */
function plain(c: Cluster): ClusterView {
  const { nodes, gpuCapacity, gpuAllocated, cpuCapacity, cpuAllocated, memoryCapacity, memoryAllocated, models } = c;
  return { nodes, gpuCapacity, gpuAllocated, cpuCapacity, cpuAllocated, memoryCapacity, memoryAllocated, models };
}

const gpuArb: fc.Arbitrary<GpuSpec> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ model: 'A', capacity: 1000 }) },
  { weight: 1, arbitrary: fc.constant({ model: 'B', capacity: 1000 }) },
  { weight: 1, arbitrary: fc.constant({ model: 'A100-80GB', capacity: 1000, mig: true }) },
);
/** A node type: most nodes uniform (grouped), some mixed or MIG (loose). */
const nodeArb = fc.record({
  gpus: fc.oneof(
    fc.integer({ min: 0, max: 4 }).map((n) => Array.from({ length: n }, () => ({ model: 'A', capacity: 1000 }))),
    fc.array(gpuArb, { minLength: 1, maxLength: 3 }),
  ),
  cpu: fc.constantFrom(8000, 16000, 32000),
  memory: fc.constantFrom(32768, 65536),
});
const clusterArb = fc
  .array(nodeArb, { minLength: 1, maxLength: 14 })
  .chain((ns) => fc.shuffledSubarray(ns.map((_, i) => i), { minLength: ns.length, maxLength: ns.length }).map((perm) => ({ ns, perm })))
  .map(({ ns, perm }): NodeSpec[] => ns.map((n, i) => ({ id: `n${perm[i]}`, ...n }))); // id order ≠ index order

const demandArb = fc.oneof(
  { weight: 8, arbitrary: fc.record({ gpus: fc.integer({ min: 0, max: 3 }), milli: fc.constantFrom(250, 500, 700, 1000), cpu: fc.constantFrom(0, 1000, 4000, 8000), memory: fc.constantFrom(0, 4096, 16384), models: fc.constantFrom(undefined, ['A'], ['B']), mig: fc.constant(undefined) }) },
  { weight: 2, arbitrary: fc.record({ gpus: fc.constant(1), milli: fc.constant(0), cpu: fc.constantFrom(0, 1000), memory: fc.constant(0), models: fc.constant(undefined), mig: fc.constantFrom('1g.10gb', '2g.20gb', '3g.40gb') }) },
);
const opArb = fc.oneof(
  { weight: 6, arbitrary: demandArb.map((d) => ({ kind: 'place' as const, d })) },
  { weight: 2, arbitrary: fc.nat().map((k) => ({ kind: 'release' as const, k })) },
  { weight: 1, arbitrary: fc.nat().map((k) => ({ kind: 'down' as const, k })) },
  { weight: 1, arbitrary: fc.nat().map((k) => ({ kind: 'up' as const, k })) },
);

type Op = typeof opArb extends fc.Arbitrary<infer T> ? T : never;

/** Applies operations to `c`: a place by first-fit (when it fits), a release of a held job, a node down (when empty) or up. */
function operator(c: Cluster): (op: Op) => void {
  const ff = placementPolicyFactory('first-fit')({});
  const held: string[] = [];
  let k = 0;
  return (op) => {
    if (op.kind === 'place') {
      const j = newJob({ id: `j${k++}`, tenant: 't', submit: 0, duration: 1, priority: 0, ...op.d });
      const out = ff.place(j, c, { now: 0, rng: stream(1, 'x') });
      if (out.kind === 'placed') {
        c.allocate(j.id, j, out.placement);
        held.push(j.id);
      }
    } else if (op.kind === 'release' && held.length > 0) {
      c.release(held.splice(op.k % held.length, 1)[0]);
    } else if (op.kind === 'down' || op.kind === 'up') {
      const i = op.k % c.nodes.length;
      if (op.kind === 'up' || c.jobsOn(i).length === 0) c.setUp(i, op.kind === 'up');
    }
  };
}

describe('placement through node groups equals the scan over every node', () => {
  it('for every policy, after any sequence of allocations, releases and node down/up', () => {
    fc.assert(
      fc.property(clusterArb, fc.array(opArb, { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 1000 }), (nodes, ops, seed) => {
        const cluster = new Cluster(nodes);
        const indexed = POLICIES.map((p) => placementPolicyFactory(p)(p === 'fgd' ? { typicalPods: TYPICAL } : {}));
        const scanned = POLICIES.map((p) => placementPolicyFactory(p)(p === 'fgd' ? { typicalPods: TYPICAL } : {}));
        const running: string[] = [];
        let next = 0;
        ops.forEach((op, step) => {
          if (op.kind === 'place') {
            const d = op.d;
            const spec: JobSpec = { id: `j${next++}`, tenant: 't', submit: 0, duration: 1, priority: 0, cpu: d.cpu, memory: d.memory, gpus: d.gpus, milli: d.gpus === 0 ? 0 : d.mig ? 125 : d.milli, models: d.models, mig: d.mig };
            const job = newJob(spec);
            let placement;
            for (let i = 0; i < POLICIES.length; i++) {
              const a = indexed[i].place(job, cluster, { now: step, rng: stream(seed + step, POLICIES[i]) });
              const b = scanned[i].place(job, plain(cluster), { now: step, rng: stream(seed + step, POLICIES[i]) });
              expect(a, `${POLICIES[i]} at step ${step}`).toEqual(b);
              if (a.kind === 'placed' && i === step % POLICIES.length) placement = a.placement;
              placement ??= a.kind === 'placed' ? a.placement : undefined;
            }
            if (placement) {
              cluster.allocate(job.id, job, placement);
              running.push(job.id);
            }
          } else if (op.kind === 'release' && running.length > 0) {
            cluster.release(running.splice(op.k % running.length, 1)[0]);
          } else if (op.kind === 'down') {
            const n = op.k % nodes.length;
            for (const id of cluster.jobsOn(n)) {
              cluster.release(id);
              running.splice(running.indexOf(id), 1);
            }
            cluster.setUp(n, false);
          } else if (op.kind === 'up') cluster.setUp(op.k % nodes.length, true);
          // The groups' packed state and free-GPU order agree with their nodes.
          const g = cluster.groups();
          const asc = g.ascending();
          expect([...asc].sort((x, y) => x - y)).toEqual([...g.live()].sort((x, y) => x - y));
          asc.forEach((x, i) => {
            expect(g.gpuFree(x)).toBe(cluster.nodes[g.members(x)[0]].gpuFree);
            if (i > 0) expect(g.gpuFree(x)).toBeGreaterThanOrEqual(g.gpuFree(asc[i - 1]));
            expect(g.atLeast(g.gpuFree(x))).toBeLessThanOrEqual(i);
            expect(g.atLeast(g.gpuFree(x) + 1)).toBeGreaterThan(i);
          });
        });
      }),
      { numRuns: 300 },
    );
  });

  it('a clone and a scratch cluster built from the view group their own nodes', () => {
    // Two identical nodes and a third with one GPU in use: best-fit takes the third (tighter);
    // after it is released on the clone only, the clone ties all three and takes the smallest id.
    const spec = (id: string): NodeSpec => ({ id, cpu: 8000, memory: 8192, gpus: [{ model: 'A', capacity: 1000 }, { model: 'A', capacity: 1000 }] });
    const c = new Cluster([spec('c'), spec('b'), spec('a')]);
    const bf = placementPolicyFactory('best-fit')({});
    const one = newJob({ id: 'x', tenant: 't', submit: 0, duration: 1, priority: 0, cpu: 0, memory: 0, gpus: 1, milli: 1000 });
    c.groups(); // built before the allocation, kept current by it
    c.allocate('x', one, { node: 0, gpus: [{ gpu: 0, milli: 1000 }] });
    const y = { ...one, id: 'y' };
    const p = (v: ClusterView) => bf.place(y, v, { now: 0, rng: stream(1, 'x') });
    expect(p(c)).toEqual({ kind: 'placed', placement: { node: 0, gpus: [{ gpu: 1, milli: 1000 }] } });
    const k = c.clone();
    k.release('x');
    expect(p(k)).toEqual({ kind: 'placed', placement: { node: 2, gpus: [{ gpu: 0, milli: 1000 }] } }); // id 'a'
    expect(p(c)).toEqual({ kind: 'placed', placement: { node: 0, gpus: [{ gpu: 1, milli: 1000 }] } });
    const s = Cluster.fromView(c, [{ id: 'x', placement: c.allocationOf('x'), cpu: 0, memory: 0 }]);
    s.release('x');
    expect(p(s)).toEqual({ kind: 'placed', placement: { node: 2, gpus: [{ gpu: 0, milli: 1000 }] } });
  });

  it('groups nodes by state and keeps MIG and mixed-model nodes loose', () => {
    const whole = (id: string): NodeSpec => ({ id, cpu: 8000, memory: 8192, gpus: [{ model: 'A', capacity: 1000 }] });
    const c = new Cluster([whole('a'), { id: 'm', cpu: 8000, memory: 8192, gpus: [{ model: 'A100-80GB', capacity: 1000, mig: true }] }, whole('b'), whole('c')]);
    const g = c.groups();
    expect(g.loose()).toEqual([1]);
    expect(g.live().map((x) => [...g.members(x)])).toEqual([[0, 2, 3]]);
    c.allocate('j', newJob({ id: 'j', tenant: 't', submit: 0, duration: 1, priority: 0, cpu: 0, memory: 0, gpus: 1, milli: 1000 }), { node: 2, gpus: [{ gpu: 0, milli: 1000 }] });
    c.setUp(3, false);
    expect(g.live().map((x) => [...g.members(x)]).sort()).toEqual([[0], [2]]);
  });
});

describe('node groups keyed by a hash of the state', () => {
  /** The groups as sorted member lists. */
  const partition = (c: Cluster) => {
    const g = c.groups();
    return g
      .live()
      .map((x) => [...g.members(x)])
      .sort((a, b) => a[0] - b[0]);
  };

  it('keeps two states whose hashes collide in separate groups, through joins, empties and reuse', () => {
    // One node type (id 0): 60000 CPU, 65536 memory, one GPU. The states (type, cpuFree, memoryFree,
    // free milli) (0, 19, 0, 0) and (0, 57009, 63787, 0) share a 32-bit hash (found by search;
    // asserted here), so the second group is chained behind the first in one hash bucket.
    const hash = (vals: number[]) => vals.reduce((h, v) => mix(h, v), 0);
    expect(hash([0, 19, 0, 0])).toBe(hash([0, 57009, 63787, 0]));
    const node = (id: string): NodeSpec => ({ id, cpu: 60000, memory: 65536, gpus: [{ model: 'A', capacity: 1000 }] });
    const c = new Cluster([node('n0'), node('n1'), node('n2')]);
    const job = (id: string, cpu: number, memory: number) => newJob({ id, tenant: 't', submit: 0, duration: 1, priority: 0, cpu, memory, gpus: 1, milli: 1000 });
    const a = (id: string, n: number) => c.allocate(id, job(id, 60000 - 19, 65536), { node: n, gpus: [{ gpu: 0, milli: 1000 }] }); // → (19, 0, 0)
    const b = (id: string, n: number) => c.allocate(id, job(id, 60000 - 57009, 65536 - 63787), { node: n, gpus: [{ gpu: 0, milli: 1000 }] }); // → (57009, 63787, 0)
    expect(partition(c)).toEqual([[0, 1, 2]]);
    a('a0', 0);
    b('b1', 1);
    expect(partition(c)).toEqual([[0], [1], [2]]);
    a('a2', 2); // found behind the other state in its bucket
    expect(partition(c)).toEqual([[0, 2], [1]]);
    c.release('b1'); // the bucket's head empties
    expect(partition(c)).toEqual([[0, 2], [1]]);
    b('b1', 1);
    c.release('a0');
    c.release('a2'); // the other state empties, now behind the head
    expect(partition(c)).toEqual([[0, 2], [1]]);
    b('b2', 2);
    expect(partition(c)).toEqual([[0], [1, 2]]);
    a('a0', 0);
    expect(partition(c)).toEqual([[0], [1, 2]]);
    c.release('b1');
    expect(partition(c)).toEqual([[0], [1], [2]]);
  });

  it('groups exactly the up, regular nodes of equal state, after any sequence of allocations, releases and node down/up', () => {
    const stateKey = (c: Cluster, i: number) => {
      const n = c.nodes[i];
      return JSON.stringify([n.gpus[0]?.model, n.gpus.length, n.cpu, n.memory, n.cpuFree, n.memoryFree, n.gpus.map((x) => x.free).sort((p, q) => p - q)]);
    };
    fc.assert(
      fc.property(clusterArb, fc.array(opArb, { maxLength: 40 }), (specs, ops) => {
        const c = new Cluster(specs);
        const g = c.groups();
        const apply = operator(c);
        for (const op of ops) {
          apply(op);
          const loose = new Set(g.loose());
          const expected = new Map<string, number[]>();
          c.nodes.forEach((n, i) => {
            if (!n.up || loose.has(i)) return;
            const key = stateKey(c, i);
            expected.set(key, [...(expected.get(key) ?? []), i]);
          });
          expect(partition(c)).toEqual([...expected.values()].sort((p, q) => p[0] - q[0]));
        }
      }),
      { numRuns: 150 },
    );
  });

  it('answers fits for a group as fits() of every member, for any demand, after any operation sequence', () => {
    fc.assert(
      fc.property(clusterArb, fc.array(opArb, { maxLength: 30 }), fc.array(demandArb, { minLength: 1, maxLength: 8 }), (specs, ops, demands) => {
        const c = new Cluster(specs);
        const g = c.groups();
        const apply = operator(c);
        const check = () => {
          for (const d of demands) {
            const j = newJob({ id: 'probe', tenant: 't', submit: 0, duration: 1, priority: 0, ...d });
            for (const x of g.live()) for (const m of g.members(x)) expect(g.fits(x, j)).toBe(fits(c.nodes[m], j));
          }
        };
        check();
        for (const op of ops) {
          apply(op);
          check();
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('nthOfUnion', () => {
  it('is the n-th element of the merged lists', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 199 }), { minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 4 }), fc.nat(), (xs, parts, n) => {
        const lists: number[][] = Array.from({ length: parts }, () => []);
        xs.forEach((x, i) => lists[i % parts].push(x));
        for (const l of lists) l.sort((a, b) => a - b);
        const merged = xs.slice().sort((a, b) => a - b);
        const k = n % merged.length;
        expect(nthOfUnion(lists, k, 200)).toBe(merged[k]);
      }),
    );
  });
});
