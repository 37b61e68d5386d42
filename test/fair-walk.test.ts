import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import '../policies/index.ts';
import type { NodeSpec } from '../src/cluster/types.ts';
import { newJob, type JobSpec } from '../src/jobs/job.ts';
import type { LogRecord } from '../src/log/records.ts';
import type { FailureSpec } from '../src/scheduler/failures.ts';
import { queuedFairly, queuedInRounds } from '../src/scheduler/fair-walk.ts';
import type { PlacementPolicy, QueuePolicy, SchedulerView, TenantView } from '../src/scheduler/policy.ts';
import { placementPolicyFactory, queuePolicyFactory } from '../src/scheduler/registry.ts';
import { simulate } from '../src/sim/simulate.ts';
import { disturbances, overloadNodesArb, firstFit, hesitant } from './helpers/overload-arbs.ts';

/**
 * The core's walk of an order over its tenant queues by tenant and shape (SchedulerView.queuedFairly
 * for drf and weighted-fair, queuedInRounds for round-robin; QueueIndex.walkByTenant): under
 * overload, with `headOfLine: skip`, a pass passes over the jobs of shapes it found not to fit in
 * bulk (charging them to their tenants' usage, counting them in their tenants' rounds) instead of
 * reading the order job by job. It must try the same jobs in the same order: the same log, byte
 * for byte, as the order built whole (`order` alone), whatever the arrivals, weights,
 * cancellations, node losses and placements that ask to wait.
 */

// Arrivals far faster than departures: deep queues, of many shapes (GPUs × milli × CPU) or of a
// few (a tenant's jobs of one shape in runs, where a job tried after one that waits is not its list's first).
const jobsArb = fc
  .boolean()
  .chain((few) =>
    fc.array(
      fc.record({
        gap: fc.integer({ min: 0, max: 400 }),
        dur: fc.integer({ min: 5_000, max: 90_000 }),
        gpus: few ? fc.integer({ min: 1, max: 2 }) : fc.integer({ min: 0, max: 6 }),
        milli: few ? fc.constant(1000) : fc.constantFrom(300, 500, 1000),
        cpu: few ? fc.constant(1000) : fc.constantFrom(1000, 4000, 12000),
        tenant: fc.constantFrom('x', 'y', 'z'),
      }),
      { minLength: 20, maxLength: 150 },
    ),
  )
  .map((rs) => {
    let t = 0;
    return rs.map((r, i): JobSpec => ({ id: `j${i}`, tenant: r.tenant, submit: (t += r.gap), duration: r.dur, priority: 0, cpu: r.cpu, memory: 1024, gpus: r.gpus, milli: r.gpus === 0 ? 0 : r.gpus > 1 ? 1000 : r.milli }));
  });

const hesitantFit = hesitant(4);

interface Run {
  nodes: NodeSpec[];
  placement: PlacementPolicy;
  jobs: JobSpec[];
  headOfLine: 'skip' | 'block';
  weights: { x: number; y: number };
  cancels: { at: number; job: string }[];
  failures: FailureSpec | undefined;
}

/** A run's log: its passes walk the lazy order (`whole` false) or read the order built whole. */
function logOf(queue: QueuePolicy, r: Run, whole: boolean): string[] {
  const log: LogRecord[] = [];
  simulate({
    run: 'r',
    seed: 3,
    nodes: r.nodes,
    jobs: r.jobs,
    tenants: [{ name: 'x', weight: r.weights.x }, { name: 'y', weight: r.weights.y }, { name: 'z', weight: 1 }],
    queue: whole ? { ...queue, lazyOrder: undefined } : queue,
    placement: r.placement,
    log: { append: (rec) => log.push(rec) },
    headOfLine: r.headOfLine,
    cancels: r.cancels,
    failures: r.failures,
  });
  return log.map((rec) => JSON.stringify(rec));
}

const runArb = fc
  .record({
    nodes: overloadNodesArb,
    jobs: jobsArb,
    placement: fc.constantFrom(firstFit, firstFit, hesitantFit),
    headOfLine: fc.constantFrom<'skip' | 'block'>('skip', 'skip', 'block'),
    weights: fc.record({ x: fc.integer({ min: 1, max: 5 }), y: fc.integer({ min: 1, max: 5 }) }),
    cancel: fc.array(fc.nat(), { maxLength: 8 }),
    fail: fc.boolean(),
  })
  .map(({ cancel, fail, ...r }): Run => ({ ...r, ...disturbances(r.jobs, cancel, fail) }));

