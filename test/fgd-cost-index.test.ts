import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NodeSpec } from '../src/cluster/types.ts';
import { kernelFor } from '../src/fgd/kernels.ts';
import { FillCache, staticFill } from '../src/fgd/static-fill.ts';
import { typicalPods } from '../src/frag/typical-pods.ts';
import type { OpenbPod } from '../src/trace/openb.ts';

/**
 * The static fill reads the cheapest node states from per-shape cost indexes (src/fgd/cost-index.ts)
 * instead of scanning every live state. The index must give the scan's answer for every kernel
 * whose ties break by node index: the same curve, placements and failures.
 */

const MODELS = ['G1', 'G2'];
const nodeArb = fc.record({
  gpus: fc.constantFrom(0, 1, 2, 4, 8),
  cpu: fc.constantFrom(8000, 32000, 64000),
  memory: fc.constantFrom(16384, 65536),
  model: fc.constantFrom(...MODELS),
});
const podArb = fc.record({
  gpus: fc.constantFrom(0, 1, 1, 1, 2, 4, 8),
  milli: fc.constantFrom(100, 250, 500, 700, 1000),
  cpu: fc.constantFrom(0, 1000, 4000, 16000),
  memory: fc.constantFrom(0, 1024, 8192, 32768),
  spec: fc.constantFrom('', 'G1', 'G2', 'G1|G2'),
});

const toNodes = (ns: { gpus: number; cpu: number; memory: number; model: string }[]): NodeSpec[] =>
  ns.map((n, i) => ({ id: `n${i}`, cpu: n.cpu, memory: n.memory, gpus: Array.from({ length: n.gpus }, () => ({ model: n.model, capacity: 1000 })) }));
const toPods = (ps: { gpus: number; milli: number; cpu: number; memory: number; spec: string }[]): OpenbPod[] =>
  ps.map((p, i) => {
    const milli = p.gpus === 0 ? 0 : p.gpus > 1 ? 1000 : p.milli;
    return { name: `p${String(i).padStart(3, '0')}`, cpu: p.cpu, memory: p.memory, gpus: p.gpus, milli, spec: p.gpus === 0 ? '' : p.spec, models: p.gpus === 0 || p.spec === '' ? undefined : p.spec.split('|') };
  });

describe('random: a uniform draw among the nodes that fit', () => {
  // 40 CPU-only nodes, 3 one-GPU nodes of model B and 1 of model A; typical pod: 1×600 on model A
  // only. One pod 1×500 (any model). Fragmentation before: the B GPUs are all fragment (3000),
  // A's GPU can host 600 (0). After, with the pod on A: A keeps 500 < 600 → 3000 + 500 = 3500
  // (87.5% of 4000); on a B: that GPU's fragment drops to 500 → 2500 (62.5%). So the curve's last
  // row says where the pod went. The pick draws a few nodes first (most draws hit a CPU-only node
  // here, which cannot host the pod) and otherwise draws among all fitting nodes: both ways A
  // should get it 1 time in 4.
  const gpu = (id: string, model: string): NodeSpec => ({ id, cpu: 32_000, memory: 65_536, gpus: [{ model, capacity: 1000 }] });
  const nodes: NodeSpec[] = [
    ...Array.from({ length: 40 }, (_, i) => ({ id: `c${i}`, cpu: 32_000, memory: 65_536, gpus: [] })),
    gpu('b0', 'B'), gpu('a0', 'A'), gpu('b1', 'B'), gpu('b2', 'B'),
  ];
  const pod: OpenbPod = { name: 'p', cpu: 1000, memory: 1024, gpus: 1, milli: 500, spec: '', models: undefined };
  const TYP = [{ cpu: 0, gpus: 1, milli: 600, spec: 'A', models: ['A'], freq: 1, count: 1 }];
  it('over 400 seeds the A node gets the pod about 1/4 of the time, a CPU-only node never', () => {
    let onA = 0;
    for (let seed = 0; seed < 400; seed++) {
      const r = staticFill({ nodes, pods: [pod], kernel: kernelFor('random'), seed, tune: 0, cache: new FillCache(TYP) });
      expect(r.placed).toBe(1);
      const frag = r.points.at(-1)!.fragPct;
      expect([62.5, 87.5]).toContain(frag);
      if (frag === 87.5) onA++;
    }
    // binomial(400, 1/4): mean 100, sd √(400 · 1/4 · 3/4) ≈ 8.7; within 3.5 sd
    expect(Math.abs(onA - 100)).toBeLessThan(31);
  });
});

describe('cost index = scan', () => {
  for (const k of ['dot-product', 'gpu-clustering', 'gpu-packing', 'best-fit-study', 'fgd', 'worst-fit', 'best-fit', 'first-fit']) {
    it(`${k}: the same fill (curve, placed, failed by kind) over random clusters and pod lists`, () => {
      fc.assert(
        fc.property(fc.array(nodeArb, { minLength: 1, maxLength: 12 }), fc.array(podArb, { minLength: 1, maxLength: 60 }), fc.integer({ min: 0, max: 1000 }), (ns, ps, seed) => {
          const nodes = toNodes([{ gpus: 2, cpu: 32000, memory: 65536, model: 'G1' }, ...ns]);
          const pods = toPods(ps);
          const typical = typicalPods(pods);
          const run = (scan: boolean) => staticFill({ nodes, pods, kernel: kernelFor(k), seed, tune: 1.3, cache: new FillCache(typical), scan });
          expect(run(false)).toEqual(run(true));
        }),
        { numRuns: 60 },
      );
    });
  }
});
