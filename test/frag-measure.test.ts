import { describe, expect, it } from 'vitest';
import { nodeFrag, shapeFrag } from '../src/frag/node-frag.ts';
import { typicalPods, type TypicalPod } from '../src/frag/typical-pods.ts';

const shape = (cpu: number, gpus: number, milli: number, models?: string[]) => ({ cpu, gpus, milli, models });
const node = (cpuFree: number, gpuFree: number[], model = 'G2') => ({ model, cpuFree, gpuFree });

describe('fragmentation of one node for one task shape (hand-computed, milli-GPU)', () => {
  it.each([
    // node GPUs free [1000, 600, 200, 0], CPU free 8000; idle total = 1800
    ['share 1×500 fits: only GPUs below 500 count → 200', shape(1000, 1, 500), 200],
    ['share 1×700 fits (1000 ≥ 700): 600 + 200 = 800', shape(1000, 1, 700), 800],
    ['2×1000: one GPU fully free only → cannot host → all idle 1800', shape(1000, 2, 1000), 1800],
    ['1×1000 fits: 600 + 200 = 800', shape(1000, 1, 1000), 800],
    ['CPU-only task: uses no GPU → all idle 1800', shape(1000, 0, 0), 1800],
    ['lacks CPU (9000 > 8000) → all idle 1800', shape(9000, 1, 500), 1800],
    ['model not allowed (T4 only on a G2 node) → all idle 1800', shape(1000, 1, 500, ['T4']), 1800],
    ['model allowed (G2|T4): 200', shape(1000, 1, 500, ['G2', 'T4']), 200],
  ])('%s', (_name, s, want) => {
    expect(shapeFrag(node(8000, [1000, 600, 200, 0]), s)).toBe(want);
  });

  it('a fully used node has no fragment whatever the shape', () => {
    expect(shapeFrag(node(0, [0, 0]), shape(1000, 0, 0))).toBe(0);
  });
});

describe('expected fragmentation over the typical pods', () => {
  it('is the frequency-weighted sum', () => {
    const typical: TypicalPod[] = [
      { cpu: 0, gpus: 1, milli: 500, spec: '', models: undefined, freq: 0.5, count: 2 },
      { cpu: 0, gpus: 1, milli: 1000, spec: '', models: undefined, freq: 0.25, count: 1 },
      { cpu: 4000, gpus: 0, milli: 0, spec: '', models: undefined, freq: 0.25, count: 1 },
    ];
    // node [1000, 600, 200, 0]: 1×500 → 200; 1×1000 → 800; CPU task → 1800
    // 0.5·200 + 0.25·800 + 0.25·1800 = 100 + 200 + 450 = 750
    expect(nodeFrag(node(8000, [1000, 600, 200, 0]), typical)).toBe(750);
  });
});

describe('typical pods: distinct (cpu, gpu_milli, num_gpu, gpu_spec) by popularity until 95% of pods', () => {
  it('keeps the most popular shapes until the coverage is reached', () => {
    const p = (cpu: number, gpus: number, milli: number, spec = '') => ({ cpu, gpus, milli, spec });
    // 20 pods: A×10, B×6, C×3, D×1. Cumulative 10, 16, 19 (= 95% of 20) → A, B, C; D left out.
    const pods = [...Array(10).fill(p(4000, 1, 500)), ...Array(6).fill(p(8000, 1, 1000)), ...Array(3).fill(p(2000, 0, 0)), p(1000, 1, 250, 'T4')];
    const t = typicalPods(pods);
    expect(t.map((x) => [x.cpu, x.gpus, x.milli, x.count])).toEqual([
      [4000, 1, 500, 10],
      [8000, 1, 1000, 6],
      [2000, 0, 0, 3],
    ]);
    // freq over the kept pods: 10/19, 6/19, 3/19
    expect(t.map((x) => x.freq)).toEqual([10 / 19, 6 / 19, 3 / 19]);
  });
});
