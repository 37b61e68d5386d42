import { fits, placeOn, type GpuOrder } from '../cluster/fit.ts';
import type { ClusterView, Demand, NodeView, Placement } from '../cluster/types.ts';
import type { PlacementOutcome } from './policy.ts';

/**
 * Building blocks for placement policies: filter the nodes that fit, score each candidate
 * placement, keep the lowest score. Scores are compared lexicographically (arrays) and ties break
 * by node id, so a policy written with these is deterministic by construction.
 */

export type Score = number | readonly number[];

function compareScore(a: Score, b: Score): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const aa = typeof a === 'number' ? [a] : a;
  const bb = typeof b === 'number' ? [b] : b;
  for (let i = 0; i < Math.max(aa.length, bb.length); i++) {
    const d = (aa[i] ?? 0) - (bb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * A placement policy's answer when no node fits `d` now, its reason naming the demand. Frozen: the
 * same object answers consecutive calls for an equal demand (a blocked queue head is tried pass
 * after pass, its text built once), so spread it into a new object to change it.
 */
export function unfit(d: Demand): PlacementOutcome {
  const l = lastUnfit;
  if (l !== undefined && l.cpu === d.cpu && l.memory === d.memory && l.gpus === d.gpus && l.milli === d.milli) return l.out;
  const out: PlacementOutcome = Object.freeze({ kind: 'unfit', reason: `no node fits cpu=${d.cpu} mem=${d.memory} gpus=${d.gpus}x${d.milli}` });
  lastUnfit = { cpu: d.cpu, memory: d.memory, gpus: d.gpus, milli: d.milli, out };
  return out;
}
let lastUnfit: { readonly cpu: number; readonly memory: number; readonly gpus: number; readonly milli: number; readonly out: PlacementOutcome } | undefined;

/**
 * The placement with the lowest `score` over all nodes that fit `d` (GPUs picked in `gpuOrder`);
 * ties break by node id. `score` receives the node and the candidate placement on it; a score
 * that declares only the node parameter is computed without building a placement for every node
 * (only the winner's GPUs are picked), which is much cheaper on a large cluster.
 */
export function placeByScore(
  cluster: ClusterView,
  d: Demand,
  gpuOrder: GpuOrder,
  score: (node: NodeView, placement: Placement) => Score,
): PlacementOutcome {
  let best: Placement | undefined;
  let bestScore: Score = 0;
  let bestId = '';
  if (score.length < 2) {
    let bestNode: NodeView | undefined;
    for (const node of cluster.nodes) {
      if (!fits(node, d)) continue;
      const s = (score as (node: NodeView) => Score)(node);
      const c = bestNode === undefined ? -1 : compareScore(s, bestScore);
      if (c < 0 || (c === 0 && node.id < bestNode!.id)) {
        bestNode = node;
        bestScore = s;
      }
    }
    // placeOn succeeds exactly where fits does.
    best = bestNode && placeOn(bestNode, d, gpuOrder);
    return best ? { kind: 'placed', placement: best } : unfit(d);
  }
  for (const node of cluster.nodes) {
    const p = placeOn(node, d, gpuOrder);
    if (!p) continue;
    const s = score(node, p);
    const c = best === undefined ? -1 : compareScore(s, bestScore);
    if (c < 0 || (c === 0 && node.id < bestId)) {
      best = p;
      bestScore = s;
      bestId = node.id;
    }
  }
  return best ? { kind: 'placed', placement: best } : unfit(d);
}
