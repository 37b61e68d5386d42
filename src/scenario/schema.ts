import { z } from 'zod';
import { MIG_MODEL_NAMES, MIG_PROFILE_NAMES } from '../cluster/mig-profiles.ts';
import { LiveSectionSchema, WorkSpecSchema } from '../live/work-spec.ts';
import { labelProblem, outputDirProblem } from '../output/out-dir.ts';
import { expandNodeGroups } from './cluster.ts';
import { MAX_TIME_SEC, MAX_VALUE, tooManyNodes } from '../limits.ts';
import { hierarchyLabel, HierarchyConfigSchema } from './hierarchy-schema.ts';

/**
 * Scenario files (`scenarios/*.yaml` or `.json`). The TypeScript type is inferred from the schema.
 * Units: seconds for times in scenario files (converted to integer ms inside), milli-CPU, MiB,
 * milli-GPU.
 */

const int = z.number().int();
const posInt = int.positive();
const nonNegInt = int.nonnegative();
// Bounds (src/limits.ts): times whose ms stay safe integers, amounts and weights whose sums do.
const posSec = z.number().positive().max(MAX_TIME_SEC);
const nonNegSec = z.number().nonnegative().max(MAX_TIME_SEC);
const amount = int.max(MAX_VALUE);
const weight = z.number().positive().max(1e9);
const gpusAmount = z.number().nonnegative().max(1e9);

export const GpuGroupSchema = z.strictObject({
  count: posInt,
  model: z.string().min(1),
  /** milli-GPU per GPU; 1000 = one whole GPU. */
  capacity: amount.positive().default(1000),
  /** MIG-partitioned GPUs (model must be one of src/cluster/mig-profiles.ts: A100-40GB, A100-80GB, H100-80GB). */
  mig: z.boolean().optional(),
}).refine((g) => !g.mig || MIG_MODEL_NAMES.includes(g.model), {
  message: `mig: true needs a MIG model (${MIG_MODEL_NAMES.join(', ')})`,
  path: ['mig'],
});

export const NodeGroupSchema = z.strictObject({
  count: posInt.default(1),
  /** Node ids are `<prefix><index>` with the index zero-padded to the group's width. */
  prefix: z.string().min(1),
  cpu: amount.positive().describe('milli-CPU per node'),
  memory: amount.positive().describe('MiB per node'),
  gpus: z.array(GpuGroupSchema).default([]),
  labels: z.record(z.string(), z.string()).optional(),
});

export const ClusterSchema = z.union([
  z.strictObject({ nodes: z.array(NodeGroupSchema).min(1) }),
  z.strictObject({
    /** A node CSV (see traces/README.md), relative to the scenario file. */
    nodesCsv: z.string().min(1),
    /** gpulab node CSV, or an Alibaba openb node list (`sn,cpu_milli,memory_mib,gpu,model`). */
    format: z.enum(['gpulab', 'openb', 'tiresias']).default('gpulab'),
    /** tiresias: the GPU model of every GPU (a Tiresias cluster spec names none). */
    gpuModel: z.string().min(1).optional(),
  }),
]);

export const DemandSchema = z.strictObject({
  weight: weight.default(1),
  gpus: nonNegInt.max(1e6).default(0),
  milli: int.min(0).max(1000).default(1000),
  cpu: amount.nonnegative(),
  memory: amount.nonnegative(),
  models: z.array(z.string().min(1)).optional(),
  /** Live mode: the real work jobs of this demand run (ignored by the simulator). */
  work: WorkSpecSchema.optional(),
  /** A MIG profile (e.g. 1g.10gb); needs gpus: 1 and MIG GPUs in the cluster. */
  mig: z.enum(MIG_PROFILE_NAMES as [string, ...string[]]).optional(),
  /** Priority class of jobs with this demand (higher first under `priority`). */
  priority: int.optional(),
  /** Only these tenants submit this demand (default: all). */
  tenants: z.array(z.string().min(1)).optional(),
  /**
   * The context (template or model id) of this demand's jobs (README "Context-aware placement"):
   * one id, or drawn per job from `count` ids `<prefix><k>` (k = 0 … count−1) with Zipf weights
   * 1/(k+1)^zipf (a few hot contexts, a long tail).
   */
  context: z
    .union([z.string().min(1), z.strictObject({ count: posInt.max(1e6), zipf: z.number().nonnegative().max(10).default(1), prefix: z.string().min(1).default('ctx') })])
    .optional(),
}).refine((d) => d.mig === undefined || d.gpus === 1, { message: 'a MIG request has gpus: 1', path: ['gpus'] });

