import { dirname, resolve } from 'node:path';
import { fillNodesMeta, staticFillTable } from '../fgd/scenario.ts';
import { scenarioOutputDir, writeStaged } from '../output/out-dir.ts';
import type { PolicyGuard } from '../scheduler/policy-guard.ts';
import type { TaskResult } from '../sweep/context.ts';
import { fillRuns, simRuns, writeSweepOutputs } from '../sweep/outputs.ts';
import { writePart } from '../sweep/part.ts';
import type { Shard } from '../sweep/shard.ts';
import type { RunSummary } from '../sweep/sim-task.ts';
import { runSweep, type SweepFailure } from '../sweep/sweep.ts';
import { ScenarioError } from './load.ts';
import { hierarchyProblems } from './hierarchy-settings.ts';
import { validatePolicyParams } from './policy-params.ts';
import { loadNodes, loadPlugins } from './prepare.ts';
import { outputProblems, type Scenario } from './schema.ts';

export { comboLabel, failureSpec, loadNodes, schedulerSettings } from './prepare.ts';
export type { RunSummary } from '../sweep/sim-task.ts';

export interface ScenarioSummary {
  scenario: string;
  output: string;
  runs: RunSummary[];
  /** A mode's own printed report (static fill: the per-policy table), shown instead of the run table. */
  report?: string;
  /** Where the time went (loading, runs, writing), one line. */
  time?: string;
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
  /** Write each run's events.jsonl, jobs.csv and timeline.csv gzipped (`.gz`; the same digests). */
  gzip?: boolean;
  /** Progress and notes (stderr in the CLI). */
  progress?: (line: string) => void;
  /** Checks and times policy calls in this thread (the CLI's carries the watchdog). */
  guard?: PolicyGuard;
  /** Worker threads for the runs; 1 = one after another in this thread (default: the machine's cores). */
  jobs?: number;
  /**
   * Run only this shard of the sweep (src/sweep/shard.ts) and write it as a part
   * (`sweep-part.json` and the runs' own files) for `npm run merge`; no summary.json.
   */
  shard?: Shard;
}

/** Some runs of a sweep failed: each is named; the others' results were kept (see `message`). */
export class SweepFailedError extends Error {
  override name = 'SweepFailedError';
  constructor(
    readonly failures: readonly SweepFailure[],
    total: number,
    kept: string | undefined,
  ) {
    super(
      `${failures.length} of ${total} runs failed:\n${failures.map((f) => `  - ${f.task.name}: ${f.message.split('\n')[0]}`).join('\n')}` +
        (kept ? `\nthe other runs' results are kept in ${kept} (${'sweep-part.json'}; merge it with a rerun of the failed ones, or rerun the scenario)` : ''),
    );
  }
}

/**
 * Runs every workload × policy combination × seed of a scenario (a sweep, src/sweep/: on worker
 * threads unless `jobs` is 1; the outputs are the same bytes either way); writes outputs and
 * summary.json. The files are written into a temporary sibling of the output directory that
 * replaces it only once the whole scenario has run (src/output/out-dir.ts): a run that is
 * interrupted leaves the previous output as it was. When runs fail, the others go on and their
 * results are kept as a part (sweep-part.json, no summary.json) before the error is thrown. A
 * scenario's `name`/`output` must stay inside `out/`; `opts.out` names the directory itself.
 */
export async function runScenario(scn: Scenario, opts: RunOptions): Promise<ScenarioSummary> {
  // Checked on load too; again here for scenarios built in code. With opts.out, name/output are unused.
  const problems = outputProblems(scn).filter((p) => opts.out === undefined || p.path[0] === 'policies');
  if (problems.length > 0) throw new ScenarioError(opts.file, problems.map((p) => `${p.path.join('.')}: ${p.message}`));
  const out = opts.out ?? scenarioOutputDir(scn.name, scn.output);
  const r = opts.dryRun ? await runInto(scn, opts, out, undefined) : await writeStaged(out, (dir) => runInto(scn, opts, out, dir));
  if (r.failures.length > 0) throw new SweepFailedError(r.failures, r.total, opts.dryRun ? undefined : out);
  return r.summary;
}

