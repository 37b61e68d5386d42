import { kernelPolicy, bestFitGpus, MILLI, type ScoreKernel } from '../../src/fgd/kernel.ts';

/**
 * random (the FGD study's Random): every node that fits costs the same, so the node is drawn
 * uniformly at random among them from the policy's seeded stream; a share pod takes a GPU drawn
 * uniformly among those with room, other pods the first fully free GPUs by index. Pure given the
 * stream.
 */
export const randomKernel = {
  name: 'random',
  randomTies: true,
  cost: () => 0,
  gpus(node, pod, _typical, rng) {
    if (pod.gpus !== 1 || pod.milli >= MILLI) return bestFitGpus(node, pod);
    const ok: number[] = [];
    for (let i = 0; i < node.gpuFree.length; i++) if (node.gpuFree[i] >= pod.milli) ok.push(i);
    return [ok[Math.floor(rng() * ok.length)]];
  },
} satisfies ScoreKernel;

export const random = kernelPolicy(randomKernel);