export const TenantSchema = z.strictObject({
  name: z.string().min(1),
  /** Fair-share weight. */
  weight: weight.default(1),
  /** Relative share of the submitted jobs. */
  share: weight.default(1),
  /** Kueue-style quota (src/quota/quotas.ts), in GPUs. */
  quota: z
    .strictObject({
      nominalGpus: gpusAmount,
      cohort: z.string().min(1).optional(),
      borrowingLimitGpus: gpusAmount.optional(),
    })
    .optional(),
});

export const DurationSchema = z.discriminatedUnion('dist', [
  z.strictObject({ dist: z.literal('lognormal'), medianSec: posSec, sigma: z.number().positive() }),
  z.strictObject({
    dist: z.literal('pareto'),
    minSec: posSec,
    alpha: z.number().positive(),
    maxSec: posSec.optional(),
  }),
  z.strictObject({ dist: z.literal('exponential'), meanSec: posSec }),
  z.strictObject({ dist: z.literal('constant'), sec: posSec }),
]);

export const SyntheticWorkloadSchema = z.strictObject({
  kind: z.literal('synthetic'),
  jobs: posInt,
  /** Poisson arrivals with this mean gap between jobs. */
  meanInterarrivalSec: posSec,
  duration: DurationSchema,
  demands: z.array(DemandSchema).min(1),
  tenants: z.array(TenantSchema).min(1),
  /** Multiply each duration by a factor in [1/x, x] for the `estimate` field (0 = exact). */
  estimateError: z.number().min(0).max(1000).default(0),
});

export const TraceWorkloadSchema = z.strictObject({
  kind: z.literal('trace'),
  format: z.enum(['gpulab', 'openb', 'gavel', 'dlrm-v2025', 'pai-v2020', 'tiresias']).default('gpulab'),
  /** Trace file, relative to the scenario file (see traces/README.md for resolution). */
  path: z.string().min(1),
  /** gavel: the throughput file (default: simulation_throughputs.json beside the trace folders). */
  throughputs: z.string().min(1).optional(),
  /** gavel: worker type whose isolated throughput sets durations (default v100). */
  workerType: z.string().min(1).optional(),
  /** pai-v2020: the job table (tenants = users); `path` is the task table. */
  jobTable: z.string().min(1).optional(),
  /** On a malformed row: stop with an error, or skip it and count it. */
  onBadRow: z.enum(['stop', 'skip']).default('stop'),
  /** Use only the first N rows. */
  limit: posInt.optional(),
  /**
   * Divide the gaps between submit times by this factor (from the first submit; durations
   * unchanged): 100 replays the trace's arrivals 100× as dense, to load a lightly used cluster.
   */
  arrivalSpeedup: z.number().positive().max(1e6).optional(),
});

/**
 * The FGD study's static fill (src/fgd/): pods of an openb pod list in a seeded order, padded to
 * `tune` × cluster GPU capacity, placed once and never leaving; each placement policy × seed is
 * one run; writes fgd-curve.csv. Queue policies are not used.
 */
export const StaticFillWorkloadSchema = z.strictObject({
  kind: z.literal('static-fill'),
  format: z.enum(['openb']).default('openb'),
  /** Pod list, relative to the scenario file (see traces/README.md for resolution). */
  path: z.string().min(1).optional(),
  /** Several pod lists: the sweep runs every list × policy × seed (give `path` or `paths`). */
  paths: z.array(z.string().min(1)).min(1).max(1000).optional(),
  /** Pad the arrived GPU demand to this multiple of cluster capacity (the study: 1.3). */
  tune: z.number().positive().max(10).default(1.3),
  /**
   * The node order that breaks placement ties (lowest index wins): `study`, a seeded shuffle per
   * run as the study's simulator renames its nodes (src/fgd/node-order.ts); `list`, the pod list's
   * cluster order as given.
   */
  nodeOrder: z.enum(['study', 'list']).default('study'),
  onBadRow: z.enum(['stop', 'skip']).default('stop'),
  /** Worker threads for the runs (default: the machine's cores; `npm run sim -- --jobs N` overrides). */
  workers: posInt.max(256).optional(),
}).superRefine((w, ctx) => {
  if ((w.path === undefined) === (w.paths === undefined)) {
    ctx.addIssue({ code: 'custom', path: [w.path === undefined ? 'path' : 'paths'], message: w.path === undefined ? 'give the pod list as `path`, or several as `paths`' : 'give `path` or `paths`, not both' });
  }
  const seen = new Map<string, number>();
  w.paths?.forEach((p, i) => {
    const name = podListName(p);
    const j = seen.get(name);
    if (j !== undefined) ctx.addIssue({ code: 'custom', path: ['paths', i], message: `pod list '${name}' is already paths.${j} (each list's curve is named by its file name)` });
    else seen.set(name, i);
  });
});

