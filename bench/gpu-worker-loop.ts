/**
 * Where a live tensor job loses matMul throughput (figures, not pass/fail; docs/gpu-run.md, "where
 * live jobs lost it"): on the GPU box live matmul jobs reached about 4 TFLOP/s where the same loop
 * in a bare process (bench/gpu-matmul.ts) reached 5.6–10.4. This bench showed the steady rate equal
 * in every mode and the loss before a job's first report: its inputs were drawn in JavaScript (run
 * 4 there, since fixed). One matmul job per size is run six ways, each in a fresh process with its
 * own GPU device, one after another:
 *  - `loop`: bench/gpu-matmul.ts's job loop (one warm-up product first), bare process;
 *  - `job`: runTensorJob (src/live/workloads/tensor-jobs.ts, the job's own code), bare process;
 *  - `ipc`: runTensorJob in a forked child, inside its IPC message handler, progress sent over IPC;
 *  - `worker`: the live worker (src/live/worker.ts) through the LiveExecutor, no sandbox, cold;
 *  - `worker warm`: the same on a pooled worker that has said ready;
 *  - `sandboxed warm`: the same inside the sandbox (cgroups, namespaces, uid nobody …).
 * Each row gives the job's rate over its whole compute time (first product, which compiles the
 * shaders, included) and its steady rate between the first and the last progress report.
 * On the GPU box: bench/gpu-worker-loop.sh (bundled by `scripts/gpu-bundle.sh --worker-loop`, with
 * `worker.mjs` beside it); here: `npx tsx bench/gpu-worker-loop.ts --sizes 128 --gflop 0.5 --backends wasm,cpu`.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { newJob } from '../src/jobs/job.ts';
import { LiveExecutor, type JobMeasure } from '../src/live/live-executor.ts';
import { detectSandbox } from '../src/live/sandbox.ts';
import type { BackendName, TensorWork } from '../src/live/work-spec.ts';
import { workerScript } from '../src/live/worker-entry.ts';
import { chooseBackend } from '../src/live/workloads/backend.ts';
import { runTensorJob, stepFlop, totalSteps } from '../src/live/workloads/tensor-jobs.ts';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '4096,8192' },
    gflop: { type: 'string', default: '8000,20000' },
    backends: { type: 'string', default: 'webgpu,wasm,cpu' },
    child: { type: 'string' },
    n: { type: 'string' },
  },
});
const backends = values.backends.split(',') as BackendName[];

/** A progress sample: when (ms, this process's clock) and FLOP done by then. */
type Sample = readonly [number, number];
interface Outcome {
  readonly computeMs: number;
  readonly flop: number;
  readonly samples: readonly Sample[];
  readonly backend: string;
}

type Work = Extract<TensorWork, { kind: 'matmul' }>;

/** FLOP/s over the samples' span: from the first report (after at least one product) to the last. */
function steady(samples: readonly Sample[]): number {
  if (samples.length < 2) return NaN;
  const [t0, f0] = samples[0];
  const [t1, f1] = samples[samples.length - 1];
  return t1 > t0 ? ((f1 - f0) / (t1 - t0)) * 1000 : NaN;
}

/** The job in this process: runTensorJob as the worker runs it, or the bench loop with a warm-up first. */
async function inProcess(work: Work, loop: boolean, onProgress?: (done: number, total: number, flop: number) => void): Promise<Outcome> {
  const { tf, backend } = await chooseBackend(backends);
  const samples: Sample[] = [];
  const report = (done: number, total: number, flop: number) => {
    samples.push([performance.now(), flop]);
    onProgress?.(done, total, flop);
  };
  if (!loop) {
    const t0 = performance.now();
    const r = await runTensorJob(tf, work, report);
    return { computeMs: performance.now() - t0, flop: r.flop, samples, backend };
  }
  const a = tf.randomNormal([work.n, work.n]);
  const b = tf.randomNormal([work.n, work.n]);
  const warm = tf.tidy(() => tf.sum(tf.matMul(a, b)));
  await warm.data();
  warm.dispose();
  const steps = totalSteps(work);
  const per = stepFlop(work);
  const t0 = performance.now();
  for (let i = 1; i <= steps; i++) {
    const r = tf.tidy(() => tf.sum(tf.matMul(a, b)));
    await r.data();
    r.dispose();
    report(i, steps, i * per);
  }
  return { computeMs: performance.now() - t0, flop: per * steps, samples, backend };
}

