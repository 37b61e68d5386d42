import type { JobSpec } from '../jobs/job.ts';

/** Events the scheduler core reacts to, in simulation and in live mode alike. */
export type SchedEvent =
  | { readonly kind: 'arrival'; readonly job: JobSpec }
  | {
      readonly kind: 'completion';
      readonly jobId: string;
      readonly attempt: number;
      readonly outcome: 'succeeded' | 'failed' | 'timed-out';
      readonly reason?: string;
    }
  | { readonly kind: 'cancel'; readonly jobId: string }
  | { readonly kind: 'wake' };

/** Tie-break priorities at one instant: completions free resources before arrivals ask for them. */
export const PRIORITY = { completion: 0, cancel: 1, arrival: 2, wake: 3 } as const;