/** A pod list's name in outputs (fgd-curve.csv's `workload`): its file name without `openb_pod_list_` and `.csv`. */
export function podListName(path: string): string {
  return path.replace(/^.*\//, '').replace(/^openb_pod_list_/, '').replace(/\.csv$/, '');
}

export const WorkloadSchema = z.discriminatedUnion('kind', [SyntheticWorkloadSchema, TraceWorkloadSchema, StaticFillWorkloadSchema]);

/** A warm-pool sizing policy (src/context/warm-pool-policy.ts) and its params. */
export const WarmPoolSchema = z.strictObject({
  policy: z.string().min(1),
  params: z.record(z.string(), z.unknown()).default({}),
});

/**
 * Job contexts (README "Context-aware placement"): a job starting on a node where its context is
 * warm pays `warmStartSec` before progress, elsewhere `coldStartSec` (held like a MIG layout
 * change); `perContext` overrides both per id; `warmPool`: the default warm-pool policy (each
 * policy combination may name its own).
 */
export const ContextsSchema = z.strictObject({
  warmStartSec: nonNegSec.default(0),
  coldStartSec: nonNegSec,
  perContext: z.record(z.string().min(1), z.strictObject({ warmStartSec: nonNegSec, coldStartSec: nonNegSec })).optional(),
  warmPool: WarmPoolSchema.default({ policy: 'idle-timeout', params: {} }),
});

export const PolicyComboSchema = z.strictObject({
  queue: z.string().min(1),
  placement: z.string().min(1),
  /** Runs with `contexts:` only: this combination's warm-pool policy (default `contexts.warmPool`). */
  warmPool: WarmPoolSchema.optional(),
  /** Label of this combination in outputs; defaults to `<queue>+<placement>` (with a hierarchy, `+h<shards>-<routing>` added). */
  label: z.string().regex(/^[A-Za-z0-9._+-]+$/).optional(),
  /** Schedule this combination with a master and shards (README "Scheduler hierarchy"); absent: one global scheduler. */
  hierarchy: HierarchyConfigSchema.optional(),
  params: z
    .strictObject({
      queue: z.record(z.string(), z.unknown()).default({}),
      placement: z.record(z.string(), z.unknown()).default({}),
    })
    .default({ queue: {}, placement: {} }),
});

/**
 * Node failures (README "Node failures"). A node that goes down stops every running job with any
 * part on it (what then happens: `scheduler.onNodeLoss`) and takes no placement until it is up.
 * Outages of one node may overlap: it is up again when the last one ends. Failures are background
 * events: a failure after the last job has ended is not simulated. Live mode honours the same
 * list in scaled wall time.
 */
export const FailuresSchema = z.strictObject({
  /** Scheduled outages: node `node` (a node id) fails at `atSec` for `downSec` seconds; no `downSec`: for good. */
  events: z
    .array(z.strictObject({ node: z.string().min(1), atSec: nonNegSec, downSec: posSec.optional() }))
    .default([]),
  /**
   * Random failures of every node, independently: up times exponential with mean `mtbfHours`,
   * repairs exponential with mean `mttrMinutes`; drawn per node from the stream
   * `failures/<node id>` of the run seed (the same outages under every policy of a seed).
   */
  // An hour's fraction below a second would fail nodes faster than anything can run.
  random: z.strictObject({ mtbfHours: z.number().min(1 / 3600).max(1e6), mttrMinutes: z.number().positive().max(1e7) }).optional(),
});

export const ScenarioSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, dot, dash and underscore only'),
  description: z.string().optional(),
  seeds: z.array(int).min(1).default([1]),
  /** Output directory inside the output root `out/` (`output: x` writes `out/x/`); default the name. Never outside it. */
  output: z.string().optional(),
  cluster: ClusterSchema,
  workload: WorkloadSchema,
  policies: z.array(PolicyComboSchema).min(1),
  /** Tenant fair-share weights for trace workloads (synthetic workloads declare their own). */
  tenants: z.array(TenantSchema).optional(),
  scheduler: z
    .strictObject({
      headOfLine: z.enum(['skip', 'block']).default('skip'),
      maxQueue: posInt.optional(),
      /** EASY backfilling around the first job that cannot start (works with any queue policy). */
      backfill: z.enum(['none', 'easy']).default('none'),
      /** Multi-GPU gangs may span nodes when no single node fits them. */
      gang: z.strictObject({ spanNodes: z.boolean().default(false) }).optional(),
      /** Preemption cost: restore time on each restart; periodic checkpoint interval (0 = at preemption). */
      preemption: z
        .strictObject({ restoreSec: nonNegSec.default(0), checkpointIntervalSec: nonNegSec.default(0) })
        .optional(),
      /** MIG layout change time, seconds. */
      migReconfigSec: nonNegSec.optional(),
      /** Re-run scheduling every this many seconds while jobs wait (time-driven policies such as las). */
      tickSec: z.number().min(0.001).max(MAX_TIME_SEC).optional(),
      /**
       * A running job whose node fails: `requeue` — back in the queue with its remaining work
       * (progress since the last periodic checkpoint, `preemption.checkpointIntervalSec`, is lost;
       * all of it without one); `fail` — the job fails with reason node-loss.
       */
      onNodeLoss: z.enum(['requeue', 'fail']).default('requeue'),
      /**
       * With `requeue`: a job whose node fails for the N-th time fails (reason node-loss) instead
       * of going back to the queue. Unset: no limit (a job much longer than the nodes' time
       * between failures, without checkpoints, may then restart without end).
       */
      maxNodeLosses: z.number().int().min(1).max(1_000_000).optional(),
    })
    .default({ headOfLine: 'skip', backfill: 'none', onNodeLoss: 'requeue' }),
  /** Node failures (see `FailuresSchema`). */
  failures: FailuresSchema.optional(),
  /** Stop each run at this simulated time (seconds). */
  untilSec: posSec.optional(),
  /** Modules to import before running (user policies that register themselves). */
  plugins: z.array(z.string().min(1)).default([]),
  /** Live mode settings (`npm run live`); the simulator ignores them. */
  live: LiveSectionSchema.optional(),
  /** Job contexts and their start costs (see `ContextsSchema`). */
  contexts: ContextsSchema.optional(),
}).superRefine((scn, ctx) => {
  if (scn.contexts) return;
  scn.policies.forEach((c, i) => {
    if (c.warmPool) ctx.addIssue({ code: 'custom', path: ['policies', i, 'warmPool'], message: 'a warm-pool policy needs a `contexts:` section' });
  });
}).superRefine((scn, ctx) => {
  // Node ids of inline node groups are known here; a node CSV's are checked when it is loaded.
  if (!scn.failures || !('nodes' in scn.cluster)) return;
  // Too many to expand here: the size check after parsing (src/scenario/limits.ts) reports it.
  if (tooManyNodes(scn.cluster.nodes)) return;
  const ids = expandNodeGroups(scn.cluster.nodes).map((n) => n.id);
  const problem = unknownNodeProblem(scn.failures, ids);
  if (problem) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
}).superRefine((scn, ctx) => {
  for (const p of outputProblems(scn)) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
});

