import { bestFitGpus, gpuFreeTotal, kernelPolicy, MAX_SPEC_CPU, MAX_SPEC_GPU, type ScoreKernel } from '../../src/fgd/kernel.ts';

/**
 * dot-product: the FGD study's DotProd (Tetris-style alignment, as configured in the study's runs:
 * GPU dimensions merged, vectors normalised by the largest node). Node vector = (cpuFree / 128000,
 * gpuFreeTotal / 8000), pod vector = (cpu / 128000, gpus × milli / 8000); the study scores
 * ⌊100 · (1 − dot / 2)⌋, an integer, and takes the highest, i.e. it minimises the dot product: the
 * pod goes where the free resources, weighted by what the pod asks for, are smallest. Equal scores
 * go to the lowest node index (the study's simulator: smallest node name). GPUs: best-fit choice.
 * Pure.
 *
 * Example: pod (16 vCPU, 1 GPU); A free (32 vCPU, 2 GPUs), B (96 vCPU, 1 GPU):
 * A: (32000/128000)(16000/128000) + (2000/8000)(1000/8000) = 0.25·0.125 + 0.25·0.125 = 0.0625;
 * B: 0.75·0.125 + 0.125·0.125 = 0.09375 + 0.015625 = 0.109375; scores ⌊96.875⌋ = 96 and
 * ⌊94.53⌋ = 94 → A.
 */
export const dotProductKernel = {
  name: 'dot-product',
  randomTies: false,
  cost: (node, pod) =>
    -Math.floor(
      (1 - ((node.cpuFree / MAX_SPEC_CPU) * (pod.cpu / MAX_SPEC_CPU) + (gpuFreeTotal(node) / MAX_SPEC_GPU) * ((pod.gpus * pod.milli) / MAX_SPEC_GPU)) / 2) * 100,
    ),
  gpus: (node, pod) => bestFitGpus(node, pod),
} satisfies ScoreKernel;

export const dotProduct = kernelPolicy(dotProductKernel);
