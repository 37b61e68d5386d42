/**
 * Scheduler hierarchy at scale (figures, not pass/fail): `npx tsx bench/hierarchy.ts [--jobs N]
 * [--only label,label]`. Runs scenarios/hierarchy.yaml's cluster (100,096 GPUs) and workload at
 * N jobs (default 1,000,000; the shipped scenario runs 600,000), every policy combination one
 * after another in this thread (the global scheduler first: the baseline of the same run), logs
 * hashed but not written. Prints each run's wall time, events, events/s, JCT and wait, then the
 * hierarchy comparison (JCT vs global, routes, bounces, steals, imbalance). The run time of a
 * hierarchy is per shard: each pass scans its shard's nodes and queue only.
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { hierarchyTable } from '../src/hierarchy/table.ts';
import { renderTable } from '../src/output/table.ts';
import { loadScenario } from '../src/scenario/load.ts';
import { runScenario } from '../src/scenario/run.ts';

const { values } = parseArgs({ options: { jobs: { type: 'string', default: '1000000' }, only: { type: 'string' } } });
const jobs = Number(values.jobs);
if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`--jobs: a positive integer, got ${values.jobs}`);
const file = 'scenarios/hierarchy.yaml';
const scn = loadScenario(file);
if (scn.workload.kind !== 'synthetic') throw new Error(`${file}: expected a synthetic workload`);
const only = values.only?.split(',');
const policies = only ? scn.policies.filter((p) => only.includes(p.label ?? '')) : scn.policies;
console.log(`# ${file}: ${jobs.toLocaleString('en')} jobs, ${policies.length} runs on this thread; ${cpus().length} CPUs, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} at start`);
const s = await runScenario(
  { ...scn, workload: { ...scn.workload, jobs }, policies },
  { file, dryRun: true, jobs: 1, progress: (l) => (l.startsWith('[') ? console.log(l) : undefined) },
);
const rows = s.runs.map((r) => [r.run, (r.wallMs / 1000).toFixed(1), r.events, Math.round(r.events / (r.wallMs / 1000)), r.metrics.completed, (r.metrics.jctMeanMs / 1000).toFixed(1), (r.metrics.waitMeanMs / 1000).toFixed(1), r.metrics.meanGpuAllocPct, r.digest.slice(0, 12)]);
console.log(renderTable(['run', 'wall s', 'events', 'events/s', 'done', 'JCT mean s', 'wait mean s', 'GPU alloc %', 'digest'], rows));
console.log(hierarchyTable(s.runs));
console.log(`load average at end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
