import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import '../../policies/index.ts';
import type { NodeSpec } from '../cluster/types.ts';
import type { JobSpec } from '../jobs/job.ts';
import type { RunMetrics } from '../output/derive.ts';
import { RunWriter } from '../output/run-writer.ts';
import type { Deriver } from '../output/derive.ts';
import { Quotas } from '../quota/quotas.ts';
import { loadTiresiasCluster } from '../trace/tiresias.ts';
import { placementPolicyFactory, queuePolicyFactory } from '../scheduler/registry.ts';
import { simulate } from '../sim/simulate.ts';
import { loadGpulabNodes } from '../trace/gpulab-csv.ts';
import { loadTraceJobs } from '../trace/load-trace.ts';
import { loadOpenbNodes } from '../trace/openb.ts';
import { resolveTrace } from '../trace/resolve.ts';
import { runStaticFillScenario } from '../fgd/scenario.ts';
import { withTypicalPods } from '../fgd/typical-params.ts';
import { synthesize } from '../workload/synthetic.ts';
import type { FailureSpec } from '../scheduler/failures.ts';
import { expandNodeGroups } from './cluster.ts';
import { ScenarioError } from './load.ts';
import { unknownNodeProblem, type PolicyCombo, type Scenario } from './schema.ts';

export interface RunSummary {
  run: string;
  label: string;
  queue: string;
  placement: string;
  seed: number;
  digest: string;
  events: number;
  records: number;
  wallMs: number;
  metrics: RunMetrics;
  /** Per-tenant shares, Jain's index, preemptions, lost work, MIG fragmentation (src/metrics/fairness.ts). */
  fairness?: ReturnType<Deriver['fairness']>;
}

export interface ScenarioSummary {
  scenario: string;
  output: string;
  runs: RunSummary[];
  /** A mode's own printed report (static fill: the per-policy table), shown instead of the run table. */
  report?: string;
}

export interface RunOptions {
  /** The scenario file (relative paths in it resolve against its folder). */
  file: string;
  /** Replace the scenario's seeds with this one. */
  seed?: number;
  /** Replace the scenario's output directory. */
  out?: string;
  /** Write nothing to disk (benchmarks, tests): digests and metrics only. */
  dryRun?: boolean;
  /** Progress and notes (stderr in the CLI). */
  progress?: (line: string) => void;
}

export function comboLabel(c: PolicyCombo): string {
  return c.label ?? `${c.queue}+${c.placement}`;
}

export async function loadNodes(scn: Scenario, base: string): Promise<NodeSpec[]> {
  if ('nodes' in scn.cluster) return expandNodeGroups(scn.cluster.nodes);
  if (scn.cluster.format === 'tiresias') return loadTiresiasCluster(await resolveTrace(scn.cluster.nodesCsv, { base }), scn.cluster.gpuModel);
  if (scn.cluster.format === 'openb') return (await loadOpenbNodes(await resolveTrace(scn.cluster.nodesCsv, { base }))).nodes;
  return loadGpulabNodes(resolve(base, scn.cluster.nodesCsv));
}

