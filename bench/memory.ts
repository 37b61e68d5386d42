/**
 * Memory and whole-run benchmark (figures, not pass/fail; part of `npm run bench`): a scenario of
 * N synthetic jobs (the quickstart's demands and three tenants) on 1,280 nodes × 8 GPUs (10,240
 * GPUs) at ~90% load, run the way `npm run sim` runs it (runScenario, every output written:
 * events.jsonl, jobs.csv, timeline.csv, summary.json), each run in a fresh child process so its
 * peak RSS is its own. Prints wall time, jobs/s, the process's CPU time (steadier than wall time
 * on a shared machine) and peak RSS per placement policy.
 * Targets for 1M jobs: best-fit < 20 s, fgd < 60 s, peak RSS < 1 GiB.
 * `npx tsx bench/memory.ts [--big] [--jobs N] [--policies best-fit,fgd] [--gzip]`: default 100,000
 * jobs, best-fit only; `--big` runs 1,000,000 jobs with best-fit and fgd; `--gzip` writes the run
 * files gzipped (`npm run sim -- --gzip`). Each line also gives the bytes the run wrote.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { RUN_NODE_OPTIONS } from '../src/bundle/build.mjs';
import { outputBytes } from './output-bytes.ts';

const GPUS = 10_240;
const DIR = join('out', 'bench', 'memory');

/** The quickstart's demand mix: mean 1.23 GPU per job; lognormal run time, median 1200 s, σ 1 (mean 1200·e^0.5 s). */
const DEMANDS = [
  { weight: 40, gpus: 1, milli: 1000, cpu: 8000, memory: 32768 },
  { weight: 25, gpus: 1, milli: 500, cpu: 4000, memory: 16384 },
  { weight: 10, gpus: 1, milli: 250, cpu: 2000, memory: 8192 },
  { weight: 12, gpus: 2, milli: 1000, cpu: 16000, memory: 65536 },
  { weight: 5, gpus: 4, milli: 1000, cpu: 32000, memory: 131072 },
  { weight: 3, gpus: 8, milli: 1000, cpu: 64000, memory: 262144 },
  { weight: 5, gpus: 0, cpu: 4000, memory: 8192 },
];

function scenario(jobs: number, placement: string): object {
  const w = DEMANDS.reduce((a, d) => a + d.weight, 0);
  const gpuPerJob = DEMANDS.reduce((a, d) => a + (d.weight * d.gpus * (d.milli ?? 0)) / 1000, 0) / w;
  const meanSec = 1200 * Math.exp(0.5);
  return {
    name: `memory-${placement}`,
    seeds: [1],
    cluster: { nodes: [{ prefix: 'n-', count: GPUS / 8, cpu: 256000, memory: 2097152, gpus: [{ count: 8, model: 'A100-80GB' }] }] },
    workload: {
      kind: 'synthetic',
      jobs,
      meanInterarrivalSec: (gpuPerJob * meanSec) / (0.9 * GPUS),
      duration: { dist: 'lognormal', medianSec: 1200, sigma: 1.0 },
      tenants: [
        { name: 'vision', share: 3 },
        { name: 'nlp', share: 2 },
        { name: 'research', share: 1 },
      ],
      demands: DEMANDS,
    },
    policies: [{ queue: 'fifo', placement }],
  };
}

if (process.argv[2] === '--child') {
  // One run, in this process: `--child <scenario file> <out dir> [gzip]`; prints one JSON line.
  await import('../policies/index.ts');
  const { loadScenario } = await import('../src/scenario/load.ts');
  const { runScenario } = await import('../src/scenario/run.ts');
  const [file, out, gzip] = process.argv.slice(3);
  const t0 = performance.now();
  const s = await runScenario(loadScenario(file), { file, out, gzip: gzip === 'gzip' });
  const wallS = (performance.now() - t0) / 1000;
  const r = s.runs[0];
  const cpu = process.cpuUsage();
  const cpuS = (cpu.user + cpu.system) / 1e6;
  console.log(JSON.stringify({ wallS, cpuS, maxRssKiB: process.resourceUsage().maxRSS, events: r.events, records: r.records, digest: r.digest }));
} else {
  const args = process.argv.slice(2);
  const big = args.includes('--big');
  const at = (flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
  const jobs = Number(at('--jobs') ?? (big ? 1_000_000 : 100_000));
  const policies = (at('--policies') ?? (big ? 'best-fit,fgd' : 'best-fit')).split(',');
  const gzip = args.includes('--gzip');
  mkdirSync(DIR, { recursive: true });
  console.log(`# memory: ${jobs.toLocaleString('en')} jobs on ${GPUS.toLocaleString('en')} GPUs (~90% load, fifo), npm run sim's path with every output written${gzip ? ' gzipped' : ''}; one child process per run`);
  console.log(`  targets at 1M jobs: best-fit < 20 s, fgd < 60 s, peak RSS < 1 GiB${big ? '' : ' (--big runs 1M)'}`);
  for (const placement of policies) {
    const file = join(DIR, `memory-${placement}.yaml`);
    const out = join(DIR, `run-${placement}`);
    writeFileSync(file, stringify(scenario(jobs, placement)));
    const r = spawnSync(process.execPath, [...RUN_NODE_OPTIONS, '--import', 'tsx', 'bench/memory.ts', '--child', file, out, ...(gzip ? ['gzip'] : [])], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.status !== 0) {
      console.log(`  ${placement.padEnd(9)}: failed (status ${r.status ?? r.signal}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
      continue;
    }
    const m = JSON.parse(r.stdout.trim().split('\n').pop()!);
    const mib = m.maxRssKiB / 1024;
    console.log(
      `  ${placement.padEnd(9)}: ${m.wallS.toFixed(1)} s, ${(jobs / m.wallS / 1000).toFixed(1)} k jobs/s, CPU ${m.cpuS.toFixed(1)} s (whole process), peak RSS ${mib.toFixed(0)} MiB (${((mib * 1024 * 1024) / jobs).toFixed(0)} B/job), ${m.records.toLocaleString('en')} records, digest ${m.digest.slice(0, 12)}, ${([...outputBytes(out).values()].reduce((a, b) => a + b, 0) / 1e6).toFixed(0)} MB written`,
    );
    rmSync(out, { recursive: true, force: true });
  }
}
