import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../policies/index.ts';
import type { NodeSpec } from '../src/cluster/types.ts';
import { newJob, type Job, type JobSpec, type JobView } from '../src/jobs/job.ts';
import type { LogRecord } from '../src/log/records.ts';
import type { FailureSpec } from '../src/scheduler/failures.ts';
import { PolicyGuard } from '../src/scheduler/policy-guard.ts';
import type { QueuePolicy, SchedulerView } from '../src/scheduler/policy.ts';
import { byKey } from '../src/scheduler/keyed-queue.ts';
import { planChecks } from '../src/scheduler/preempt-kit.ts';
import { QueueIndex } from '../src/scheduler/queue-index.ts';
import { placementPolicyFactory, queuePolicyFactory } from '../src/scheduler/registry.ts';
import { simulate } from '../src/sim/simulate.ts';

/**
 * Lazy queue orders (QueuePolicy.lazyOrder): the core's passes read drf's, weighted-fair's and
 * round-robin's order one pick at a time from its per-tenant queues, and sjf's, srtf's and
 * priority's from its index by their sort key, which must change nothing — the same log, byte for
 * byte, as the whole order built up front.
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

describe('queues by key', () => {
  const est = (j: JobView) => j.estimate ?? j.duration;
  const ids = (it: Iterable<JobView>) => [...it].map((j) => j.id);

  it('yield the queued jobs by key, ties in queue order, a requeued job at its submit time among its ties', () => {
    const q = new QueueIndex();
    const [a, b, c, d] = [queued(spec('a', 't', 0, { duration: 30 })), queued(spec('b', 't', 1, { duration: 10 })), queued(spec('c', 't', 2, { duration: 10 })), queued(spec('d', 't', 3, { duration: 20 }))];
    for (const j of [a, b, c]) q.push(j);
    expect(ids(q.sortedBy(est))).toEqual(['b', 'c', 'a']);
    q.push(d); // entered after the index was built
    expect(ids(q.sortedBy(est))).toEqual(['b', 'c', 'd', 'a']);
    q.started(b);
    expect(ids(q.sortedBy(est))).toEqual(['c', 'd', 'a']);
    q.requeue(b); // submitted at 1: before c (2) among the 10s
    expect(ids(q.sortedBy(est))).toEqual(['b', 'c', 'd', 'a']);
    expect(ids(q.sortedBy(est))).toEqual(ids(byKey(q.jobs, est)));
  });

  it('an iteration goes on past the jobs it yielded that have since left the queue', () => {
    const q = new QueueIndex();
    const jobs = [4, 3, 2, 1, 0].map((d, i) => queued(spec(`j${d}`, 't', i, { duration: d })));
    for (const j of jobs) q.push(j);
    const seen: string[] = [];
    for (const j of q.sortedBy(est)) {
      seen.push(j.id);
      q.started(j);
      if (j.id === 'j1') q.remove(jobs[0]); // j4, not yet read, leaves too
    }
    expect(seen).toEqual(['j0', 'j1', 'j2', 'j3']);
    expect(ids(q.sortedBy(est))).toEqual([]);
  });

  it('match a stable sort of the queue after any pushes, requeues and leaves, for several keys at once', () => {
    const byPriority = (j: JobView) => -j.priority;
    fc.assert(
      fc.property(
        fc.array(fc.record({ op: fc.constantFrom('push', 'push', 'start', 'requeue', 'read'), d: fc.integer({ min: 0, max: 5 }), p: fc.integer({ min: 0, max: 3 }), gap: fc.integer({ min: 0, max: 2 }), pick: fc.nat() }), { maxLength: 120 }),
        (ops) => {
          const q = new QueueIndex();
          const out: Job[] = [];
          let t = 0;
          let n = 0;
          for (const o of ops) {
            const live = q.jobs;
            if (o.op === 'push') q.push(queued(spec(`j${n++}`, 't', (t += o.gap), { duration: o.d, priority: o.p })));
            else if (o.op === 'start' && live.length > 0) {
              const j = live[o.pick % live.length];
              q.started(j);
              out.push(j);
            } else if (o.op === 'requeue' && out.length > 0) q.requeue(out.splice(o.pick % out.length, 1)[0]);
            else if (o.op === 'read') expect(ids(q.sortedBy(o.p % 2 ? est : byPriority))).toEqual(ids(byKey(q.jobs, o.p % 2 ? est : byPriority)));
          }
          expect(ids(q.sortedBy(est))).toEqual(ids(byKey(q.jobs, est)));
          expect(ids(q.sortedBy(byPriority))).toEqual(ids(byKey(q.jobs, byPriority)));
        },
      ),
      { numRuns: 300, seed: 7 },
    );
  });

  it('walked by shape: the same jobs in the same order as the key order, a shape dropped after its first job that does not fit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ d: fc.integer({ min: 0, max: 5 }), gpus: fc.integer({ min: 0, max: 3 }), gap: fc.integer({ min: 0, max: 2 }), start: fc.boolean() }), { maxLength: 80 }),
        fc.subarray([0, 1, 2, 3]),
        (rows, unfitGpus) => {
          const q = new QueueIndex();
          let t = 0;
          rows.forEach((r, i) => q.push(queued(spec(`j${i}`, 't', (t += r.gap), { duration: r.d, gpus: r.gpus, milli: r.gpus === 0 ? 0 : 1000 }))));
          for (const j of q.jobs.filter((_, i) => rows[i].start && i % 3 === 0)) q.started(j); // some leave before the walk
          const unfit = new Set(unfitGpus);
          const expected: string[] = [];
          const dropped = new Set<number>();
          for (const j of byKey(q.jobs, est)) {
            if (dropped.has(j.gpus)) continue;
            expected.push(j.id);
            if (unfit.has(j.gpus)) dropped.add(j.gpus);
          }
          const seen: string[] = [];
          const walk = q.sortedBy(est);
          if (!q.isSortedWalk(walk)) throw new Error('sortedBy gave no walk of the index');
          q.walkByKeyAndShape(walk, (j) => {
            seen.push(j.id);
            if (unfit.has(j.gpus)) return false;
            q.started(j);
            return true;
          });
          expect(seen).toEqual(expected);
          // The per-shape indexes are kept from then on: a second walk over what is left.
          const rest = byKey(q.jobs, est).map((j) => j.id);
          const again: string[] = [];
          const second = q.sortedBy(est);
          if (!q.isSortedWalk(second)) throw new Error('sortedBy gave no walk of the index');
          q.walkByKeyAndShape(second, (j) => (again.push(j.id), 'stop'));
          expect(again).toEqual(rest.slice(0, 1));
        },
      ),
      { numRuns: 300, seed: 11 },
    );
  });

  it('out of submit order (a live queue): a stable sort of the queue, which no walk by shape takes', () => {
    const q = new QueueIndex();
    for (const [id, submit, d] of [['a', 5, 20], ['b', 9, 10], ['c', 3, 10], ['d', 7, 5]] as const) q.push(queued(spec(id, 't', submit, { duration: d })));
    expect(q.ordered).toBe(false);
    const walk = q.sortedBy(est);
    expect(ids(walk)).toEqual(['d', 'b', 'c', 'a']); // ties (b, c) in queue order, not by submit
    expect(q.isSortedWalk(walk)).toBe(false);
  });

  it('name the fault: a key that gives NaN, a new key function on every call', () => {
    const q = new QueueIndex();
    q.push(queued(spec('x', 't', 0)));
    expect(() => q.sortedBy(() => NaN)).toThrow(/queuedBy: the key gave NaN for job x/);
    expect(() => {
      for (let i = 0; i < 20; i++) q.sortedBy((j) => j.duration + i);
    }).toThrow(/more than 16 key functions on one queue; pass the same function object each call/);
  });
});

describe('las, read lazily', () => {
  it('orders queue by queue, in queue order within one (j9 before j10, as they came; j2 after them, come later though submitted earlier), as its whole order does', () => {
    const q = new QueueIndex();
    const jobs = [queued(spec('j9', 't', 5)), queued(spec('j10', 't', 5)), queued(spec('j2', 't', 1)), Object.assign(queued(spec('j3', 't', 0)), { executed: 2_000_000, queuedAt: 4 })];
    for (const j of jobs) q.push(j);
    const view: SchedulerView = { now: 10, cluster: undefined as never, queue: q.jobs, running: [], tenants: [], queuedBy: (key) => q.sortedBy(key) };
    const policy = queuePolicyFactory('las')({ thresholdsGpuSec: [1000] });
    const ctx = { now: 10, rng: () => 0 };
    const whole = policy.order(view, ctx).map((j) => j.id);
    expect(whole).toEqual(['j9', 'j10', 'j2', 'j3']); // j3 attained 2,000 GPU·s: the second queue
    expect([...policy.lazyOrder!(view, ctx)].map((j) => j.id)).toEqual(whole);
    expect([...policy.lazyOrder!({ ...view, queuedBy: undefined }, ctx)].map((j) => j.id)).toEqual(whole);
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
      priority: fc.integer({ min: 0, max: 3 }),
      estimate: fc.option(fc.integer({ min: 1, max: 60_000 }), { nil: undefined }),
    }),
    { maxLength: 60 },
  )
  .map((rs) => {
    let t = 0;
    return rs.map((r, i): JobSpec => spec(`j${i}`, r.tenant, (t += r.gap), { duration: r.dur, cpu: r.cpu, memory: 1024, gpus: r.gpus, milli: r.gpus === 0 ? 0 : r.milli, priority: r.priority, ...(r.estimate === undefined ? {} : { estimate: r.estimate }) }));
  });

type Mode = { headOfLine?: 'skip' | 'block'; backfill?: 'easy' };

/** A run's log, its passes reading the policy's lazyOrder, or (`strip`) the order built whole. */
function logOf(nodes: NodeSpec[], jobs: JobSpec[], q: [string, Record<string, unknown>] | QueuePolicy, p: string, mode: Mode, w: { x: number; y: number }, failures: FailureSpec | undefined, seed: number, strip: boolean): string[] {
  const log: LogRecord[] = [];
  const queue = Array.isArray(q) ? queuePolicyFactory(q[0])(q[1]) : q;
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
}

