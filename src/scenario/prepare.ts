import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import '../../policies/index.ts';
import type { NodeSpec } from '../cluster/types.ts';
import { withTypicalPods } from '../fgd/typical-params.ts';
import type { JobSpec } from '../jobs/job.ts';
import { Quotas, tenantQuotas, type GpuQuotaSpec } from '../quota/quotas.ts';
import type { TenantConfig } from '../scheduler/core.ts';
import type { FailureSpec } from '../scheduler/failures.ts';
import type { PlacementPolicy, QueuePolicy } from '../scheduler/policy.ts';
import { placementPolicyFactory, queuePolicyFactory, type PolicyParams } from '../scheduler/registry.ts';
import { loadGpulabNodes } from '../trace/gpulab-csv.ts';
import { loadTraceJobs } from '../trace/load-trace.ts';
import { loadOpenbNodes } from '../trace/openb.ts';
import { resolveTrace } from '../trace/resolve.ts';
import { loadTiresiasCluster } from '../trace/tiresias.ts';
import type { SchedulerSettings } from '../wiring/wire-core.ts';
import { synthesize, syntheticJobs } from '../workload/synthetic.ts';
import { expandNodeGroups } from './cluster.ts';
import { warmStateMaker } from '../context/setup.ts';
import type { WarmState } from '../context/warm-state.ts';
import { ScenarioError } from './load.ts';
import { hierarchyLabel } from './hierarchy-schema.ts';
import { unknownNodeProblem, type PolicyCombo, type Scenario } from './schema.ts';

/**
 * What a simulated and a live run of a scenario share, prepared once: plugins loaded, nodes,
 * tenants, scheduler settings in core units, failures, and the jobs of each seed. Both
 * `runScenario` and `runLive` start here, so the two modes read a scenario the same way.
 */
export interface PreparedScenario {
  readonly nodes: readonly NodeSpec[];
  /** Configured tenants (weights); undefined when the scenario names none. */
  readonly tenants: readonly TenantConfig[] | undefined;
  readonly weights: ReadonlyMap<string, number>;
  /** `scheduler:` and the tenants' quotas, seconds → ms, GPUs → milli. */
  readonly settings: SchedulerSettings;
  readonly failures: FailureSpec | undefined;
  /** `untilSec` in ms. */
  readonly until: number | undefined;
  /** The jobs of one seed (a trace is loaded once; a synthetic workload is drawn per seed). */
  jobsFor(seed: number): readonly JobSpec[];
  /**
   * The same jobs for a run that streams them (`simulate` pulls one at a time): a synthetic
   * workload is drawn as it is pulled and never held whole (re-iterating draws it again, the
   * same); a trace is its loaded list.
   */
  jobStream(seed: number): Iterable<JobSpec>;
  /** Scenarios with `contexts:`: a fresh warm state for one run of a combination (src/context/). */
  readonly warmState?: (combo: PolicyCombo) => WarmState;
}

export function comboLabel(c: PolicyCombo): string {
  return c.label ?? `${c.queue}+${c.placement}${c.hierarchy ? `+${hierarchyLabel(c.hierarchy)}` : ''}`;
}

/**
 * Imports the scenario's `plugins:` (modules that register policies), relative to its folder. A
 * module that fails to import (missing, a syntax error, throws) is a ScenarioError naming the field.
 */
export async function loadPlugins(scn: Scenario, base: string, file = join(base, '(scenario)')): Promise<void> {
  for (const [i, p] of scn.plugins.entries()) {
    try {
      await import(pathToFileURL(resolve(base, p)).href);
    } catch (e) {
      throw new ScenarioError(file, [`plugins.${i}: cannot import '${p}': ${(e as Error).message}`]);
    }
  }
}

export async function loadNodes(scn: Scenario, base: string): Promise<NodeSpec[]> {
  if ('nodes' in scn.cluster) return expandNodeGroups(scn.cluster.nodes);
  if (scn.cluster.format === 'tiresias') return loadTiresiasCluster(await resolveTrace(scn.cluster.nodesCsv, { base }), scn.cluster.gpuModel);
  if (scn.cluster.format === 'openb') return (await loadOpenbNodes(await resolveTrace(scn.cluster.nodesCsv, { base }))).nodes;
  return loadGpulabNodes(resolve(base, scn.cluster.nodesCsv));
}

/** The scheduler settings a scenario sets (seconds → ms, GPUs → milli). */
export function schedulerSettings(scn: Scenario, tenants: readonly { name: string; quota?: GpuQuotaSpec }[]): SchedulerSettings {
  const s = scn.scheduler;
  const quotas = tenantQuotas(tenants);
  return {
    headOfLine: s.headOfLine,
    ...(s.maxQueue !== undefined ? { maxQueue: s.maxQueue } : {}),
    ...(s.backfill === 'easy' ? { backfill: 'easy' as const } : {}),
    ...(s.gang ? { gang: { spanNodes: s.gang.spanNodes } } : {}),
    ...(s.preemption
      ? { preemption: { restoreMs: Math.round(s.preemption.restoreSec * 1000), checkpointIntervalMs: Math.round(s.preemption.checkpointIntervalSec * 1000) } }
      : {}),
    ...(quotas.length > 0 ? { quotas: new Quotas(quotas) } : {}),
    ...(s.migReconfigSec !== undefined ? { migReconfigMs: Math.round(s.migReconfigSec * 1000) } : {}),
    ...(s.tickSec !== undefined ? { tickMs: Math.round(s.tickSec * 1000) } : {}),
    ...(s.onNodeLoss === 'fail' ? { onNodeLoss: 'fail' as const } : {}),
    ...(s.maxNodeLosses !== undefined ? { maxNodeLosses: s.maxNodeLosses } : {}),
  };
}

