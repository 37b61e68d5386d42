import type { NodeSpec } from '../cluster/types.ts';

/** One shard of a hierarchy: its id and its nodes (indices into the run's node list, ascending). */
export interface ShardSpec {
  readonly id: string;
  readonly nodes: readonly number[];
}

/** How a hierarchy splits the cluster: `shards` contiguous parts, or one part per value of a node label. */
export type PartitionSpec = { readonly shards: number } | { readonly by: string };

/** A partition the cluster cannot take (more shards than nodes, a node without the label). */
export class PartitionError extends Error {
  override name = 'PartitionError';
}

const gpuCount = (n: NodeSpec) => n.gpus.length;

/**
 * Splits `nodes` into shards. Pure and deterministic.
 *
 * `{ shards: N }`: N contiguous runs of nodes in cluster order (ids `s0` … `s<N-1>`), balanced
 * by GPU count: shard k ends at the first node where the GPUs so far reach (k+1)/N of the total,
 * each shard keeping at least one node (by node count when no node has a GPU). Example: nodes of
 * 8, 8, 4, 4 GPUs into 2 shards: total 24, the first shard stops once it holds ≥ 12 → [8, 8] and
 * [4, 4] (16 and 8 GPUs: the split never cuts a node).
 *
 * `{ by: label }`: one shard per distinct value of `label`, named by the value, in order of first
 * appearance; every node must carry the label.
 */
export function partition(nodes: readonly NodeSpec[], spec: PartitionSpec): ShardSpec[] {
  if ('by' in spec) {
    const byValue = new Map<string, number[]>();
    nodes.forEach((n, i) => {
      const v = n.labels?.[spec.by];
      if (v === undefined) throw new PartitionError(`node ${n.id} has no label '${spec.by}' (hierarchy.by needs it on every node)`);
      let list = byValue.get(v);
      if (!list) byValue.set(v, (list = []));
      list.push(i);
    });
    return [...byValue].map(([id, list]) => ({ id, nodes: list }));
  }
  const n = spec.shards;
  if (!Number.isInteger(n) || n < 1) throw new PartitionError(`shards must be a positive integer, got ${n}`);
  if (n > nodes.length) throw new PartitionError(`${n} shards for ${nodes.length} nodes: each shard needs at least one node`);
  const total = nodes.reduce((a, x) => a + gpuCount(x), 0);
  const weight = total > 0 ? gpuCount : () => 1;
  const sum = total > 0 ? total : nodes.length;
  const out: ShardSpec[] = [];
  let acc = 0;
  let i = 0;
  for (let k = 0; k < n; k++) {
    const list: number[] = [];
    const goal = ((k + 1) * sum) / n;
    // Take at least one node, stop at the goal, and leave one node for each shard still to fill.
    while (i < nodes.length && nodes.length - i > n - k - 1 && (list.length === 0 || acc < goal)) {
      acc += weight(nodes[i]);
      list.push(i++);
    }
    out.push({ id: `s${k}`, nodes: list });
  }
  // The last shard takes whatever is left.
  const last = out[n - 1].nodes as number[];
  while (i < nodes.length) last.push(i++);
  return out;
}
