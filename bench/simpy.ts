/**
 * gpulab against SimPy (figures, not pass/fail; part of `npm run bench`). The issue's workload:
 * nodes of 8 whole GPUs, Poisson arrivals at ~90% load, 1/2/4/8 GPUs weighted 4:2:1:1,
 * exponential durations of mean 3600 s, FIFO with head-of-line blocking, first-fit. The same job
 * list goes to gpulab's `simulate()` and to the SimPy 2.3 model in bench/simpy_model.py.
 *  1. Agreement on a small case: mean JCT and GPU utilisation side by side.
 *  2. Speed: jobs/s of SimPy, of gpulab in process (no-op log; hashing log) and the ratios.
 *  3. Whole process: `npm run sim` on the same workload as a scenario (every output written,
 *     start-up included) against SimPy's simulation time on as many jobs. Goals: in process
 *     ≥ 20× SimPy, whole process ≥ 5× at 300k jobs.
 *  4. Ceilings, measured in the same rounds: the bare event engine over the same job list (an
 *     arrival and a completion per job, nothing scheduled, logged or placed) bounds any in-process
 *     ratio a simulator on this engine could reach; with an empty Node process's start-up, the
 *     job list's draw, and the run's output bytes written and the log's hashed, it bounds the
 *     whole-process ratio.
 * Each speed figure is the median of `--rounds` rounds (default 3) that run SimPy and every gpulab
 * variant in turn, with the range beside it, and each ratio the median of the rounds' own ratios:
 * on a shared machine one round's figures swing by a quarter.
 * Skips with a message when /usr/bin/python3 cannot import SimPy (Debian: apt-get install python3-simpy).
 * `npx tsx bench/simpy.ts [jobs] [whole-process jobs] [--rounds N]` (defaults 50000, 300000, 3).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { bundle, RUN_NODE_OPTIONS } from '../src/bundle/build.mjs';
import '../policies/index.ts';
import type { NodeSpec } from '../src/cluster/types.ts';
import { Engine } from '../src/engine/engine.ts';
import type { JobSpec } from '../src/jobs/job.ts';
import { RunWriter } from '../src/output/run-writer.ts';
import { placementPolicyFactory, queuePolicyFactory } from '../src/scheduler/registry.ts';
import { simulate } from '../src/sim/simulate.ts';
import { synthesize } from '../src/workload/synthetic.ts';
import { stringify } from 'yaml';
import { outputBytes } from './output-bytes.ts';

const PY = '/usr/bin/python3';
const probe = spawnSync(PY, ['-c', 'import SimPy.Simulation'], { encoding: 'utf8' });
if (probe.status !== 0) {
  console.log('# SimPy comparison skipped: /usr/bin/python3 cannot import SimPy 2.3 (apt-get install python3-simpy)');
  process.exit(0);
}

const NODES = 128;
const nodes: NodeSpec[] = Array.from({ length: NODES }, (_, i) => ({
  id: `n${String(i).padStart(3, '0')}`,
  cpu: 1_000_000,
  memory: 10_000_000,
  gpus: Array.from({ length: 8 }, () => ({ model: 'A100-80GB', capacity: 1000 })),
}));

/** The workload as a scenario's synthetic section (also fed to `synthesize`). */
function synthetic(n: number) {
  const gpus = NODES * 8;
  return {
    jobs: n,
    meanInterarrivalSec: (2.5 * 3600) / (0.9 * gpus), // mean demand 2.5 GPUs × 3600 s at 90% load
    duration: { dist: 'exponential' as const, meanSec: 3600 },
    tenants: [{ name: 'a', share: 1 }],
    estimateError: 0,
    demands: [1, 2, 4, 8].map((g, i) => ({ weight: [4, 2, 1, 1][i], gpus: g, milli: 1000, cpu: 1000, memory: 1000 })),
  };
}

function workload(n: number): JobSpec[] {
  return synthesize(synthetic(n), 1);
}