/** The scheduler-core options a scenario sets beyond head-of-line and queue bound (seconds → ms, GPUs → milli). */
export function schedulerExtras(scn: Scenario, tenants: readonly { name: string; quota?: { nominalGpus: number; cohort?: string; borrowingLimitGpus?: number } }[]): NonNullable<Parameters<typeof simulate>[0]['scheduler']> {
  const s = scn.scheduler;
  const quotas = tenants
    .filter((t) => t.quota)
    .map((t) => ({
      tenant: t.name,
      nominal: Math.round(t.quota!.nominalGpus * 1000),
      ...(t.quota!.cohort ? { cohort: t.quota!.cohort } : {}),
      ...(t.quota!.borrowingLimitGpus !== undefined ? { borrowingLimit: Math.round(t.quota!.borrowingLimitGpus * 1000) } : {}),
    }));
  return {
    ...(s.backfill === 'easy' ? { backfill: 'easy' as const } : {}),
    ...(s.gang ? { gang: { spanNodes: s.gang.spanNodes } } : {}),
    ...(s.preemption
      ? { preemption: { restoreMs: Math.round(s.preemption.restoreSec * 1000), checkpointIntervalMs: Math.round(s.preemption.checkpointIntervalSec * 1000) } }
      : {}),
    ...(quotas.length > 0 ? { quotas: new Quotas(quotas) } : {}),
    ...(s.migReconfigSec !== undefined ? { migReconfigMs: Math.round(s.migReconfigSec * 1000) } : {}),
    ...(s.tickSec !== undefined ? { tickMs: Math.round(s.tickSec * 1000) } : {}),
    ...(s.onNodeLoss === 'fail' ? { onNodeLoss: 'fail' as const } : {}),
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

/** Runs every policy combination × seed of a scenario; writes outputs and summary.json. */
export async function runScenario(scn: Scenario, opts: RunOptions): Promise<ScenarioSummary> {
  const base = dirname(resolve(opts.file));
  const say = opts.progress ?? (() => {});
  for (const p of scn.plugins) await import(pathToFileURL(resolve(base, p)).href);
  const nodes = await loadNodes(scn, base);
  const seeds = opts.seed !== undefined ? [opts.seed] : scn.seeds;
  const out = opts.out ?? scn.output ?? join('out', scn.name);
  if (scn.workload.kind === 'static-fill') {
    if (scn.failures) {
      throw new ScenarioError(opts.file, ['failures: not supported with workload.kind static-fill (its pods never leave and its nodes never fail)']);
    }
    const report = await runStaticFillScenario(scn, scn.workload, { nodes, base, seeds, out, dryRun: opts.dryRun, say });
    return { scenario: scn.name, output: out, runs: [], report };
  }

  let traceJobs: JobSpec[] | undefined;
  const w = scn.workload;
  if (w.kind === 'trace') {
    const { jobs, report, notes } = await loadTraceJobs(w, base);
    traceJobs = jobs;
    for (const n of notes) say(`trace ${w.path}: ${n}`);
    say(`trace ${w.path}: ${report.rows} rows, ${jobs.length} jobs${report.skipped ? `, ${report.skipped} bad rows skipped` : ''}`);
    for (const e of report.errors) say(`  skipped: ${e.message}`);
  }
  const tenants =
    w.kind === 'synthetic' ? w.tenants.map((t) => ({ name: t.name, weight: t.weight })) : scn.tenants?.map((t) => ({ name: t.name, weight: t.weight }));

  const tenantSpecs = w.kind === 'synthetic' ? w.tenants : (scn.tenants ?? []);
  const sched = schedulerExtras(scn, tenantSpecs);
  const failures = failureSpec(scn, nodes, opts.file);
  const weights = new Map(tenantSpecs.map((t) => [t.name, t.weight]));
  const runs: RunSummary[] = [];
  const total = scn.policies.length * seeds.length;
  for (const seed of seeds) {
    const jobs = traceJobs ?? synthesize(w as Extract<typeof w, { kind: 'synthetic' }>, seed);
    for (const combo of scn.policies) {
      const label = comboLabel(combo);
      const run = `${label}/seed-${seed}`;
      const dir = opts.dryRun ? undefined : join(out, label, `seed-${seed}`);
      const writer = new RunWriter(dir);
      writer.deriver.weights = weights;
      const t0 = performance.now();
      const lastNote = { t: t0 };
      const res = simulate({
        run,
        seed,
        nodes,
        jobs,
        queue: queuePolicyFactory(combo.queue)(combo.params.queue),
        placement: placementPolicyFactory(combo.placement)(withTypicalPods(combo.placement, combo.params.placement, jobs)),
        log: writer,
        tenants,
        headOfLine: scn.scheduler.headOfLine,
        maxQueue: scn.scheduler.maxQueue,
        scheduler: sched,
        until: scn.untilSec === undefined ? undefined : Math.round(scn.untilSec * 1000),
        failures,
        onProgress: (now, handled) => {
          const t = performance.now();
          if (t - lastNote.t > 1000) {
            lastNote.t = t;
            say(`  ${run}: t=${(now / 1000).toFixed(0)}s, ${handled} events`);
          }
        },
      });
      const digest = writer.close();
      const wallMs = performance.now() - t0;
      const metrics = writer.deriver.metrics();
      runs.push({
        run,
        label,
        queue: combo.queue,
        placement: combo.placement,
        seed,
        digest,
        events: res.events,
        records: writer.records,
        wallMs: Math.round(wallMs),
        metrics,
        fairness: writer.deriver.fairness(),
      });
      say(`[${runs.length}/${total}] ${run}: ${jobs.length} jobs, ${res.events} events in ${wallMs.toFixed(0)} ms`);
    }
  }
  const summary: ScenarioSummary = { scenario: scn.name, output: out, runs };
  if (!opts.dryRun) {
    mkdirSync(out, { recursive: true });
    // wallMs varies between machines; summary.json keeps only deterministic fields.
    const stable = { ...summary, runs: runs.map(({ wallMs: _w, ...r }) => r) };
    writeFileSync(join(out, 'summary.json'), JSON.stringify(stable, null, 2) + '\n');
  }
  return summary;
}
