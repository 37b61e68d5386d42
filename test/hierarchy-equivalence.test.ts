import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import '../policies/index.ts';
import type { NodeSpec } from '../src/cluster/types.ts';
import { routingPolicyFactory } from '../src/hierarchy/routing-registry.ts';
import type { JobSpec } from '../src/jobs/job.ts';
import type { LogRecord } from '../src/log/records.ts';
import { canEverRun } from '../src/scheduler/admission.ts';
import { Cluster } from '../src/cluster/cluster.ts';
import { placementPolicyFactory, queuePolicyFactory } from '../src/scheduler/registry.ts';
import { simulate } from '../src/sim/simulate.ts';
import { simulateHierarchy, type HierarchySettings } from '../src/sim/simulate-hierarchy.ts';
import type { FailureSpec } from '../src/scheduler/failures.ts';

/** Small clusters: 1–4 nodes of 1–8 GPUs of two models. */
const nodesArb = fc.array(fc.record({ gpus: fc.integer({ min: 1, max: 8 }), model: fc.constantFrom('A', 'B') }), { minLength: 1, maxLength: 4 }).map((ns) =>
  ns.map((n, i): NodeSpec => ({ id: `n${i}`, cpu: 64000, memory: 262144, gpus: Array.from({ length: n.gpus }, () => ({ model: n.model, capacity: 1000 })) })),
);

/** Small workloads: up to 40 jobs in submit order, whole and fractional GPUs, some model-bound, some that fit nowhere. */
const jobsArb = fc
  .array(
    fc.record({
      gap: fc.integer({ min: 0, max: 5000 }),
      dur: fc.integer({ min: 1, max: 60_000 }),
      gpus: fc.integer({ min: 0, max: 9 }),
      milli: fc.constantFrom(250, 500, 1000),
      model: fc.constantFrom(undefined, 'A', 'B'),
      tenant: fc.constantFrom('x', 'y'),
    }),
    { maxLength: 40 },
  )
  .map((rs) => {
    let t = 0;
    return rs.map((r, i): JobSpec => {
      t += r.gap;
      return { id: `j${i}`, tenant: r.tenant, submit: t, duration: r.dur, priority: 0, cpu: 1000, memory: 1024, gpus: r.gpus, milli: r.gpus === 0 ? 0 : r.milli, ...(r.model ? { models: [r.model] } : {}) };
    });
  });

/** What a schedule is: starts (job, node, GPUs, milli, time) and finishes (job, state, time), in log order. */
function schedule(log: LogRecord[]): unknown[] {
  return log.flatMap((r) => {
    if (r.ev === 'start') return [['start', r.job, r.node, r.gpus, r.milli, r.t]];
    if (r.ev === 'finish' || r.ev === 'reject') return [[r.ev, r.job, 'state' in r ? r.state : r.reason, r.t]];
    if (r.ev === 'node-loss' || r.ev === 'requeue') return [[r.ev, r.job, r.t]];
    return [];
  });
}

const HIER: Omit<HierarchySettings, 'routing'> = {
  partition: { shards: 1 },
  summaryIntervalMs: 7_000,
  routingLatencyMs: 0,
  rebalance: { mode: 'bounce', waitLimitMs: 1_000, bounceCostMs: 10, maxScan: 64 },
  onShardDown: 'bounce',
  failures: [],
};

describe('a one-shard hierarchy is the global scheduler', () => {
  it('reproduces its schedule exactly (starts, finishes, rejections, node losses) over random small workloads and policies', () => {
    fc.assert(
      fc.property(
        nodesArb,
        jobsArb,
        fc.constantFrom(['fifo', 'best-fit'], ['fifo', 'first-fit'], ['sjf', 'random'], ['drf', 'worst-fit'], ['priority', 'best-fit']),
        fc.constantFrom('least-loaded', 'random', 'power-of-two'),
        fc.integer({ min: 1, max: 1000 }),
        fc.boolean(),
        (nodes, jobs, [q, p], routing, seed, fail) => {
          const failures: FailureSpec | undefined = fail ? { events: [{ node: 0, at: 3000, downMs: 20_000 }] } : undefined;
          const a: LogRecord[] = [];
          simulate({ run: 'g', seed, nodes, jobs, queue: queuePolicyFactory(q)({}), placement: placementPolicyFactory(p)({}), log: { append: (r) => a.push(r) }, failures });
          const b: LogRecord[] = [];
          simulateHierarchy({
            run: 'h',
            seed,
            nodes,
            jobs,
            policies: () => ({ queue: queuePolicyFactory(q)({}), placement: placementPolicyFactory(p)({}) }),
            log: { append: (r) => b.push(r) },
            failures,
            hierarchy: { ...HIER, routing: routingPolicyFactory(routing)({}) },
          });
          expect(schedule(b)).toEqual(schedule(a));
        },
      ),
      { numRuns: 150, seed: 17 },
    );
  });
});

describe('routing never sends a job to a shard that can never run it', () => {
  it('every route record names a shard with a node the job fits when empty', () => {
    fc.assert(
      fc.property(nodesArb, jobsArb, fc.constantFrom('least-loaded', 'best-fit-by-summary', 'tenant-affinity', 'random', 'power-of-two'), fc.constantFrom<'wait' | 'bounce' | 'steal'>('wait', 'bounce', 'steal'), (nodes, jobs, routing, mode) => {
        const shards = Math.min(nodes.length, 2);
        const log: LogRecord[] = [];
        simulateHierarchy({
          run: 'h',
          seed: 3,
          nodes,
          jobs,
          policies: () => ({ queue: queuePolicyFactory('fifo')({}), placement: placementPolicyFactory('best-fit')({}) }),
          log: { append: (r) => log.push(r) },
          hierarchy: { ...HIER, partition: { shards }, rebalance: { ...HIER.rebalance, mode }, routing: routingPolicyFactory(routing)({}) },
        });
        const run = log[0];
        if (run.ev !== 'run' || !run.hierarchy) throw new Error('no hierarchy in the run record');
        const shardNodes = new Map(run.hierarchy.shards.map((s) => [s.id, nodes.filter((n) => s.nodes.includes(n.id))]));
        const byId = new Map(jobs.map((j) => [j.id, j]));
        for (const r of log) {
          const target = r.ev === 'route' ? r.shard : r.ev === 'steal' ? r.to : undefined;
          if (target === undefined) continue;
          const c = new Cluster(shardNodes.get(target)!);
          expect(canEverRun({ cluster: c, queue: [], running: [], tenants: [], now: 0, spanNodes: false }, byId.get((r as { job: string }).job)!)).toBe(true);
        }
        // Every job ends (a finish or a reject): nothing is lost between shards.
        const ended = new Set(log.flatMap((r) => (r.ev === 'finish' || r.ev === 'reject' ? [r.job] : [])));
        expect(ended.size).toBe(jobs.length);
      }),
      { numRuns: 120, seed: 5 },
    );
  });
});
