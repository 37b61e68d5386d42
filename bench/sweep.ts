/**
 * Sweep benchmark (figures, not pass/fail): `npm run bench:sweep` (`-- --matrix` adds the whole
 * FGD matrix, 1,020 runs). In one process, so every figure has its baseline beside it:
 *  1. a synthetic simulation sweep (2 policies × 4 seeds) run serially and on worker threads,
 *     outputs written; wall times, speed-up, and whether every output file is byte-identical;
 *  2. the fgd-openb study (6 policies × 10 seeds) the same way (skipped without the traces);
 *  3. static fill per policy: the old scan of every live state vs the cost index, ms per run and
 *     whether the fills are identical (random: other draws, the same distribution);
 *  4. with --matrix: scenarios/fgd-matrix.yaml on every core, where the time went.
 * The machine may be shared: compare the figures of one run only.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Worker } from 'node:worker_threads';
import { kernelFor } from '../src/fgd/kernels.ts';
import { FillCache, staticFill } from '../src/fgd/static-fill.ts';
import { typicalPods } from '../src/frag/typical-pods.ts';
import { loadScenario, parseScenario } from '../src/scenario/load.ts';
import { runScenario } from '../src/scenario/run.ts';
import type { Scenario } from '../src/scenario/schema.ts';
import { loadOpenbNodes, loadOpenbPods } from '../src/trace/openb.ts';
import { traceDir } from '../src/trace/resolve.ts';

const jobs = Math.max(2, availableParallelism());
const root = mkdtempSync(join(tmpdir(), 'gpulab-bench-sweep-'));

/**
 * What the machine gives threads right now: a fixed busy loop on 1 worker thread, then on `n` at
 * once (n times the work). The throughput ratio is the best speed-up any sweep can show in this
 * run; on a shared machine it can be far below the core count.
 */
async function capacity(n: number): Promise<number> {
  const loop = `const { parentPort } = require('node:worker_threads'); let x = 0; for (let i = 0; i < 2e8; i++) x += i % 7; parentPort.postMessage(x);`;
  const run = (k: number) =>
    new Promise<number>((done) => {
      const t = performance.now();
      let left = k;
      for (let i = 0; i < k; i++) new Worker(loop, { eval: true }).on('message', () => --left === 0 && done(performance.now() - t));
    });
  const one = await run(1);
  const many = await run(n);
  return (n * one) / many;
}
const cap = await capacity(jobs);
console.log(`# machine now: ${jobs} busy threads get ${cap.toFixed(2)}× the throughput of 1 (the most any sweep below can gain)`);

function files(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (e !== 'summary.json') out.set(relative(dir, p), readFileSync(p));
      // summary.json names its output directory; compared without that field below
      else out.set(relative(dir, p), Buffer.from(JSON.stringify({ ...JSON.parse(readFileSync(p, 'utf8')), output: '' })));
    }
  };
  walk(dir);
  return out;
}

function identical(a: string, b: string): string {
  const fa = files(a);
  const fb = files(b);
  const differ = [...fa.keys()].filter((k) => !fb.get(k)?.equals(fa.get(k)!));
  const extra = [...fb.keys()].filter((k) => !fa.has(k));
  return differ.length + extra.length === 0 ? `all ${fa.size} files byte-identical` : `DIFFERENT: ${[...differ, ...extra].slice(0, 5).join(', ')}`;
}

async function serialVsParallel(title: string, scn: Scenario, file: string): Promise<void> {
  const t0 = performance.now();
  await runScenario(scn, { file, out: join(root, `${scn.name}-serial`), jobs: 1 });
  const serial = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  await runScenario(scn, { file, out: join(root, `${scn.name}-parallel`), jobs });
  const parallel = (performance.now() - t1) / 1000;
  console.log(`# ${title}`);
  console.log(`  serial ${serial.toFixed(2)} s; ${jobs} worker threads ${parallel.toFixed(2)} s; speed-up ${(serial / parallel).toFixed(2)}× (goal ≥ 1.8× on 2 cores; busy-loop ceiling now ${cap.toFixed(2)}×)`);
  console.log(`  outputs: ${identical(join(root, `${scn.name}-serial`), join(root, `${scn.name}-parallel`))}`);
}

