import { describe, expect, it } from 'vitest';
import type { NodeSpec } from '../src/cluster/types.ts';
import { runFill } from '../src/fgd/experiment.ts';
import { FillCache } from '../src/fgd/fill-cache.ts';
import { kernelFor } from '../src/fgd/kernels.ts';
import { studyNodeOrder } from '../src/fgd/node-order.ts';
import { staticFill } from '../src/fgd/static-fill.ts';
import { typicalPods } from '../src/frag/typical-pods.ts';
import type { OpenbPod } from '../src/trace/openb.ts';

const nodes: NodeSpec[] = Array.from({ length: 40 }, (_, i) => ({ id: `openb-node-${String(i).padStart(4, '0')}`, cpu: 64000, memory: 262144, gpus: [] }));
const ids = (ns: readonly NodeSpec[]) => ns.map((n) => n.id);

describe("the FGD study's node order (its simulator renames nodes with a seeded permutation)", () => {
  it('is a permutation of the nodes, the same for the same seed', () => {
    const a = studyNodeOrder(nodes, 42);
    expect([...ids(a)].sort()).toEqual(ids(nodes));
    expect(ids(studyNodeOrder(nodes, 42))).toEqual(ids(a));
  });

  it('differs between seeds and from the list order', () => {
    expect(ids(studyNodeOrder(nodes, 42))).not.toEqual(ids(nodes));
    expect(ids(studyNodeOrder(nodes, 43))).not.toEqual(ids(studyNodeOrder(nodes, 42)));
  });

  it('depends on the node names, not on the order they are given in', () => {
    const reversed = nodes.slice().reverse();
    expect(ids(studyNodeOrder(reversed, 7))).toEqual(ids(studyNodeOrder(nodes, 7)));
  });

  it('leaves its input alone', () => {
    const copy = nodes.slice();
    studyNodeOrder(copy, 1);
    expect(ids(copy)).toEqual(ids(nodes));
  });
});

describe('static fill runs in the node order the scenario names (workload.nodeOrder)', () => {
  // Ten 8-GPU nodes with few CPUs listed first, then ten with many: CPU-only pods score 0 under
  // gpu-packing everywhere, so every one is a tie and the node order alone decides where they go.
  const cluster: NodeSpec[] = Array.from({ length: 20 }, (_, i) => ({
    id: `n-${String(i).padStart(2, '0')}`,
    cpu: i < 10 ? 8000 : 96000,
    memory: 262144,
    gpus: Array.from({ length: 8 }, () => ({ model: 'V100', capacity: 1000 })),
  }));
  const pod = (k: number, cpu: number, gpus: number): OpenbPod => ({ name: `p${k}`, cpu, memory: 1024, gpus, milli: gpus > 0 ? 1000 : 0, models: undefined, spec: '' });
  const pods = [...Array.from({ length: 30 }, (_, k) => pod(k, 4000, 0)), ...Array.from({ length: 120 }, (_, k) => pod(100 + k, 1000, 1))];
  const w = { name: 'test', path: 'test.csv', pods, typical: typicalPods(pods) };
  const run = { label: 'gpu-packing', placement: 'gpu-packing', seed: 42 };

  it("'study' fills the seeded shuffle, 'list' the list as given, and the two differ where ties decide", () => {
    const study = runFill(cluster, w, run, 1.3, 'study');
    const list = runFill(cluster, w, run, 1.3, 'list');
    const direct = (nodes: readonly NodeSpec[]) => staticFill({ nodes, pods, kernel: kernelFor('gpu-packing'), seed: 42, tune: 1.3, cache: new FillCache(w.typical) });
    expect(study.points).toEqual(direct(studyNodeOrder(cluster, 42)).points);
    expect(list.points).toEqual(direct(cluster).points);
    // In list order the CPU-only pods exhaust the small nodes' CPUs first, stranding their GPUs.
    expect(list.failed).toBeGreaterThan(study.failed);
  });
});
