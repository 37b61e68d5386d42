import type { Cluster } from '../cluster/cluster.ts';
import { fits, pickGpus } from '../cluster/fit.ts';
import { splitDemand } from '../cluster/cluster.ts';
import type { ClusterView, Demand, NodeView, Placement, PlacementPart } from '../cluster/types.ts';

/**
 * Gang placement across nodes. A multi-GPU job always starts all its GPUs at once (the cluster
 * allocates a placement all or nothing); by default all of them on one node. With the scheduler
 * option `gang.spanNodes`, a gang that fits on no single node may span several nodes, as
 * Tiresias' 8-GPU jobs on 4-GPU servers do. The spanning placement consolidates: nodes with the
 * most usable whole GPUs first (fewest nodes), ties by node index; CPU and memory are split over
 * the parts in proportion to their GPUs. Whole-GPU (milli 1000), non-MIG jobs only. Pure.
 */
export function placeSpanning(cluster: ClusterView, d: Demand): Placement | undefined {
  if (d.gpus < 2 || d.milli !== 1000 || d.mig !== undefined) return undefined;
  const cands: { node: NodeView; free: number }[] = [];
  for (const node of cluster.nodes) {
    if (!node.up) continue;
    let free = 0;
    for (const g of node.gpus) if (!g.mig && g.free >= 1000 && (!d.models || d.models.length === 0 || d.models.includes(g.model))) free++;
    if (free > 0) cands.push({ node, free });
  }
  cands.sort((a, b) => b.free - a.free || a.node.index - b.node.index);
  const parts: PlacementPart[] = [];
  let left = d.gpus;
  for (const c of cands) {
    if (left === 0) break;
    const take = Math.min(left, c.free);
    const gpus = pickGpus(c.node, { ...d, gpus: take }, 'index');
    if (!gpus) continue;
    parts.push({ node: c.node.index, gpus });
    left -= take;
  }
  if (left > 0 || parts.length < 2) return undefined;
  const shares = splitDemand(d, parts);
  for (let i = 0; i < parts.length; i++) {
    const n = cluster.nodes[parts[i].node];
    if (n.cpuFree < shares[i].cpu || n.memoryFree < shares[i].memory) return undefined;
  }
  return { node: parts[0].node, gpus: parts[0].gpus, parts: parts.slice(1) };
}

/**
 * Whether `d` could ever run spanning nodes of an empty cluster (admission check); `usable`:
 * only these nodes count (default: all, whether up now or not).
 */
export function fitsSpanningEmpty(cluster: ClusterView, d: Demand, usable?: (n: NodeView) => boolean): boolean {
  if (d.gpus < 2 || d.milli !== 1000 || d.mig !== undefined) return false;
  // The spanning placement itself, on the same nodes with nothing allocated: GPUs, and each
  // part's share of CPU and memory (counting GPUs alone admitted gangs that could never start).
  const nodes: NodeView[] = cluster.nodes.map((n) => ({
    ...n,
    up: usable ? usable(n) : true,
    cpuFree: n.cpu,
    memoryFree: n.memory,
    gpus: n.gpus.map((g) => ({ ...g, free: g.capacity })),
    gpuFree: n.gpus.reduce((a, g) => a + g.capacity, 0),
  }));
  return placeSpanning({ ...cluster, nodes }, d) !== undefined;
}

/** Any placement for `d` on `c`: one node first (first fit), else spanning when allowed. */
export function anyPlacement(c: ClusterView, d: Demand, spanNodes: boolean): Placement | undefined {
  for (const node of c.nodes) {
    if (!fits(node, d)) continue;
    const gpus = pickGpus(node, d, 'index');
    if (gpus) return { node: node.index, gpus };
  }
  return spanNodes ? placeSpanning(c, d) : undefined;
}

export type { Cluster };
