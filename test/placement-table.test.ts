import { describe, expect, it } from 'vitest';
import { Cluster } from '../src/cluster/cluster.ts';
import { kernelPolicy, type NodeState, type PodShape } from '../src/fgd/kernel.ts';
import { stream } from '../src/engine/rng.ts';
import { newJob } from '../src/jobs/job.ts';
import { job, node } from './helpers/builders.ts';
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
    // A: 0.5·32000/128000 + 0.5·(600 − 300)/8000 = 0.125 + 0.01875 = 0.14375 → ⌊100·0.85625⌋ = 85
    // B: 0.125 + 0.5·700/8000 = 0.125 + 0.04375 = 0.16875 → ⌊100·0.83125⌋ = 83
    expect(cost('best-fit-study', A, p)).toBe(-85);
    expect(cost('best-fit-study', B, p)).toBe(-83);
  });
  it('fgd picks B: on A the 300 left can host no typical 500-milli task', () => {
    // A: before [600] hosts 1×500 → frag 0; after [300] cannot → all 300 idle is fragment: +300,
    //    score ⌊100·sigmoid(−0.3)⌋ = ⌊42.56⌋ = 42.
    // B: after [700] still hosts 1×500 → frag 0: +0, score ⌊100·sigmoid(0)⌋ = 50.
    expect(cost('fgd', A, p)).toBe(-42);
    expect(cost('fgd', B, p)).toBe(-50);
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
    // dot-product: dot = (cpuFree/128000)(cpu/128000) + (gpuFree/8000)(gpus·milli/8000), score ⌊100(1 − dot/2)⌋
    // A (32 vCPU, 2 GPUs), pod (16 vCPU, 1 GPU): dot = 0.25·0.125 + 0.25·0.125 = 0.0625 → ⌊96.875⌋ = 96
    ['dot-product', st(32_000, [1000, 1000]), pod(16_000, 1, 1000), -96],
    // same pod, (96 vCPU, 1 GPU): dot = 0.75·0.125 + 0.125·0.125 = 0.109375 → ⌊94.53⌋ = 94
    ['dot-product', st(96_000, [1000]), pod(16_000, 1, 1000), -94],
    // worst-fit: −(gpuFree − request) = −(2000 − 300) = −1700
    ['worst-fit', st(0, [1000, 1000]), pod(0, 1, 300), -1700],
    // random: every feasible node costs 0 (ties drawn uniformly)
    ['random', st(0, [1000]), pod(0, 1, 300), 0],
  ])('%s', (k, n, p, want) => {
    expect(cost(k, n, p)).toBeCloseTo(want, 12);
  });

  it('gpu-clustering prefers a node already holding only the same kind of pod', () => {
    // Pod 1×300 (share kind, bit 1). Score = tier + ⌊25·(8000 − gpuFree)/8000⌋ (integer arithmetic).
    // same kind only, 1300 free: 75 + ⌊25·6700/8000⌋ = 75 + ⌊20.9375⌋ = 95
    // idle, 2000 free: 25 + ⌊18.75⌋ = 43
    // other kinds only (whole-GPU bit 2), 1000 free: 0 + ⌊21.875⌋ = 21
    const same = cost('gpu-clustering', st(0, [1000, 300], 1), pod(0, 1, 300));
    const idle = cost('gpu-clustering', st(0, [1000, 1000], 0), pod(0, 1, 300));
    const other = cost('gpu-clustering', st(0, [1000, 0], 2), pod(0, 1, 300));
    expect([same, idle, other]).toEqual([-95, -43, -21]);
  });
});

