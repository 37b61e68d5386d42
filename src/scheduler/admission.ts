import { fitsEmpty } from '../cluster/fit.ts';
import type { Demand } from '../cluster/types.ts';
import { fitsSpanningEmpty } from './gang.ts';
import type { AdmissionPolicy, SchedulerView } from './policy.ts';

/**
 * The admission policies every run has (the quota one is in src/quota/admission.ts). Pure over
 * the scheduler view.
 */

/** Whether `d` fits some node not down for good, were it empty (alone, or spanning when allowed). */
export function canEverRun(view: SchedulerView, d: Demand): boolean {
  const retired = view.retiredNodes ?? [];
  const gone = retired.length === 0 ? undefined : new Set(retired);
  const usable = gone && ((n: { index: number }) => !gone.has(n.index));
  if (view.cluster.nodes.some((n) => (!usable || usable(n)) && fitsEmpty(n, d))) return true;
  return view.spanNodes === true && fitsSpanningEmpty(view.cluster, d, usable);
}

/** `never-fits`: rejects a job that could never run on any node of this cluster. */
export const neverFits: AdmissionPolicy = {
  name: 'never-fits',
  onArrival: (job, view) => (canEverRun(view, job) ? { kind: 'admit' } : { kind: 'reject', reason: 'never-fits' }),
};

/** `queue-bound`: a bounded queue; an arrival finding `max` jobs queued is rejected with `queue-full`. */
export function queueBound(max: number): AdmissionPolicy {
  return {
    name: 'queue-bound',
    onArrival: (_job, view) => (view.queue.length >= max ? { kind: 'reject', reason: 'queue-full' } : { kind: 'admit' }),
  };
}
