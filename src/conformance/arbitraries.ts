import fc from 'fast-check';
import type { NodeSpec } from '../cluster/types.ts';
import type { JobSpec } from '../jobs/job.ts';
import type { TenantQuota } from '../quota/quotas.ts';

/**
 * fast-check generators for the conformance kit. Everything is small by default so that failures
 * shrink to a handful of nodes and jobs, and edge cases are generated on purpose: CPU-only jobs,
 * jobs that never fit (too many GPUs, a model no node has, more CPU than any node), fractional
 * shares, bursts of arrivals at one instant, identical timestamps (times are often whole seconds,
 * so completions, arrivals and cancellations coincide), cancellations of queued, running and
 * already finished jobs, a bounded queue, and (now and then) node failures: scheduled outages,
 * some for good, and random ones, with lost jobs requeued or failed.
 */

export const GPU_MODELS = ['A100', 'H100', 'T4'] as const;

export const gpuModel = fc.constantFrom(...GPU_MODELS);

const SEC = 1000;

/** A positive time span in ms, often a whole number of seconds so that instants coincide. */
function span(maxSec: number): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 1, max: maxSec }).map((k) => k * SEC) },
    { weight: 2, arbitrary: fc.integer({ min: 1, max: maxSec * SEC }) },
  );
}

/** MIG-capable models and profiles on them (src/cluster/mig-profiles.ts). */
export const MIG_GPU_MODELS = ['A100-40GB', 'H100-80GB'] as const;
const MIG_PROFILES = ['1g.5gb', '1g.10gb', '2g.10gb', '2g.20gb', '3g.20gb', '3g.40gb', '4g.20gb', '7g.40gb', '7g.80gb'] as const;

/** A node group: `count` identical nodes; sometimes MIG-partitioned GPUs. */
const nodeGroup = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      count: fc.integer({ min: 1, max: 3 }),
      cpu: fc.constantFrom(4000, 16000, 64000),
      memory: fc.constantFrom(8192, 65536, 262144),
      gpus: fc.integer({ min: 0, max: 8 }),
      model: gpuModel as fc.Arbitrary<string>,
      mig: fc.constant(false),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      count: fc.integer({ min: 1, max: 2 }),
      cpu: fc.constantFrom(16000, 64000),
      memory: fc.constantFrom(65536, 262144),
      gpus: fc.integer({ min: 1, max: 4 }),
      model: fc.constantFrom(...MIG_GPU_MODELS) as fc.Arbitrary<string>,
      mig: fc.constant(true),
    }),
  },
);

/** 1–4 node groups expanded into nodes with ids n0, n1, … (cluster order = id order). */
export const clusterArb: fc.Arbitrary<NodeSpec[]> = fc.array(nodeGroup, { minLength: 1, maxLength: 4 }).map((groups) => {
  const nodes: NodeSpec[] = [];
  for (const g of groups) {
    for (let i = 0; i < g.count; i++) {
      nodes.push({
        id: `n${nodes.length}`,
        cpu: g.cpu,
        memory: g.memory,
        gpus: Array.from({ length: g.gpus }, () => ({ model: g.model, capacity: 1000, ...(g.mig ? { mig: true } : {}) })),
      });
    }
  }
  return nodes;
});

const demandArb = fc.oneof(
  { weight: 5, arbitrary: fc.record({ gpus: fc.constantFrom(1, 1, 2, 4), milli: fc.constant(1000) }) },
  { weight: 4, arbitrary: fc.record({ gpus: fc.constant(1), milli: fc.oneof(fc.constantFrom(250, 500, 750), fc.integer({ min: 1, max: 1000 })) }) },
  { weight: 1, arbitrary: fc.record({ gpus: fc.constantFrom(2, 3), milli: fc.constantFrom(250, 500) }) },
  { weight: 2, arbitrary: fc.record({ gpus: fc.constant(0), milli: fc.constant(0) }) },
  // never fits on any generated node (max 8 GPUs per node)
  { weight: 1, arbitrary: fc.record({ gpus: fc.constant(16), milli: fc.constant(1000) }) },
  // one MIG instance (some profiles exist on one MIG model only, none on whole GPUs)
  { weight: 2, arbitrary: fc.record({ gpus: fc.constant(1), milli: fc.constant(125), mig: fc.constantFrom(...MIG_PROFILES) }) },
) as fc.Arbitrary<{ gpus: number; milli: number; mig?: string }>;

