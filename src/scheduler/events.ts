import type { JobSpec } from '../jobs/job.ts';

/** Events the scheduler core reacts to, in simulation and in live mode alike. */
export type SchedEvent =
  | { readonly kind: 'arrival'; readonly job: JobSpec }
  | {
      readonly kind: 'completion';
      readonly jobId: string;
      readonly attempt: number;
      /** `lost`: the attempt's worker was lost (e.g. a stale worker reaped); see `retry`. */
      readonly outcome: 'succeeded' | 'failed' | 'timed-out' | 'lost';
      readonly reason?: string;
      /** A `lost` attempt: true → requeued as a new attempt (the executor's attempt limit allows one), else failed. */
      readonly retry?: boolean;
    }
  | { readonly kind: 'cancel'; readonly jobId: string }
  | { readonly kind: 'wake' }
  /**
   * A node (by index) fails: the jobs on it are stopped, the node takes no placement until a
   * matching `node-up`. `permanent`: no `node-up` will follow (queued jobs that fit on no other
   * node are then rejected). `random`: drawn by the random failure process (see failures.ts).
   */
  | { readonly kind: 'node-down'; readonly node: number; readonly permanent?: boolean; readonly random?: boolean }
  /** The end of one outage of a node; the node is up again once every outage has ended. */
  | { readonly kind: 'node-up'; readonly node: number; readonly random?: boolean };

/**
 * Tie-break priorities at one instant: completions free resources before arrivals ask for them;
 * a job that completes or is cancelled at the instant its node fails has ended before the loss.
 */
export const PRIORITY = { completion: 0, cancel: 1, arrival: 2, wake: 3, 'node-down': 4, 'node-up': 5 } as const;
