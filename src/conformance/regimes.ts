import fc from 'fast-check';
import type { NodeSpec } from '../cluster/types.ts';
import { stream, type Rng } from '../engine/rng.ts';
import type { JobSpec } from '../jobs/job.ts';
import { edgeScenarioArb, GPU_MODELS, printable, type GeneratedScenario } from './arbitraries.ts';

/**
 * Scenario families besides the edge cases (arbitraries.ts). Each is a few shrinkable numbers
 * (counts, sizes, a seed); the jobs themselves are drawn from seeded streams, one per wave, so
 * that generating and shrinking a 1,000-job scenario stays cheap and shrinking one wave's count
 * leaves the other waves as they were.
 *
 * - `realistic`: deep queues (bursts of up to hundreds of jobs on a cluster that holds tens), 2–12
 *   tenants with unequal weights and arbitrary names (unicode, spaces, `__proto__`), heterogeneous
 *   jobs (CPU-only, fractional, 1–8 GPUs, seconds to half an hour, priorities), long runs of waves.
 * - `fair-share`: backlogged tenants of unequal weights, each with its own job size and backlog,
 *   built so that serving by name, by job count, by backlog or ignoring weights visibly misses
 *   the weighted shares (see claims.ts).
 * - `priority`: a cluster filled by long low-priority jobs, then bursts of mixed priorities, so
 *   that ordering and preemption by priority both matter.
 */

/** Tenant names that break code which treats names as identifiers or plain-object keys. */
const ODD_NAMES = ['a', 'b', 'research', 'team-α', 'ml/vision', 'x y', 'Zeta', '0', '__proto__', 'constructor', 'toString', 'a,b', '"q"', '团队'];

const tenantName = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...ODD_NAMES) },
  { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 6 }) },
);

const tenantsArb = (min: number, max: number) =>
  fc.uniqueArray(fc.record({ name: tenantName, weight: fc.constantFrom(0.5, 1, 1, 2, 3, 5) }), {
    selector: (t) => t.name,
    minLength: min,
    maxLength: max,
  });

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)];

/** A job drawn from a wave's stream: heterogeneous sizes and run times, skewed tenants. */
function realisticJob(rng: Rng, id: string, submit: number, tenants: readonly string[]): JobSpec {
  const kind = rng();
  // 15% CPU-only, 15% fractional, 70% whole GPUs (mostly 1, some 2–8)
  const gpus = kind < 0.15 ? 0 : kind < 0.3 ? 1 : pick(rng, [1, 1, 1, 2, 2, 4, 8]);
  const milli = gpus === 0 ? 0 : kind < 0.3 ? pick(rng, [250, 500, 750]) : 1000;
  // Mostly short (1–30 s), a tail of long jobs (1–30 min); whole seconds half the time.
  const short = rng() < 0.8;
  const raw = short ? 1000 + rng() * 29_000 : 60_000 + rng() * 1_740_000;
  const duration = rng() < 0.5 ? Math.max(1000, Math.round(raw / 1000) * 1000) : Math.max(1, Math.round(raw));
  // Tenants skewed: the first ones submit more (Zipf-like).
  const t = tenants[Math.min(tenants.length - 1, Math.floor(tenants.length * rng() * rng()))];
  return {
    id,
    tenant: t,
    submit,
    duration,
    estimate: rng() < 0.8 ? duration : Math.round(duration * (0.5 + rng())),
    cpu: pick(rng, [0, 1000, 4000, 8000, 32000]),
    memory: pick(rng, [0, 4096, 16384, 65536]),
    gpus,
    milli,
    ...(gpus > 0 && rng() < 0.1 ? { models: [pick(rng, GPU_MODELS)] } : {}),
    priority: pick(rng, [0, 0, 0, 1, 2, 5, 10]),
  };
}

const nodeGroupArb = fc.record({
  count: fc.integer({ min: 1, max: 6 }),
  gpus: fc.constantFrom(0, 4, 8, 8),
  model: fc.constantFrom(...GPU_MODELS),
  cpu: fc.constantFrom(64000, 128000),
  memory: fc.constantFrom(262144, 524288),
});

