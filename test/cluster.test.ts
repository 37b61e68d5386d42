import { describe, expect, it } from 'vitest';
import { AllocationError, Cluster } from '../src/cluster/cluster.ts';
import { fits, pickGpus } from '../src/cluster/fit.ts';
import { unfit } from '../src/scheduler/placement-kit.ts';
import { job, node } from './helpers/builders.ts';

const demand = (b: ReturnType<typeof job>) => b.build();

describe('Cluster allocation', () => {
  it('allocate then release restores every counter exactly', () => {
    const c = new Cluster([node('n0', 2), node('n1', 4, 'T4')]);
    const d = demand(job('a').gpus(1).milli(300).cpu(2000).memory(4096));
    c.allocate('a', d, { node: 1, gpus: [{ gpu: 2, milli: 300 }] });
    expect(c.nodes[1].gpus[2].free).toBe(700);
    expect(c.nodes[1].gpuFree).toBe(3700); // 4 × 1000 − 300
    expect(c.nodes[1].cpuFree).toBe(62000);
    expect(c.gpuAllocated).toBe(300);
    expect(c.cpuAllocated).toBe(2000);
    expect(c.memoryAllocated).toBe(4096);
    c.release('a');
    expect(c.nodes[1].gpus[2].free).toBe(1000);
    expect(c.nodes[1].gpuFree).toBe(4000);
    expect([c.gpuAllocated, c.cpuAllocated, c.memoryAllocated]).toEqual([0, 0, 0]);
    expect(c.gpuCapacity).toBe(6000);
  });

  it('fractional shares from several jobs may fill one GPU but never exceed it', () => {
    const c = new Cluster([node('n0', 1)]);
    c.allocate('a', demand(job('a').milli(600)), { node: 0, gpus: [{ gpu: 0, milli: 600 }] });
    c.allocate('b', demand(job('b').milli(400)), { node: 0, gpus: [{ gpu: 0, milli: 400 }] });
    expect(c.nodes[0].gpus[0].free).toBe(0);
    expect(() => c.allocate('c', demand(job('c').milli(1)), { node: 0, gpus: [{ gpu: 0, milli: 1 }] })).toThrow(
      /GPU over-commit on n0\/0 \(1 > free 0\)/,
    );
  });

  it('throws on CPU and memory over-commit and leaves state untouched', () => {
    const c = new Cluster([node('n0', 1, 'A100', { cpu: 4000, memory: 1000 })]);
    expect(() => c.allocate('a', demand(job('a').cpu(5000)), { node: 0, gpus: [{ gpu: 0, milli: 1000 }] })).toThrow(
      /CPU over-commit/,
    );
    expect(() => c.allocate('a', demand(job('a').memory(1001)), { node: 0, gpus: [{ gpu: 0, milli: 1000 }] })).toThrow(
      /memory over-commit/,
    );
    expect([c.nodes[0].cpuFree, c.nodes[0].memoryFree, c.nodes[0].gpus[0].free]).toEqual([4000, 1000, 1000]);
  });

  it('throws on double release, double allocation, duplicate GPU, wrong count, wrong model', () => {
    const c = new Cluster([node('n0', 2)]);
    const d = demand(job('a'));
    c.allocate('a', d, { node: 0, gpus: [{ gpu: 0, milli: 1000 }] });
    expect(() => c.allocate('a', d, { node: 0, gpus: [{ gpu: 1, milli: 1000 }] })).toThrow(/already allocated/);
    c.release('a');
    expect(() => c.release('a')).toThrow(AllocationError);
    expect(() => c.release('a')).toThrow(/double release/);
    const two = demand(job('b').gpus(2));
    expect(() => c.allocate('b', two, { node: 0, gpus: [{ gpu: 0, milli: 1000 }, { gpu: 0, milli: 1000 }] })).toThrow(
      /granted twice/,
    );
    expect(() => c.allocate('b', two, { node: 0, gpus: [{ gpu: 0, milli: 1000 }] })).toThrow(/granted 1 GPUs, demand is 2/);
    const t4 = demand(job('c').models('T4'));
    expect(() => c.allocate('c', t4, { node: 0, gpus: [{ gpu: 0, milli: 1000 }] })).toThrow(/model A100 not in T4/);
    expect(() => c.allocate('d', d, { node: 5, gpus: [{ gpu: 0, milli: 1000 }] })).toThrow(/no node with index 5/);
    expect(c.gpuAllocated).toBe(0);
  });

  it('fits and pickGpus respect milli, count and model', () => {
    const c = new Cluster([node('n0', 3)]);
    c.allocate('x', demand(job('x').milli(700)), { node: 0, gpus: [{ gpu: 1, milli: 700 }] });
    const n = c.nodes[0]; // free: [1000, 300, 1000]
    expect(fits(n, demand(job('a').gpus(3).milli(300)))).toBe(true);
    expect(fits(n, demand(job('a').gpus(3).milli(301)))).toBe(false);
    expect(fits(n, demand(job('a').models('H100')))).toBe(false);
    // tightest first: GPU 1 (300 free) before GPUs 0 and 2 (1000 free, tie broken by index)
    expect(pickGpus(n, demand(job('a').gpus(2).milli(200)), 'tightest')).toEqual([
      { gpu: 0, milli: 200 },
      { gpu: 1, milli: 200 },
    ]);
    expect(pickGpus(n, demand(job('a').gpus(1).milli(200)), 'loosest')).toEqual([{ gpu: 0, milli: 200 }]);
    // Index order: the first usable GPUs by index, one or several.
    expect(pickGpus(n, demand(job('a').milli(400)), 'index')).toEqual([{ gpu: 0, milli: 400 }]);
    expect(pickGpus(n, demand(job('a').gpus(2).milli(300)), 'index')).toEqual([
      { gpu: 0, milli: 300 },
      { gpu: 1, milli: 300 },
    ]);
    expect(pickGpus(n, demand(job('a').gpus(2).milli(400)), 'index')).toEqual([
      { gpu: 0, milli: 400 },
      { gpu: 2, milli: 400 },
    ]);
    expect(pickGpus(n, demand(job('a').gpus(3).milli(400)), 'index')).toBeUndefined();
    expect(pickGpus(n, demand(job('a').models('H100')), 'index')).toBeUndefined();
  });

  it("unfit's answer names the demand it was given, whichever came before", () => {
    const a = demand(job('a').gpus(2).milli(1000));
    const b = demand(job('b').milli(500));
    const reasons = [a, a, b, a, b, b].map((d) => unfit(d));
    expect(reasons.map((r) => (r.kind === 'unfit' ? r.reason : r.kind))).toEqual([
      `no node fits cpu=${a.cpu} mem=${a.memory} gpus=2x1000`,
      `no node fits cpu=${a.cpu} mem=${a.memory} gpus=2x1000`,
      `no node fits cpu=${b.cpu} mem=${b.memory} gpus=1x500`,
      `no node fits cpu=${a.cpu} mem=${a.memory} gpus=2x1000`,
      `no node fits cpu=${b.cpu} mem=${b.memory} gpus=1x500`,
      `no node fits cpu=${b.cpu} mem=${b.memory} gpus=1x500`,
    ]);
    // Shared between calls, so nobody may change it.
    expect(Object.isFrozen(reasons[1])).toBe(true);
  });
});
