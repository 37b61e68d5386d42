import fc from 'fast-check';
import '../../policies/index.ts';
import { Cluster } from '../cluster/cluster.ts';
import type { NodeSpec } from '../cluster/types.ts';
import { stream } from '../engine/rng.ts';
import type { RoutingPolicy } from '../hierarchy/routing-policy.ts';
import { routingPolicyFactory, routingPolicyNames } from '../hierarchy/routing-registry.ts';
import type { ModelSummary, ShardSummary } from '../hierarchy/summary.ts';
import { newJob, type JobSpec, type JobView } from '../jobs/job.ts';
import type { LogRecord } from '../log/records.ts';
import { canEverRun } from '../scheduler/admission.ts';
import type { PolicyParams } from '../scheduler/registry.ts';
import { placementPolicyFactory, queuePolicyFactory } from '../scheduler/registry.ts';
import { simulateHierarchy } from '../sim/simulate-hierarchy.ts';
import { checkFresh, type FreshProperty } from './fresh-kit.ts';
import type { KitOptions, PropertyResult } from './kit.ts';
import { check } from './subject.ts';

/**
 * The conformance kit's routing coverage (README "Checking your policy"): every routing policy,
 * called the way the master calls it, must
 *  - `routes-to-candidate`: answer the id of one of the shards it was given;
 *  - `deterministic`: give the same answer for the same job, summaries and seeded stream (a fresh
 *    instance each time: no state carried between calls);
 *  - `pure`: neither write to the job or the summaries (they are deep-frozen and compared after) nor
 *    read anything but them and its stream (two calls agree, see above);
 *  - `never-unfit`: in a simulated hierarchy over generated small clusters and workloads, never
 *    send a job to a shard that could never run it (every route and steal is checked against the
 *    shard's nodes), and every job ends.
 */

const MODELS = ['A100', 'T4'] as const;

const modelArb: fc.Arbitrary<ModelSummary> = fc
  .record({ model: fc.constantFrom(...MODELS), gpus: fc.integer({ min: 0, max: 64 }), used: fc.integer({ min: 0, max: 64 }), block: fc.integer({ min: 0, max: 8 }), maxGpuFree: fc.constantFrom(0, 250, 500, 1000) })
  .map((m) => {
    const freeGpus = Math.max(0, m.gpus - m.used);
    return { model: m.model, gpus: m.gpus, freeGpus, freeMilli: freeGpus * 1000, largestBlock: Math.min(m.block, freeGpus), maxGpuFree: freeGpus > 0 ? 1000 : m.maxGpuFree };
  });

/** 1–6 shard summaries, positions 0…n−1, any loads, some down, some with routed work since their report. */
export const summariesArb: fc.Arbitrary<ShardSummary[]> = fc
  .array(
    fc.record({
      models: fc.uniqueArray(modelArb, { minLength: 1, maxLength: 2, selector: (m) => m.model }),
      up: fc.boolean(),
      queued: fc.integer({ min: 0, max: 20 }),
      routed: fc.integer({ min: 0, max: 5 }),
      asOf: fc.integer({ min: 0, max: 100_000 }),
    }),
    { minLength: 1, maxLength: 6 },
  )
  .map((rs) =>
    rs.map((r, index): ShardSummary => {
      const cap = r.models.reduce((a, m) => a + m.gpus * 1000, 0);
      const free = r.models.reduce((a, m) => a + m.freeMilli, 0);
      return {
        id: `s${index}`,
        index,
        asOf: r.asOf,
        up: r.up,
        gpus: cap / 1000,
        capacityMilli: cap,
        freeMilli: free,
        freeCpu: 64000,
        freeMemory: 262144,
        maxNodeCpuFree: 64000,
        maxNodeMemoryFree: 262144,
        queued: r.queued,
        queuedMilli: r.queued * 1000,
        running: 0,
        models: r.models,
        routedJobs: r.routed,
        routedMilli: r.routed * 1000,
      };
    }),
  );

export const routedJobArb: fc.Arbitrary<JobView> = fc
  .record({ gpus: fc.integer({ min: 0, max: 8 }), milli: fc.constantFrom(250, 500, 1000), model: fc.constantFrom(undefined, ...MODELS), tenant: fc.constantFrom('a', 'b', 'team-c') })
  .map((r) => newJob({ id: 'j', tenant: r.tenant, submit: 0, duration: 1000, priority: 0, cpu: 1000, memory: 1024, gpus: r.gpus, milli: r.gpus === 0 ? 0 : r.milli, ...(r.model ? { models: [r.model] } : {}) }));

function deepFreeze<T>(x: T): T {
  if (x && typeof x === 'object' && !Object.isFrozen(x)) {
    Object.freeze(x);
    for (const v of Object.values(x)) deepFreeze(v);
  }
  return x;
}

const clone = <T>(x: T): T => structuredClone(x);

type RoutingProperty = FreshProperty<RoutingPolicy>;

const nodesArb = fc.array(fc.record({ gpus: fc.integer({ min: 1, max: 8 }), model: fc.constantFrom(...MODELS) }), { minLength: 1, maxLength: 6 }).map((ns) =>
  ns.map((n, i): NodeSpec => ({ id: `n${i}`, cpu: 64000, memory: 262144, gpus: Array.from({ length: n.gpus }, () => ({ model: n.model, capacity: 1000 })) })),
);

