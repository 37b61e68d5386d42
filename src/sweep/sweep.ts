import { availableParallelism } from 'node:os';
import type { NodeSpec } from '../cluster/types.ts';
import type { PolicyGuard } from '../scheduler/policy-guard.ts';
import { SweepContext, type SweepSpec, type TaskResult } from './context.ts';
import type { SweepPlan, SweepTask } from './plan.ts';
import { runPool } from './pool.ts';
import { shardTasks, type Shard } from './shard.ts';
import { sweepWorkerBundle } from './worker-bundle.ts';

/**
 * Runs a sweep's tasks (all, or one shard's) in this thread or on worker threads and returns
 * every result at its plan index. Where a run ran changes nothing in its result (each is a pure
 * function of the scenario, its workload, policy and seed), so outputs built from the results in
 * plan order are the same bytes for any `jobs` and any sharding. A failed run is recorded with its
 * name and the others go on; when every run fails, the (first) error is thrown as it is.
 */

export interface SweepOptions {
  /** Worker threads; 1 = in this thread (default: the scenario's `workload.workers`, else the machine's cores). */
  readonly jobs?: number;
  readonly shard?: Shard;
  readonly say: (line: string) => void;
  /** This thread's policy guard (the CLI's has the watchdog); workers use a plain one. */
  readonly guard?: PolicyGuard;
  /** The scenario's nodes when the caller has loaded them already. */
  readonly nodes?: NodeSpec[];
}

export interface SweepFailure {
  readonly task: SweepTask;
  readonly message: string;
  /** The error itself, when the run failed in this thread. */
  readonly error?: unknown;
}

export interface SweepOutcome {
  readonly plan: SweepPlan;
  /** The tasks this sweep ran (a shard's, or all), ascending. */
  readonly ran: readonly number[];
  /** Results by plan index; holes where a task failed or belongs to another shard. */
  readonly results: readonly (TaskResult | undefined)[];
  readonly failures: readonly SweepFailure[];
  /** Worker threads used (1: this thread) and why, when fewer than asked. */
  readonly jobs: number;
  readonly note?: string;
  readonly wallMs: number;
}

/**
 * Below this many simulated jobs in all (synthetic workloads, where the count is known up front), a
 * sweep without `--jobs` runs in this thread: each worker thread loads the bundle and warms its JIT
 * again. Measured on the 2-core dev machine (bench/sweep.ts' sweep of 8 runs): 6,000 jobs a run
 * took 1.06 s serially and 1.75 s on 2 threads; 30,000 jobs 4.25 s and 3.97 s; 100,000 jobs
 * 12.3 s and 8.1 s.
 */
export const MIN_THREADED_JOB_RUNS = 250_000;

export async function runSweep(spec: SweepSpec, o: SweepOptions): Promise<SweepOutcome> {
  const t0 = performance.now();
  const ctx = new SweepContext(spec, o.say, o.guard, o.nodes);
  const plan = ctx.plan;
  const ran = shardTasks(plan.tasks.length, o.shard);
  const results: (TaskResult | undefined)[] = new Array(plan.tasks.length).fill(undefined);
  const failures: SweepFailure[] = [];
  const w = spec.scn.workload;
  let jobs = Math.max(1, Math.min(o.jobs ?? (w.kind === 'static-fill' ? w.workers : undefined) ?? availableParallelism(), ran.length));
  let note: string | undefined;
  const jobRuns = w.kind === 'synthetic' ? w.jobs * ran.length : undefined;
  if (o.jobs === undefined && jobs > 1 && jobRuns !== undefined && jobRuns < MIN_THREADED_JOB_RUNS) {
    note = `a small sweep (${jobRuns.toLocaleString('en')} jobs in all): worker threads would cost more to start than they save; runs in this thread (--jobs N to use threads)`;
    jobs = 1;
  }
  if (jobs > 1 && spec.scn.plugins.length > 0) {
    note = 'plugins register policies in this thread only: runs in this thread';
    jobs = 1;
  }
  let bundle: string | undefined;
  if (jobs > 1) {
    try {
      const b = await sweepWorkerBundle();
      bundle = b.file;
      if (b.built) o.say(`sweep: worker bundle built in ${b.ms.toFixed(0)} ms (${b.file})`);
    } catch (e) {
      note = `no worker bundle (${(e as Error).message.split('\n')[0]}): runs in this thread`;
      jobs = 1;
    }
  }
  if (note) o.say(`sweep: ${note}`);
  o.say(`sweep: ${ran.length} run${ran.length === 1 ? '' : 's'}${o.shard ? ` (shard ${o.shard.index}/${o.shard.count} of ${plan.tasks.length})` : ''} on ${jobs === 1 ? 'this thread' : `${jobs} worker threads`}`);

  const progress = progressLine(ran.length, o.say);
  const done = (i: number, r: TaskResult) => {
    results[i] = r;
    progress(plan.tasks[i].name, r.kind === 'simulation' ? `${r.run.events} events in ${r.run.wallMs} ms` : `${r.fill.pods} pods, ${r.fill.failed} failed in ${r.fill.wallMs.toFixed(0)} ms`);
  };
  const failed = (i: number, message: string, error?: unknown) => {
    failures.push({ task: plan.tasks[i], message, error });
    progress(plan.tasks[i].name, `FAILED: ${message.split('\n')[0]}`);
  };
  if (jobs === 1) {
    for (const i of ran) {
      // Let a pending SIGINT/SIGTERM be handled (it removes the unfinished output) between runs.
      if (i !== ran[0]) await new Promise((r) => setImmediate(r));
      let r: TaskResult;
      try {
        r = await ctx.run(plan.tasks[i]);
      } catch (e) {
        failed(i, e instanceof Error ? e.message : String(e), e);
        continue;
      }
      done(i, r); // outside the try: a throwing progress printer stops the sweep, it fails no run
    }
  } else {
    await runPool({ bundle: bundle!, spec, order: ran, jobs, onDone: done, onFailed: failed, onNote: o.say });
  }
  failures.sort((a, b) => a.task.i - b.task.i);
  if (ran.length > 0 && failures.length === ran.length) {
    // Nothing ran (a trace that cannot be read, say): the error itself, as without a sweep. A
    // worker's error arrives as text only, so its run is repeated here to throw it with its type.
    const f = failures[0];
    if (f.error !== undefined) throw f.error;
    await ctx.run(f.task);
  }
  return { plan, ran, results, failures, jobs, note, wallMs: performance.now() - t0 };
}

/** A progress printer: every run when there are few, else about one line a second (and the last). */
function progressLine(total: number, say: (l: string) => void): (name: string, what: string) => void {
  let k = 0;
  let last = performance.now();
  return (name, what) => {
    k++;
    const now = performance.now();
    if (total <= 100 || what.startsWith('FAILED') || k === total || now - last >= 1000) {
      last = now;
      say(`[${k}/${total}] ${name}: ${what}`);
    }
  };
}
