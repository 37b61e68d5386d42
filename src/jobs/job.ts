import type { Demand, Placement } from '../cluster/types.ts';
import type { JobState } from './lifecycle.ts';

/** A job as submitted. Times in integer ms; resources as in `Demand`. */
export interface JobSpec extends Demand {
  readonly id: string;
  readonly tenant: string;
  /** Submission time, ms. */
  readonly submit: number;
  /** Run time on its placement, ms (simulated executor: completion after this long). */
  readonly duration: number;
  /** Higher runs first under priority-aware policies; 0 by default. */
  readonly priority: number;
  /** Optional estimate of `duration` (ms) for estimate-based policies (sjf, srtf). */
  readonly estimate?: number;
  /** Optional description of the real work (live mode). */
  readonly work?: Readonly<Record<string, unknown>>;
  /** Optional template or model id: a start where it is warm is cheaper (src/context/). */
  readonly context?: string;
  /** A child job: the job (or session) that submitted it and its depth (the parent's + 1); absent for top-level jobs. */
  readonly parent?: { readonly id: string; readonly depth: number };
}

/** A job as the scheduler tracks it. Policies see it read-only (`JobView`). */
export interface Job extends JobSpec {
  state: JobState;
  /** Time the job entered the queue (ms), or -1. */
  queuedAt: number;
  /** Time of the (latest) start, or -1. */
  start: number;
  /** Time the job reached a terminal state, or -1. */
  end: number;
  placement: Placement | undefined;
  /** Incremented on each start; completions carry it so stale ones are ignored. */
  attempt: number;
  /** Work left, in ms of run time on its placement. */
  remaining: number;
  /** Why the job ended the way it did (rejections, failures). */
  reason: string;
  /** Times preempted. */
  preemptions: number;
  /** Times stopped because a node it ran on went down. */
  nodeLosses: number;
  /**
   * Run time (ms) of finished attempts that produced no kept progress (restore, MIG setup, work
   * since the last checkpoint; the whole attempt when a node loss failed the job).
   */
  lostWork: number;
  /** Run time (ms) at the front of this attempt's `remaining` that is overhead (restore, MIG reconfiguration), not work. */
  setup: number;
  /** Run time (ms) over finished attempts (attained GPU time is this × gpus, plus the running attempt). */
  executed: number;
  /**
   * The core's queue's bookkeeping (src/scheduler/queue-index.ts): the ticket the job is queued
   * under, -1 when not queued. Not for policies.
   */
  queueTicket: number;
}

export type JobView = Readonly<Omit<Job, 'placement' | 'queueTicket'>> & { readonly placement: Placement | undefined };

/**
 * The scheduler's record for a submitted job. Every field is set explicitly, in one order, so all
 * jobs share one object shape (V8 keeps property access on the hot path monomorphic).
 */
export function newJob(spec: JobSpec): Job {
  return {
    id: spec.id,
    tenant: spec.tenant,
    submit: spec.submit,
    duration: spec.duration,
    priority: spec.priority,
    estimate: spec.estimate,
    work: spec.work,
    cpu: spec.cpu,
    memory: spec.memory,
    gpus: spec.gpus,
    milli: spec.milli,
    models: spec.models,
    mig: spec.mig,
    context: spec.context,
    parent: spec.parent,
    state: 'pending',
    queuedAt: -1,
    start: -1,
    end: -1,
    placement: undefined,
    attempt: 0,
    remaining: spec.duration,
    reason: '',
    preemptions: 0,
    nodeLosses: 0,
    lostWork: 0,
    setup: 0,
    executed: 0,
    queueTicket: -1,
  };
}
