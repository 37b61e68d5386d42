import { contextTable } from '../context/metrics.ts';
import { hierarchyTable } from '../hierarchy/table.ts';
import { renderTable } from '../output/table.ts';
import { loadScenario } from '../scenario/load.ts';
import { runScenario, SweepFailedError, type ScenarioSummary } from '../scenario/run.ts';
import { parseShard } from '../sweep/shard.ts';
import { checkOutDir, intFlag, parseCli, seedFlag } from './args.ts';
import { cliMain, UsageError } from './main.ts';
import { cliPolicyGuard, POLICY_TIMEOUT_HELP } from './policy-watch.ts';
import { bundled, rerunUnderTsx } from './rerun.ts';

const HELP = `usage: npm run sim -- [scenario] [--seed N] [--out DIR] [--dry-run] [--gzip] [--jobs N | --serial] [--shard i/n] [--policy-timeout SEC]

Runs every workload × policy combination × seed of a scenario file (YAML or JSON) on worker
threads and prints a comparison; the outputs are the same bytes however many threads ran them.
  scenario     scenario file (default: scenarios/quickstart.yaml)
  --seed N     run only seed N instead of the scenario's seeds
  --out DIR    write outputs to DIR instead of out/<name> (DIR must be absent, empty or a
               previous output: it is replaced once every run is complete)
  --dry-run    write nothing; print digests and metrics only
  --gzip       write each run's files gzipped (events.jsonl.gz, jobs.csv.gz, timeline.csv.gz;
               5–7× smaller, the same digests; the viewer reads them)
  --jobs N     worker threads for the runs (default: the machine's cores)
  --serial     run one after another in this thread (= --jobs 1)
  --shard i/n  run only shard i of n (0 ≤ i < n) and write it as a part; combine the parts
               with npm run merge -- <part dirs…> --out DIR (README "Sweeps and shards")
${POLICY_TIMEOUT_HELP}
               (runs on worker threads are checked without the time limit: --serial to apply it)
  --help       this text

Outputs per run: <out>/<policy>/seed-<N>/{events.jsonl,jobs.csv,timeline.csv} (.gz with --gzip); <out>/summary.json.
A static fill writes <out>/fgd-curve.csv and <out>/summary.json; a shard <out>/sweep-part.json.`;

/** ms (summary.json, integer) → s for the printed tables; NaN (nothing covered) prints as '-'. */
const sec = (ms: number) => ms / 1000;

/**
 * Per-run fairness line (Jain's index, preemptions, lost work, MIG fragmentation) and per-tenant
 * rows; printed when a scenario has several tenants, preemptions or MIG GPUs. Empty otherwise.
 */
export function fairnessTables(s: ScenarioSummary): string {
  const runs = s.runs.filter((r) => r.fairness && (r.fairness.tenants.length > 1 || r.fairness.preemptions > 0 || r.fairness.migFragPct !== undefined));
  if (runs.length === 0) return '';
  const mig = runs.some((r) => r.fairness!.migFragPct !== undefined);
  const head = ['run', 'Jain', 'preemptions', 'lost GPU·s', ...(mig ? ['MIG frag %'] : [])];
  const rows = runs.map((r) => {
    const f = r.fairness!;
    return [r.run, f.jain.toFixed(3), f.preemptions, sec(f.lostGpuMs), ...(mig ? [f.migFragPct ?? 0] : [])];
  });
  const th = ['run', 'tenant', 'jobs', 'done', 'GPU·s', 'share %', 'recv/entitled', 'JCT mean', 'wait mean', 'ρ mean', 'ρ max', 'preempt', 'lost GPU·s'];
  const tr = runs.flatMap((r) =>
    r.fairness!.tenants.map((t) => [r.run, t.tenant, t.jobs, t.completed, sec(t.gpuMs), t.sharePct, t.ratio, sec(t.jctMeanMs), sec(t.waitMeanMs), t.rhoMean, t.rhoMax, t.preemptions, sec(t.lostGpuMs)]),
  );
  return `\n${renderTable(head, rows)}\n\nper tenant (ρ = JCT / isolated time on a 1/N cluster share, Themis; JCT over succeeded jobs, wait over started ones; times in seconds):\n${renderTable(th, tr)}`;
}

/** Per-run node failures (node downs, jobs hit and failed, lost GPU·s, GPU up %); empty when no node went down. */
export function failureTable(s: ScenarioSummary): string {
  if (!s.runs.some((r) => r.metrics.failures)) return '';
  const head = ['run', 'node downs', 'jobs hit', 'failed', 'lost GPU·s', 'GPU up %'];
  const rows = s.runs.map((r) => {
    const f = r.metrics.failures ?? { nodeDowns: 0, jobsHit: 0, jobsFailed: 0, lostGpuMs: 0, gpuUpPct: 100 };
    return [r.run, f.nodeDowns, f.jobsHit, f.jobsFailed, sec(f.lostGpuMs), f.gpuUpPct];
  });
  return `\nnode failures (lost: run time that gave no kept progress × the GPUs held; up: mean over the makespan):\n${renderTable(head, rows)}`;
}

