import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import '../policies/index.ts';
import type { NodeSpec } from '../src/cluster/types.ts';
import { newJob, type Job, type JobSpec, type JobView } from '../src/jobs/job.ts';
import type { LogRecord } from '../src/log/records.ts';
import type { FailureSpec } from '../src/scheduler/failures.ts';
import { PolicyGuard } from '../src/scheduler/policy-guard.ts';
import type { QueuePolicy, SchedulerView } from '../src/scheduler/policy.ts';
import { QueueIndex } from '../src/scheduler/queue-index.ts';
import { placementPolicyFactory, queuePolicyFactory } from '../src/scheduler/registry.ts';
import { simulate } from '../src/sim/simulate.ts';

/**
 * Lazy queue orders (QueuePolicy.lazyOrder): the core's passes read drf's, weighted-fair's and
 * round-robin's order one pick at a time from its per-tenant queues, which must change nothing — the same log,
 * byte for byte, as the whole order built up front.
 */

const spec = (id: string, tenant: string, submit: number, over: Partial<JobSpec> = {}): JobSpec => ({ id, tenant, submit, duration: 1000, priority: 0, cpu: 1, memory: 1, gpus: 1, milli: 1000, ...over });
const queued = (s: JobSpec): Job => Object.assign(newJob(s), { state: 'queued' as const });

describe('per-tenant queues', () => {
  it('yield a tenant’s jobs in queue order, a requeued job back at its submit time', () => {
    const q = new QueueIndex();
    const [a1, b1, a2, a3] = [queued(spec('a1', 'a', 0)), queued(spec('b1', 'b', 1)), queued(spec('a2', 'a', 2)), queued(spec('a3', 'a', 5))];
    for (const j of [a1, b1, a2, a3]) q.push(j);
    q.started(a2);
    expect([...q.tenantJobs('a')].map((j) => j.id)).toEqual(['a1', 'a3']);
    // a2 (submitted at 2) comes back between a1 (0) and a3 (5).
    q.requeue(a2);
    expect([...q.tenantJobs('a')].map((j) => j.id)).toEqual(['a1', 'a2', 'a3']);
    expect([...q.tenantJobs('b')].map((j) => j.id)).toEqual(['b1']);
    expect([...q.tenantJobs('none')]).toEqual([]);
  });

  it('an iteration goes on past the jobs it yielded that have since left the queue', () => {
    const q = new QueueIndex();
    const jobs = [0, 1, 2, 3].map((i) => queued(spec(`a${i}`, 'a', i)));
    for (const j of jobs) q.push(j);
    const seen: string[] = [];
    for (const j of q.tenantJobs('a')) {
      seen.push(j.id);
      q.started(j); // as a pass starts what it read
      if (j.id === 'a1') q.started(jobs[3]); // and one not yet read leaves too (say cancelled)
    }
    expect(seen).toEqual(['a0', 'a1', 'a2']);
    expect([...q.tenantJobs('a')]).toEqual([]);
  });
});

describe('the guard over a lazy order', () => {
  const view = (jobs: JobView[]): SchedulerView => ({ now: 0, cluster: undefined as never, queue: jobs, running: [], tenants: [] });
  const ctx = { now: 0, rng: () => 0 };
  const policy = (yields: (jobs: readonly JobView[]) => Iterable<JobView>): QueuePolicy => ({ name: 'lazy-test', order: (v) => [...v.queue], lazyOrder: (v) => yields(v.queue) });

  it('passes queued jobs through, once each', () => {
    const jobs = [queued(spec('x', 't', 0)), queued(spec('y', 't', 1))];
    expect([...new PolicyGuard().lazyOrder(policy((q) => q), view(jobs), ctx)].map((j) => j.id)).toEqual(['x', 'y']);
  });

  it('names the policy when it yields a job twice, or one that is not queued', () => {
    const jobs = [queued(spec('x', 't', 0))];
    expect(() => [...new PolicyGuard().lazyOrder(policy((q) => [q[0], q[0]]), view(jobs), ctx)]).toThrow(/queue policy 'lazy-test' returned job x twice, in lazyOrder\(\).*each queued job at most once/);
    const running = Object.assign(newJob(spec('r', 't', 0)), { state: 'running' as const });
    expect(() => [...new PolicyGuard().lazyOrder(policy(() => [running]), view(jobs), ctx)]).toThrow(/returned job r, which is running,/);
  });

  it('names the policy when a step throws', () => {
    const boom = function* (): Generator<JobView> {
      throw new Error('boom');
    };
    expect(() => [...new PolicyGuard().lazyOrder(policy(boom), view([]), ctx)]).toThrow(/queue policy 'lazy-test' threw in lazyOrder\(\) at .*: boom/);
  });
});