/** When a job is cancelled, relative to its submit: never (mostly), at its completion instant, or any time. */
const cancelArb = fc.oneof(
  { weight: 8, arbitrary: fc.constant<'never'>('never') },
  { weight: 1, arbitrary: fc.constant<'at-completion'>('at-completion') },
  { weight: 2, arbitrary: span(10) },
);

const jobShape = fc.record({
  tenant: fc.constantFrom('a', 'b', 'c'),
  gap: fc.oneof({ weight: 2, arbitrary: fc.constant(0) }, { weight: 3, arbitrary: span(5) }),
  duration: span(10),
  cpu: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(0, 1000, 4000) }, { weight: 1, arbitrary: fc.constant(128000) }),
  memory: fc.constantFrom(0, 1024, 16384),
  demand: demandArb,
  models: fc.oneof(
    { weight: 5, arbitrary: fc.constant(undefined) },
    { weight: 2, arbitrary: fc.subarray([...GPU_MODELS], { minLength: 1 }) },
    { weight: 1, arbitrary: fc.constant(['B200']) },
  ),
  priority: fc.integer({ min: 0, max: 3 }),
  cancel: cancelArb,
});

type JobShape = typeof jobShape extends fc.Arbitrary<infer T> ? T : never;

function jobsOf(shapes: readonly JobShape[]): JobSpec[] {
  let t = 0;
  return shapes.map((s, i) => {
    t += s.gap;
    return {
      id: `j${i}`,
      tenant: s.tenant,
      submit: t,
      duration: s.duration,
      estimate: s.duration,
      cpu: s.cpu,
      memory: s.memory,
      gpus: s.demand.gpus,
      milli: s.demand.milli,
      ...(s.models && s.demand.gpus > 0 && !s.demand.mig ? { models: s.models } : {}),
      ...(s.demand.mig ? { mig: s.demand.mig } : {}),
      priority: s.priority,
    };
  });
}

/**
 * A workload: jobs in submit order; a gap of 0 puts a job at the same instant as the previous
 * one (bursts, identical timestamps).
 */
export const workloadArb: fc.Arbitrary<JobSpec[]> = fc.array(jobShape, { minLength: 1, maxLength: 30 }).map(jobsOf);

export interface Cancel {
  readonly at: number;
  readonly job: string;
}

export interface GeneratedScenario {
  /** Which generator made it (coverage report); absent in hand-built scenarios. */
  readonly family?: string;
  readonly nodes: readonly NodeSpec[];
  /** Tenant fair-share weights (default 1 each). */
  readonly tenants?: readonly { readonly name: string; readonly weight: number }[];
  readonly jobs: readonly JobSpec[];
  readonly seed: number;
  readonly headOfLine: 'skip' | 'block';
  /** Cancellations, each after its job's submit (see `SimInput.cancels`). */
  readonly cancels?: readonly Cancel[];
  /** Bounded queue: arrivals beyond this many queued jobs are rejected. */
  readonly maxQueue?: number;
  /** Scheduler features: backfill, gangs spanning nodes, preemption cost, quotas, MIG reconfiguration. */
  readonly scheduler?: SchedulerOptions;
  /** Node failures (node indices, ms) and what a lost job does (see `SimInput.failures`). */
  readonly failures?: GeneratedFailures;
  /** Job contexts: start costs and the warm-pool policy (jobs name theirs in `context`). */
  readonly contexts?: GeneratedContexts;
}

/** A scenario's `contexts:` in core units (README "Context-aware placement"). */
export interface GeneratedContexts {
  readonly warmMs: number;
  readonly coldMs: number;
  /** A registered warm-pool policy and its params (checked by its schema, as a scenario's are). */
  readonly pool: { readonly policy: string; readonly params: Readonly<Record<string, unknown>> };
}

export interface GeneratedFailures {
  readonly events: readonly { readonly node: number; readonly at: number; readonly downMs?: number }[];
  readonly random?: { readonly mtbfMs: number; readonly mttrMs: number };
  readonly onNodeLoss: 'requeue' | 'fail';
}