describe("the study's integer scores and tie-break", () => {
  it('fgd: growths within one score point tie, and equal scores go to the lowest node index', () => {
    // Typical pods 1×500. Pod 1×480: A [500] → [20]: 20 idle can host nothing, growth +20,
    // ⌊100·sigmoid(−0.02)⌋ = ⌊49.50⌋ = 49. B [1000] → [520]: still hosts 1×500, growth 0 → 50.
    // C [990] → [510]: growth 0 → 50. B and C tie at 50; the node with the lower index wins.
    const p = pod(0, 1, 480);
    expect([cost('fgd', st(0, [500]), p), cost('fgd', st(0, [1000]), p), cost('fgd', st(0, [990]), p)]).toEqual([-49, -50, -50]);
    // The same three nodes in a real cluster (cpu 0 free is fine: the pod asks for none).
    const c = new Cluster([node('n0', 1, 'G2'), node('n1', 1, 'G2'), node('n2', 1, 'G2')]);
    c.allocate('x', job('x').cpu(0).memory(0).milli(500).build(), { node: 0, gpus: [{ gpu: 0, milli: 500 }] });
    c.allocate('y', job('y').cpu(0).memory(0).milli(10).build(), { node: 1, gpus: [{ gpu: 0, milli: 10 }] });
    const j = newJob(job('j').cpu(0).memory(0).milli(480).build());
    const policy = kernelPolicy(kernelFor('fgd'), { typicalPods: TYP });
    // rng 0.99 would pick the last tied node if ties were drawn at random.
    const out = policy.place(j, c, { now: 0, rng: () => 0.99 });
    expect(out).toMatchObject({ kind: 'placed', placement: { node: 1 } });
  });

  it('best-fit-study: nodes within one score point tie (the study truncates to 0–100)', () => {
    // Pod 1×1000, no CPU. Free GPU after: 1000 → 0.5·1000/8000 = 0.0625 → ⌊93.75⌋ = 93;
    // 1100 → 0.06875 → ⌊93.125⌋ = 93 (tie); 1200 → 0.075 → ⌊92.5⌋ = 92.
    const p = pod(0, 1, 1000);
    expect([cost('best-fit-study', st(0, [1000, 1000]), p), cost('best-fit-study', st(0, [1000, 1000, 100]), p), cost('best-fit-study', st(0, [1000, 1000, 200]), p)]).toEqual([-93, -93, -92]);
  });
});

describe('kernelPolicy memoises costs per node without changing an answer', () => {
  it('one long-lived policy places 300 jobs exactly as a fresh policy per job does', () => {
    // Mixed models and shares; jobs arrive and some leave, so node states repeat and change.
    const c = new Cluster([node('a', 2, 'G2'), node('b', 4, 'G2'), node('c', 4, 'T4'), node('d', 8, 'G2', { cpu: 16_000 })]);
    const rng = stream(7, 'test/memo');
    const shapes = [
      { gpus: 1, milli: 250, cpu: 2000 },
      { gpus: 1, milli: 500, cpu: 4000 },
      { gpus: 1, milli: 1000, cpu: 8000 },
      { gpus: 2, milli: 1000, cpu: 8000 },
      { gpus: 0, milli: 0, cpu: 4000 },
    ];
    for (const name of ['fgd', 'best-fit-study', 'dot-product', 'gpu-packing']) {
      const long = kernelPolicy(kernelFor(name), { typicalPods: TYP });
      const running: string[] = [];
      let placed = 0;
      for (let i = 0; i < 300; i++) {
        if (running.length > 0 && rng() < 0.4) c.release(running.splice(Math.floor(rng() * running.length), 1)[0]);
        const sh = shapes[Math.floor(rng() * shapes.length)];
        const b = job(`${name}-${i}`).cpu(sh.cpu).memory(1024).gpus(sh.gpus).milli(sh.milli);
        if (rng() < 0.2) b.models('T4');
        const j = newJob(b.build());
        const got = long.place(j, c, { now: i, rng: () => 0.5 });
        expect(got, `${name} job ${i}`).toEqual(kernelPolicy(kernelFor(name), { typicalPods: TYP }).place(j, c, { now: i, rng: () => 0.5 }));
        if (got.kind === 'placed') {
          c.allocate(j.id, j, got.placement);
          running.push(j.id);
          placed++;
        }
      }
      for (const id of running) c.release(id);
      expect(placed).toBeGreaterThan(100);
    }
  });
});