/**
 * Where a scenario's outputs go (`name`/`output` inside the output root, src/output/out-dir.ts)
 * and what its runs' directories are called: each policy combination's label (explicit, else
 * `<queue>+<placement>`; a static fill's, else its placement) must be a directory name and unique.
 */
export function outputProblems(scn: {
  name: string;
  output?: string;
  workload: { kind: string };
  policies: readonly { queue: string; placement: string; label?: string; hierarchy?: { shards?: number; by?: string; routing: string } }[];
}): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  const dir = outputDirProblem(scn.name, scn.output);
  if (dir) out.push(dir);
  const first = new Map<string, number>();
  scn.policies.forEach((c, i) => {
    const label = c.label ?? (scn.workload.kind === 'static-fill' ? c.placement : `${c.queue}+${c.placement}${c.hierarchy ? `+${hierarchyLabel(c.hierarchy)}` : ''}`);
    const bad = labelProblem(label);
    const j = first.get(label);
    if (bad) out.push({ path: ['policies', i, 'label'], message: bad });
    else if (j !== undefined) {
      const how = c.label === undefined ? ' (the default label; give this combination a label of its own)' : '';
      out.push({ path: ['policies', i, 'label'], message: `duplicate label '${label}' (also policies.${j})${how}` });
    } else first.set(label, i);
  });
  return out;
}

/** The first failure event naming a node that is not in `ids`: its field path and a message. */
export function unknownNodeProblem(f: Failures, ids: readonly string[]): { path: (string | number)[]; message: string } | undefined {
  const known = new Set(ids);
  const i = f.events.findIndex((e) => !known.has(e.node));
  if (i < 0) return undefined;
  const list = ids.length > 8 ? `${ids.slice(0, 8).join(', ')}, … (${ids.length} nodes)` : ids.join(', ');
  return { path: ['failures', 'events', i, 'node'], message: `unknown node id '${f.events[i].node}' (nodes: ${list})` };
}

export type Scenario = z.infer<typeof ScenarioSchema>;
export type Failures = z.infer<typeof FailuresSchema>;
export type SyntheticWorkload = z.infer<typeof SyntheticWorkloadSchema>;
export type TraceWorkload = z.infer<typeof TraceWorkloadSchema>;
export type StaticFillWorkload = z.infer<typeof StaticFillWorkloadSchema>;
export type NodeGroup = z.infer<typeof NodeGroupSchema>;
export type PolicyCombo = z.infer<typeof PolicyComboSchema>;
export type Contexts = z.infer<typeof ContextsSchema>;