export interface SchedulerOptions {
  readonly backfill?: 'none' | 'easy';
  readonly gang?: { readonly spanNodes?: boolean };
  readonly preemption?: { readonly restoreMs: number; readonly checkpointIntervalMs?: number };
  /** Per-tenant quotas (milli-GPU), built into `Quotas` by the runner. */
  readonly quotas?: readonly TenantQuota[];
  readonly migReconfigMs?: number;
}

const schedulerArb: fc.Arbitrary<SchedulerOptions | undefined> = fc.option(
  fc
    .record(
      {
        backfill: fc.constantFrom<'none' | 'easy'>('none', 'easy'),
        gang: fc.record({ spanNodes: fc.boolean() }),
        preemption: fc.record({ restoreMs: fc.constantFrom(0, 500), checkpointIntervalMs: fc.constantFrom(0, 1000) }),
        quotas: fc.uniqueArray(
          fc.record({
            tenant: fc.constantFrom('a', 'b', 'c'),
            cohort: fc.constantFrom(undefined, 'x'),
            nominal: fc.constantFrom(0, 1000, 2000, 4000),
            borrowingLimit: fc.constantFrom(undefined, 0, 1000),
          }),
          { selector: (q) => q.tenant, minLength: 1, maxLength: 3 },
        ),
        migReconfigMs: fc.constantFrom(0, 1000),
      },
      { requiredKeys: [] },
    )
    .map((o) => ({
      ...o,
      ...(o.quotas ? { quotas: o.quotas.map((q) => Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined)) as unknown as TenantQuota) } : {}),
    })),
  { freq: 2, nil: undefined },
);

/**
 * Failures before the nodes are known: node numbers are taken modulo the node count. Outages are
 * seconds long (so they hit running jobs), a few are for good; random failures are rare enough
 * (mean up time ≥ 30 s) that a job whose nodes keep failing still ends.
 */
const failuresArb = fc.record({
  events: fc.array(
    fc.record({
      node: fc.nat({ max: 15 }),
      at: fc.oneof({ weight: 3, arbitrary: span(20) }, { weight: 1, arbitrary: fc.constant(0) }),
      downMs: fc.oneof({ weight: 6, arbitrary: span(10) }, { weight: 1, arbitrary: fc.constant(undefined) }),
    }),
    { minLength: 0, maxLength: 3 },
  ),
  random: fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.record({ mtbfMs: fc.integer({ min: 30, max: 120 }).map((k) => k * SEC), mttrMs: span(10) }) },
  ),
  onNodeLoss: fc.constantFrom<'requeue' | 'fail'>('requeue', 'fail'),
});

type FailureShape = typeof failuresArb extends fc.Arbitrary<infer T> ? T : never;

function failuresOn(f: FailureShape, nodes: number): GeneratedFailures | undefined {
  if (f.events.length === 0 && !f.random) return undefined;
  return {
    events: f.events.map((e) => ({ node: e.node % nodes, at: e.at, ...(e.downMs !== undefined ? { downMs: e.downMs } : {}) })),
    ...(f.random ? { random: f.random } : {}),
    onNodeLoss: f.onNodeLoss,
  };
}

const fmtNode = (n: NodeSpec) => {
  const models = [...new Set(n.gpus.map((g) => g.model))];
  const gpus = n.gpus.length === 0 ? 'no GPU' : `${n.gpus.length}×${models.join('|')}${n.gpus.some((g) => g.mig) ? ' (MIG)' : ''}`;
  return `${n.id} cpu=${n.cpu} mem=${n.memory} ${gpus}`;
};

const fmtJob = (j: JobSpec) =>
  `${j.id} tenant=${/^[\w.-]+$/.test(j.tenant) ? j.tenant : JSON.stringify(j.tenant)} submit=${j.submit} dur=${j.duration} cpu=${j.cpu} mem=${j.memory} ` +
  `gpu=${j.gpus}×${j.mig ? `mig:${j.mig}` : j.milli}${j.models ? ` models=${j.models.join('|')}` : ''} prio=${j.priority}${j.context !== undefined ? ` ctx=${j.context}` : ''}`;

