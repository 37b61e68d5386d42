import { affinityBit, bestFitGpus, gpuFreeTotal, kernelPolicy, MAX_SPEC_GPU, type ScoreKernel } from '../../src/fgd/kernel.ts';

/**
 * gpu-clustering: the FGD study's GpuClustering. Puts a GPU pod with pods of its own kind (share,
 * 1-, 2-, 4-, 8-GPU). Study score, higher better, with u = ⌊25 × (8000 − gpuFreeTotal) / 8000⌋ (integer arithmetic):
 *   node hosts only this kind: 75 + u; this kind and others: 50 + u; no GPU pods yet: 25 + u;
 *   only other kinds: u. CPU-only pods score 0 everywhere.
 * GPUs: best-fit choice. Equal scores go to the lowest node index (the study's simulator: smallest
 * node name). Under the scheduler core the
 * node's pod kinds are not in the ClusterView, so every node counts as having none there; the
 * static-fill runner tracks them. Pure.
 *
 * Example: share pod; A hosts share pods only, free 7000 of 8000: 75 + ⌊25·1000/8000⌋ = 78;
 * B idle (8000 free): 25 + 0 = 25 → A.
 */
export const gpuClusteringKernel = {
  name: 'gpu-clustering',
  randomTies: false,
  cost(node, pod) {
    const bit = affinityBit(pod.gpus, pod.milli);
    if (bit === 0) return 0;
    const u = Math.floor((25 * (MAX_SPEC_GPU - gpuFreeTotal(node))) / MAX_SPEC_GPU);
    const has = (node.affinity & bit) !== 0;
    const base = has ? (node.affinity === bit ? 75 : 50) : node.affinity === 0 ? 25 : 0;
    return -(base + u);
  },
  gpus: (node, pod) => bestFitGpus(node, pod),
} satisfies ScoreKernel;

export const gpuClustering = kernelPolicy(gpuClusteringKernel);
