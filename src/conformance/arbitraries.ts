import fc from 'fast-check';
import type { NodeSpec } from '../cluster/types.ts';
import type { JobSpec } from '../jobs/job.ts';

/**
 * fast-check generators for the conformance kit. Everything is small by default so that failures
 * shrink to a handful of nodes and jobs, and edge cases are generated on purpose: CPU-only jobs,
 * jobs that never fit (too many GPUs, a model no node has, more CPU than any node), fractional
 * shares, bursts of arrivals at one instant and identical timestamps.
 */

export const GPU_MODELS = ['A100', 'H100', 'T4'] as const;

export const gpuModel = fc.constantFrom(...GPU_MODELS);

/** A node group: `count` identical nodes. */
const nodeGroup = fc.record({
  count: fc.integer({ min: 1, max: 3 }),
  cpu: fc.constantFrom(4000, 16000, 64000),
  memory: fc.constantFrom(8192, 65536, 262144),
  gpus: fc.integer({ min: 0, max: 8 }),
  model: gpuModel,
});

/** 1–4 node groups expanded into nodes with ids n0, n1, … (cluster order = id order). */
export const clusterArb: fc.Arbitrary<NodeSpec[]> = fc.array(nodeGroup, { minLength: 1, maxLength: 4 }).map((groups) => {
  const nodes: NodeSpec[] = [];
  for (const g of groups) {
    for (let i = 0; i < g.count; i++) {
      nodes.push({
        id: `n${nodes.length}`,
        cpu: g.cpu,
        memory: g.memory,
        gpus: Array.from({ length: g.gpus }, () => ({ model: g.model, capacity: 1000 })),
      });
    }
  }
  return nodes;
});

const demandArb = fc.oneof(
  { weight: 5, arbitrary: fc.record({ gpus: fc.constantFrom(1, 1, 2, 4), milli: fc.constant(1000) }) },
  { weight: 4, arbitrary: fc.record({ gpus: fc.constant(1), milli: fc.oneof(fc.constantFrom(250, 500, 750), fc.integer({ min: 1, max: 1000 })) }) },
  { weight: 2, arbitrary: fc.record({ gpus: fc.constant(0), milli: fc.constant(0) }) },
  // never fits on any generated node (max 8 GPUs per node)
  { weight: 1, arbitrary: fc.record({ gpus: fc.constant(16), milli: fc.constant(1000) }) },
);

const jobShape = fc.record({
  tenant: fc.constantFrom('a', 'b', 'c'),
  gap: fc.oneof({ weight: 2, arbitrary: fc.constant(0) }, { weight: 3, arbitrary: fc.integer({ min: 1, max: 5000 }) }),
  duration: fc.integer({ min: 1, max: 20000 }),
  cpu: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(0, 1000, 4000) }, { weight: 1, arbitrary: fc.constant(128000) }),
  memory: fc.constantFrom(0, 1024, 16384),
  demand: demandArb,
  models: fc.oneof(
    { weight: 5, arbitrary: fc.constant(undefined) },
    { weight: 2, arbitrary: fc.subarray([...GPU_MODELS], { minLength: 1 }) },
    { weight: 1, arbitrary: fc.constant(['B200']) },
  ),
  priority: fc.integer({ min: 0, max: 3 }),
});

/**
 * A workload: jobs in submit order; a gap of 0 puts a job at the same instant as the previous
 * one (bursts, identical timestamps).
 */
export const workloadArb: fc.Arbitrary<JobSpec[]> = fc.array(jobShape, { minLength: 1, maxLength: 30 }).map((shapes) => {
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
      ...(s.models && s.demand.gpus > 0 ? { models: s.models } : {}),
      priority: s.priority,
    };
  });
});

export const scenarioArb = fc.record({
  nodes: clusterArb,
  jobs: workloadArb,
  seed: fc.integer({ min: 0, max: 1_000_000 }),
  headOfLine: fc.constantFrom<'skip' | 'block'>('skip', 'block'),
});

export type GeneratedScenario = { nodes: NodeSpec[]; jobs: JobSpec[]; seed: number; headOfLine: 'skip' | 'block' };

/** A backlogged multi-tenant workload: every tenant submits many identical 1-GPU jobs at t=0. */
export const backloggedArb = fc.record({
  tenants: fc.integer({ min: 2, max: 3 }),
  jobsPerTenant: fc.integer({ min: 40, max: 80 }),
  gpus: fc.integer({ min: 2, max: 6 }),
  duration: fc.integer({ min: 500, max: 2000 }),
  seed: fc.integer({ min: 0, max: 1000 }),
});
