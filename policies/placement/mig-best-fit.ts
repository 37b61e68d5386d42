import { fits } from '../../src/cluster/fit.ts';
import { busyMask, capacityFor, fragmentedSlots, slotMask } from '../../src/cluster/mig-layout.ts';
import { migModel, migProfile, MILLI_PER_SLOT } from '../../src/cluster/mig-profiles.ts';
import type { GpuView } from '../../src/cluster/types.ts';
import type { PlacementPolicy } from '../../src/scheduler/policy.ts';
import { bestFit } from './best-fit.ts';

/**
 * mig-best-fit: MIG-aware best fit over NVIDIA's valid placements (src/cluster/mig-profiles.ts),
 * in the spirit of the MIG-aware packing of "MISO" (Li et al., SoCC 2022) and NVIDIA KAI's
 * bin-packing. For a MIG request it scores every (node, GPU, valid free start) and keeps the
 * lowest, lexicographically:
 *   1. wasted slices: how many more free slots of that GPU become unusable for further instances
 *      of the requested profile (`fragmentedSlots` after − before);
 *   2. how much the largest profile that fits on that GPU shrinks, in slots (keep big holes whole);
 *   3. free slots left on the GPU (tightest GPU first: keep empty GPUs for 7g requests);
 *   4. 1 if the layout must change (no idle instance of that profile at that start), else 0;
 * ties by node id, GPU index, start. Non-MIG requests go to best-fit. Pure.
 *
 * Example (A100-80GB, 1g.10gb@0 in use, request 2g.20gb): start 2 → busy {0,2,3}, start 4 →
 * busy {0,4,5}. Neither wastes more slots for further 2g requests (3 before, 3 after); start 2
 * still leaves 3g.40gb@4 (largest stays 4 slots), start 4 only 2g holes (largest 4 → 2): start 2
 * wins. An empty GPU would lose its 7g (8 → 4 slots), so a partly used GPU is preferred.
 * Nodes without MIG GPUs are skipped through the cluster's node groups (only loose nodes are
 * scanned) when the view has them.
 */
export const migBestFit = {
  name: 'mig-best-fit',
  place(job, cluster) {
    if (job.mig === undefined) return bestFit.place(job, cluster);
    let best: { node: number; gpu: GpuView; start: number; score: number[]; id: string } | undefined;
    // Only loose nodes can hold MIG GPUs (grouped nodes have none): with groups, scan those alone.
    const groups = cluster.groups?.();
    for (const i of groups ? groups.loose() : cluster.nodes.keys()) {
      const node = cluster.nodes[i];
      if (!fits(node, job)) continue;
      for (const g of node.gpus) {
        if (!g.mig || g.mig.reconfiguring) continue;
        if (job.models && job.models.length > 0 && !job.models.includes(g.model)) continue;
        const prof = migProfile(g.model, job.mig);
        const model = migModel(g.model);
        if (!prof || !model) continue;
        const busy = busyMask(g.mig.instances);
        const wasteBefore = fragmentedSlots(prof, busy, model.slots);
        let largestBefore = 0;
        for (const q of model.profiles) if (q.size > largestBefore && capacityFor(q, busy) > 0) largestBefore = q.size;
        for (const start of prof.starts) {
          const m = slotMask(start, prof.size);
          if (busy & m) continue;
          const after = busy | m;
          let largest = 0;
          for (const q of model.profiles) if (q.size > largest && capacityFor(q, after) > 0) largest = q.size;
          let free = 0;
          for (let s = 0; s < model.slots; s++) if (!(after & (1 << s))) free++;
          const reuse = g.mig.instances.some((i) => i.job === undefined && i.profile === job.mig && i.start === start);
          const score = [fragmentedSlots(prof, after, model.slots) - wasteBefore, largestBefore - largest, free, reuse ? 0 : 1];
          if (!best || better(score, node.id, g.index, start, best)) best = { node: node.index, gpu: g, start, score, id: node.id };
        }
      }
    }
    if (!best) return { kind: 'unfit', reason: `no MIG GPU has a free valid slot for ${job.mig}` };
    const prof = migProfile(best.gpu.model, job.mig)!;
    return {
      kind: 'placed',
      placement: { node: best.node, gpus: [{ gpu: best.gpu.index, milli: prof.size * MILLI_PER_SLOT, mig: { profile: job.mig, start: best.start } }] },
    };
  },
} satisfies PlacementPolicy;

function better(
  s: number[],
  id: string,
  gpu: number,
  start: number,
  b: { score: number[]; id: string; gpu: GpuView; start: number },
): boolean {
  for (let i = 0; i < s.length; i++) if (s[i] !== b.score[i]) return s[i] < b.score[i];
  if (id !== b.id) return id < b.id;
  if (gpu !== b.gpu.index) return gpu < b.gpu.index;
  return start < b.start;
}
