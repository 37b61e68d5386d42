import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { runStaticFillScenario } from '../fgd/scenario.ts';
import { METRICS_COVER, type Deriver, type RunMetrics } from '../output/derive.ts';
import { scenarioOutputDir, writeStaged } from '../output/out-dir.ts';
import { RunWriter } from '../output/run-writer.ts';
import type { PolicyGuard } from '../scheduler/policy-guard.ts';
import { simulate } from '../sim/simulate.ts';
import { ScenarioError } from './load.ts';
import { validatePolicyParams } from './policy-params.ts';
import { comboLabel, loadNodes, loadPlugins, policiesFor, prepareScenario } from './prepare.ts';
import { outputProblems, type Scenario } from './schema.ts';

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

/**
 * Runs every policy combination × seed of a scenario; writes outputs and summary.json. The files
 * are written into a temporary sibling of the output directory that replaces it only once the
 * whole scenario has run (src/output/out-dir.ts): a run that fails or is interrupted leaves the
 * previous output as it was. A scenario's `name`/`output` must stay inside `out/`; `opts.out`
 * names the directory itself.
 */
export async function runScenario(scn: Scenario, opts: RunOptions): Promise<ScenarioSummary> {
  // Checked on load too; again here for scenarios built in code. With opts.out, name/output are unused.
  const problems = outputProblems(scn).filter((p) => opts.out === undefined || p.path[0] === 'policies');
  if (problems.length > 0) throw new ScenarioError(opts.file, problems.map((p) => `${p.path.join('.')}: ${p.message}`));
  const out = opts.out ?? scenarioOutputDir(scn.name, scn.output);
  if (opts.dryRun) return runInto(scn, opts, out, out);
  return writeStaged(out, (dir) => runInto(scn, opts, out, dir));
}

/** The body of `runScenario`: `out` is the output directory it reports, `dir` the one it writes into now. */
async function runInto(scn: Scenario, opts: RunOptions, out: string, dir: string): Promise<ScenarioSummary> {
  const base = dirname(resolve(opts.file));
  const say = opts.progress ?? (() => {});
  await loadPlugins(scn, base, opts.file);
  validatePolicyParams(scn, opts.file); // plugins register policies: names and params are known only now
  const nodes = await loadNodes(scn, base);
  const seeds = opts.seed !== undefined ? [opts.seed] : scn.seeds;
  if (scn.workload.kind === 'static-fill') {
    if (scn.failures) {
      throw new ScenarioError(opts.file, ['failures: not supported with workload.kind static-fill (its pods never leave and its nodes never fail)']);
    }
    const report = await runStaticFillScenario(scn, scn.workload, { nodes, base, seeds, out: dir, shownOut: out, dryRun: opts.dryRun, say });
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
      const writer = new RunWriter(opts.dryRun ? undefined : join(dir, label, `seed-${seed}`));
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
      // Let a pending SIGINT/SIGTERM be handled (it removes the unfinished output) between runs.
      await new Promise((r) => setImmediate(r));
    }
  }
  const summary: ScenarioSummary = { scenario: scn.name, output: out, runs };
  if (!opts.dryRun) {
    mkdirSync(dir, { recursive: true });
    // wallMs varies between machines; summary.json keeps only deterministic fields.
    const stable = { scenario: summary.scenario, output: summary.output, covers: METRICS_COVER, runs: runs.map(({ wallMs: _w, ...r }) => r) };
    writeFileSync(join(dir, 'summary.json'), JSON.stringify(stable, null, 2) + '\n');
  }
  return summary;
}
