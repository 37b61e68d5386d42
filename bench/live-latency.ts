/**
 * Start latency of live jobs, cold (a fresh sandboxed worker per job) versus warm (a pre-started
 * worker from the pool), measured from the scheduler's start decision to the worker's `started`.
 * Jobs run one at a time on an otherwise idle machine; for warm runs the pool is refilled and
 * ready before each job. Usage: npx tsx bench/live-latency.ts [jobs per case, default 5]
 */
import { newJob } from '../src/jobs/job.ts';
import { LiveExecutor } from '../src/live/live-executor.ts';
import { detectSandbox, layerNames } from '../src/live/sandbox.ts';
import type { WorkSpec } from '../src/live/work-spec.ts';
import { workerScript } from '../src/live/worker-entry.ts';
import { mean, percentileSorted } from '../src/metrics/stats.ts';

const n = Number(process.argv[2] ?? 5);
const script = await workerScript();
const layers = detectSandbox('auto', { node: process.execPath, script });
console.log(`isolation: ${layerNames(layers).join(', ')}; ${n} jobs per case`);

async function measure(work: WorkSpec, warm: boolean): Promise<number[]> {
  let resolve: () => void = () => {};
  const x = new LiveExecutor({
    emit: () => resolve(),
    layers,
    workerScript: script,
    workFor: () => work,
    defaultTimeoutMs: 60_000,
    graceMs: 500,
    outputLimitBytes: 1 << 20,
    pidsMax: 64,
    minMemoryMiB: 384,
    backends: ['wasm', 'cpu'],
    warmPool: warm ? { tensor: 1, plain: 1 } : {},
  });
  await x.warmUp();
  for (let i = 0; i < n; i++) {
    await x.poolReady();
    const j = newJob({ id: `j${i}`, tenant: 't', submit: 0, duration: 1, priority: 0, cpu: 1000, memory: 512, gpus: 0, milli: 0 });
    j.state = 'running';
    j.attempt = 1;
    const done = new Promise<void>((r) => (resolve = r));
    x.start(j, { node: 0, gpus: [] });
    await done;
  }
  await x.shutdown();
  if (x.strays().length > 0) throw new Error(`stray processes: ${x.strays().join(' ')}`);
  return x.measures.map((m) => m.submitToRunningMs).sort((a, b) => a - b);
}

const cases: [string, WorkSpec][] = [
  ['plain (sleep 10 ms)', { kind: 'sleep', ms: 10 }],
  ['tensor (matmul n=64)', { kind: 'matmul', n: 64, gflop: 0.001 }],
];
console.log('case                    pool   mean ms   p50 ms   max ms');
for (const [name, work] of cases) {
  for (const warm of [false, true]) {
    const ms = await measure(work, warm);
    console.log(`${name.padEnd(24)}${(warm ? 'warm' : 'cold').padEnd(7)}${mean(ms).toFixed(1).padStart(8)}${percentileSorted(ms, 50).toFixed(1).padStart(9)}${ms[ms.length - 1].toFixed(1).padStart(9)}`);
  }
}