function nodesOf(groups: readonly { count: number; gpus: number; model: string; cpu: number; memory: number }[]): NodeSpec[] {
  const nodes: NodeSpec[] = [];
  for (const g of groups) {
    for (let i = 0; i < g.count; i++) {
      nodes.push({ id: `n${nodes.length}`, cpu: g.cpu, memory: g.memory, gpus: Array.from({ length: g.gpus }, () => ({ model: g.model, capacity: 1000 })) });
    }
  }
  return nodes;
}

/** A wave: `count` jobs, the first `gapSec` after the previous wave, spread over `spreadMs` (0: one instant). */
const waveFields = () => ({
  gapSec: fc.integer({ min: 0, max: 120 }),
  count: fc.integer({ min: 1, max: 250 }),
  spreadMs: fc.constantFrom(0, 0, 1000, 10_000, 60_000),
});
const waveArb = fc.record(waveFields());

const MAX_REALISTIC_JOBS = 1000;

/**
 * The jobs of `waves`, in submit order: wave i starts `gapSec` after the previous wave's last
 * arrival, its arrival times and jobs drawn from stream `<prefix>/<i>` (`make` draws one job), so
 * that shrinking one wave leaves the others as they were; at most `max` jobs.
 */
function jobsOfWaves(seed: number, prefix: string, waves: readonly { gapSec: number; count: number; spreadMs: number }[], make: (rng: Rng, id: string, at: number) => JobSpec, max = Infinity): JobSpec[] {
  const jobs: JobSpec[] = [];
  let t = 0;
  waves.forEach((w, wi) => {
    t += w.gapSec * 1000;
    const rng = stream(seed, `${prefix}/${wi}`);
    const times = Array.from({ length: w.count }, () => t + (w.spreadMs === 0 ? 0 : Math.floor(rng() * w.spreadMs))).sort((a, b) => a - b);
    for (const at of times) if (jobs.length < max) jobs.push(make(rng, `j${jobs.length}`, at));
    t = times.at(-1) ?? t;
  });
  return jobs;
}

export const realisticScenarioArb: fc.Arbitrary<GeneratedScenario> = fc
  .record({
    groups: fc.array(nodeGroupArb, { minLength: 1, maxLength: 3 }),
    tenants: tenantsArb(2, 12),
    // The first wave is a big burst (a deep queue on any generated cluster), then up to 5 more.
    waves: fc.tuple(fc.record({ ...waveFields(), count: fc.integer({ min: 100, max: 400 }) }), fc.array(waveArb, { maxLength: 5 })).map(([first, rest]) => [first, ...rest]),
    seed: fc.integer({ min: 0, max: 1_000_000 }),
    headOfLine: fc.constantFrom<'skip' | 'block'>('skip', 'skip', 'block'),
    preemption: fc.boolean(),
  })
  .map(({ groups, tenants, waves, seed, headOfLine, preemption }) => {
    const nodes = nodesOf(groups);
    const names = tenants.map((t) => t.name);
    const jobs = jobsOfWaves(seed, 'conformance/wave', waves, (rng, id, at) => realisticJob(rng, id, at, names), MAX_REALISTIC_JOBS);
    return printable({
      family: 'realistic',
      nodes,
      tenants,
      jobs,
      seed,
      headOfLine,
      cancels: [],
      ...(preemption ? { scheduler: { preemption: { restoreMs: 1000, checkpointIntervalMs: 10_000 } } } : {}),
    });
  });

/**
 * Contexts family: jobs of a few contexts (Zipf-weighted: one hot, a tail; some jobs with none)
 * arrive in waves on a small cluster, so that instances go idle, are reused, expire and are
 * waited for; warm and cold start costs and one of the shipped warm-pool policies; preemption
 * (which throws away a start overhead in progress) in half the cases.
 */
