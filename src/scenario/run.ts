import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { runStaticFillScenario } from '../fgd/scenario.ts';
import type { Deriver, RunMetrics } from '../output/derive.ts';
import { RunWriter } from '../output/run-writer.ts';
import type { PolicyGuard } from '../scheduler/policy-guard.ts';
import { simulate } from '../sim/simulate.ts';
import { ScenarioError } from './load.ts';
import { comboLabel, loadNodes, loadPlugins, policiesFor, prepareScenario } from './prepare.ts';
import type { Scenario } from './schema.ts';

export { comboLabel, failureSpec, loadNodes, schedulerSettings } from './prepare.ts';

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
  /** Checks and times policy calls (the CLI's carries the watchdog). */
  guard?: PolicyGuard;
}

/** Runs every policy combination × seed of a scenario; writes outputs and summary.json. */
export async function runScenario(scn: Scenario, opts: RunOptions): Promise<ScenarioSummary> {
  const base = dirname(resolve(opts.file));
  const say = opts.progress ?? (() => {});
  await loadPlugins(scn, base);
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

  const prep = await prepareScenario(scn, nodes, opts.file, base, say);
  const runs: RunSummary[] = [];
  const total = scn.policies.length * seeds.length;
  for (const seed of seeds) {
    const jobs = prep.jobsFor(seed);
    for (const combo of scn.policies) {
      const label = comboLabel(combo);
      const run = `${label}/seed-${seed}`;
      const dir = opts.dryRun ? undefined : join(out, label, `seed-${seed}`);
      const writer = new RunWriter(dir);
      writer.deriver.weights = new Map(prep.weights);
      const t0 = performance.now();
      const lastNote = { t: t0 };
      const res = simulate({
        run,
        seed,
        nodes,
        jobs,
        ...policiesFor(combo, jobs),
        log: writer,
        tenants: prep.tenants,
        headOfLine: prep.settings.headOfLine,
        maxQueue: prep.settings.maxQueue,
        scheduler: prep.settings,
        until: prep.until,
        failures: prep.failures,
        guard: opts.guard,
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
