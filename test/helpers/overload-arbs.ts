import fc from 'fast-check';
import type { NodeSpec } from '../../src/cluster/types.ts';
import type { JobSpec } from '../../src/jobs/job.ts';
import type { TenantQuota } from '../../src/quota/quotas.ts';
import type { FailureSpec } from '../../src/scheduler/failures.ts';
import type { PlacementPolicy } from '../../src/scheduler/policy.ts';
import { placementPolicyFactory } from '../../src/scheduler/registry.ts';

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

/** Jobs of tenants x, y, z and w (0–4 GPUs, whole or half, priorities 0–2) arriving up to 0.6 s apart. */
export const quotaJobsArb = fc
  .array(
    fc.record({
      gap: fc.integer({ min: 0, max: 600 }),
      dur: fc.integer({ min: 5_000, max: 90_000 }),
      gpus: fc.integer({ min: 0, max: 4 }),
      milli: fc.constantFrom(500, 1000),
      cpu: fc.constantFrom(1000, 4000),
      tenant: fc.constantFrom('x', 'y', 'z', 'w'),
      priority: fc.integer({ min: 0, max: 2 }),
    }),
    { minLength: 20, maxLength: 150 },
  )
  .map((rs) => {
    let t = 0;
    return rs.map((r, i): JobSpec => ({ id: `j${i}`, tenant: r.tenant, submit: (t += r.gap), duration: r.dur, priority: r.priority, cpu: r.cpu, memory: 1024, gpus: r.gpus, milli: r.gpus === 0 ? 0 : r.gpus > 1 ? 1000 : r.milli }));
  });
/** Quotas for x, y, z (w has none): two cohorts or one, nominal 1–6 GPUs, a borrowing limit or none. */
export const quotasArb = fc
  .record({
    cohorts: fc.array(fc.constantFrom('c1', 'c2'), { minLength: 3, maxLength: 3 }),
    nominal: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 3, maxLength: 3 }),
    limit: fc.array(fc.option(fc.integer({ min: 0, max: 4 })), { minLength: 3, maxLength: 3 }),
  })
  .map(({ cohorts, nominal, limit }): TenantQuota[] =>
    ['x', 'y', 'z'].map((tenant, i) => ({ tenant, cohort: cohorts[i], nominal: nominal[i] * 1000, ...(limit[i] === null ? {} : { borrowingLimit: limit[i]! * 1000 }) })),
  );

export const firstFit = placementPolicyFactory('first-fit')({});

/** The shipped queue policies that preempt by rank through planPreemption, with their parameters. */
export const PREEMPTING_QUEUES = [
  ['srtf', {}],
  ['las', {}],
  ['priority', { preempt: true }],
] as const;

/**
 * first-fit that asks some jobs to be tried again in a second (pure: by id and time, the jobs
 * whose number plus the second is a multiple of `every`): a pass goes on past them, their shape
 * still in play.
 */
export function hesitant(every: number): PlacementPolicy {
  return {
    name: 'hesitant',
    place: (job, cluster, ctx) => ((Number(job.id.slice(1)) + Math.floor(ctx.now / 1000)) % every === 0 ? { kind: 'wait', until: ctx.now + 1000, reason: 'test' } : firstFit.place(job, cluster, ctx)),
  };
}
