import fc from 'fast-check';
import type { NodeSpec } from '../../src/cluster/types.ts';
import type { JobSpec } from '../../src/jobs/job.ts';
import type { FailureSpec } from '../../src/scheduler/failures.ts';

/** One to three nodes of 2–8 whole GPUs (model A) and 16 or 64 cores: small clusters that overload fast. */
export const overloadNodesArb = fc.array(fc.record({ gpus: fc.integer({ min: 2, max: 8 }), cpu: fc.constantFrom(16000, 64000) }), { minLength: 1, maxLength: 3 }).map((ns) =>
  ns.map((n, i): NodeSpec => ({ id: `n${i}`, cpu: n.cpu, memory: 262144, gpus: Array.from({ length: n.gpus }, () => ({ model: 'A', capacity: 1000 })) })),
);

/**
 * What disturbs an overloaded run: the jobs picked by `cancel` cancelled soon after they arrive
 * (some while queued: they leave their tenant's list of their shape from the middle), and with
 * `fail`, node 0 down from 20 s for 30 s.
 */
export function disturbances(jobs: readonly JobSpec[], cancel: readonly number[], fail: boolean): { cancels: { at: number; job: string }[]; failures: FailureSpec | undefined } {
  return {
    cancels: cancel.map((k) => jobs[k % jobs.length]).map((j) => ({ at: j.submit + 1 + (j.duration % 7000), job: j.id })),
    failures: fail ? { events: [{ node: 0, at: 20_000, downMs: 30_000 }] } : undefined,
  };
}
