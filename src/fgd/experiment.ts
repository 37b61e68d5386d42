import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { NodeSpec } from '../cluster/types.ts';
import { typicalPods, type TypicalPod } from '../frag/typical-pods.ts';
import { toCsv } from '../output/csv.ts';
import type { OpenbPod } from '../trace/openb.ts';
import { kernelFor } from './kernels.ts';
import { FillCache, staticFill, type FillResult } from './static-fill.ts';

/**
 * The FGD study's experiment: every policy × seed is one static fill (src/fgd/static-fill.ts) of
 * the same node list and pod list. Runs are independent and deterministic, so they may be spread
 * over worker threads; results are put back in (policy, seed) order, so the output does not
 * depend on the number of workers. Each run gets a fresh memo (FillCache): measured faster than
 * one shared memo, whose tables grow with every run's new node states.
 */

export interface ExperimentRun {
  /** Label in outputs. */
  readonly label: string;
  /** Kernel name (src/fgd/kernels.ts). */
  readonly placement: string;
}

export interface ExperimentInput {
  readonly workload: string;
  readonly nodes: readonly NodeSpec[];
  readonly pods: readonly OpenbPod[];
  readonly runs: readonly ExperimentRun[];
  readonly seeds: readonly number[];
  readonly tune: number;
  /** Worker threads (default: min(available cores, runs); 1 = in this thread). */
  readonly workers?: number;
}

export interface RunResult extends FillResult {
  readonly label: string;
  readonly wallMs: number;
}

interface Job {
  readonly i: number;
  readonly label: string;
  readonly placement: string;
  readonly seed: number;
}

/** One run, in this thread. */
export function runOne(nodes: readonly NodeSpec[], pods: readonly OpenbPod[], typical: readonly TypicalPod[], job: Job, tune: number): RunResult {
  const t0 = performance.now();
  const r = staticFill({ nodes, pods, kernel: kernelFor(job.placement), seed: job.seed, tune, cache: new FillCache(typical) });
  return { ...r, label: job.label, wallMs: performance.now() - t0 };
}

export async function runExperiment(input: ExperimentInput): Promise<{ results: RunResult[]; typical: TypicalPod[] }> {
  const typical = typicalPods(input.pods);
  for (const r of input.runs) kernelFor(r.placement); // unknown names fail before any work
  const jobs: Job[] = [];
  for (const r of input.runs) for (const seed of input.seeds) jobs.push({ i: jobs.length, label: r.label, placement: r.placement, seed });
  const n = Math.max(1, Math.min(input.workers ?? availableParallelism(), jobs.length));
  const results: RunResult[] = new Array(jobs.length);
  if (n === 1) {
    for (const j of jobs) results[j.i] = runOne(input.nodes, input.pods, typical, j, input.tune);
    return { results, typical };
  }
  // Dynamic split: one queue, fgd's (slowest) runs first; this thread and n−1 worker threads
  // each take the next run when done with the last. The worker threads start late (each compiles
  // the TypeScript sources again), so a fixed split would leave this thread idle at the end.
  const queue = [...jobs].sort((x, y) => Number(y.placement === 'fgd') - Number(x.placement === 'fgd') || x.i - y.i);
  const pending = Promise.all(
    Array.from(
      { length: n - 1 },
      () =>
        new Promise<void>((done, fail) => {
          const w = new Worker(new URL('./experiment-worker.mjs', import.meta.url), {
            workerData: { entry: new URL('./experiment-worker-main.ts', import.meta.url).href, nodes: input.nodes, pods: input.pods, typical, tune: input.tune },
          });
          const feed = () => w.postMessage(queue.shift() ?? null);
          w.on('message', (m: { ready: true } | { i: number; result: RunResult }) => {
            if ('result' in m) results[m.i] = m.result;
            feed();
          });
          w.on('error', fail);
          w.on('exit', (code) => (code === 0 ? done() : fail(new Error(`static-fill worker exited with code ${code}`))));
        }),
    ),
  );
  for (let j = queue.shift(); j; j = queue.shift()) {
    results[j.i] = runOne(input.nodes, input.pods, typical, j, input.tune);
    await new Promise((r) => setImmediate(r)); // let workers' requests for more runs through
  }
  await pending;
  return { results, typical };
}

export interface PolicySummary {
  readonly label: string;
  readonly seeds: number;
  /** Seed means at arrived 100% and at the top (130%); NaN when a run has no such row. */
  readonly alloc100: number;
  readonly frag100: number;
  readonly allocTop: number;
  readonly fragTop: number;
  readonly failedMean: number;
}

const mean = (xs: number[]) => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);

/** Per label (first-seen order): seed means of gpu_alloc_pct and frag_pct at `lo`% and `hi`%. */
export function summarise(results: readonly RunResult[], lo = 100, hi = 130): PolicySummary[] {
  const labels = [...new Set(results.map((r) => r.label))];
  return labels.map((label) => {
    const rs = results.filter((r) => r.label === label);
    const at = (pct: number) => rs.map((r) => r.points.find((p) => p.arrivedPct === pct)).filter((p) => p !== undefined);
    const a = at(lo);
    const b = at(hi);
    return {
      label,
      seeds: rs.length,
      alloc100: mean(a.map((p) => p.gpuAllocPct)),
      frag100: mean(a.map((p) => p.fragPct)),
      allocTop: mean(b.map((p) => p.gpuAllocPct)),
      fragTop: mean(b.map((p) => p.fragPct)),
      failedMean: mean(rs.map((r) => r.failed)),
    };
  });
}

const r4 = (x: number) => String(Math.round(x * 1e4) / 1e4);

/** fgd-curve.csv: workload,policy,seed,arrived_pct,gpu_alloc_pct,frag_pct — one row per integer %. */
export function curveCsv(workload: string, results: readonly RunResult[]): string {
  const rows = results.flatMap((r) => r.points.map((p) => [workload, r.label, r.seed, p.arrivedPct, r4(p.gpuAllocPct), r4(p.fragPct)]));
  return toCsv(['workload', 'policy', 'seed', 'arrived_pct', 'gpu_alloc_pct', 'frag_pct'], rows);
}