if (values.child !== undefined) {
  // A child of the run below: `loop` and `job` run at once; `ipc` waits for its job on the channel.
  const work: Work = { kind: 'matmul', n: Number(values.n), gflop: Number(values.gflop) };
  if (values.child === 'ipc') {
    process.on('message', async () => {
      const o = await inProcess(work, false, (done, total, flop) => process.send!({ progress: [done, total, flop] }));
      process.send!({ outcome: o }, () => process.exit(0));
    });
    process.send!({ ready: true });
  } else {
    const o = await inProcess(work, values.child === 'loop');
    process.send!({ outcome: o }, () => process.exit(0));
  }
} else {
  const sizes = values.sizes.split(',').map(Number);
  const gflops = values.gflop.split(',').map(Number);
  if (sizes.length !== gflops.length || sizes.some((n) => !Number.isInteger(n) || n < 1) || gflops.some((g) => !(g > 0))) throw new Error('--sizes and --gflop: as many positive numbers each');
  const script = await workerScript();
  const self = fileURLToPath(import.meta.url);

  /** A fresh child process running `mode`; for `ipc`, the parent's clock times the progress it receives. */
  const child = (mode: 'loop' | 'job' | 'ipc', work: Work): Promise<Outcome> =>
    new Promise((resolve, reject) => {
      const c = fork(self, ['--child', mode, '--n', String(work.n), '--gflop', String(work.gflop), '--backends', values.backends], { stdio: 'inherit', execArgv: process.execArgv });
      const samples: Sample[] = [];
      c.on('message', (m: { ready?: boolean; progress?: [number, number, number]; outcome?: Outcome }) => {
        if (m.ready) c.send({ run: true });
        else if (m.progress) samples.push([performance.now(), m.progress[2]]);
        else if (m.outcome) resolve(mode === 'ipc' ? { ...m.outcome, samples } : m.outcome);
      });
      c.on('exit', (code) => (code === 0 ? undefined : reject(new Error(`${mode} child exited ${code}`))));
    });

  /** One job through a LiveExecutor (no sandbox or the machine's), on a cold worker or a ready pooled one. */
  const viaWorker = async (sandbox: 'none' | 'auto', warm: boolean, work: Work): Promise<Outcome & { warmStart: boolean }> => {
    const samples: Sample[] = [];
    let measure: JobMeasure | undefined;
    let done!: () => void;
    const ended = new Promise<void>((r) => (done = r));
    const x = new LiveExecutor({
      emit: (ev) => (ev.kind === 'completion' ? done() : undefined),
      layers: detectSandbox(sandbox),
      workerScript: script,
      workFor: (j) => j.work as TensorWork,
      defaultTimeoutMs: 600_000,
      graceMs: 1000,
      outputLimitBytes: 1 << 20,
      pidsMax: 256,
      minMemoryMiB: 4096,
      backends,
      heartbeatMs: 1000,
      staleAfterBeats: 60,
      warmPool: { tensor: warm ? 1 : 0 },
      onProgress: (_id, _done, _total, flop) => samples.push([performance.now(), flop]),
      onMeasure: (m) => (measure = m),
    });
    try {
      if (warm) await x.warmUp();
      const j = newJob({ id: `${sandbox}-${warm ? 'warm' : 'cold'}-${work.n}`, tenant: 't', submit: 0, duration: 1000, priority: 0, cpu: 4000, memory: 8192, gpus: 0, milli: 0, work });
      j.state = 'running';
      j.attempt = 1;
      x.start(j, { node: 0, gpus: [] });
      await ended;
    } finally {
      await x.shutdown();
    }
    if (!measure || measure.outcome !== 'succeeded') throw new Error(`worker job ${measure?.outcome ?? 'lost'}: ${measure?.reason ?? ''}`);
    return { computeMs: measure.computeMs, flop: measure.flop, samples, backend: measure.backend, warmStart: measure.warm };
  };

  console.log(`# matmul job throughput by how it is run; backends ${values.backends}; TFLOP/s`);
  console.log('n      GFLOP   how              backend  compute s  whole job  steady');
  for (const [i, n] of sizes.entries()) {
    const work: Work = { kind: 'matmul', n, gflop: gflops[i] };
    const runs: [string, () => Promise<Outcome>][] = [
      ['loop', () => child('loop', work)],
      ['job', () => child('job', work)],
      ['ipc', () => child('ipc', work)],
      ['worker', () => viaWorker('none', false, work)],
      ['worker warm', () => viaWorker('none', true, work)],
      ['sandboxed warm', () => viaWorker('auto', true, work)],
    ];
    for (const [how, run] of runs) {
      const o = await run();
      const whole = o.flop / (o.computeMs / 1000) / 1e12;
      const st = steady(o.samples) / 1e12;
      console.log(`${String(n).padEnd(6)} ${String(work.gflop).padStart(6)}  ${how.padEnd(15)}  ${o.backend.padEnd(7)}  ${(o.computeMs / 1000).toFixed(2).padStart(9)}  ${whole.toFixed(3).padStart(9)}  ${Number.isNaN(st) ? '     -' : st.toFixed(3).padStart(6)}`);
    }
  }
}
