/**
 * Placement cost against cluster size (figures, not pass/fail): the workload (8-GPU
 * nodes, 1/2/4/8 whole GPUs weighted 4:2:1:1, exponential durations of mean 3600 s, Poisson
 * arrivals at ~90% load, fifo) on 128 … 20,480 GPUs, each placement policy, CPU µs per job
 * through the whole simulator (hashing log; the process's CPU time, not wall time, so that other
 * work on a shared machine weighs less). Each policy runs twice on the same jobs in the same process:
 * `indexed` (the live cluster, whose node groups the policies scan) and `scan` (the same policy
 * given a view without groups: every node examined, as before the groups). Prints a table per
 * job count, the 1,280-node / 128-node ratio, and writes out/bench/placement-curve.csv.
 *
 *   npx tsx bench/placement.ts [--jobs 10000,100000] [--gpus 128,1024,10240,20480]
 *                              [--policies first-fit,best-fit] [--modes indexed,scan] [--repeat 3]
 *
 * With --repeat N each cell is the fastest of N runs (indexed and scan interleaved).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import '../policies/index.ts';
import type { NodeSpec } from '../src/cluster/types.ts';
import { withTypicalPods } from '../src/fgd/typical-params.ts';
import { toCsv } from '../src/output/csv.ts';
import { RunWriter } from '../src/output/run-writer.ts';
import { placementPolicyFactory, queuePolicyFactory } from '../src/scheduler/registry.ts';
import { simulate } from '../src/sim/simulate.ts';
import { synthesize, type SyntheticWorkload } from '../src/workload/synthetic.ts';
import { scanning } from './scanning.ts';

const ALL = ['first-fit', 'best-fit', 'worst-fit', 'best-fit-study', 'dot-product', 'gpu-packing', 'gpu-clustering', 'fgd', 'random'];
const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    jobs: { type: 'string', default: '10000' },
    gpus: { type: 'string', default: '128,1024,10240,20480' },
    policies: { type: 'string', default: ALL.join(',') },
    modes: { type: 'string', default: 'indexed,scan' },
    repeat: { type: 'string', default: '1' },
  },
});
const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);
const jobCounts = list(values.jobs).map(Number);
const sizes = list(values.gpus).map(Number);
const policies = list(values.policies);
const modes = list(values.modes) as ('indexed' | 'scan')[];
/** Each cell is the fastest of this many runs (the modes interleaved): less noise on a shared machine. */
const repeat = Number(values.repeat);
for (const n of [...jobCounts, ...sizes, repeat]) if (!Number.isInteger(n) || n <= 0) throw new Error(`bench/placement: --jobs and --gpus take positive integers, got ${n}`);
for (const m of modes) if (m !== 'indexed' && m !== 'scan') throw new Error(`bench/placement: --modes takes indexed,scan; got '${m}'`);

function workload(jobs: number, gpus: number): SyntheticWorkload {
  // Mean demand 2.5 GPUs × 3600 s; 90% of `gpus` busy: one arrival every 2.5 · 3600 / (0.9 · gpus) s.
  return {
    jobs,
    meanInterarrivalSec: (2.5 * 3600) / (0.9 * gpus),
    duration: { dist: 'exponential', meanSec: 3600 },
    tenants: [{ name: 'a', share: 1 }],
    estimateError: 0,
    demands: [
      { weight: 4, gpus: 1, milli: 1000, cpu: 4000, memory: 16384 },
      { weight: 2, gpus: 2, milli: 1000, cpu: 8000, memory: 32768 },
      { weight: 1, gpus: 4, milli: 1000, cpu: 16000, memory: 65536 },
      { weight: 1, gpus: 8, milli: 1000, cpu: 32000, memory: 131072 },
    ],
  };
}

const rows: (string | number)[][] = [];
const cols = policies.flatMap((p) => modes.map((m) => `${p}${modes.length > 1 ? (m === 'scan' ? ' s' : ' i') : ''}`));
for (const jobsN of jobCounts) {
  console.log(`# placement cost vs cluster size: ${jobsN} jobs at ~90% load, fifo, hashing log (CPU µs/job; i = indexed, s = scan)`);
  console.log(`${'GPUs'.padStart(6)} ${'nodes'.padStart(6)}  ${cols.map((c) => c.padStart(Math.max(9, c.length))).join(' ')}`);
  const us = new Map<string, number>();
  // The first round (the smallest size) warms the JIT up and is not reported.
  for (const [round, gpus] of [sizes[0], ...sizes].entries()) {
    const count = Math.ceil(gpus / 8);
    const nodes: NodeSpec[] = Array.from({ length: count }, (_, i) => ({ id: `n${i}`, cpu: 96_000, memory: 786_432, gpus: Array.from({ length: 8 }, () => ({ model: 'A100-80GB', capacity: 1000 })) }));
    const jobs = synthesize(workload(round === 0 ? Math.min(jobsN, 5000) : jobsN, count * 8), 1);
    const cells: string[] = [];
    for (const placement of policies) {
      const best = new Map<string, number>();
      for (let k = 0; k < (round === 0 ? 1 : repeat); k++) {
        for (const mode of modes) {
          const policy = placementPolicyFactory(placement)(withTypicalPods(placement, {}, jobs));
          const log = new RunWriter();
          const c0 = process.cpuUsage();
          simulate({ run: 'bench', seed: 1, nodes, jobs, queue: queuePolicyFactory('fifo')({}), placement: mode === 'scan' ? scanning(policy) : policy, log });
          log.close();
          const c = process.cpuUsage(c0);
          const perJob = (c.user + c.system) / jobs.length;
          best.set(mode, Math.min(best.get(mode) ?? Infinity, perJob));
        }
      }
      if (round === 0) continue;
      for (const mode of modes) {
        const perJob = best.get(mode)!;
        us.set(`${placement}|${mode}|${count}`, perJob);
        rows.push([count * 8, count, placement, mode, jobs.length, Math.round(perJob * 10) / 10]);
        cells.push(perJob.toFixed(1).padStart(Math.max(9, `${placement} i`.length)));
      }
    }
    if (round === 0) continue;
    console.log(`${String(count * 8).padStart(6)} ${String(count).padStart(6)}  ${cells.join(' ')}`);
  }
  if (us.has(`${policies[0]}|${modes[0]}|128`) && us.has(`${policies[0]}|${modes[0]}|1280`)) {
    const ratio = cols.map((c, k) => {
      const p = policies[Math.floor(k / modes.length)];
      const m = modes[k % modes.length];
      return (us.get(`${p}|${m}|1280`)! / us.get(`${p}|${m}|128`)!).toFixed(2).padStart(Math.max(9, c.length));
    });
    console.log(`${'1280/128 nodes'.padEnd(14)} ${ratio.join(' ')}`);
  }
}
mkdirSync('out/bench', { recursive: true });
writeFileSync('out/bench/placement-curve.csv', toCsv(['gpus', 'nodes', 'placement', 'mode', 'jobs', 'us_per_job'], rows));
console.log('curve: out/bench/placement-curve.csv');
