import { z } from 'zod';
import type { PlacementPolicy } from '../../src/scheduler/policy.ts';
import { bestFit } from './best-fit.ts';
import { placeWarm } from './affinity.ts';

export const AffinityWaitParams = z.strictObject({
  /** Longest a job waits in the queue (from when it was queued) for a warm slot before going cold, seconds. */
  waitSec: z.number().nonnegative().max(1e9).default(30),
});

/**
 * affinity-wait: as `affinity` (a warm node first, best-fit among them), but a job whose context
 * has no warm node that fits waits — answers `wait` until its deadline, queuedAt + waitSec — as
 * long as its context is warm somewhere or in use by a running job (a slot that may free); at the
 * deadline, or when nothing of its context exists to wait for, it is placed by best-fit, cold. The
 * core retries a waiting job on every pass (a job of the context ending makes one) and wakes at
 * the deadline. Pure.
 *
 * Example (waitSec 30): job q of context m queued at t=10 s; m's only instance is busy on node A
 * (job r, ends at t=25 s); node B is free. At t=10 s: wait until 40 s. At t=25 s r ends, A's
 * instance goes idle: q starts there warm. Had r ended at 50 s, q would start cold on B at 40 s.
 */
export function affinityWait(params: z.output<typeof AffinityWaitParams>): PlacementPolicy {
  const waitMs = Math.round(params.waitSec * 1000);
  return {
    name: 'affinity-wait',
    place(job, cluster, ctx) {
      const warm = placeWarm(job, cluster, ctx);
      if (warm) return warm;
      const w = ctx.warm;
      if (w !== undefined && job.context !== undefined) {
        const until = job.queuedAt + waitMs;
        if (until > ctx.now && (w.busy(job.context) > 0 || w.warmNodes(job.context, ctx.now).length > 0)) {
          return { kind: 'wait', until, reason: `waiting for a warm ${job.context} until ${until} ms` };
        }
      }
      return bestFit.place(job, cluster);
    },
  } satisfies PlacementPolicy;
}
