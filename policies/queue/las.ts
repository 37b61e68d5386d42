import { z } from 'zod';
import type { JobView } from '../../src/jobs/job.ts';
import type { QueuePolicy, SchedulerView } from '../../src/scheduler/policy.ts';
import { parsePolicyParams } from '../../src/scheduler/registry.ts';
import { queuedByKey } from '../../src/scheduler/keyed-queue.ts';
import { planPreemption } from '../../src/scheduler/preempt-kit.ts';

/**
 * las: Tiresias' discretised two-dimensional least-attained-service (Gu et al., "Tiresias: A GPU
 * Cluster Manager for Distributed Deep Learning", NSDI 2019, §4.2, 2D-LAS with discretised
 * priority queues). Attained service = #GPUs × executed time (GPU·s). Queue k holds jobs whose
 * attained service lies in [T(k−1), T(k)) for the thresholds `thresholdsGpuSec` (default [3600]:
 * two queues); lower queues run first, FIFO by submit time within a queue (ties by id). A job
 * waiting in the queue for at least `starveFactor` × its executed time (and `starveMinSec`) is
 * promoted to the highest queue (the paper's starvation guard, STARVELIMIT) for ordering: it
 * starts first when GPUs free up. A queued job preempts running jobs of strictly lower queues by
 * attained service (the lowest queue first, then the most recently started) when that lets it
 * start — the "demotion" preemption of LAS. Promotion itself never preempts: a promoted job would
 * be back in a low queue by attained service once running, and preempting for it makes jobs
 * evict each other in turn (the paper resets a promoted job's service; a pure policy keeps no
 * such state). Pure.
 *
 * Example with thresholds [3600]: a 4-GPU job that ran 1000 s attained 4000 GPU·s → queue 1;
 * a new 8-GPU job (0 GPU·s, queue 0) preempts it if it needs its GPUs.
 */
export const LasParams = z.strictObject({
  /** Queue boundaries in attained GPU·s, positive and increasing (k thresholds: k + 1 queues). */
  thresholdsGpuSec: z
    .array(z.number().positive())
    .refine((t) => t.every((x, i) => i === 0 || x > t[i - 1]), 'must be increasing')
    .default([3600]),
  /** Promote a job that waited this many times its executed time. */
  starveFactor: z.number().nonnegative().default(2),
  /** … and at least this long (seconds). */
  starveMinSec: z.number().nonnegative().default(0),
});

/** Raw options are checked here too (PolicyParamsError naming the field): `las({ starveFactor: 4 })`. */
export function las(params: z.input<typeof LasParams> = {}): QueuePolicy {
  const p = parsePolicyParams(LasParams, params, "queue policy 'las'");
  const thresholds = p.thresholdsGpuSec.map((x) => x * 1000);
  const starveFactor = p.starveFactor;
  const starveMin = p.starveMinSec * 1000;
  /** Attained GPU·ms at `now`. */
  const attained = (j: JobView, now: number) => j.gpus * (j.executed + (j.state === 'running' ? now - j.start : 0));
  const level = (j: JobView, now: number) => {
    const a = attained(j, now);
    let k = 0;
    while (k < thresholds.length && a >= thresholds[k]) k++;
    return k;
  };
  const queueOf = (j: JobView, now: number) => {
    const waited = now - j.queuedAt;
    if (j.executed > 0 && waited >= Math.max(starveMin, starveFactor * j.executed)) return 0;
    return level(j, now);
  };
  const order = (view: SchedulerView) =>
    view.queue
      .map((j) => ({ j, q: queueOf(j, view.now) }))
      .sort((a, b) => a.q - b.q || a.j.submit - b.j.submit || byId(a.j, b.j))
      .map((x) => x.j);
  /**
   * The same order, read as the pass goes: queue by queue, a walk of the jobs by (submit, id)
   * (the core's index by submit time, `view.queuedBy`, a run of equal submit times sorted by id)
   * yielding that queue's jobs. A pass that stops early (`headOfLine: block`, the victims' first
   * 64) reads the queue only as far as it needs while the low queues hold jobs.
   */
  function* lazily(view: SchedulerView): Generator<JobView> {
    const now = view.now;
    for (let q = 0; q <= thresholds.length; q++) {
      for (const j of bySubmitThenId(queuedByKey(view, submitOf))) if (queueOf(j, now) === q) yield j;
    }
  }
  return {
    name: 'las',
    order,
    lazyOrder: lazily,
    victims: (view) =>
      planPreemption(
        view,
        lazily(view),
        (w, r) => level(w, view.now) < level(r, view.now),
        (a, b) => level(b, view.now) - level(a, view.now) || b.start - a.start || byId(a, b),
        (w, r) => `las:q${level(r, view.now)}>q${level(w, view.now)}:${w.id}`,
      ),
    claims: { workConserving: true },
  } satisfies QueuePolicy;
}

const byId = (a: JobView, b: JobView) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The sort key of `las`'s walk (one function object: the core keeps one index by it). */
const submitOf = (j: JobView) => j.submit;

/** `jobs` (in submit order) with each run of equal submit times sorted by id. */
function* bySubmitThenId(jobs: Iterable<JobView>): Generator<JobView> {
  let run: JobView[] = [];
  for (const j of jobs) {
    if (run.length > 0 && j.submit !== run[0].submit) {
      if (run.length > 1) run.sort(byId);
      yield* run;
      run = [];
    }
    run.push(j);
  }
  if (run.length > 1) run.sort(byId);
  yield* run;
}
