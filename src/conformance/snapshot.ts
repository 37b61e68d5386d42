import type { ClusterView, NodeView } from '../cluster/types.ts';
import type { JobView } from '../jobs/job.ts';
import type { SchedulerView, TenantView } from '../scheduler/policy.ts';

/** Recursively freezes a plain data structure; mutation then throws in strict-mode code. */
export function deepFreeze<T>(x: T): T {
  if (x !== null && typeof x === 'object' && !Object.isFrozen(x)) {
    Object.freeze(x);
    for (const v of Object.values(x as object)) deepFreeze(v);
  }
  return x;
}

/** A plain, deep-frozen copy of a cluster view (what a policy may read, nothing it may change). */
export function frozenCluster(c: ClusterView): ClusterView {
  const nodes: NodeView[] = c.nodes.map((n) => ({
    index: n.index,
    id: n.id,
    cpu: n.cpu,
    memory: n.memory,
    cpuFree: n.cpuFree,
    memoryFree: n.memoryFree,
    gpuFree: n.gpuFree,
    up: n.up,
    gpus: n.gpus.map((g) => ({ ...g })),
    ...(n.labels ? { labels: { ...n.labels } } : {}),
  }));
  return deepFreeze({
    nodes,
    gpuCapacity: c.gpuCapacity,
    gpuAllocated: c.gpuAllocated,
    cpuCapacity: c.cpuCapacity,
    cpuAllocated: c.cpuAllocated,
    memoryCapacity: c.memoryCapacity,
    memoryAllocated: c.memoryAllocated,
    models: [...c.models],
  });
}

export function frozenJob(j: JobView): JobView {
  return deepFreeze(structuredClone(j) as JobView);
}

export function frozenView(v: SchedulerView): SchedulerView {
  const tenants: TenantView[] = v.tenants.map((t) => ({
    name: t.name,
    weight: t.weight,
    gpuInUse: t.gpuInUse,
    cpuInUse: t.cpuInUse,
    memoryInUse: t.memoryInUse,
    running: t.running,
    queued: t.queued,
    attainedGpu: t.attainedGpu,
  }));
  return deepFreeze({
    now: v.now,
    cluster: frozenCluster(v.cluster),
    queue: v.queue.map(frozenJob),
    running: v.running.map(frozenJob),
    tenants,
  });
}