/** A readable multi-line rendering of a scenario (the CLI prints counterexamples with it). */
export function describeScenario(sc: GeneratedScenario): string {
  const out = [
    `scenario seed=${sc.seed} headOfLine=${sc.headOfLine}${sc.maxQueue !== undefined ? ` maxQueue=${sc.maxQueue}` : ''}${sc.family ? ` (${sc.family}, ${sc.jobs.length} jobs)` : ''}`,
    `  nodes: ${sc.nodes.map(fmtNode).join('; ')}`,
    ...(sc.tenants ? [`  tenants: ${sc.tenants.map((t) => `${JSON.stringify(t.name)} weight=${t.weight}`).join(', ')}`] : []),
    ...sc.jobs.map((j) => `  ${fmtJob(j)}`),
  ];
  if (sc.cancels && sc.cancels.length > 0) out.push(`  cancels: ${sc.cancels.map((c) => `${c.job}@${c.at}`).join(', ')}`);
  if (sc.scheduler) out.push(`  scheduler: ${JSON.stringify(sc.scheduler)}`);
  if (sc.contexts) out.push(`  contexts: warm=${sc.contexts.warmMs} ms cold=${sc.contexts.coldMs} ms pool=${sc.contexts.pool.policy} ${JSON.stringify(sc.contexts.pool.params)}`);
  if (sc.failures) {
    const ev = sc.failures.events.map((e) => `${sc.nodes[e.node].id}@${e.at}${e.downMs !== undefined ? `+${e.downMs}` : ' for good'}`);
    const rnd = sc.failures.random ? ` random mtbf=${sc.failures.random.mtbfMs} mttr=${sc.failures.random.mttrMs}` : '';
    out.push(`  failures: ${ev.join(', ') || 'none scheduled'}${rnd}; onNodeLoss=${sc.failures.onNodeLoss}`);
  }
  return out.join('\n');
}

/** Attaches `describeScenario` as fast-check's printer, so counterexamples read like a scenario. */
export function printable<T extends GeneratedScenario>(sc: T): T {
  Object.defineProperty(sc, fc.toStringMethod, { value: () => describeScenario(sc), enumerable: false });
  return sc;
}

/** The edge-case family: small clusters and workloads built to hit corner cases (see the top). */
export const edgeScenarioArb: fc.Arbitrary<GeneratedScenario> = fc
  .record({
    nodes: clusterArb,
    shapes: fc.array(jobShape, { minLength: 1, maxLength: 40, size: 'medium' }),
    seed: fc.integer({ min: 0, max: 1_000_000 }),
    headOfLine: fc.constantFrom<'skip' | 'block'>('skip', 'block'),
    // A bounded queue in about one scenario in six (fc.option's freq is the odds of *no* value:
    // with freq 6 five scenarios in six had maxQueue 0–3, and most jobs were rejected queue-full).
    maxQueue: fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 12 }) }),
    scheduler: schedulerArb,
    // Node failures in about one scenario in six.
    failures: fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: failuresArb }),
  })
  .map(({ nodes, shapes, seed, headOfLine, maxQueue, scheduler, failures: f }) => {
    const jobs = jobsOf(shapes);
    const failures = f === undefined ? undefined : failuresOn(f, nodes.length);
    const cancels: Cancel[] = [];
    shapes.forEach((s, i) => {
      if (s.cancel === 'never') return;
      const j = jobs[i];
      cancels.push({ job: j.id, at: j.submit + (s.cancel === 'at-completion' ? j.duration : s.cancel) });
    });
    return printable({
      family: 'edge',
      nodes,
      jobs,
      seed,
      headOfLine,
      cancels,
      ...(maxQueue !== undefined ? { maxQueue } : {}),
      ...(scheduler !== undefined ? { scheduler } : {}),
      ...(failures !== undefined ? { failures } : {}),
    });
  });

/** A cluster and a workload to place job by job (no simulation), with a seed for the rng. */
export const placementCaseArb = fc
  .record({ nodes: clusterArb, jobs: workloadArb, seed: fc.integer({ min: 0, max: 1000 }) })
  .map((c) => printable({ ...c, headOfLine: 'skip' as const }));

/** A backlogged multi-tenant workload: every tenant submits many identical 1-GPU jobs at t=0. */
export const backloggedArb = fc.record({
  tenants: fc.integer({ min: 2, max: 3 }),
  jobsPerTenant: fc.integer({ min: 40, max: 80 }),
  gpus: fc.integer({ min: 2, max: 6 }),
  duration: fc.integer({ min: 500, max: 2000 }),
  seed: fc.integer({ min: 0, max: 1000 }),
});
