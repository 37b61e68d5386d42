import type { JobView } from '../../src/jobs/job.ts';
import { estimateOf, expectedEnd } from '../../src/jobs/estimate.ts';
import type { QueuePolicy, SchedulerView } from '../../src/scheduler/policy.ts';
import { planPreemption } from '../../src/scheduler/preempt-kit.ts';
import { byKey } from './sjf.ts';

/**
 * srtf: shortest remaining time first, preemptive (Tiresias' SRTF baseline; Schrage 1968). A
 * job's remaining time is its estimate (see sjf) scaled by the work it has left: for a queued job
 * estimate × (remaining − setup) / duration + setup, for a running one its expected end − now. A
 * queued job preempts running jobs with a strictly longer remaining time (longest first) when
 * that lets it start. Pure.
 *
 * Example: running r with 100 s left; queued q estimated 40 s that does not fit → r is a victim.
 */
export function queuedRemaining(j: JobView): number {
  return j.duration > 0 ? Math.round((estimateOf(j) * (j.remaining - j.setup)) / j.duration) + j.setup : j.remaining;
}

function runningRemaining(j: JobView, now: number): number {
  return Math.max(0, expectedEnd(j) - now);
}

export const srtf = {
  name: 'srtf',
  order: (view) => byKey(view.queue, queuedRemaining),
  victims: (view: SchedulerView) =>
    planPreemption(
      view,
      byKey(view.queue, queuedRemaining),
      (w, r) => queuedRemaining(w) < runningRemaining(r, view.now),
      (a, b) => runningRemaining(b, view.now) - runningRemaining(a, view.now) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
      (w) => `srtf:${w.id}`,
    ),
  claims: { workConserving: true },
} satisfies QueuePolicy;