const nodesArb = fc.array(fc.record({ gpus: fc.integer({ min: 1, max: 8 }), cpu: fc.constantFrom(16000, 64000) }), { minLength: 1, maxLength: 4 }).map((ns) =>
  ns.map((n, i): NodeSpec => ({ id: `n${i}`, cpu: n.cpu, memory: 262144, gpus: Array.from({ length: n.gpus }, () => ({ model: 'A', capacity: 1000 })) })),
);
const jobsArb = fc
  .array(
    fc.record({
      gap: fc.integer({ min: 0, max: 3000 }),
      dur: fc.integer({ min: 1, max: 60_000 }),
      gpus: fc.integer({ min: 0, max: 9 }),
      milli: fc.constantFrom(250, 500, 1000),
      cpu: fc.constantFrom(1000, 8000),
      tenant: fc.constantFrom('x', 'y', 'z'),
    }),
    { maxLength: 60 },
  )
  .map((rs) => {
    let t = 0;
    return rs.map((r, i): JobSpec => spec(`j${i}`, r.tenant, (t += r.gap), { duration: r.dur, cpu: r.cpu, memory: 1024, gpus: r.gpus, milli: r.gpus === 0 ? 0 : r.milli }));
  });

describe('lazy and whole orders give the same run', () => {
  it('drf, weighted-fair and round-robin: the same log with lazyOrder as with order alone, over random workloads, head-of-line modes, backfill and node losses', () => {
    fc.assert(
      fc.property(
        nodesArb,
        jobsArb,
        fc.constantFrom('drf', 'weighted-fair', 'round-robin'),
        fc.constantFrom('first-fit', 'best-fit', 'random'),
        fc.constantFrom<{ headOfLine?: 'skip' | 'block'; backfill?: 'easy' }>({ headOfLine: 'skip' }, { headOfLine: 'block' }, { backfill: 'easy' }),
        fc.record({ x: fc.integer({ min: 1, max: 4 }), y: fc.integer({ min: 1, max: 4 }) }),
        fc.boolean(),
        fc.integer({ min: 1, max: 1000 }),
        (nodes, jobs, q, p, mode, w, fail, seed) => {
          const failures: FailureSpec | undefined = fail ? { events: [{ node: 0, at: 4000, downMs: 30_000 }] } : undefined;
          const run = (strip: boolean) => {
            const log: LogRecord[] = [];
            const queue = queuePolicyFactory(q)({});
            simulate({
              run: 'r',
              seed,
              nodes,
              jobs,
              tenants: [{ name: 'x', weight: w.x }, { name: 'y', weight: w.y }, { name: 'z', weight: 1 }],
              queue: strip ? { ...queue, lazyOrder: undefined } : queue,
              placement: placementPolicyFactory(p)({}),
              log: { append: (r) => log.push(r) },
              headOfLine: mode.headOfLine,
              scheduler: mode.backfill ? { backfill: mode.backfill } : {},
              failures,
            });
            return log.map((r) => JSON.stringify(r));
          };
          expect(run(false)).toEqual(run(true));
        },
      ),
      { numRuns: 200, seed: 29 },
    );
  });
});