export const contextScenarioArb: fc.Arbitrary<GeneratedScenario> = fc
  .record({
    groups: fc.array(nodeGroupArb, { minLength: 1, maxLength: 2 }),
    // At most 60 jobs: the family is about reuse, not depth (the realistic family has the deep queues).
    waves: fc.array(fc.record({ gapSec: fc.integer({ min: 0, max: 60 }), count: fc.integer({ min: 1, max: 20 }), spreadMs: fc.constantFrom(0, 5000, 30_000) }), { minLength: 1, maxLength: 3 }),
    contexts: fc.integer({ min: 1, max: 4 }),
    warmMs: fc.constantFrom(0, 200, 1000),
    coldMs: fc.constantFrom(1000, 5000, 20_000),
    pool: fc.oneof(
      fc.record({ policy: fc.constant('fixed'), params: fc.record({ perContext: fc.integer({ min: 0, max: 2 }) }) }),
      fc.record({ policy: fc.constant('idle-timeout'), params: fc.record({ idleSec: fc.constantFrom(1, 5, 30) }) }),
      fc.record({ policy: fc.constant('demand-proportional'), params: fc.record({ windowSec: fc.constantFrom(10, 60), horizonSec: fc.constantFrom(5, 30), by: fc.constantFrom('context', 'tenant') }) }),
    ),
    seed: fc.integer({ min: 0, max: 1_000_000 }),
    headOfLine: fc.constantFrom<'skip' | 'block'>('skip', 'block'),
    preemption: fc.boolean(),
  })
  .map(({ groups, waves, contexts, warmMs, coldMs, pool, seed, headOfLine, preemption }) => {
    const nodes = nodesOf(groups);
    // Context k is drawn with weight 1/(k+1) (Zipf 1): cumulative bounds of the draw.
    const weights = Array.from({ length: contexts }, (_, k) => 1 / (k + 1));
    const total = weights.reduce((a, x) => a + x, 0);
    const bounds = weights.map((_, k) => weights.slice(0, k + 1).reduce((a, x) => a + x, 0) / total);
    const jobs = jobsOfWaves(seed, 'conformance/contexts', waves, (rng, id, at) => {
      const j = realisticJob(rng, id, at, ['a', 'b']);
      const u = rng();
      const k = bounds.findIndex((b) => u < b);
      // One job in seven has no context; the rest run at most a minute, so instances come free.
      return rng() < 1 / 7 ? j : { ...j, duration: Math.min(j.duration, 60_000), context: `m${k < 0 ? contexts - 1 : k}` };
    });
    return printable({
      family: 'contexts',
      nodes,
      jobs,
      seed,
      headOfLine,
      cancels: [],
      contexts: { warmMs, coldMs, pool },
      ...(preemption ? { scheduler: { preemption: { restoreMs: 500 } } } : {}),
    });
  });

/**
 * The mix every scenario-based property draws from: the edge cases (small, two in three), the
 * realistic regime (deep queues, many tenants; one in six: a realistic case costs about 50 ms to
 * simulate on the 2-core dev machine, an edge case about 2 ms) and jobs with contexts (one in six).
 */
export const scenarioArb: fc.Arbitrary<GeneratedScenario> = fc.oneof(
  { weight: 4, arbitrary: edgeScenarioArb },
  { weight: 1, arbitrary: realisticScenarioArb },
  { weight: 1, arbitrary: contextScenarioArb },
);

/** Fair-share family: tenants backlogged for the whole horizon; see claims.ts for the check. */
export interface FairShareCase extends GeneratedScenario {
  /** Simulate until this time (ms); shares are measured over [horizon / 4, horizon]. */
  readonly horizon: number;
}

