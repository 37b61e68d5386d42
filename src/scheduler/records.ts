import type { ClusterView, Placement } from '../cluster/types.ts';
import type { JobView } from '../jobs/job.ts';
import type { LogRecord } from '../log/records.ts';

/** The log records the core writes that carry more than a job id (pure builders). */

/** A job's arrival: what it asks for. */
export function arrivalRecord(j: JobView, now: number): LogRecord {
  if ((!j.models || j.models.length === 0) && !j.mig && j.context === undefined && !j.parent) {
    // The common case as one literal (the same keys in the same order as below).
    return { t: now, ev: 'arrival', job: j.id, tenant: j.tenant, cpu: j.cpu, mem: j.memory, gpus: j.gpus, milli: j.milli, prio: j.priority, dur: j.duration };
  }
  return {
    t: now,
    ev: 'arrival',
    job: j.id,
    tenant: j.tenant,
    cpu: j.cpu,
    mem: j.memory,
    gpus: j.gpus,
    milli: j.milli,
    ...(j.models && j.models.length > 0 ? { models: j.models } : {}),
    prio: j.priority,
    dur: j.duration,
    ...(j.mig ? { mig: j.mig } : {}),
    ...(j.context !== undefined ? { context: j.context } : {}),
    ...(j.parent ? { parent: j.parent.id, depth: j.parent.depth } : {}),
  };
}

/** A start: node ids, GPU indices, the milli granted, the parts of a spanning gang, the MIG instance. */
export function startRecord(j: JobView, placement: Placement, cluster: ClusterView, now: number): LogRecord {
  const grants = placement.gpus;
  if ((!placement.parts || placement.parts.length === 0) && !grants[0]?.mig) {
    // A single-node placement without MIG as one literal (the same keys in the same order as below).
    const gpus: number[] = new Array(grants.length);
    for (let k = 0; k < grants.length; k++) gpus[k] = grants[k].gpu;
    return { t: now, ev: 'start', job: j.id, node: cluster.nodes[placement.node].id, gpus, milli: grants[0]?.milli ?? j.milli, attempt: j.attempt };
  }
  return {
    t: now,
    ev: 'start',
    job: j.id,
    node: cluster.nodes[placement.node].id,
    gpus: placement.gpus.map((g) => g.gpu),
    milli: placement.gpus[0]?.milli ?? j.milli,
    attempt: j.attempt,
    ...(placement.parts && placement.parts.length > 0
      ? { parts: placement.parts.map((p) => ({ node: cluster.nodes[p.node].id, gpus: p.gpus.map((g) => g.gpu) })) }
      : {}),
    ...(placement.gpus[0]?.mig ? { mig: placement.gpus[0].mig } : {}),
  };
}
