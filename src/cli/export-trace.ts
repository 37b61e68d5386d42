import { writeFileSync } from 'node:fs';
import { toCsv } from '../output/csv.ts';
import { loadScenario } from '../scenario/load.ts';
import { scenarioLimitProblems } from '../scenario/limits.ts';
import { synthesize } from '../workload/synthetic.ts';
import { intFlag, outFileProblem, parseCli, seedFlag } from './args.ts';
import { cliMain, UsageError } from './main.ts';

const HELP = `usage: npm run trace:export -- <scenario> --out FILE [--seed N] [--jobs N]

Writes the synthetic workload of a scenario as a gpulab job CSV (traces/README.md), so that it can
be replayed as a trace, edited, or shared.
  --out FILE  the CSV to write (its folder must exist)
  --seed N    workload seed, an integer (default 1)
  --jobs N    this many jobs instead of the scenario's workload.jobs`;

async function main(): Promise<number> {
  const { values, positionals } = parseCli(process.argv.slice(2), {
    out: { type: 'string' },
    seed: { type: 'string', default: '1' },
    jobs: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`expected one scenario file, got ${positionals.length}`);
  if (values.out === undefined) throw new UsageError('--out FILE is required');
  const seed = seedFlag('--seed', values.seed);
  const jobs = values.jobs === undefined ? undefined : intFlag('--jobs', values.jobs, 1, Number.MAX_SAFE_INTEGER);
  const outProblem = outFileProblem(values.out);
  if (outProblem) throw new UsageError(`--out ${values.out}: not writable: ${outProblem}`);
  const file = positionals[0];
  const scn = loadScenario(file);
  if (scn.workload.kind !== 'synthetic') throw new UsageError(`${file}: workload.kind: only synthetic workloads can be exported, not '${scn.workload.kind}'`);
  const w = jobs === undefined ? scn.workload : { ...scn.workload, jobs };
  if (jobs !== undefined) {
    const problems = scenarioLimitProblems({ ...scn, workload: w });
    if (problems.length > 0) throw new UsageError(`--jobs ${jobs}: ${problems.join('; ')}`);
  }
  // The gpulab trace format (traces/README.md): an input format, in seconds as its column names say.
  const header = ['id', 'tenant', 'submit_s', 'duration_s', 'cpu_milli', 'memory_mib', 'num_gpu', 'gpu_milli', 'gpu_models', 'priority', 'estimate_s'];
  const rows = synthesize(w, seed).map((j) => [
    j.id, j.tenant, j.submit / 1000, j.duration / 1000, j.cpu, j.memory, j.gpus, j.gpus ? j.milli : '', (j.models ?? []).join('|'), j.priority, (j.estimate ?? j.duration) / 1000,
  ]);
  writeFileSync(values.out, toCsv(header, rows));
  process.stderr.write(`wrote ${rows.length} jobs to ${values.out}\n`);
  return 0;
}

await cliMain(main);
