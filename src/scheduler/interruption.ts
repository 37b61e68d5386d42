/**
 * What an interrupted attempt costs (preemption, node loss). Pure: the core applies the result.
 * Run time of an attempt = setup (restore, MIG reconfiguration) + progress; progress is kept up
 * to the last checkpoint. Invariant (tested): Σ run time over all attempts = duration + lost work.
 */

/** Checkpoint/restore cost model of interruptions (ms). */
export interface PreemptionCost {
  /** Run time a stopped job spends restoring before it makes progress again, on each restart. */
  readonly restoreMs: number;
  /**
   * Periodic checkpoint interval: progress since the last multiple of it is lost. 0 (default): a
   * preemption checkpoints at the instant and loses no progress; a node loss loses all of it.
   */
  readonly checkpointIntervalMs?: number;
}

/** The part of a job's state an interruption changes (ms). */
export interface AttemptState {
  /** Run time left on the current attempt, setup included. */
  readonly remaining: number;
  /** Run time at the front of `remaining` that is setup, not work. */
  readonly setup: number;
}

export interface InterruptionResult extends AttemptState {
  /** Run time of this attempt that produced no kept progress. */
  readonly lost: number;
}

/**
 * The state after an attempt that ran `ran` ms is interrupted. `checkpointNow`: a preemption
 * checkpoints at the instant (when no periodic interval is set); a node loss does not.
 */
export function interruption(state: AttemptState, ran: number, cost: PreemptionCost | undefined, checkpointNow: boolean): InterruptionResult {
  const setupPaid = Math.min(ran, state.setup);
  const progress = ran - setupPaid;
  const interval = cost?.checkpointIntervalMs ?? 0;
  const kept = interval > 0 ? Math.floor(progress / interval) * interval : checkpointNow ? progress : 0;
  const workLeft = state.remaining - state.setup - kept;
  const restore = cost?.restoreMs ?? 0;
  return { lost: ran - kept, remaining: workLeft + restore, setup: restore };
}
