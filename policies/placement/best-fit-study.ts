import { bestFitGpus, gpuFreeTotal, kernelPolicy, MAX_SPEC_CPU, MAX_SPEC_GPU, type ScoreKernel } from '../../src/fgd/kernel.ts';

/**
 * best-fit-study: the FGD study's BestFit. Minimises the weighted free resources left on the node,
 *   0.5 × (cpuFree − cpu) / 128000 + 0.5 × (gpuFreeTotal − gpus × milli) / 8000,
 * i.e. the node that the pod fills most tightly on CPU and GPU together (the study's constants:
 * the largest node's 128 vCPU and 8 GPUs). GPUs: the study's best-fit choice (share pod → the
 * tightest GPU with room, lowest index on ties; others → first fully free GPUs).
 *
 * Why a separate policy from `best-fit`: gpulab's `best-fit` ranks by free GPU first, then free
 * CPU, then memory (lexicographic); the study weighs CPU and GPU together. Scored the study's way:
 * ⌊100 · (1 − that)⌋, an integer, highest wins (its min–max normalisation across nodes keeps the
 * order and the ties), equal scores go to the lowest node index (the study's simulator: smallest
 * node name). Pure.
 *
 * Example: pod 4 vCPU + 500 milli; A: 8 vCPU free, GPUs [1000, 600]; B: 64 vCPU free, [1000, 1000].
 * A: 0.5·4000/128000 + 0.5·1100/8000 = 0.015625 + 0.06875 = 0.084375;
 * B: 0.5·60000/128000 + 0.5·1500/8000 = 0.234375 + 0.09375 = 0.328125; scores 91 and 67 → A, GPU 1.
 */
export const bestFitStudyKernel = {
  name: 'best-fit-study',
  randomTies: false,
  cost: (node, pod) =>
    -Math.floor((1 - ((0.5 * (node.cpuFree - pod.cpu)) / MAX_SPEC_CPU + (0.5 * (gpuFreeTotal(node) - pod.gpus * pod.milli)) / MAX_SPEC_GPU)) * 100),
  gpus: (node, pod) => bestFitGpus(node, pod),
} satisfies ScoreKernel;

export const bestFitStudy = kernelPolicy(bestFitStudyKernel);
