import type { ClusterView } from '../src/cluster/types.ts';
import type { PlacementPolicy } from '../src/scheduler/policy.ts';

/**
 * `p` handed a view of the cluster without its node groups (`ClusterView.groups`), so it reads
 * every node as a policy written without them does (the benchmarks' `scan` mode: what a
 * placement costs when its work grows with the nodes it is given).
 */
export function scanning(p: PlacementPolicy): PlacementPolicy {
  const views = new WeakMap<ClusterView, ClusterView>();
  const hide = (c: ClusterView): ClusterView => {
    let v = views.get(c);
    if (!v) views.set(c, (v = new Proxy(c, { get: (t, k) => (k === 'groups' ? undefined : (t as unknown as Record<PropertyKey, unknown>)[k]) })));
    return v;
  };
  return { name: p.name, place: (job, cluster, ctx) => p.place(job, hide(cluster), ctx) };
}
