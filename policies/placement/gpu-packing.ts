import { bestFitGpus, kernelPolicy, MILLI, type NodeState, type PodShape, type ScoreKernel } from '../../src/fgd/kernel.ts';

/**
 * gpu-packing: the FGD study's GpuPacking. Prefers, in this order (study score, higher better):
 *  1. using only partly used GPUs: 100 − ⌊Σ ⌊free·100/1000⌋ over the GPUs used / 10⌋, at least 50;
 *  2. fully free GPUs on a node already in use: 50 − (fully free GPUs used), at least 33;
 *  3. a node whose GPUs are all free: max(33 − free GPUs, free GPUs).
 * GPUs considered tightest first (least free that fits, stable by index). CPU-only pods score 0
 * everywhere. GPUs: best-fit choice. Equal scores (frequent: the score is an integer by definition)
 * go to the lowest node index (the study's simulator: smallest node name). Pure.
 *
 * Example: 300-milli pod; A: [1000, 400] (used), B: [1000, 1000] (idle, 2 GPUs).
 * A uses GPU 1 (400 ≥ 300, tightest): 100 − ⌊40/10⌋ = 96; B: case 3, max(33 − 2, 2) = 31 → A.
 */
export function packingScore(node: NodeState, pod: PodShape): number {
  if (pod.milli <= 0) return 0;
  const g = node.gpuFree;
  let fullyFree = 0;
  for (const f of g) if (f === MILLI) fullyFree++;
  if (fullyFree === g.length) return Math.max(Math.floor(100 / 3) - fullyFree, fullyFree);
  const order = g.map((f, i) => i).sort((a, b) => g[a] - g[b] || a - b);
  let need = pod.gpus;
  let freeUsed = 0;
  let ratio = 0;
  for (const i of order) {
    if (need === 0) break;
    if (g[i] >= pod.milli) {
      need--;
      if (g[i] === MILLI) freeUsed++;
      ratio += Math.floor((g[i] * 100) / MILLI);
    }
  }
  if (freeUsed > 0) return Math.max(50 - freeUsed, Math.floor(100 / 3));
  return Math.max(100 - Math.floor(ratio / 10), 50);
}

export const gpuPackingKernel = {
  name: 'gpu-packing',
  randomTies: false,
  cost: (node, pod) => -packingScore(node, pod),
  gpus: (node, pod) => bestFitGpus(node, pod),
} satisfies ScoreKernel;

export const gpuPacking = kernelPolicy(gpuPackingKernel);