export const fairShareArb: fc.Arbitrary<FairShareCase> = fc
  .record({
    tenants: fc.uniqueArray(fc.record({ name: tenantName, gpus: fc.constantFrom(1, 2, 4), backlog: fc.constantFrom(1, 1.5, 2) }), {
      selector: (t) => t.name,
      minLength: 2,
      maxLength: 5,
    }),
    // Weights: all equal (one case in four), or spread with max/min ≥ 3 so that ignoring them shows.
    weights: fc.oneof({ weight: 1, arbitrary: fc.constant('equal' as const) }, { weight: 3, arbitrary: fc.array(fc.constantFrom(1, 3, 4), { minLength: 5, maxLength: 5 }) }),
    nodes: fc.integer({ min: 4, max: 8 }),
    interleave: fc.boolean(),
    seed: fc.integer({ min: 0, max: 1_000_000 }),
  })
  .map(({ tenants, weights, nodes: nodeCount, interleave, seed }) => {
    const w: number[] = tenants.map((_, i) => (weights === 'equal' ? 1 : weights[i]));
    if (weights !== 'equal' && w.reduce((a, x) => Math.max(a, x), -Infinity) < 3 * w.reduce((a, x) => Math.min(a, x), Infinity)) {
      w[0] = 1;
      w[w.length - 1] = Math.max(3, w[w.length - 1]);
    }
    const nodes = nodesOf([{ count: nodeCount, gpus: 8, model: 'A100', cpu: 1_000_000, memory: 1_000_000 }]);
    const gpus = nodeCount * 8;
    const horizon = 40_000;
    const rng = stream(seed, 'conformance/fair-share');
    // Each tenant alone could keep the whole cluster busy `backlog` times over the horizon.
    const perTenant = tenants.map((t) => {
      const list: { tenant: string; gpus: number; duration: number }[] = [];
      let work = 0;
      while (work < t.backlog * horizon * gpus * 1.2) {
        const duration = (2 + Math.floor(rng() * 7)) * 1000;
        list.push({ tenant: t.name, gpus: t.gpus, duration });
        work += duration * t.gpus;
      }
      return list;
    });
    // Submission order: tenant after tenant (FIFO serves them one by one), or round-robin.
    const flat: { tenant: string; gpus: number; duration: number }[] = [];
    if (interleave) {
      for (let i = 0; perTenant.some((l) => i < l.length); i++) for (const l of perTenant) if (i < l.length) flat.push(l[i]);
    } else {
      for (const l of perTenant) flat.push(...l);
    }
    const jobs: JobSpec[] = flat.map((x, i) => ({ id: `j${i}`, tenant: x.tenant, submit: 0, duration: x.duration, estimate: x.duration, cpu: 0, memory: 0, gpus: x.gpus, milli: 1000, priority: 0 }));
    return printable({
      family: 'fair-share',
      nodes,
      tenants: tenants.map((t, i) => ({ name: t.name, weight: w[i] })),
      jobs,
      seed,
      headOfLine: 'block' as const,
      horizon,
    });
  });

/** Priority family: long low-priority jobs fill the cluster, then bursts of mixed priorities. */
export const priorityScenarioArb: fc.Arbitrary<GeneratedScenario> = fc
  .record({
    nodes: fc.integer({ min: 1, max: 4 }),
    gpusPerNode: fc.constantFrom(2, 4, 8),
    fill: fc.integer({ min: 1, max: 40 }),
    bursts: fc.array(fc.record({ gapSec: fc.integer({ min: 1, max: 30 }), count: fc.integer({ min: 1, max: 40 }) }), { minLength: 1, maxLength: 4 }),
    seed: fc.integer({ min: 0, max: 1_000_000 }),
    headOfLine: fc.constantFrom<'skip' | 'block'>('skip', 'block'),
  })
  .map(({ nodes: n, gpusPerNode, fill, bursts, seed, headOfLine }) => {
    const nodes = nodesOf([{ count: n, gpus: gpusPerNode, model: 'A100', cpu: 128000, memory: 524288 }]);
    const rng = stream(seed, 'conformance/priority');
    const jobs: JobSpec[] = [];
    const add = (submit: number, priority: number, long: boolean) => {
      const gpus = pick(rng, [1, 1, 2, gpusPerNode]);
      const duration = (long ? 60 + Math.floor(rng() * 120) : 1 + Math.floor(rng() * 20)) * 1000;
      jobs.push({ id: `j${jobs.length}`, tenant: pick(rng, ['a', 'b', 'c']), submit, duration, estimate: duration, cpu: 1000, memory: 1024, gpus, milli: 1000, priority });
    };
    for (let i = 0; i < fill; i++) add(0, pick(rng, [0, 0, 1]), true);
    let t = 0;
    for (const b of bursts) {
      t += b.gapSec * 1000;
      for (let i = 0; i < b.count; i++) add(t, pick(rng, [0, 1, 2, 5, 10]), rng() < 0.3);
    }
    return printable({ family: 'priority', nodes, jobs, seed, headOfLine, cancels: [], scheduler: { preemption: { restoreMs: 0 } } });
  });
