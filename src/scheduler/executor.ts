import type { Placement } from '../cluster/types.ts';
import type { JobView } from '../jobs/job.ts';

export type StopReason = 'cancel' | 'preempt' | 'timeout' | 'node-loss' | 'shutdown';

/**
 * Runs jobs. The simulated executor schedules a completion event after the job's remaining run
 * time; the live executor starts a real process. Either way it reports back to the core only
 * through scheduler events (`completion` with the attempt it was started with).
 */
export interface Executor {
  start(job: JobView, placement: Placement): void;
  stop(job: JobView, reason: StopReason): void;
}