/** The body of `runScenario`: `out` is the output directory it reports, `dir` the one it writes into now (undefined: dry run). */
async function runInto(scn: Scenario, opts: RunOptions, out: string, dir: string | undefined): Promise<{ summary: ScenarioSummary; failures: readonly SweepFailure[]; total: number }> {
  const t0 = performance.now();
  const base = dirname(resolve(opts.file));
  const say = opts.progress ?? (() => {});
  await loadPlugins(scn, base, opts.file);
  validatePolicyParams(scn, opts.file); // plugins register policies: names and params are known only now
  if (scn.workload.kind === 'static-fill' && scn.failures) {
    throw new ScenarioError(opts.file, ['failures: not supported with workload.kind static-fill (its pods never leave and its nodes never fail)']);
  }
  const nodes = await loadNodes(scn, base);
  const hier = hierarchyProblems(scn, nodes);
  if (hier.length > 0) throw new ScenarioError(opts.file, hier);
  const seeds = opts.seed !== undefined ? [opts.seed] : scn.seeds;
  const tLoad = performance.now();
  const sweep = await runSweep({ scn, file: opts.file, seeds, dir, gzip: opts.gzip }, { jobs: opts.jobs, shard: opts.shard, say, guard: opts.guard, nodes });
  const tRuns = performance.now();
  const meta = fillNodesMeta(nodes);
  const complete = sweep.failures.length === 0;
  const mine = sweep.ran.map((i) => sweep.results[i]).filter((r): r is TaskResult => r !== undefined);
  if (dir !== undefined) {
    if (opts.shard || !complete) {
      await writePart(dir, { scn, seeds, nodes: meta, shard: opts.shard, tasks: sweep.plan.tasks.length, results: sweep.results, failures: sweep.failures });
    } else writeSweepOutputs(dir, { scn, output: out, seeds, nodes: meta, results: mine });
  }
  const tWrite = performance.now();
  const runs = simRuns(mine);
  const time = timeReport(mine, { load: tLoad - t0, runs: tRuns - tLoad, write: tWrite - tRuns, jobs: sweep.jobs });
  say(time);
  let report: string | undefined;
  if (sweep.plan.kind === 'static-fill') {
    const w = scn.workload as Extract<Scenario['workload'], { kind: 'static-fill' }>;
    const lists = sweep.plan.workloads.length;
    report =
      staticFillTable(fillRuns(mine), Math.round(w.tune * 100)) +
      `\n${lists === 1 ? `workload ${sweep.plan.workloads[0].name}` : `${lists} pod lists`}, tune ${w.tune}, ${seeds.length} seeds, ${nodes.length} nodes; ${mine.length} runs in ${((tWrite - t0) / 1000).toFixed(2)} s` +
      (dir === undefined || opts.shard ? '' : `\ncurve: ${out}/fgd-curve.csv`);
  }
  return { summary: { scenario: scn.name, output: out, runs, report, time }, failures: sweep.failures, total: sweep.ran.length };
}

/** Where the time went: loading, the runs (wall, and run time summed per policy), writing. */
function timeReport(results: readonly TaskResult[], t: { load: number; runs: number; write: number; jobs: number }): string {
  const byLabel = new Map<string, number>();
  for (const r of results) {
    const [label, ms] = r.kind === 'simulation' ? [r.run.label, r.run.wallMs] : [r.fill.label, r.fill.wallMs];
    byLabel.set(label, (byLabel.get(label) ?? 0) + ms);
  }
  const busy = [...byLabel.values()].reduce((a, b) => a + b, 0);
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const per = [...byLabel].map(([l, ms]) => `${l} ${s(ms)}`).join(', ');
  return `time: load ${s(t.load)}; runs ${s(t.runs)} wall on ${t.jobs === 1 ? 'this thread' : `${t.jobs} workers`} (run time ${s(busy)}${per ? `: ${per}` : ''}); outputs ${s(t.write)}`;
}
