/**
 * Placement cost against cluster size (figures, not pass/fail): the workload (8-GPU
 * nodes, 1/2/4/8 whole GPUs weighted 4:2:1:1, exponential durations of mean 3600 s, Poisson
 * arrivals at ~90% load, fifo) on 128 … 20,480 GPUs, each placement policy, µs per job through
 * the whole simulator (hashing log). Prints a table and writes out/bench/placement-curve.csv.
 * `npx tsx bench/placement.ts [jobs]` (default 20000).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import '../policies/index.ts';
import type { NodeSpec } from '../src/cluster/types.ts';
import { toCsv } from '../src/output/csv.ts';
import { RunWriter } from '../src/output/run-writer.ts';
import { placementPolicyFactory, queuePolicyFactory } from '../src/scheduler/registry.ts';
import { simulate } from '../src/sim/simulate.ts';
import { synthesize, type SyntheticWorkload } from '../src/workload/synthetic.ts';

const jobsN = Number(process.argv[2] ?? 20_000);
const rows: (string | number)[][] = [];
console.log(`# placement cost vs cluster size: ${jobsN} jobs at ~90% load, fifo, hashing log (µs/job)`);
console.log(`${'GPUs'.padStart(6)} ${'nodes'.padStart(6)}  ${['first-fit', 'best-fit', 'worst-fit'].map((p) => p.padStart(10)).join(' ')}`);
// The first round (128 GPUs) warms the JIT up and is not reported.
for (const [round, gpus] of [128, 128, 1_280, 10_240, 20_480].entries()) {
  const count = gpus / 8;
  const nodes: NodeSpec[] = Array.from({ length: count }, (_, i) => ({ id: `n${i}`, cpu: 96_000, memory: 786_432, gpus: Array.from({ length: 8 }, () => ({ model: 'A100-80GB', capacity: 1000 })) }));
  // Mean demand 2.5 GPUs × 3600 s; 90% of `gpus` busy: one arrival every 2.5 · 3600 / (0.9 · gpus) s.
  const workload: SyntheticWorkload = {
    jobs: jobsN,
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
  const jobs = synthesize(workload, 1);
  const cells: string[] = [];
  for (const placement of ['first-fit', 'best-fit', 'worst-fit']) {
    const log = new RunWriter();
    const t0 = performance.now();
    simulate({ run: 'bench', seed: 1, nodes, jobs, queue: queuePolicyFactory('fifo')({}), placement: placementPolicyFactory(placement)({}), log });
    log.close();
    const us = ((performance.now() - t0) * 1000) / jobsN;
    if (round === 0) continue;
    rows.push([gpus, count, placement, jobsN, Math.round(us * 10) / 10]);
    cells.push(us.toFixed(1).padStart(10));
  }
  if (round === 0) continue;
  console.log(`${String(gpus).padStart(6)} ${String(count).padStart(6)}  ${cells.join(' ')}`);
}
mkdirSync('out/bench', { recursive: true });
writeFileSync('out/bench/placement-curve.csv', toCsv(['gpus', 'nodes', 'placement', 'jobs', 'us_per_job'], rows));
console.log('curve: out/bench/placement-curve.csv');