describe('an order over the tenant queues walked by tenant and shape', () => {
  it('drf, weighted-fair and round-robin under overload: the same log as reading the order built whole, over arrivals, weights, cancellations, node losses and placements that ask to wait', () => {
    fc.assert(
      fc.property(runArb, fc.constantFrom('drf', 'weighted-fair', 'round-robin'), (r, name) => {
        const q = queuePolicyFactory(name)({});
        expect(logOf(q, r, false)).toEqual(logOf(q, r, true));
      }),
      { numRuns: 300, seed: 41 },
    );
  });

  it('names the policy when it names a tenant twice for its rounds', () => {
    const twice: QueuePolicy = { name: 'twice', order: () => [], lazyOrder: (view) => view.queuedInRounds!(['x', 'y', 'x']) };
    const nodes: NodeSpec[] = [{ id: 'n0', cpu: 64000, memory: 262144, gpus: [{ model: 'A', capacity: 1000 }] }];
    const jobs: JobSpec[] = [{ id: 'a', tenant: 'x', submit: 0, duration: 10_000, priority: 0, cpu: 1000, memory: 1024, gpus: 1, milli: 1000 }];
    const run = () => simulate({ run: 'r', seed: 1, nodes, jobs, tenants: [{ name: 'x', weight: 1 }], queue: twice, placement: placementPolicyFactory('first-fit')({}), log: { append: () => {} }, headOfLine: 'skip' });
    expect(run).toThrow(/queue policy 'twice' threw in lazyOrder\(\).*a tenant named twice in \["x","y","x"\]/);
  });

  it('names the policy when its share drops as usage grows', () => {
    // A "share" that falls as a tenant is charged: the walk's order would not be the picks'.
    const falling: QueuePolicy = { name: 'falling-share', order: () => [], lazyOrder: (view) => view.queuedFairly!((_t, u) => -u.gpu) };
    const nodes: NodeSpec[] = [{ id: 'n0', cpu: 64000, memory: 262144, gpus: [{ model: 'A', capacity: 1000 }] }];
    const jobs: JobSpec[] = [0, 1, 2].map((k) => ({ id: `a${k}`, tenant: 'x', submit: k, duration: 10_000, priority: 0, cpu: 1000, memory: 1024, gpus: 1, milli: 1000 }));
    const run = () => simulate({ run: 'r', seed: 1, nodes, jobs, tenants: [{ name: 'x', weight: 1 }], queue: falling, placement: placementPolicyFactory('first-fit')({}), log: { append: () => {} }, headOfLine: 'skip' });
    expect(run).toThrow(/queue policy 'falling-share' gave tenant x the share -1000 after 0 .*a share must be finite and never drop.* in lazyOrder\(\)/);
  });

  it('reads the order pick by pick when a share is not finite at the start: the same log as the order built whole', () => {
    // Tenant x's share is Infinity: progressive filling still picks it, after the finite ones
    // (ties at Infinity by attained service); the walk, whose order rests on finite shares, declines.
    const share = (t: { name: string }, u: { gpu: number }) => (t.name === 'x' ? Infinity : u.gpu);
    const odd: QueuePolicy = { name: 'odd', order: (view) => [...view.queuedFairly!(share)], lazyOrder: (view) => view.queuedFairly!(share) };
    fc.assert(
      fc.property(runArb, (r) => {
        expect(logOf(odd, r, false)).toEqual(logOf(odd, r, true));
      }),
      { numRuns: 30, seed: 43 },
    );
  });

  it('a view built elsewhere (no core queues): queuedFairly and queuedInRounds give the same order over its queue', () => {
    // Queue a1 a2 a3 b1 c1 c2 (tenants A, B, C; all 1-GPU jobs).
    const job = (id: string, tenant: string, submit: number) => newJob({ id, tenant, submit, duration: 1000, priority: 0, cpu: 0, memory: 0, gpus: 1, milli: 1000 });
    const queue = [job('a1', 'A', 0), job('a2', 'A', 1), job('a3', 'A', 2), job('b1', 'B', 3), job('c1', 'C', 4), job('c2', 'C', 5)];
    const tenant = (name: string, gpuInUse: number): TenantView => ({ name, weight: 1, gpuInUse, cpuInUse: 0, memoryInUse: 0, running: 0, queued: 0, attainedGpu: 0 });
    const view = { now: 0, queue, running: [], tenants: [tenant('A', 0), tenant('B', 2000), tenant('C', 1000)] } as unknown as SchedulerView;
    // Rounds over A, C, B: a1 c1 b1, then a2 c2, then a3.
    expect([...queuedInRounds(view, ['A', 'C', 'B'])].map((j) => j.id)).toEqual(['a1', 'c1', 'b1', 'a2', 'c2', 'a3']);
    // GPU share (milli in use): A 0 → a1 (A 1000); A 1000 = C 1000, tie by name → a2 (A 2000);
    // C 1000 → c1 (C 2000); A, B, C all 2000 → a3 (A 3000), b1 (B 3000), c2.
    expect([...queuedFairly(view, (_t, u) => u.gpu)].map((j) => j.id)).toEqual(['a1', 'a2', 'c1', 'a3', 'b1', 'c2']);
  });
});