/**
 * The run comparison. `unfin`: jobs still queued or running when the run ended (e.g. at
 * `untilSec`), which no JCT covers; the footer says which jobs each column covers.
 */
export function comparisonTable(s: ScenarioSummary): string {
  const header = ['run', 'done', 'rej', 'fail', 'unfin', 'JCT mean', 'p50', 'p95', 'p99', 'wait mean', 'wait p95', 'makespan', 'GPU alloc %', 'digest'];
  const rows = s.runs.map((r) => {
    const m = r.metrics;
    return [
      r.run, m.completed, m.rejected, m.failed, m.unfinished, sec(m.jctMeanMs), sec(m.jctP50Ms), sec(m.jctP95Ms), sec(m.jctP99Ms),
      sec(m.waitMeanMs), sec(m.waitP95Ms), sec(m.makespanMs), m.meanGpuAllocPct, r.digest.slice(0, 12),
    ];
  });
  return `${renderTable(header, rows)}\n(times in seconds; JCT over the succeeded jobs (done), wait over the jobs that started; unfin: queued or running at the end)`;
}

async function main(): Promise<number> {
  const args = parseCli(process.argv.slice(2), {
    seed: { type: 'string' },
    out: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    gzip: { type: 'boolean', default: false },
    'policy-timeout': { type: 'string' },
    jobs: { type: 'string' },
    serial: { type: 'boolean', default: false },
    shard: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (args.values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (args.positionals.length > 1) throw new UsageError(`expected one scenario file, got ${args.positionals.length}: ${args.positionals.join(' ')}`);
  const file = args.positionals[0] ?? 'scenarios/quickstart.yaml';
  const seed = args.values.seed === undefined ? undefined : seedFlag('--seed', args.values.seed);
  if (args.values.out !== undefined && !args.values['dry-run']) checkOutDir('--out', args.values.out);
  if (args.values.gzip && args.values['dry-run']) throw new UsageError('--gzip and --dry-run: a dry run writes no files to compress');
  if (args.values.serial && args.values.jobs !== undefined) throw new UsageError('--serial and --jobs: give one of them');
  const jobs = args.values.serial ? 1 : args.values.jobs === undefined ? undefined : intFlag('--jobs', args.values.jobs, 1, 256);
  let shard;
  try {
    shard = args.values.shard === undefined ? undefined : parseShard('--shard', args.values.shard);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const scn = loadScenario(file);
  if (scn.plugins.length > 0 && bundled()) return rerunUnderTsx('sim');
  const t0 = performance.now();
  const watch = cliPolicyGuard(args.values['policy-timeout']);
  let summary: ScenarioSummary;
  try {
    summary = await runScenario(scn, {
      file,
      seed,
      out: args.values.out,
      dryRun: args.values['dry-run'],
      gzip: args.values.gzip,
      progress: (l) => process.stderr.write(l + '\n'),
      guard: watch.guard,
      jobs,
      shard,
    }).finally(() => watch.stop());
  } catch (e) {
    if (!(e instanceof SweepFailedError)) throw e;
    process.stderr.write(`error: ${e.message}\n`);
    return 1;
  }
  if (shard) {
    process.stdout.write(`\nscenario ${summary.scenario}: shard ${shard.index}/${shard.count} in ${((performance.now() - t0) / 1000).toFixed(2)} s\n${summary.time ?? ''}\n`);
    if (!args.values['dry-run']) process.stdout.write(`part: ${summary.output}/ (sweep-part.json); combine with npm run merge -- <part dirs…> --out DIR\n`);
    return 0;
  }
  // A mode with its own report (static fill) has already said how many runs it made.
  const what = summary.report === undefined ? `${summary.runs.length} runs` : 'done';
  process.stdout.write(`\nscenario ${summary.scenario}: ${what} in ${((performance.now() - t0) / 1000).toFixed(2)} s\n`);
  process.stdout.write((summary.report ?? comparisonTable(summary)) + '\n');
  if (summary.time) process.stdout.write(summary.time + '\n');
  const failed = failureTable(summary);
  if (failed) process.stdout.write(failed + '\n');
  const fair = fairnessTables(summary);
  if (fair) process.stdout.write(fair + '\n');
  const ctx = contextTable(summary.runs);
  if (ctx) process.stdout.write(ctx + '\n');
  const hier = hierarchyTable(summary.runs);
  if (hier) process.stdout.write(hier + '\n');
  if (!args.values['dry-run']) process.stdout.write(`outputs: ${summary.output}/ (summary.json)\n`);
  return 0;
}

await cliMain(main);
