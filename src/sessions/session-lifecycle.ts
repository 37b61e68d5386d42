/**
 * A session's lifecycle as a transition table: `ready → busy` on an exec, `busy → ready` when it
 * returns, `ready | busy → ended` on an end (delete, idle timeout, max lifetime, worker lost,
 * shutdown, service restart). Pure; an illegal transition throws and names state and event.
 */
export type SessionState = 'ready' | 'busy' | 'ended';
export type SessionEvent = 'exec' | 'exec-done' | 'end';

/** `cancelled`: the service stopped the job that holds the session's resources (job cancel, kill switch). */
export const END_REASONS = ['deleted', 'idle-timeout', 'max-lifetime', 'worker-lost', 'shutdown', 'service-restart', 'cancelled'] as const;
export type EndReason = (typeof END_REASONS)[number];

const TABLE: Readonly<Record<SessionState, Partial<Record<SessionEvent, SessionState>>>> = {
  ready: { exec: 'busy', end: 'ended' },
  busy: { 'exec-done': 'ready', end: 'ended' },
  ended: {},
};

export function transition(state: SessionState, event: SessionEvent): SessionState {
  const next = TABLE[state][event];
  if (next === undefined) throw new Error(`illegal session transition: '${event}' in state '${state}'`);
  return next;
}

/** A session as stored and as shown (`GET /v1/sessions/:id`). Times: ms since the epoch. */
export interface SessionRecord {
  readonly id: string;
  readonly tenant: string;
  readonly template: string;
  /** The node the session runs on (the create's placement, else the manager's `node`). */
  readonly node: string;
  /** The service's job that holds the session's resources (placement and quota), when a service runs it. */
  readonly jobId?: string;
  readonly state: SessionState;
  /** Whether its worker was built for it (true) or taken from the warm pool (false). */
  readonly cold: boolean;
  readonly createdAt: number;
  readonly lastActiveAt: number;
  readonly idleTimeoutSec: number;
  readonly maxLifetimeSec: number;
  readonly execs: number;
  /** The worker: its id names its cgroup, process marker and working directory. */
  readonly workerId: string;
  /** How long its worker took to build (sandbox, agent, setup), ms. */
  readonly workerStartMs: number;
  readonly endedAt?: number;
  readonly endReason?: EndReason;
  /** What the end could not reclaim (empty when everything was). */
  readonly leftovers?: readonly string[];
}

/**
 * Where the manager reports every change of a session's record (create, busy, ready, end), e.g.
 * the service's state store. Awaited before the manager answers; a rejection propagates (a
 * create whose record was not stored is ended and forgotten; an exec not started is not run).
 */
export interface SessionPersistence {
  save(record: SessionRecord): void | Promise<void>;
}
