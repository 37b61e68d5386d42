import { busyMask, freeStarts } from './mig-layout.ts';
import { migProfile, MILLI_PER_SLOT } from './mig-profiles.ts';
import type { Demand, GpuGrant, GpuView, NodeView, Placement } from './types.ts';

/** True when GPU `g` is of an allowed model for `d`. */
export function modelAllowed(d: Demand, model: string): boolean {
  return !d.models || d.models.length === 0 || d.models.includes(model);
}

/**
 * Whether GPU `g` can host one per-GPU share of `d` now. A MIG GPU serves only MIG requests (a
 * profile of its model with a free valid start, layout not being reconfigured); a whole GPU serves
 * only non-MIG requests.
 */
export function gpuUsable(g: GpuView, d: Demand): boolean {
  if (!modelAllowed(d, g.model)) return false;
  if (d.mig !== undefined || g.mig) return d.mig !== undefined && g.mig !== undefined && migStarts(g, d.mig).length > 0;
  return g.free >= d.milli;
}

/** Free valid start slots for `profile` on MIG GPU `g` (empty when not MIG, reconfiguring or unknown profile). */
export function migStarts(g: GpuView, profile: string): number[] {
  if (!g.mig || g.mig.reconfiguring) return [];
  const prof = migProfile(g.model, profile);
  return prof ? freeStarts(prof, busyMask(g.mig.instances)) : [];
}

/** GPUs on `node` that could each host one of the demand's per-GPU shares. */
export function usableGpus(node: NodeView, d: Demand): GpuView[] {
  const out: GpuView[] = [];
  for (const g of node.gpus) if (gpuUsable(g, d)) out.push(g);
  return out;
}

/**
 * Whether `node` can host `d` right now: up, CPU and memory fit, and at least `d.gpus` GPUs of an
 * allowed model each with `d.milli` free. This is the shared filter every placement policy uses.
 */
export function fits(node: NodeView, d: Demand): boolean {
  if (!node.up || node.cpuFree < d.cpu || node.memoryFree < d.memory) return false;
  if (d.gpus === 0) return true;
  if (d.mig === undefined && node.gpuFree < d.gpus * d.milli) return false;
  let n = 0;
  if (d.mig === undefined && (!d.models || d.models.length === 0)) {
    // `gpuUsable` for a whole-GPU request of any model, in one loop: a non-MIG GPU with the milli free.
    for (const g of node.gpus) if (!g.mig && g.free >= d.milli && ++n >= d.gpus) return true;
    return false;
  }
  for (const g of node.gpus) {
    if (gpuUsable(g, d) && ++n >= d.gpus) return true;
  }
  return false;
}

/** Whether `node` could host `d` if it were empty (used by admission: can the job ever run?). */
export function fitsEmpty(node: NodeView, d: Demand): boolean {
  if (node.cpu < d.cpu || node.memory < d.memory) return false;
  if (d.gpus === 0) return true;
  let n = 0;
  for (const g of node.gpus) if (gpuUsableEmpty(g, d) && ++n >= d.gpus) return true;
  return false;
}

function gpuUsableEmpty(g: GpuView, d: Demand): boolean {
  if (!modelAllowed(d, g.model)) return false;
  if (d.mig !== undefined || g.mig) return d.mig !== undefined && g.mig !== undefined && migProfile(g.model, d.mig) !== undefined;
  return g.capacity >= d.milli;
}

export type GpuOrder = 'index' | 'tightest' | 'loosest';

/**
 * Picks `d.gpus` usable GPUs on `node`: by index, or the tightest (least free after the grant)
 * or loosest first; ties always break by GPU index. Returns undefined when not enough fit.
 */
export function pickGpus(node: NodeView, d: Demand, order: GpuOrder = 'index'): GpuGrant[] | undefined {
  if (d.gpus === 0) return [];
  if (order === 'index' && d.mig === undefined) return firstUsable(node, d);
  const cands = usableGpus(node, d);
  if (cands.length < d.gpus) return undefined;
  if (order === 'tightest') cands.sort((a, b) => a.free - b.free || a.index - b.index);
  else if (order === 'loosest') cands.sort((a, b) => b.free - a.free || a.index - b.index);
  const chosen = cands.slice(0, d.gpus).sort((a, b) => a.index - b.index);
  if (d.mig !== undefined) return chosen.map((g) => migGrant(g, d.mig!, migStarts(g, d.mig!)[0]));
  return chosen.map((g) => ({ gpu: g.index, milli: d.milli }));
}

/**
 * `pickGpus` in index order for a request without MIG: the first `d.gpus` usable GPUs, granted
 * in ascending GPU index, built in one pass (no candidate list, no sort unless the node lists its
 * GPUs out of index order).
 */
function firstUsable(node: NodeView, d: Demand): GpuGrant[] | undefined {
  // Arrays of exactly `d.gpus` grants: one grown by push keeps room for 16, and the grant stays
  // with the running job. One GPU, the common case, as a literal.
  if (d.gpus === 1) {
    for (const g of node.gpus) if (gpuUsable(g, d)) return [{ gpu: g.index, milli: d.milli }];
    return undefined;
  }
  if (d.gpus > node.gpus.length) return undefined;
  const out: GpuGrant[] = new Array<GpuGrant>(d.gpus);
  let k = 0;
  let sorted = true;
  for (const g of node.gpus) {
    if (!gpuUsable(g, d)) continue;
    if (k > 0 && out[k - 1].gpu > g.index) sorted = false;
    out[k++] = { gpu: g.index, milli: d.milli };
    if (k === d.gpus) return sorted ? out : out.sort((a, b) => a.gpu - b.gpu);
  }
  return undefined;
}

/** The grant of a `profile` instance at `start` on MIG GPU `g`. */
export function migGrant(g: GpuView, profile: string, start: number): GpuGrant {
  const prof = migProfile(g.model, profile)!;
  return { gpu: g.index, milli: prof.size * MILLI_PER_SLOT, mig: { profile, start } };
}

/** A placement on `node` with GPUs picked in `order`, or undefined if the job does not fit there. */
export function placeOn(node: NodeView, d: Demand, order: GpuOrder = 'index'): Placement | undefined {
  if (!fits(node, d)) return undefined;
  const gpus = pickGpus(node, d, order);
  return gpus ? { node: node.index, gpus } : undefined;
}
