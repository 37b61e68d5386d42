import type { TypicalPod } from './typical-pods.ts';

/**
 * The FGD study's fragmentation measure (ATC'23, "Beware of Fragmentation"), in milli-GPU.
 *
 * For one node and one task shape, the fragment is the node's idle GPU that the shape cannot use:
 *  - a CPU-only shape (gpu_milli 0) can use no GPU: all idle GPU is fragment;
 *  - a shape whose allowed models exclude the node's model (or a node without GPUs): all of it;
 *  - a shape the node cannot host — fewer than num_gpu GPUs with gpu_milli free, or too little free
 *    CPU — all of it;
 *  - otherwise only the GPUs whose free milli is below the shape's gpu_milli.
 * A node's fragmentation is the expectation of that over the typical-pod distribution, and the
 * cluster's is the sum over nodes. Memory is not considered (nor is it in the study's measure).
 * Matches the simulator's NodeGpuShareFragAmount summed over every category except "satisfied".
 */

export interface FragNode {
  /** The node's GPU model ('' for a node without GPUs). */
  readonly model: string;
  readonly cpuFree: number;
  /** Free milli-GPU of each GPU. */
  readonly gpuFree: ArrayLike<number>;
}

export interface FragShape {
  readonly cpu: number;
  readonly gpus: number;
  readonly milli: number;
  readonly models: readonly string[] | undefined;
}

/** Whether a shape's model list admits a node model (an empty node model admits nothing). */
export function modelAccessible(nodeModel: string, models: readonly string[] | undefined): boolean {
  if (models === undefined) return true;
  if (nodeModel === '') return false;
  return models.includes(nodeModel);
}

/** Idle milli-GPU of `node` that `shape` cannot use. Pure. */
export function shapeFrag(node: FragNode, shape: FragShape): number {
  const g = node.gpuFree;
  let total = 0;
  for (let i = 0; i < g.length; i++) total += g[i];
  if (total === 0 || shape.milli === 0 || !modelAccessible(node.model, shape.models)) return total;
  if (node.cpuFree < shape.cpu) return total;
  let usable = 0;
  let below = 0;
  for (let i = 0; i < g.length; i++) {
    if (g[i] >= shape.milli) usable++;
    else below += g[i];
  }
  return usable >= shape.gpus ? below : total;
}

/** Expected fragment of `node` over the typical pods (milli-GPU). Pure. */
export function nodeFrag(node: FragNode, typical: readonly TypicalPod[]): number {
  // Same as Σ freq · shapeFrag, with the idle total computed once (hot in fgd's scoring).
  const g = node.gpuFree;
  const n = g.length;
  let total = 0;
  for (let i = 0; i < n; i++) total += g[i];
  if (total === 0) return 0;
  let f = 0;
  for (let k = 0; k < typical.length; k++) {
    const t = typical[k];
    if (t.milli === 0 || node.cpuFree < t.cpu || !modelAccessible(node.model, t.models)) {
      f += t.freq * total;
      continue;
    }
    let usable = 0;
    let below = 0;
    for (let i = 0; i < n; i++) {
      if (g[i] >= t.milli) usable++;
      else below += g[i];
    }
    f += t.freq * (usable >= t.gpus ? below : total);
  }
  return f;
}
