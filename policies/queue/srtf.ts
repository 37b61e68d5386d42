import type { JobView } from '../../src/jobs/job.ts';
import { estimateOf, expectedEnd } from '../../src/jobs/estimate.ts';
import type { QueuePolicy, SchedulerView } from '../../src/scheduler/policy.ts';
import { planPreemption } from '../../src/scheduler/preempt-kit.ts';
import { byKey, queuedByKey } from '../../src/scheduler/keyed-queue.ts';

/**
 * srtf: shortest remaining time first, preemptive (Tiresias' SRTF baseline; Schrage 1968). A
 * job's remaining time is its estimate (see sjf) scaled by the work it has left: for a queued job
 * estimate × (remaining − setup) / duration + setup, for a running one its expected end − now. A
 * queued job preempts running jobs with a strictly longer remaining time (longest first) when
 * that lets it start. Pure. A queued job's remaining time does not change while it waits, so
 * `lazyOrder` and the victims' walk read the core's index by it (`view.queuedBy`) instead of
 * sorting the queue every pass.
 *
 * Example: running r with 100 s left; queued q estimated 40 s that does not fit → r is a victim.
 */
export function queuedRemaining(j: JobView): number {
  return j.duration > 0 ? Math.round((estimateOf(j) * (j.remaining - j.setup)) / j.duration) + j.setup : j.remaining;
}

function runningRemaining(j: JobView, now: number): number {
  return Math.max(0, expectedEnd(j) - now);
}

/** The queue by remaining time, from the core's index when the view has one. */
const lazily = (view: SchedulerView) => queuedByKey(view, queuedRemaining);

export const srtf = {
  name: 'srtf',
  order: (view) => byKey(view.queue, queuedRemaining),
  lazyOrder: lazily,
  victims: (view: SchedulerView) => {
    const now = view.now;
    return planPreemption(
      view,
      lazily(view),
      (w, r) => queuedRemaining(w) < runningRemaining(r, now),
      (a, b) => runningRemaining(b, now) - runningRemaining(a, now) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
      (w) => `srtf:${w.id}`,
      { victimsFirst: true }, // the longest remaining first: the jobs a waiting job outranks come first
    );
  },
  claims: { workConserving: true },
} satisfies QueuePolicy;
