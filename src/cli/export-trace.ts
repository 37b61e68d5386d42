import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadScenario } from '../scenario/load.ts';
import { toCsv } from '../output/csv.ts';
import { synthesize } from '../workload/synthetic.ts';

const HELP = `usage: npm run trace:export -- <scenario> --out FILE [--seed N] [--jobs N]

Writes the synthetic workload of a scenario as a gpulab job CSV (traces/README.md), so that it can
be replayed as a trace, edited, or shared.`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { out: { type: 'string' }, seed: { type: 'string', default: '1' }, jobs: { type: 'string' }, help: { type: 'boolean' } },
});
if (values.help || positionals.length !== 1 || !values.out) {
  process.stdout.write(HELP + '\n');
  process.exit(values.help ? 0 : 2);
}
const scn = loadScenario(positionals[0]);
if (scn.workload.kind !== 'synthetic') {
  process.stderr.write(`${positionals[0]}: workload.kind: only synthetic workloads can be exported\n`);
  process.exit(1);
}
const w = values.jobs ? { ...scn.workload, jobs: Number(values.jobs) } : scn.workload;
const jobs = synthesize(w, Number(values.seed));
// The gpulab trace format (traces/README.md): an input format, in seconds as its column names say.
const header = ['id', 'tenant', 'submit_s', 'duration_s', 'cpu_milli', 'memory_mib', 'num_gpu', 'gpu_milli', 'gpu_models', 'priority', 'estimate_s'];
const rows = jobs.map((j) => [
  j.id, j.tenant, j.submit / 1000, j.duration / 1000, j.cpu, j.memory, j.gpus, j.gpus ? j.milli : '', (j.models ?? []).join('|'), j.priority, (j.estimate ?? j.duration) / 1000,
]);
writeFileSync(values.out, toCsv(header, rows));
process.stderr.write(`wrote ${jobs.length} jobs to ${values.out}\n`);