/**
 * One gpulab run of `jobs`. `keepEndedJobs` false: the core drops each job once it ends, as a
 * run writing files does (a streaming run; JCT and utilisation are then not computed here).
 */
function gpulab(jobs: JobSpec[], hashing: boolean, keepEndedJobs = true): { s: number; jctMeanMs: number; utilPct: number } {
  const log = hashing ? new RunWriter() : { append() {} };
  const t0 = performance.now();
  const res = simulate({ run: 'simpy', seed: 1, nodes, jobs, queue: queuePolicyFactory('fifo')({}), placement: placementPolicyFactory('first-fit')({}), log, headOfLine: 'block', keepEndedJobs });
  if (log instanceof RunWriter) log.close();
  const s = (performance.now() - t0) / 1000;
  let jct = 0;
  let busy = 0;
  let last = 0;
  for (const j of res.core.jobs.values()) {
    jct += j.end - j.submit;
    busy += j.gpus * j.duration;
    last = Math.max(last, j.end);
  }
  return { s, jctMeanMs: jct / jobs.length, utilPct: (100 * busy) / (NODES * 8 * (last - jobs[0].submit)) };
}

function simpy(jobs: JobSpec[]): { wallS: number; cpuS: number; jctMeanMs: number; utilPct: number; jobs: number } {
  const dir = join('out', 'bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'simpy-jobs.csv');
  writeFileSync(file, 'submit_ms,gpus,dur_ms\n' + jobs.map((j) => `${j.submit},${j.gpus},${j.duration}`).join('\n') + '\n');
  const r = spawnSync(PY, ['bench/simpy_model.py', String(NODES), file], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`SimPy model failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/**
 * The bare engine over `jobs`: each arrival (pulled one at a time, as `simulate` pulls them)
 * schedules its completion `duration` later, whatever the capacity; nothing else. Returns seconds.
 */
function bareEngine(jobs: readonly JobSpec[]): number {
  type Ev = { readonly kind: 0 | 1; readonly i: number };
  let next = 0;
  const t0 = performance.now();
  const e: Engine<Ev> = new Engine<Ev>((ev, t) => {
    if (ev.kind === 1) return;
    e.schedule(t + jobs[ev.i].duration, { kind: 1, i: ev.i });
    if (next < jobs.length) e.schedule(jobs[next].submit, { kind: 0, i: next++ });
  });
  e.schedule(jobs[next].submit, { kind: 0, i: next++ });
  e.run();
  if (e.handled !== 2 * jobs.length) throw new Error(`bare engine handled ${e.handled} events for ${jobs.length} jobs`);
  return (performance.now() - t0) / 1000;
}

/**
 * Writes as many bytes as a run's outputs into files under `dir` in 1 MiB writes, hashing the
 * log's share (sha256, as the run's digest does). Returns seconds.
 */
function writeFloor(sizes: ReadonlyMap<string, number>, dir: string): number {
  mkdirSync(dir, { recursive: true });
  const chunk = Buffer.alloc(1 << 20, 0x61);
  const t0 = performance.now();
  for (const [name, size] of sizes) {
    const fd = openSync(join(dir, name), 'w');
    const h = name === 'events.jsonl' ? createHash('sha256') : undefined;
    for (let left = size; left > 0; left -= chunk.length) {
      const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
      h?.update(piece);
      writeSync(fd, piece);
    }
    h?.digest();
    closeSync(fd);
  }
  const s = (performance.now() - t0) / 1000;
  rmSync(dir, { recursive: true, force: true });
  return s;
}

console.log(`# gpulab vs SimPy 2.3: ${NODES} nodes × 8 GPUs, ~90% load, fifo (head-of-line blocking) + first-fit, same job list`);
const small = workload(5_000);
const a = gpulab(small, false);
const b = simpy(small);
const pct = (x: number, y: number) => `${((100 * (x - y)) / y).toFixed(2)}%`;
console.log(`  agreement (5,000 jobs): mean JCT gpulab ${(a.jctMeanMs / 1000).toFixed(0)} s, SimPy ${(b.jctMeanMs / 1000).toFixed(0)} s (${pct(a.jctMeanMs, b.jctMeanMs)}); GPU utilisation ${a.utilPct.toFixed(1)}% vs ${b.utilPct.toFixed(1)}%`);

const { values: opts, positionals } = parseArgs({ allowPositionals: true, options: { rounds: { type: 'string', default: '3' } } });
const rounds = Number(opts.rounds);
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) throw new Error(`--rounds: a whole number from 1 to 20, got ${opts.rounds}`);
const median = (xs: readonly number[]) => {
  const a = [...xs].sort((x, y) => x - y);
  return a.length % 2 === 1 ? a[(a.length - 1) / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
};
/** Jobs/s over the rounds: the median, with the range when there are several rounds. */
const rates = (jobs: number, secs: readonly number[]) => {
  const r = secs.map((x) => jobs / x / 1000);
  return `${median(r).toFixed(1)} k jobs/s${r.length > 1 ? ` (${Math.min(...r).toFixed(1)}–${Math.max(...r).toFixed(1)})` : ''}`;
};
/** The median over the rounds of what `k`× SimPy's speed leaves beyond `floor`: SimPy's time / k − floor, per round (s). */
const left = (py: readonly number[], floor: readonly number[], k: number) => median(py.map((x, i) => x / k - floor[i]));
/** `left` per job of `n`, in µs. */
const leftPerJob = (py: readonly number[], floor: readonly number[], k: number, n: number) => `${((left(py, floor, k) / n) * 1e6).toFixed(2)} µs`;
/** The median over the rounds of each round's ratio of SimPy's time to gpulab's. */
const ratio = (py: readonly number[], ours: readonly number[]) => `${median(py.map((x, i) => x / ours[i])).toFixed(2)}× SimPy`;

const n = Number(positionals[0] ?? 50_000);
const big = workload(n);
gpulab(workload(5_000), true); // warm-up
const t = { py: [] as number[], noop: [] as number[], streaming: [] as number[], hashed: [] as number[], bare: [] as number[] };
bareEngine(workload(5_000)); // warm-up
for (let r = 0; r < rounds; r++) {
  t.py.push(simpy(big).wallS);
  t.noop.push(gpulab(big, false).s);
  t.streaming.push(gpulab(big, false, false).s);
  t.hashed.push(gpulab(big, true).s);
  t.bare.push(bareEngine(big));
}
console.log(
  `  speed (${n.toLocaleString('en')} jobs, median of ${rounds} round${rounds === 1 ? '' : 's'}): SimPy ${rates(n, t.py)}; gpulab in process, no-op log ${rates(n, t.noop)} (${ratio(t.py, t.noop)}), no-op log without keeping ended jobs ${rates(n, t.streaming)} (${ratio(t.py, t.streaming)}), hashing log ${rates(n, t.hashed)} (${ratio(t.py, t.hashed)})`,
);
console.log(
  `  ceiling in process: the bare engine over the same jobs (2 events a job, nothing placed or logged) ${rates(n, t.bare)} (${ratio(t.py, t.bare)}); the goal of 20× leaves ${leftPerJob(t.py, t.bare, 20, n)} a job for all the rest (gpulab's no-op run now: ${leftPerJob(t.noop, t.bare, 1, n)})`,
);

// 3. Whole process: the same workload as a scenario through `npm run sim` (the CLI launcher and
// its prebuilt bundle, src/cli/launch.mjs; policy registry, every output written) in a child
// process, timed from spawn to exit. The bundle is built first (a first run after an edit
// builds it), so the figure is a run's, not a build's.
const wholeN = Number(positionals[1] ?? 300_000);
const dir = join('out', 'bench', 'simpy-whole');
mkdirSync(dir, { recursive: true });
const scenarioFile = join(dir, 'scenario.yaml');
writeFileSync(
  scenarioFile,
  stringify({
    name: 'simpy-whole',
    seeds: [1],
    cluster: { nodes: [{ prefix: 'n', count: NODES, cpu: 1_000_000, memory: 10_000_000, gpus: [{ count: 8, model: 'A100-80GB' }] }] },
    workload: { kind: 'synthetic', ...synthetic(wholeN) },
    scheduler: { headOfLine: 'block' },
    policies: [{ queue: 'fifo', placement: 'first-fit' }],
  }),
);
const outDir = join(dir, 'run');
// CPU time as well as wall time: on a shared machine the wall times of both sides swing with load.
const TIME = '/usr/bin/time';
const timed = existsSync(TIME);
await bundle(resolve('src/cli/sim.ts'), 'cli-sim');
const simArgs = [...RUN_NODE_OPTIONS, 'src/cli/launch.mjs', 'sim', scenarioFile, '--out', outDir]; // as npm run sim starts it
const whole = workload(wholeN);
const w = { ours: [] as number[], oursCpu: [] as number[], py: [] as number[], pyCpu: [] as number[], floor: [] as number[] };
let sizes: Map<string, number> | undefined;
let failed: string | undefined;
for (let r = 0; r < rounds && failed === undefined; r++) {
  const t0 = performance.now();
  const child = timed
    ? spawnSync(TIME, ['-f', 'cpu %U %S', process.execPath, ...simArgs], { encoding: 'utf8', maxBuffer: 1 << 24 })
    : spawnSync(process.execPath, simArgs, { encoding: 'utf8', maxBuffer: 1 << 24 });
  w.ours.push((performance.now() - t0) / 1000);
  const cpuLine = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(child.stderr);
  if (cpuLine) w.oursCpu.push(Number(cpuLine[1]) + Number(cpuLine[2]));
  if (child.status === 0) sizes ??= outputBytes(outDir);
  rmSync(outDir, { recursive: true, force: true });
  if (child.status !== 0) failed = `status ${child.status ?? child.signal}): ${child.stderr.trim().split('\n').slice(-3).join(' | ')}`;
  else {
    const py = simpy(whole);
    w.py.push(py.wallS);
    w.pyCpu.push(py.cpuS);
    // The floor: an empty Node process started as the run is, the job list drawn, the bare engine
    // over it, the run's output bytes written (the log's hashed).
    const s0 = performance.now();
    spawnSync(process.execPath, [...RUN_NODE_OPTIONS, '-e', '0']);
    const d0 = performance.now();
    const drawn = workload(wholeN);
    const drawS = (performance.now() - d0) / 1000;
    w.floor.push((d0 - s0) / 1000 + drawS + bareEngine(drawn) + writeFloor(sizes!, join(dir, 'floor')));
  }
}
if (failed !== undefined) {
  console.log(`  whole process: npm run sim failed (${failed}`);
} else {
  console.log(
    `  whole process (${wholeN.toLocaleString('en')} jobs, median of ${rounds}): npm run sim ${median(w.ours).toFixed(1)} s = ${rates(wholeN, w.ours)} (outputs written, start-up included); SimPy ${rates(wholeN, w.py)}; ratio ${ratio(w.py, w.ours)} (goal ≥ 5×)`,
  );
  if (w.oursCpu.length === rounds) {
    console.log(`  whole process, CPU time: npm run sim ${median(w.oursCpu).toFixed(1)} s, SimPy ${median(w.pyCpu).toFixed(1)} s; ratio ${ratio(w.pyCpu, w.oursCpu)}`);
  }
  const mb = (b: number) => `${(b / 1e6).toFixed(0)} MB`;
  console.log(
    `  ceiling, whole process: Node's start-up, the job list's draw, the bare engine and the run's ${mb([...sizes!.values()].reduce((x, y) => x + y, 0))} of outputs written (${[...sizes!].map(([f, b]) => `${f} ${mb(b)}`).join(', ')}; the log hashed) ${median(w.floor).toFixed(2)} s = ${rates(wholeN, w.floor)} (${ratio(w.py, w.floor)}); the goal of 5× leaves ${left(w.py, w.floor, 5).toFixed(2)} s for all the rest (npm run sim now: ${left(w.ours, w.floor, 1).toFixed(2)} s)`,
  );
}
