/**
 * Benchmarks (figures, not pass/fail): `npm run bench`.
 *  1. Raw engine: events/s for a steady heap of pending events, each handled event scheduling
 *     the next (the SimPy-style hold loop), at several heap sizes.
 *  2. Full simulation: the quickstart workload scaled up, events/s and jobs/s through the
 *     scheduler core with logging (hashing, no disk) — compared in the same run against the
 *     same workload with logging to a no-op sink, to show the logging cost.
 * Then the bench/*.ts figures, each in a child process; `--big` makes bench/memory.ts run 1M jobs.
 */
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import '../policies/index.ts';
import { Engine } from '../src/engine/engine.ts';
import { stream } from '../src/engine/rng.ts';
import { RunWriter } from '../src/output/run-writer.ts';
import { expandNodeGroups } from '../src/scenario/cluster.ts';
import { loadScenario } from '../src/scenario/load.ts';
import { placementPolicyFactory, queuePolicyFactory } from '../src/scheduler/registry.ts';
import { simulate } from '../src/sim/simulate.ts';
import { synthesize } from '../src/workload/synthetic.ts';
import { RUN_NODE_OPTIONS } from '../src/bundle/build.mjs';

interface Hold {
  readonly kind: 'hold';
  readonly id: number;
}

function engineBench(pending: number, total: number): number {
  const r = stream(1, 'bench');
  const events: Hold[] = Array.from({ length: pending }, (_, id) => ({ kind: 'hold', id }));
  let left = total;
  const e: Engine<Hold> = new Engine<Hold>(
    (ev, t) => {
      if (--left > 0) e.schedule(t + 1 + ((r() * 1000) | 0), ev);
    },
    undefined,
    pending * 2,
  );
  for (const ev of events) e.schedule((r() * 1000) | 0, ev);
  const t0 = performance.now();
  e.run();
  const s = (performance.now() - t0) / 1000;
  return e.handled / s;
}

const fmt = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : `${(n / 1e3).toFixed(1)} k`);

console.log('# engine: hold loop (each event schedules one more), events/s');
for (const pending of [100, 10_000, 1_000_000]) {
  engineBench(pending, 200_000); // warm-up
  const rates = [0, 1, 2].map(() => engineBench(pending, 3_000_000));
  console.log(`  pending ${String(pending).padStart(9)}: ${fmt(Math.max(...rates))}/s (best of 3, 3M events)`);
}

console.log('\n# full simulation: quickstart workload ×10 jobs on a ×10 cluster, fifo + best-fit');
const scn = loadScenario('scenarios/quickstart.yaml');
if (!('nodes' in scn.cluster) || scn.workload.kind !== 'synthetic') throw new Error('quickstart changed shape');
const nodes = expandNodeGroups(scn.cluster.nodes.map((g) => ({ ...g, count: g.count * 10 })));
const jobs = synthesize({ ...scn.workload, jobs: 30_000, meanInterarrivalSec: scn.workload.meanInterarrivalSec / 10 }, 1);
for (const sink of ['hashing log', 'no-op log'] as const) {
  for (const placement of ['first-fit', 'best-fit']) {
    const log = sink === 'hashing log' ? new RunWriter() : { append() {} };
    const t0 = performance.now();
    const res = simulate({
      run: 'bench',
      seed: 1,
      nodes,
      jobs,
      queue: queuePolicyFactory('fifo')({}),
      placement: placementPolicyFactory(placement)({}),
      log,
    });
    const s = (performance.now() - t0) / 1000;
    console.log(
      `  ${sink.padEnd(12)} ${placement.padEnd(10)}: ${jobs.length} jobs, ${res.events} events in ${s.toFixed(2)} s = ${fmt(res.events / s)} events/s, ${fmt(jobs.length / s)} jobs/s`,
    );
  }
}

for (const extra of ['bench/overload.ts', 'bench/placement.ts', 'bench/fgd.ts', 'bench/simpy.ts', 'bench/memory.ts']) {
  if (existsSync(extra)) {
    console.log(`\n# ${extra}`);
    // `npm run bench -- --big`: the memory benchmark runs its 1M-job case (minutes) instead of 100k.
    const args = extra === 'bench/memory.ts' && process.argv.includes('--big') ? ['--big'] : [];
    spawnSync(process.execPath, [...RUN_NODE_OPTIONS, '--import', 'tsx', extra, ...args], { stdio: 'inherit' });
  }
}
