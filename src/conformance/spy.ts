import type { ClusterView } from '../cluster/types.ts';
import type { JobView } from '../jobs/job.ts';
import type { PlacementPolicy, QueuePolicy, SchedulerView } from '../scheduler/policy.ts';
import { frozenCluster, frozenJob, frozenView } from './snapshot.ts';

/** A queue-policy call as the core made it, captured as a deep-frozen copy. */
export interface QueueCall {
  readonly view: SchedulerView;
  readonly now: number;
}

/** A placement call as the core made it, captured as deep-frozen copies. */
export interface PlaceCall {
  readonly job: JobView;
  readonly cluster: ClusterView;
  readonly now: number;
  /** `position()` at the call (e.g. how many log records had been written). */
  readonly at: number;
}

/**
 * Wraps policies so that the first `max` calls the core makes are recorded as deep-frozen
 * snapshots of exactly what the policy saw. The wrappers inherit from the originals (name,
 * claims and any other fields stay visible) and forward every call unchanged.
 */
export function spyQueue(policy: QueuePolicy, max: number): { policy: QueuePolicy; calls: QueueCall[] } {
  const calls: QueueCall[] = [];
  const spy = Object.create(policy) as QueuePolicy & { order: QueuePolicy['order'] };
  Object.defineProperty(spy, 'order', {
    value: (view: SchedulerView, ctx: { now: number; rng: () => number }) => {
      if (calls.length < max) calls.push({ view: frozenView(view), now: ctx.now });
      return policy.order(view, ctx);
    },
  });
  if (policy.lazyOrder) {
    // The core's passes ask the lazy form when there is one: record those calls too.
    Object.defineProperty(spy, 'lazyOrder', {
      value: (view: SchedulerView, ctx: { now: number; rng: () => number }) => {
        if (calls.length < max) calls.push({ view: frozenView(view), now: ctx.now });
        return policy.lazyOrder!(view, ctx);
      },
    });
  }
  return { policy: spy, calls };
}

export function spyPlacement(
  policy: PlacementPolicy,
  max: number,
  position: () => number = () => 0,
): { policy: PlacementPolicy; calls: PlaceCall[] } {
  const calls: PlaceCall[] = [];
  const spy = Object.create(policy) as PlacementPolicy;
  Object.defineProperty(spy, 'place', {
    value: (job: JobView, cluster: ClusterView, ctx: { now: number; rng: () => number }) => {
      if (calls.length < max) calls.push({ job: frozenJob(job), cluster: frozenCluster(cluster), now: ctx.now, at: position() });
      return policy.place(job, cluster, ctx);
    },
  });
  return { policy: spy, calls };
}
