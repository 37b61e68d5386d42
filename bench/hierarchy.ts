/**
 * Scheduler hierarchy at scale (figures, not pass/fail):
 *   npx tsx bench/hierarchy.ts [--jobs N] [--load X] [--placement P] [--queue Q] [--scan] [--only label,label]
 * Runs scenarios/hierarchy.yaml's cluster (100,096 GPUs) and workload at N jobs (default
 * 1,000,000; the shipped scenario runs 300,000) and offered load X (default 0.9, the scenario's),
 * every combination's placement policy replaced by P when given (best-fit walks node groups by
 * free GPU and stops at the first level that fits; the study's kernels, dot-product, worst-fit,
 * fgd …, cost each group of identical nodes once), and its queue policy by Q when given (a fair-share
 * policy under overload, `--queue drf --load 1.5`, is where a shard's shorter queue pays), with
 * `--scan` the placement reading every node it is given instead of its node groups, as a policy
 * written without them does (bench/scanning.ts; there a shard's placement reads a shard's nodes,
 * the global one all of them),
 * each policy combination in a fresh process, one after another (the global scheduler first: the
 * baseline of the same run; a fresh process each, so that no run inherits another's heap or
 * compiled code), logs hashed but not written. Prints each run's wall and CPU time (CPU time is
 * the steadier figure on a shared machine), events, events/s, JCT and wait, then the hierarchy
 * comparison (JCT vs global, routes, bounces, steals, imbalance).
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { hierarchyTable } from '../src/hierarchy/table.ts';
import { renderTable } from '../src/output/table.ts';
import { loadScenario } from '../src/scenario/load.ts';
import { runScenario, type RunSummary } from '../src/scenario/run.ts';
import { RUN_NODE_OPTIONS } from '../src/bundle/build.mjs';
import { placementPolicyFactory, placementPolicyParams, registerPlacementPolicy, type PolicyParams } from '../src/scheduler/registry.ts';
import { scanning } from './scanning.ts';

/** Registers `<name>-scan`: placement `name` reading every node it is given, not its node groups (bench/scanning.ts). */
function scanningPolicy(name: string): string {
  // The scenario layer derives fgd's typical pods for a placement named fgd only.
  if (name === 'fgd') throw new Error('bench/hierarchy: --scan takes a placement other than fgd (its typical pods are derived for the name fgd)');
  const scan = `${name}-scan`;
  registerPlacementPolicy(scan, (params) => scanning(placementPolicyFactory(name)(params as PolicyParams)), { params: placementPolicyParams(name) });
  return scan;
}

const { values } = parseArgs({ options: { jobs: { type: 'string', default: '1000000' }, load: { type: 'string', default: '0.9' }, placement: { type: 'string' }, queue: { type: 'string' }, only: { type: 'string' }, scan: { type: 'boolean', default: false }, child: { type: 'string' } } });
const jobs = Number(values.jobs);
if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`--jobs: a positive integer, got ${values.jobs}`);
const load = Number(values.load);
if (!(load > 0 && load <= 10)) throw new Error(`--load: offered load as a fraction of GPU capacity (0 < X ≤ 10), got ${values.load}`);
const file = 'scenarios/hierarchy.yaml';
const scn = loadScenario(file);
if (scn.workload.kind !== 'synthetic') throw new Error(`${file}: expected a synthetic workload`);
// The scenario's arrivals are at 0.9 of GPU capacity: a load X scales the mean gap by 0.9 / X.
const meanInterarrivalSec = (scn.workload.meanInterarrivalSec * 0.9) / load;
const labelOf = (p: (typeof scn.policies)[number]) => p.label ?? `${p.queue}+${p.placement}`;

if (values.child !== undefined) {
  // One run in this process: its summary as one JSON line.
  const policies = scn.policies
    .filter((p) => labelOf(p) === values.child)
    .map((p) => ({ ...p, ...(values.placement ? { placement: values.placement } : {}), ...(values.queue ? { queue: values.queue } : {}) }))
    .map((p) => (values.scan ? { ...p, placement: scanningPolicy(p.placement) } : p));
  const c0 = process.cpuUsage();
  const s = await runScenario({ ...scn, workload: { ...scn.workload, jobs, meanInterarrivalSec }, policies }, { file, dryRun: true, jobs: 1 });
  const c = process.cpuUsage(c0);
  process.stdout.write(JSON.stringify({ ...s.runs[0], cpuMs: Math.round((c.user + c.system) / 1000) }) + '\n');
} else {
  const only = values.only?.split(',');
  const labels = scn.policies.map(labelOf).filter((l) => !only || only.includes(l));
  const la = () => loadavg().map((x) => x.toFixed(2)).join(' ');
  console.log(`# ${file}: ${jobs.toLocaleString('en')} jobs at offered load ${load}${values.placement ? `, placement ${values.placement}` : ''}${values.queue ? `, queue ${values.queue}` : ''}${values.scan ? ', placement reading every node (--scan)' : ''} (mean interarrival ${meanInterarrivalSec.toFixed(5)} s), ${labels.length} runs, one process each; ${cpus().length} CPUs, load average ${la()} at start`);
  const runs: (RunSummary & { cpuMs: number })[] = [];
  for (const label of labels) {
    const out = spawnSync(process.execPath, [...RUN_NODE_OPTIONS, '--import', 'tsx', fileURLToPath(import.meta.url), '--jobs', String(jobs), '--load', String(load), ...(values.placement ? ['--placement', values.placement] : []), ...(values.queue ? ['--queue', values.queue] : []), ...(values.scan ? ['--scan'] : []), '--child', label], { encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'inherit'] });
    if (out.status !== 0) throw new Error(`${label}: the run failed (exit ${out.status})`);
    const r = JSON.parse(out.stdout.trim().split('\n').pop()!) as RunSummary & { cpuMs: number };
    console.log(`${r.run}: ${r.events} events in ${(r.wallMs / 1000).toFixed(1)} s, CPU ${(r.cpuMs / 1000).toFixed(1)} s (load average ${la()})`);
    runs.push(r);
  }
  const rows = runs.map((r) => [r.run, (r.wallMs / 1000).toFixed(1), (r.cpuMs / 1000).toFixed(1), r.events, Math.round(r.events / (r.wallMs / 1000)), r.metrics.completed, (r.metrics.jctMeanMs / 1000).toFixed(1), (r.metrics.waitMeanMs / 1000).toFixed(1), r.digest.slice(0, 12)]);
  console.log(renderTable(['run', 'wall s', 'CPU s', 'events', 'events/s', 'done', 'JCT mean s', 'wait mean s', 'digest'], rows));
  console.log(hierarchyTable(runs));
}
