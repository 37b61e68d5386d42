import type { Cluster } from '../cluster/cluster.ts';
import type { Placement } from '../cluster/types.ts';
import { estimateOf, expectedEnd } from '../jobs/estimate.ts';
import type { Job } from '../jobs/job.ts';
import { anyPlacement } from './gang.ts';

/**
 * EASY backfilling (Lifka 1995; Mu'alem & Feitelson 2001). The first queued job in policy order
 * that cannot start gets a reservation at the earliest time the running jobs' expected ends
 * (start + estimate, see `expectedEnd`) free enough for it; a later job may start now only if
 * its expected end is before that time or it leaves the reservation intact.
 */
export interface Reservation {
  /** Time (ms) at which the head job is expected to fit. */
  readonly shadow: number;
  /** Whether starting `j` at `placement` now keeps the reservation; records it when it does. */
  admits(j: Job, placement: Placement, now: number): boolean;
}

/**
 * The reservation for `head`: releases running jobs on a copy of `cluster` in order of expected
 * end (ties by id) until `head` fits; the reservation is that time and that state. Undefined when
 * it cannot be computed (then nothing is held back). Does not change `cluster`.
 */
export function reserve(cluster: Cluster, running: Iterable<Job>, head: Job, now: number, spanNodes: boolean): Reservation | undefined {
  const sim = cluster.clone();
  const ends = [...running]
    .map((r) => ({ r, end: expectedEnd(r) }))
    .sort((a, b) => a.end - b.end || (a.r.id < b.r.id ? -1 : a.r.id > b.r.id ? 1 : 0));
  let shadow = now;
  for (const { r, end } of ends) {
    if (anyPlacement(sim, head, spanNodes)) break;
    sim.release(r.id);
    shadow = Math.max(now, end);
  }
  if (!anyPlacement(sim, head, spanNodes)) return undefined;
  return {
    shadow,
    admits(j, placement, t) {
      // Ends (by its estimate) before the reservation starts: cannot delay it.
      if (t + estimateOf(j) <= shadow) return true;
      // Otherwise it must leave the head fitting at the shadow time.
      const trial = sim.clone();
      trial.allocate(j.id, j, placement);
      if (!anyPlacement(trial, head, spanNodes)) return false;
      sim.allocate(j.id, j, placement);
      return true;
    },
  };
}
