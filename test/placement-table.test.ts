import { describe, expect, it } from 'vitest';
import type { NodeState, PodShape } from '../src/fgd/kernel.ts';
import { kernelFor } from '../src/fgd/kernels.ts';
import type { TypicalPod } from '../src/frag/typical-pods.ts';

const st = (cpuFree: number, gpuFree: number[], affinity = 0, model = 'G2'): NodeState => ({ model, cpuFree, memFree: 1 << 20, gpuFree, affinity });
const pod = (cpu: number, gpus: number, milli: number): PodShape => ({ cpu, memory: 0, gpus, milli, models: undefined });
// Typical pods: every task is a 1×500 share.
const TYP: TypicalPod[] = [{ cpu: 0, gpus: 1, milli: 500, spec: '', models: undefined, freq: 1, count: 1 }];
const cost = (k: string, n: NodeState, p: PodShape) => kernelFor(k).cost(n, p, TYP);

describe('best-fit-study and fgd disagree on a 2-node case', () => {
  // Pod 1×300, CPU 0. A: one GPU with 600 free; B: one GPU with 1000 free; both 32 vCPU free.
  const A = st(32_000, [600]);
  const B = st(32_000, [1000]);
  const p = pod(0, 1, 300);
  it('best-fit-study picks A (tighter)', () => {
    // A: 0.5·32000/128000 + 0.5·(600 − 300)/8000 = 0.125 + 0.01875 = 0.14375
    // B: 0.125 + 0.5·700/8000 = 0.125 + 0.04375 = 0.16875
    expect(cost('best-fit-study', A, p)).toBeCloseTo(0.14375, 12);
    expect(cost('best-fit-study', B, p)).toBeCloseTo(0.16875, 12);
  });
  it('fgd picks B: on A the 300 left can host no typical 500-milli task', () => {
    // A: before [600] hosts 1×500 → frag 0; after [300] cannot → all 300 idle is fragment: +300.
    // B: after [700] still hosts 1×500 → frag 0: +0.
    expect(cost('fgd', A, p)).toBe(300);
    expect(cost('fgd', B, p)).toBe(0);
  });
  it('fgd picks the GPU inside a node that keeps room for typical tasks', () => {
    // [600, 1000], pod 1×300: on GPU0 → [300, 1000]: 300 is fragment (+300); on GPU1 → [600, 700]: +0.
    expect(kernelFor('fgd').gpus(st(32_000, [600, 1000]), p, TYP, () => 0)).toEqual([1]);
    // best-fit's GPU choice is the tightest: GPU0.
    expect(kernelFor('best-fit-study').gpus(st(32_000, [600, 1000]), p, TYP, () => 0)).toEqual([0]);
  });
});

describe('the study policies, scored by hand (cost = lower is better)', () => {
  it.each([
    // gpu-packing: study score s, cost = −s.
    // [1000, 400] with a 1×300 pod: shared GPU 1 used: 100 − ⌊⌊400·100/1000⌋/10⌋ = 100 − 4 = 96
    ['gpu-packing', st(0, [1000, 400]), pod(0, 1, 300), -96],
    // idle 2-GPU node: max(33 − 2, 2) = 31
    ['gpu-packing', st(0, [1000, 1000]), pod(0, 1, 300), -31],
    // used node, pod needs a fully free GPU: [1000, 200], 1×1000: max(50 − 1, 33) = 49
    ['gpu-packing', st(0, [1000, 200]), pod(0, 1, 1000), -49],
    // dot-product: (cpuFree/128000)(cpu/128000) + (gpuFree/8000)(gpus·milli/8000)
    // A (32 vCPU, 2 GPUs), pod (16 vCPU, 1 GPU): 0.25·0.125 + 0.25·0.125 = 0.0625
    ['dot-product', st(32_000, [1000, 1000]), pod(16_000, 1, 1000), 0.0625],
    // worst-fit: −(gpuFree − request) = −(2000 − 300) = −1700
    ['worst-fit', st(0, [1000, 1000]), pod(0, 1, 300), -1700],
    // random: every feasible node costs 0 (ties drawn uniformly)
    ['random', st(0, [1000]), pod(0, 1, 300), 0],
  ])('%s', (k, n, p, want) => {
    expect(cost(k, n, p)).toBeCloseTo(want, 12);
  });

  it('gpu-clustering prefers a node already holding only the same kind of pod', () => {
    // Pod 1×300 (share kind, bit 1). Score = tier + 25·(8000 − gpuFree)/8000 (not truncated here).
    // same kind only, 1300 free: 75 + 25·6700/8000 = 75 + 20.9375 = 95.9375
    // idle, 2000 free: 25 + 25·6000/8000 = 25 + 18.75 = 43.75
    // other kinds only (whole-GPU bit 2), 1000 free: 0 + 25·7000/8000 = 21.875
    const same = cost('gpu-clustering', st(0, [1000, 300], 1), pod(0, 1, 300));
    const idle = cost('gpu-clustering', st(0, [1000, 1000], 0), pod(0, 1, 300));
    const other = cost('gpu-clustering', st(0, [1000, 0], 2), pod(0, 1, 300));
    expect([same, idle, other]).toEqual([-95.9375, -43.75, -21.875]);
  });
});