const SIM = `
name: bench-sweep
seeds: [1, 2, 3, 4]
cluster:
  nodes:
    - { prefix: a-, count: 8, cpu: 96000, memory: 786432, gpus: [{ count: 8, model: A100-80GB }] }
workload:
  kind: synthetic
  jobs: 6000
  meanInterarrivalSec: 40
  duration: { dist: lognormal, medianSec: 1200, sigma: 1.0 }
  tenants: [{ name: a }, { name: b, share: 2 }]
  demands:
    - { weight: 4, gpus: 1, cpu: 8000, memory: 32768 }
    - { weight: 2, gpus: 2, cpu: 16000, memory: 65536 }
    - { weight: 1, gpus: 4, cpu: 32000, memory: 131072 }
policies:
  - { queue: fifo, placement: first-fit }
  - { queue: fifo, placement: best-fit }
`;

await serialVsParallel('synthetic sweep: 2 policies × 4 seeds, 6,000 jobs each, outputs written', parseScenario(SIM, join(root, 'sim.yaml')), join(root, 'sim.yaml'));

const dir = join(traceDir(), 'alibaba-gpu-v2023');
if (!statSync(dir, { throwIfNoEntry: false })) {
  console.log(`# fgd: skipped, openb traces not found under ${dir} (set GPULAB_TRACE_DIR)`);
} else {
  const file = 'scenarios/fgd-openb.yaml';
  await serialVsParallel('fgd-openb: 6 policies × 10 seeds, static fill to 130%', loadScenario(file), file);

  console.log('\n# static fill, one run per policy in this thread (default pod list, seeds 42–44): scan vs cost index');
  const { nodes } = await loadOpenbNodes(join(dir, 'openb_node_list_gpu_node.csv'));
  const { pods } = await loadOpenbPods(join(dir, 'openb_pod_list_default.csv'), { onBadRow: 'stop' });
  const typical = typicalPods(pods);
  const fill = (p: string, seed: number, scan: boolean) => staticFill({ nodes, pods, kernel: kernelFor(p), seed, tune: 1.3, cache: new FillCache(typical), scan });
  let sumScan = 0;
  let sumIndex = 0;
  for (const p of ['random', 'dot-product', 'gpu-clustering', 'gpu-packing', 'best-fit-study', 'fgd']) {
    fill(p, 41, false); // warm-up
    let a = 0;
    let b = 0;
    let same = true;
    for (const seed of [42, 43, 44]) {
      let t = performance.now();
      const r1 = fill(p, seed, true);
      a += performance.now() - t;
      t = performance.now();
      const r2 = fill(p, seed, false);
      b += performance.now() - t;
      same &&= JSON.stringify(r1) === JSON.stringify(r2);
    }
    sumScan += a;
    sumIndex += b;
    // Random ties draw nodes before reading the index: the same distribution, other draws.
    const verdict = p === 'random' ? 'other draws (uniform either way)' : same ? 'same fill' : 'DIFFERENT FILL';
    console.log(`  ${p.padEnd(15)} scan ${(a / 3).toFixed(0).padStart(5)} ms  index ${(b / 3).toFixed(0).padStart(5)} ms  ${verdict}`);
  }
  console.log(`  all six: scan ${(sumScan / 18).toFixed(0)} ms/run, index ${(sumIndex / 18).toFixed(0)} ms/run (${(sumScan / sumIndex).toFixed(2)}×)`);

  if (process.argv.includes('--matrix')) {
    const mfile = 'scenarios/fgd-matrix.yaml';
    const t0 = performance.now();
    const s = await runScenario(loadScenario(mfile), { file: mfile, out: join(root, 'fgd-matrix'), jobs });
    console.log(`\n# fgd-matrix: 17 pod lists × 6 policies × 10 seeds = 1,020 runs on ${jobs} worker threads (goal < 60 s)`);
    console.log(`  wall ${((performance.now() - t0) / 1000).toFixed(2)} s`);
    console.log(`  ${s.time}`);
  }
}
rmSync(root, { recursive: true, force: true });
