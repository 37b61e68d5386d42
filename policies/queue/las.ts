import { z } from 'zod';
import type { JobView } from '../../src/jobs/job.ts';
import type { QueuePolicy, SchedulerView } from '../../src/scheduler/policy.ts';
import { parsePolicyParams } from '../../src/scheduler/registry.ts';
import { byKey, queuedByKey } from '../../src/scheduler/keyed-queue.ts';
import { planPreemption } from '../../src/scheduler/preempt-kit.ts';

/**
 * las: Tiresias' discretised two-dimensional least-attained-service (Gu et al., "Tiresias: A GPU
 * Cluster Manager for Distributed Deep Learning", NSDI 2019, §4.2, 2D-LAS with discretised
 * priority queues). Attained service = #GPUs × executed time (GPU·s). Queue k holds jobs whose
 * attained service lies in [T(k−1), T(k)) for the thresholds `thresholdsGpuSec` (default [3600]:
 * two queues); lower queues run first, in queue order within a queue (FIFO by submit time; jobs
 * submitted at the same time in the order they came, a preempted job back at its submit time after
 * them). A job
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
  /** The queue of `a` GPU·ms of attained service. */
  const levelOfService = (a: number) => {
    let k = 0;
    while (k < thresholds.length && a >= thresholds[k]) k++;
    return k;
  };
  const level = (j: JobView, now: number) => levelOfService(attained(j, now));
  const queueOf = (j: JobView, now: number) => {
    const waited = now - j.queuedAt;
    if (j.executed > 0 && waited >= Math.max(starveMin, starveFactor * j.executed)) return 0;
    return level(j, now);
  };
  const order = (view: SchedulerView) => {
    const now = view.now;
    return byKey(view.queue, (j) => queueOf(j, now));
  };
  /**
   * A queued job's queue without promotion: its level by the service it attained, which stays as
   * it is while it waits (the key of the core's index, `view.queuedBy`; one function object).
   */
  const levelOf = (j: JobView) => levelOfService(j.gpus * j.executed);
  /** When a queued job is promoted (a time, ms), or Infinity for one never promoted (it never ran, or its level is 0 already). */
  const promotedAt = (j: JobView) => (j.executed > 0 && levelOf(j) > 0 ? j.queuedAt + Math.max(starveMin, starveFactor * j.executed) : Infinity);
  /**
   * The same order, read as the pass goes: the core's index by level (`view.queuedBy`), with the
   * jobs promoted by now moved to the highest queue (found in its index by promotion time, read
   * only as far as now). A pass walks it by shape as sjf's; one that stops early reads it only
   * as far as it needs.
   */
  function lazily(view: SchedulerView): Iterable<JobView> {
    const now = view.now;
    let moved: Map<JobView, number> | undefined;
    for (const j of queuedByKey(view, promotedAt)) {
      // Sorted by promotion time; the test itself is queueOf's (a millisecond's slack for rounding).
      if (promotedAt(j) > now + 1) break;
      if (queueOf(j, now) === 0) (moved ??= new Map()).set(j, 0);
    }
    return queuedByKey(view, levelOf, moved);
  }
  return {
    name: 'las',
    order,
    lazyOrder: lazily,
    victims: (view) => {
      const now = view.now; // read once: the planner compares waiting and running jobs many times a pass
      const at = (j: JobView) => level(j, now);
      return planPreemption(
        view,
        lazily(view),
        (w, r) => at(w) < at(r),
        (a, b) => at(b) - at(a) || b.start - a.start || byId(a, b),
        (w, r) => `las:q${at(r)}>q${at(w)}:${w.id}`,
        { victimsFirst: true }, // higher queues first: the jobs a waiting job outranks come first
      );
    },
    claims: { workConserving: true },
  } satisfies QueuePolicy;
}

const byId = (a: JobView, b: JobView) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
