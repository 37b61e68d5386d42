import { renderTable } from '../output/table.ts';
import { loadScenario } from '../scenario/load.ts';
import { runLive } from '../live/run-live.ts';
import { checkOutDir, parseCli, positiveFlag, seedFlag } from './args.ts';
import { cliMain, UsageError } from './main.ts';
import { cliPolicyGuard, POLICY_TIMEOUT_HELP } from './policy-watch.ts';

const HELP = `usage: npm run live -- <scenario> [--time-scale X] [--seed N] [--out DIR] [--exclusive] [--policy-timeout SEC]

Runs a scenario live: real jobs (TensorFlow.js work or commands) in sandboxed child processes,
scheduled by the scenario's policies through the same scheduler core as the simulator. Then
simulates the same jobs with durations from the measured work rates and compares.
  --time-scale X  scenario time runs X times faster than wall time, 0.001 to 1e6 (default: live.timeScale or 1)
  --seed N        workload seed (default: the scenario's first)
  --out DIR       output root (default: out/<name>-live)
  --exclusive     give every fractional-GPU job a whole GPU (compare shared vs exclusive)
${POLICY_TIMEOUT_HELP}

Outputs: <out>/<policy>/seed-<N>/{events.jsonl,jobs.csv,timeline.csv,live-jobs.csv,live.json,metrics.prom,log.jsonl}`;

async function main(): Promise<number> {
  const args = parseCli(process.argv.slice(2), {
    'time-scale': { type: 'string' },
    seed: { type: 'string' },
    out: { type: 'string' },
    exclusive: { type: 'boolean', default: false },
    'policy-timeout': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (args.values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (args.positionals.length !== 1) throw new UsageError(`expected one scenario file, got ${args.positionals.length}`);
  const timeScale = args.values['time-scale'] === undefined ? undefined : positiveFlag('--time-scale', args.values['time-scale'], 1e-3, 1e6);
  const seed = args.values.seed === undefined ? undefined : seedFlag('--seed', args.values.seed);
  if (args.values.out !== undefined) checkOutDir('--out', args.values.out);
  const file = args.positionals[0];
  const scn = loadScenario(file);
  const watch = cliPolicyGuard(args.values['policy-timeout']);
  const s = await runLive(scn, { file, timeScale, seed, out: args.values.out, exclusive: args.values.exclusive, progress: (l) => process.stderr.write(l + '\n'), guard: watch.guard }).finally(() =>
    watch.stop(),
  );
  // Relative error in %, or n/a where either side has no value (no job succeeded: NaN means).
  const pct = (predicted: number, live: number) => {
    const e = ((predicted - live) / (live || 1)) * 100;
    return Number.isFinite(e) ? `${Math.round(e * 1000) / 1000} %` : 'n/a';
  };
  process.stdout.write(`\nlive run ${s.scenario} ${s.run} (time scale ×${s.timeScale})\n`);
  process.stdout.write(`isolation: ${s.layers.join(', ')}${s.cgroupUnavailable ? `; no cgroup: ${s.cgroupUnavailable}` : ''}\n`);
  process.stdout.write(
    renderTable(
      ['', 'done', 'failed', 'makespan', 'JCT mean', 'wait mean'],
      [
        ['measured (live)', s.live.completed, s.live.failed, s.live.makespanMs / 1000, s.live.jctMeanMs / 1000, s.live.waitMeanMs / 1000],
        ['predicted (sim)', s.predicted.completed, s.predicted.failed, s.predicted.makespanMs / 1000, s.predicted.jctMeanMs / 1000, s.predicted.waitMeanMs / 1000],
      ],
    ) + '\n(scenario seconds)\n',
  );
  process.stdout.write(`makespan error ${pct(s.predicted.makespanMs, s.live.makespanMs)}, JCT error ${pct(s.predicted.jctMeanMs, s.live.jctMeanMs)}; decision order ${s.decisionOrderAgrees ? 'agrees' : 'differs'}\n`);
  process.stdout.write(`start latency (decision → running): cold n=${s.latency.cold.n} mean ${s.latency.cold.meanMs} ms p50 ${s.latency.cold.p50Ms} ms; warm n=${s.latency.warm.n} mean ${s.latency.warm.meanMs} ms p50 ${s.latency.warm.p50Ms} ms\n`);
  for (const [k, v] of Object.entries(s.rates)) process.stdout.write(`rate ${k}: ${v.jobs} jobs, ${(v.flopPerSec / 1e9).toFixed(2)} GFLOP/s, overhead ${v.overheadMs} ms/job\n`);
  for (const [k, v] of Object.entries(s.shapeRates)) process.stdout.write(`  shape ${k}: ${v.jobs} jobs, ${(v.flopPerSec / 1e9).toFixed(2)} GFLOP/s, overhead ${v.overheadMs} ms/job\n`);
  for (const [k, v] of Object.entries(s.backends)) process.stdout.write(`backend ${k}: ${v} jobs\n`);
  process.stdout.write(`stray processes after shutdown: ${s.strays.length}\noutputs: ${s.dir}/\n`);
  if (s.live.completed === 0) {
    // Nothing to compare: say why instead of exiting 0 with empty means.
    const reasons = [...new Set(s.measures.filter((m) => m.outcome !== 'succeeded' && m.reason).map((m) => m.reason))].slice(0, 3);
    process.stderr.write(`error: no job succeeded in the live run (${s.live.failed} failed${reasons.length ? `: ${reasons.join('; ')}` : ''}); see ${s.dir}/live-jobs.csv\n`);
    return 1;
  }
  if (s.strays.length > 0) process.stderr.write(`error: ${s.strays.length} processes outlived the run (pids ${s.strays.join(', ')})\n`);
  return s.strays.length === 0 ? 0 : 1;
}

await cliMain(main);
