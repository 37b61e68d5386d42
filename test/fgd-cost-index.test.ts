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
