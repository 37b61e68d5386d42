import { parseArgs } from 'node:util';
import { renderTable } from '../output/table.ts';
import { loadScenario, ScenarioError } from '../scenario/load.ts';
import { runLive } from '../live/run-live.ts';

const HELP = `usage: npm run live -- <scenario> [--time-scale X] [--seed N] [--out DIR] [--exclusive]

Runs a scenario live: real jobs (TensorFlow.js work or commands) in sandboxed child processes,
scheduled by the scenario's policies through the same scheduler core as the simulator. Then
simulates the same jobs with durations from the measured work rates and compares.
  --time-scale X  scenario time runs X times faster than wall time (default: live.timeScale or 1)
  --seed N        workload seed (default: the scenario's first)
  --out DIR       output root (default: out/<name>-live)
  --exclusive     give every fractional-GPU job a whole GPU (compare shared vs exclusive)

Outputs: <out>/<policy>/seed-<N>/{events.jsonl,jobs.csv,timeline.csv,live-jobs.csv,live.json,metrics.prom,log.jsonl}`;

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      allowPositionals: true,
      options: {
        'time-scale': { type: 'string' },
        seed: { type: 'string' },
        out: { type: 'string' },
        exclusive: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${HELP}\n`);
    return 2;
  }
  if (args.values.help || args.positionals.length !== 1) {
    (args.values.help ? process.stdout : process.stderr).write(HELP + '\n');
    return args.values.help ? 0 : 2;
  }
  const num = (name: string, v: string | undefined, check: (x: number) => boolean): number | undefined => {
    if (v === undefined) return undefined;
    const x = Number(v);
    if (!check(x)) throw new ScenarioError(`--${name}`, [`expected ${name === 'seed' ? 'an integer' : 'a positive number'}, got '${v}'`]);
    return x;
  };
  const file = args.positionals[0];
  try {
    const timeScale = num('time-scale', args.values['time-scale'], (x) => x > 0 && Number.isFinite(x));
    const seed = num('seed', args.values.seed, Number.isInteger);
    const scn = loadScenario(file);
    const s = await runLive(scn, { file, timeScale, seed, out: args.values.out, exclusive: args.values.exclusive, progress: (l) => process.stderr.write(l + '\n') });
    const r = (x: number) => Math.round(x * 1000) / 1000;
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
    process.stdout.write(`makespan error ${r(((s.predicted.makespanMs - s.live.makespanMs) / (s.live.makespanMs || 1)) * 100)} %, JCT error ${r(((s.predicted.jctMeanMs - s.live.jctMeanMs) / (s.live.jctMeanMs || 1)) * 100)} %; decision order ${s.decisionOrderAgrees ? 'agrees' : 'differs'}\n`);
    process.stdout.write(`start latency (decision → running): cold n=${s.latency.cold.n} mean ${s.latency.cold.meanMs} ms p50 ${s.latency.cold.p50Ms} ms; warm n=${s.latency.warm.n} mean ${s.latency.warm.meanMs} ms p50 ${s.latency.warm.p50Ms} ms\n`);
    for (const [k, v] of Object.entries(s.rates)) process.stdout.write(`rate ${k}: ${v.jobs} jobs, ${(v.flopPerSec / 1e9).toFixed(2)} GFLOP/s, overhead ${v.overheadMs} ms/job\n`);
    for (const [k, v] of Object.entries(s.backends)) process.stdout.write(`backend ${k}: ${v} jobs\n`);
    process.stdout.write(`stray processes after shutdown: ${s.strays.length}\noutputs: ${s.dir}/\n`);
    return s.strays.length === 0 ? 0 : 1;
  } catch (e) {
    if (e instanceof ScenarioError) {
      process.stderr.write(e.message + '\n');
      return 1;
    }
    process.stderr.write(`error: ${(e as Error).stack ?? (e as Error).message}\n`);
    return 1;
  }
}

process.exitCode = await main();
