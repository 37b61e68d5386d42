import { kernelPolicy, gpuFreeTotal, MILLI, bestFitGpus, firstFreeGpus, type ScoreKernel } from '../../src/fgd/kernel.ts';

/**
 * worst-fit: the node left with the most free GPU after the placement (spreads load); ties break
 * by node index. A share pod takes the GPU with the most free milli (lowest index on ties), other
 * pods the first fully free GPUs. Not one of the study's six; a baseline. Pure.
 *
 * Example: 500-milli pod, node A free [1000, 600], node B free [1000, 1000]: A leaves 1100, B
 * 1500, so B wins (cost −1500 < −1100), on GPU 0.
 */
export const worstFitKernel = {
  name: 'worst-fit',
  randomTies: false,
  cost: (node, pod) => -(gpuFreeTotal(node) - pod.gpus * pod.milli),
  gpus(node, pod) {
    if (pod.gpus === 0) return [];
    if (pod.milli >= MILLI) return firstFreeGpus(node, pod.gpus, pod.milli);
    if (pod.gpus > 1) return bestFitGpus(node, pod);
    let best = -1;
    for (let i = 0; i < node.gpuFree.length; i++) {
      if (node.gpuFree[i] >= pod.milli && (best < 0 || node.gpuFree[i] > node.gpuFree[best])) best = i;
    }
    return [best];
  },
} satisfies ScoreKernel;

export const worstFit = kernelPolicy(worstFitKernel);