describe('lazy and whole orders give the same run', () => {
  // srtf, priority and las promise their preemption planner that the jobs a waiting job outranks
  // come first in their victim order (`victimsFirst`): checked against the whole ranking here.
  beforeAll(() => {
    planChecks.victimsFirst = true;
  });
  afterAll(() => {
    planChecks.victimsFirst = false;
  });

  it('drf, weighted-fair, round-robin, sjf, srtf, priority and las: the same log with lazyOrder as with order alone, over random workloads, head-of-line modes, backfill, preemption and node losses', () => {
    fc.assert(
      fc.property(
        nodesArb,
        jobsArb,
        fc.constantFrom<[string, Record<string, unknown>]>(['drf', {}], ['weighted-fair', {}], ['round-robin', {}], ['sjf', {}], ['srtf', {}], ['priority', {}], ['priority', { preempt: true }], ['las', {}], ['las', { thresholdsGpuSec: [1, 10], starveFactor: 1 }]),
        fc.constantFrom('first-fit', 'best-fit', 'random'),
        fc.constantFrom<Mode>({ headOfLine: 'skip' }, { headOfLine: 'block' }, { backfill: 'easy' }),
        fc.record({ x: fc.integer({ min: 1, max: 4 }), y: fc.integer({ min: 1, max: 4 }) }),
        fc.boolean(),
        fc.integer({ min: 1, max: 1000 }),
        (nodes, jobs, q, p, mode, w, fail, seed) => {
          const failures: FailureSpec | undefined = fail ? { events: [{ node: 0, at: 4000, downMs: 30_000 }] } : undefined;
          expect(logOf(nodes, jobs, q, p, mode, w, failures, seed, false)).toEqual(logOf(nodes, jobs, q, p, mode, w, failures, seed, true));
        },
      ),
      { numRuns: 300, seed: 29 },
    );
  });

  /**
   * sjf that, until 200 s, names for each of its first three waiting jobs one running job of a
   * lower class, whether or not that makes room: preemptions for several jobs at once, some of
   * which then do not fit (srtf's and priority's plans are for one job at a time here, and fit).
   */
  const sjf = queuePolicyFactory('sjf')({});
  const evictingSjf: QueuePolicy = {
    ...sjf,
    name: 'evicting-sjf',
    victims: (view) => {
      if (view.now >= 200_000) return [];
      const waiting = [...(sjf.lazyOrder!(view, { now: view.now, rng: () => 0 }) as Iterable<JobView>)].slice(0, 3);
      const running = [...view.running].sort((a, b) => a.priority - b.priority || (a.id < b.id ? -1 : 1));
      return waiting.flatMap((w, i) => (running[i] && running[i].priority < w.priority ? [{ job: running[i], reason: 'test', for: w.id }] : []));
    },
  };

  it('srtf, priority, las and several-job preemption under load: the jobs a preemption made room for are tried first, in order, as the whole order tries them', () => {
    // Busy small clusters: many preemptions, some for several jobs at once.
    const busy = fc
      .array(fc.record({ gap: fc.integer({ min: 0, max: 400 }), dur: fc.integer({ min: 500, max: 40_000 }), gpus: fc.integer({ min: 1, max: 4 }), milli: fc.constantFrom(500, 1000), priority: fc.integer({ min: 0, max: 3 }) }), { minLength: 20, maxLength: 90 })
      .map((rs) => {
        let t = 0;
        return rs.map((r, i): JobSpec => spec(`j${i}`, 'x', (t += r.gap), { duration: r.dur, cpu: 1000, memory: 1024, gpus: r.gpus, milli: r.gpus === 1 ? r.milli : 1000, priority: r.priority }));
      });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }).map((n) => Array.from({ length: n }, (_, i): NodeSpec => ({ id: `n${i}`, cpu: 64000, memory: 262144, gpus: Array.from({ length: 4 }, () => ({ model: 'A', capacity: 1000 })) }))),
        busy,
        fc.constantFrom<[string, Record<string, unknown>] | QueuePolicy>(['srtf', {}], ['priority', { preempt: true }], ['las', { thresholdsGpuSec: [1, 10], starveFactor: 1 }], evictingSjf),
        fc.constantFrom('first-fit', 'best-fit', 'random'),
        fc.constantFrom<Mode>({ headOfLine: 'skip' }, { headOfLine: 'block' }),
        fc.integer({ min: 1, max: 1000 }),
        (nodes, jobs, q, p, mode, seed) => {
          const w = { x: 1, y: 1 };
          expect(logOf(nodes, jobs, q, p, mode, w, undefined, seed, false)).toEqual(logOf(nodes, jobs, q, p, mode, w, undefined, seed, true));
        },
      ),
      { numRuns: 150, seed: 31 },
    );
  });
});
