import type { Demand, GpuGrant, GpuView, NodeView, Placement } from './types.ts';

/** True when GPU `g` is of an allowed model for `d`. */
export function modelAllowed(d: Demand, model: string): boolean {
  return !d.models || d.models.length === 0 || d.models.includes(model);
}

/** GPUs on `node` that could each host one of the demand's per-GPU shares. */
export function usableGpus(node: NodeView, d: Demand): GpuView[] {
  const out: GpuView[] = [];
  for (const g of node.gpus) if (g.free >= d.milli && modelAllowed(d, g.model)) out.push(g);
  return out;
}

/**
 * Whether `node` can host `d` right now: up, CPU and memory fit, and at least `d.gpus` GPUs of an
 * allowed model each with `d.milli` free. This is the shared filter every placement policy uses.
 */
export function fits(node: NodeView, d: Demand): boolean {
  if (!node.up || node.cpuFree < d.cpu || node.memoryFree < d.memory) return false;
  if (d.gpus === 0) return true;
  if (node.gpuFree < d.gpus * d.milli) return false;
  let n = 0;
  for (const g of node.gpus) {
    if (g.free >= d.milli && modelAllowed(d, g.model) && ++n >= d.gpus) return true;
  }
  return false;
}

/** Whether `node` could host `d` if it were empty (used by admission: can the job ever run?). */
export function fitsEmpty(node: NodeView, d: Demand): boolean {
  if (node.cpu < d.cpu || node.memory < d.memory) return false;
  if (d.gpus === 0) return true;
  let n = 0;
  for (const g of node.gpus) if (g.capacity >= d.milli && modelAllowed(d, g.model) && ++n >= d.gpus) return true;
  return false;
}

export type GpuOrder = 'index' | 'tightest' | 'loosest';

/**
 * Picks `d.gpus` usable GPUs on `node`: by index, or the tightest (least free after the grant)
 * or loosest first; ties always break by GPU index. Returns undefined when not enough fit.
 */
export function pickGpus(node: NodeView, d: Demand, order: GpuOrder = 'index'): GpuGrant[] | undefined {
  if (d.gpus === 0) return [];
  const cands = usableGpus(node, d);
  if (cands.length < d.gpus) return undefined;
  if (order === 'tightest') cands.sort((a, b) => a.free - b.free || a.index - b.index);
  else if (order === 'loosest') cands.sort((a, b) => b.free - a.free || a.index - b.index);
  const chosen = cands.slice(0, d.gpus).sort((a, b) => a.index - b.index);
  return chosen.map((g) => ({ gpu: g.index, milli: d.milli }));
}

/** A placement on `node` with GPUs picked in `order`, or undefined if the job does not fit there. */
export function placeOn(node: NodeView, d: Demand, order: GpuOrder = 'index'): Placement | undefined {
  if (!fits(node, d)) return undefined;
  const gpus = pickGpus(node, d, order);
  return gpus ? { node: node.index, gpus } : undefined;
}
