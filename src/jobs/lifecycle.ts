/**
 * Job lifecycle as a transition table. `transition(state, event)` is pure and throws
 * `IllegalTransitionError` naming both the state and the event when the table has no entry.
 */
export type JobState =
  | 'pending'
  | 'queued'
  | 'running'
  | 'preempted'
  | 'succeeded'
  | 'failed'
  | 'cancelled'
  | 'rejected'
  | 'timed-out';

/**
 * `node-loss`: a node the job ran on went down and the job is to be requeued (it waits in
 * `preempted` until the core requeues it, as a preempted job does); a job failed by node loss
 * takes `fail`. A queued job is `reject`ed when the nodes it fits on are lost for good.
 */
export type JobEvent = 'admit' | 'reject' | 'start' | 'succeed' | 'fail' | 'cancel' | 'preempt' | 'node-loss' | 'requeue' | 'timeout';

const TABLE: Readonly<Record<JobState, Partial<Record<JobEvent, JobState>>>> = {
  pending: { admit: 'queued', reject: 'rejected', cancel: 'cancelled' },
  queued: { start: 'running', cancel: 'cancelled', reject: 'rejected' },
  running: { succeed: 'succeeded', fail: 'failed', cancel: 'cancelled', preempt: 'preempted', 'node-loss': 'preempted', timeout: 'timed-out' },
  preempted: { requeue: 'queued', cancel: 'cancelled' },
  succeeded: {},
  failed: {},
  cancelled: {},
  rejected: {},
  'timed-out': {},
};

export const TERMINAL_STATES: ReadonlySet<JobState> = new Set(['succeeded', 'failed', 'cancelled', 'rejected', 'timed-out']);

export class IllegalTransitionError extends Error {
  override name = 'IllegalTransitionError';
  constructor(
    readonly state: JobState,
    readonly event: JobEvent,
    readonly jobId?: string,
  ) {
    super(`illegal transition${jobId ? ` for job ${jobId}` : ''}: event '${event}' in state '${state}'`);
  }
}

export function transition(state: JobState, event: JobEvent, jobId?: string): JobState {
  const next = TABLE[state][event];
  if (next === undefined) throw new IllegalTransitionError(state, event, jobId);
  return next;
}

export function isTerminal(state: JobState): boolean {
  return TERMINAL_STATES.has(state);
}