/**
 * The scenario's node failures on the loaded nodes (ids → indices, seconds → ms), or undefined.
 * Throws a ScenarioError naming the field when an event names a node the cluster does not have
 * (inline node groups are checked when the file is parsed; node CSVs here).
 */
export function failureSpec(scn: Scenario, nodes: readonly NodeSpec[], file: string): FailureSpec | undefined {
  const f = scn.failures;
  if (!f) return undefined;
  const problem = unknownNodeProblem(f, nodes.map((n) => n.id));
  if (problem) throw new ScenarioError(file, [`${problem.path.join('.')}: ${problem.message}`]);
  const index = new Map(nodes.map((n, i) => [n.id, i]));
  const ms = (sec: number) => Math.max(1, Math.round(sec * 1000));
  return {
    events: f.events.map((e) => ({ node: index.get(e.node)!, at: Math.round(e.atSec * 1000), ...(e.downSec !== undefined ? { downMs: ms(e.downSec) } : {}) })),
    ...(f.random ? { random: { mtbfMs: ms(f.random.mtbfHours * 3600), mttrMs: ms(f.random.mttrMinutes * 60) } } : {}),
  };
}

/**
 * Fresh policy objects for one run of a combination (placement params may derive from the jobs).
 * A streamed job list (not an array) is drawn whole here only when the params need every job:
 * `fgd` without `typicalPods` (the condition `withTypicalPods` applies).
 */
export function policiesFor(combo: PolicyCombo, jobs: readonly JobSpec[] | Iterable<JobSpec>): { queue: QueuePolicy; placement: PlacementPolicy } {
  return policyMaker(combo, jobs)();
}

/**
 * `policiesFor` for a run that needs several sets of the same policies (a hierarchy: one per
 * shard): each call makes fresh policy objects, but params derived from the jobs (fgd's typical
 * pods) are derived once, at the first call, and shared (they are read-only).
 */
export function policyMaker(combo: PolicyCombo, jobs: readonly JobSpec[] | Iterable<JobSpec>): () => { queue: QueuePolicy; placement: PlacementPolicy } {
  let placementParams: PolicyParams | undefined;
  return () => {
    if (placementParams === undefined) {
      const needsAll = combo.placement === 'fgd' && !('typicalPods' in combo.params.placement);
      const list = Array.isArray(jobs) ? (jobs as readonly JobSpec[]) : needsAll ? [...jobs] : [];
      placementParams = withTypicalPods(combo.placement, combo.params.placement, list);
    }
    return {
      queue: queuePolicyFactory(combo.queue)(combo.params.queue),
      placement: placementPolicyFactory(combo.placement)(placementParams),
    };
  };
}

/** Prepares a scenario whose workload runs through the scheduler core (synthetic or trace). */
export async function prepareScenario(scn: Scenario, nodes: readonly NodeSpec[], file: string, base: string, say: (line: string) => void): Promise<PreparedScenario> {
  const w = scn.workload;
  if (w.kind !== 'synthetic' && w.kind !== 'trace') throw new ScenarioError(file, [`workload.kind: '${w.kind}' does not run through the scheduler core (synthetic or trace)`]);
  let traceJobs: JobSpec[] | undefined;
  if (w.kind === 'trace') {
    const { jobs, report, notes } = await loadTraceJobs(w, base);
    traceJobs = jobs;
    for (const n of notes) say(`trace ${w.path}: ${n}`);
    say(`trace ${w.path}: ${report.rows} rows, ${jobs.length} jobs${report.skipped ? `, ${report.skipped} bad rows skipped` : ''}`);
    for (const e of report.errors) say(`  skipped: ${e.message}`);
  }
  const tenantSpecs = w.kind === 'synthetic' ? w.tenants : (scn.tenants ?? []);
  const tenants = w.kind === 'synthetic' || scn.tenants ? tenantSpecs.map((t) => ({ name: t.name, weight: t.weight })) : undefined;
  return {
    nodes,
    tenants,
    weights: new Map(tenantSpecs.map((t) => [t.name, t.weight])),
    settings: schedulerSettings(scn, tenantSpecs),
    failures: failureSpec(scn, nodes, file),
    until: scn.untilSec === undefined ? undefined : Math.round(scn.untilSec * 1000),
    jobsFor: (seed) => traceJobs ?? synthesize(w as Extract<typeof w, { kind: 'synthetic' }>, seed),
    jobStream: (seed) => traceJobs ?? syntheticJobs(w as Extract<typeof w, { kind: 'synthetic' }>, seed),
    ...(scn.contexts ? { warmState: warmStateMaker(scn, file) } : {}),
  };
}
