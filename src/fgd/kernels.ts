import { bestFitStudyKernel } from '../../policies/placement/best-fit-study.ts';
import { dotProductKernel } from '../../policies/placement/dot-product.ts';
import { fgdKernel } from '../../policies/placement/fgd.ts';
import { gpuClusteringKernel } from '../../policies/placement/gpu-clustering.ts';
import { gpuPackingKernel } from '../../policies/placement/gpu-packing.ts';
import { randomKernel } from '../../policies/placement/random.ts';
import { worstFitKernel } from '../../policies/placement/worst-fit.ts';
import { bestFitGpus, gpuFreeTotal, type ScoreKernel } from './kernel.ts';

/**
 * Kernels the static-fill runner can run, by placement-policy name. `first-fit` and `best-fit`
 * are the foundation's policies restated as kernels with the same ranking (first-fit: lowest node
 * index; best-fit: least GPU free after, then least CPU free, then memory — capacities are equal
 * within a node type so free amounts rank like the foundation's free fractions only per type;
 * here raw free amounts are used).
 */
const firstFitKernel = {
  name: 'first-fit',
  randomTies: false,
  cost: () => 0,
  gpus: (node, pod) => bestFitGpus(node, pod),
} satisfies ScoreKernel;

const bestFitKernel = {
  name: 'best-fit',
  randomTies: false,
  cost: (node, pod) => (gpuFreeTotal(node) - pod.gpus * pod.milli) * 1e9 + (node.cpuFree - pod.cpu) * 1e-3,
  gpus: (node, pod) => bestFitGpus(node, pod),
} satisfies ScoreKernel;

const kernels = new Map<string, ScoreKernel>(
  [randomKernel, worstFitKernel, bestFitStudyKernel, dotProductKernel, gpuPackingKernel, gpuClusteringKernel, fgdKernel, firstFitKernel, bestFitKernel].map(
    (k) => [k.name, k],
  ),
);

/** The placement names a static-fill scenario may use, sorted. */
export function staticFillPlacements(): string[] {
  return [...kernels.keys()].sort();
}

export function kernelFor(placement: string): ScoreKernel {
  const k = kernels.get(placement);
  if (!k) throw new Error(`placement '${placement}' cannot run the static-fill experiment (known: ${[...kernels.keys()].sort().join(', ')})`);
  return k;
}