const jobsArb = fc
  .array(fc.record({ gap: fc.integer({ min: 0, max: 4000 }), dur: fc.integer({ min: 1, max: 60_000 }), gpus: fc.integer({ min: 0, max: 9 }), model: fc.constantFrom(undefined, ...MODELS), tenant: fc.constantFrom('a', 'b') }), { maxLength: 30 })
  .map((rs) => {
    let t = 0;
    return rs.map((r, i): JobSpec => ({ id: `j${i}`, tenant: r.tenant, submit: (t += r.gap), duration: r.dur, priority: 0, cpu: 1000, memory: 1024, gpus: r.gpus, milli: r.gpus === 0 ? 0 : 1000, ...(r.model ? { models: [r.model] } : {}) }));
  });

export const ROUTING_PROPERTIES: readonly RoutingProperty[] = [
  {
    name: 'routes-to-candidate',
    description: 'answers the id of one of the shards it is given',
    property: (fresh) =>
      fc.property(routedJobArb, summariesArb, fc.integer(), (job, shards, seed) => {
        const id = fresh().route(job, shards, { now: 0, rng: stream(seed, 'routing') });
        check(shards.some((s) => s.id === id), () => `returned ${JSON.stringify(id)}, not one of ${shards.map((s) => s.id).join(', ')}`);
      }),
  },
  {
    name: 'deterministic',
    description: 'the same job, summaries and seeded stream give the same shard (fresh instances)',
    property: (fresh) =>
      fc.property(routedJobArb, summariesArb, fc.integer(), (job, shards, seed) => {
        const a = fresh().route(job, clone(shards), { now: 5, rng: stream(seed, 'routing') });
        const b = fresh().route(clone(job), clone(shards), { now: 5, rng: stream(seed, 'routing') });
        check(a === b, () => `answered ${a}, then ${b} for the same inputs`);
      }),
  },
  {
    name: 'pure',
    description: 'writes nothing to the job or the summaries it is given (deep-frozen, compared after)',
    property: (fresh) =>
      fc.property(routedJobArb, summariesArb, fc.integer(), (job, shards, seed) => {
        const before = JSON.stringify([job, shards]);
        const j = deepFreeze(clone(job));
        const s = deepFreeze(clone(shards));
        try {
          fresh().route(j, s, { now: 0, rng: stream(seed, 'routing') });
        } catch (e) {
          if (e instanceof TypeError && /read.only|frozen|not extensible/i.test(e.message)) check(false, () => `wrote to its input: ${e.message}`);
          throw e;
        }
        check(JSON.stringify([j, s]) === before, () => 'changed its input');
      }),
  },
  {
    name: 'never-unfit',
    description: 'in a simulated hierarchy, never routes a job to a shard that could never run it, and every job ends',
    property: (fresh) =>
      fc.property(nodesArb, jobsArb, fc.constantFrom<'wait' | 'bounce' | 'steal'>('wait', 'bounce', 'steal'), (nodes, jobs, mode) => {
        const log: LogRecord[] = [];
        simulateHierarchy({
          run: 'kit',
          seed: 1,
          nodes,
          jobs,
          policies: () => ({ queue: queuePolicyFactory('fifo')({}), placement: placementPolicyFactory('first-fit')({}) }),
          log: { append: (r) => log.push(r) },
          hierarchy: {
            partition: { shards: Math.min(3, nodes.length) },
            routing: fresh(),
            summaryIntervalMs: 5000,
            routingLatencyMs: 10,
            rebalance: { mode, waitLimitMs: 2000, bounceCostMs: 100, maxScan: 16 },
            onShardDown: 'bounce',
            failures: [],
          },
        });
        const run = log[0];
        if (run.ev !== 'run' || !run.hierarchy) throw new Error('no hierarchy in the run record');
        const clusters = new Map(run.hierarchy.shards.map((s) => [s.id, new Cluster(nodes.filter((n) => s.nodes.includes(n.id)))]));
        const byId = new Map(jobs.map((j) => [j.id, j]));
        for (const r of log) {
          const to = r.ev === 'route' ? r.shard : r.ev === 'steal' ? r.to : undefined;
          if (to === undefined) continue;
          const job = byId.get((r as { job: string }).job)!;
          check(canEverRun({ cluster: clusters.get(to)!, queue: [], running: [], tenants: [], now: r.t, spanNodes: false }, job), () => `at t=${r.t}ms sent job ${job.id} (${job.gpus} GPU${job.models ? ` of ${job.models.join('|')}` : ''}) to shard ${to}, which can never run it`);
        }
        const ended = new Set(log.flatMap((r) => (r.ev === 'finish' || r.ev === 'reject' ? [r.job] : [])));
        check(ended.size === jobs.length, () => `${jobs.length - ended.size} of ${jobs.length} jobs never ended`);
      }),
  },
];

/** Runs every routing property against a routing policy (`fresh` builds a new instance per call). */
export function checkRouting(fresh: () => RoutingPolicy, opts: KitOptions = {}): PropertyResult[] {
  return checkFresh(ROUTING_PROPERTIES, fresh, opts);
}

/** Every registered routing policy with its default params: `{ name, results }`. */
export function checkRegisteredRouting(opts: KitOptions = {}, params: Readonly<Record<string, PolicyParams>> = {}): { name: string; results: PropertyResult[] }[] {
  return routingPolicyNames().map((name) => ({ name, results: checkRouting(() => routingPolicyFactory(name)(params[name] ?? {}), opts) }));
}
