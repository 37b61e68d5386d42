import type { Placement } from '../cluster/types.ts';
import type { JobView } from '../jobs/job.ts';
import { LiveExecutor, type LiveExecutorOptions } from '../live/live-executor.ts';
import type { SchedEvent } from '../scheduler/events.ts';
import type { StopReason } from '../scheduler/executor.ts';
import { SessionWarmStarts } from './session-warm-starts.ts';

/**
 * How a session holds its resources: as a job of kind `session` in the scheduler core, like any
 * job. The core admits it (quota), places it with the configured placement policy and counts it
 * as running (so the tenant's quota, fair share and every later placement see it); the executor
 * starts no process for it — the session engine runs the worker on the node the core chose. The
 * session's end completes the job (`release`), which frees its resources; a stop by the core
 * (job cancel, kill switch, shutdown) ends the session (`onStop`).
 */
export const SESSION_WORK_KIND = 'session';

export function isSessionJob(job: { readonly work?: Readonly<Record<string, unknown>> }): boolean {
  return job.work?.kind === SESSION_WORK_KIND;
}

export class SessionHolds {
  /** Session jobs the core started, by job id: the node's name and the attempt to complete. */
  private readonly placed = new Map<string, { node: string; attempt: number }>();
  private emit: ((ev: SchedEvent) => void) | undefined;
  /** Warm or cold starts of session holds and the templates' warm-pool policies (the core's `contexts` when a template names a policy). */
  readonly contexts = new SessionWarmStarts();
  /** The core stopped a session's job: end its session. */
  onStop: (jobId: string, reason: StopReason) => void = () => undefined;

  /** Called by the executor when the core starts a session job. */
  started(job: JobView, node: string, emit: (ev: SchedEvent) => void): void {
    this.emit = emit;
    this.placed.set(job.id, { node, attempt: job.attempt });
  }

  stopped(job: JobView, reason: StopReason): void {
    if (!this.placed.delete(job.id)) return;
    this.onStop(job.id, reason);
  }

  /** Where the core placed session job `jobId`; undefined while it is not running. */
  node(jobId: string): string | undefined {
    return this.placed.get(jobId)?.node;
  }

  /** The session ended: its job completes (`succeeded`) and its resources are free. Once only. */
  release(jobId: string, reason: string): void {
    const p = this.placed.get(jobId);
    if (!p) return;
    this.placed.delete(jobId);
    this.emit?.({ kind: 'completion', jobId, attempt: p.attempt, outcome: 'succeeded', reason });
  }
}

/** The live executor, with session jobs handed to the holds instead of a worker process. */
export class ServiceExecutor extends LiveExecutor {
  constructor(
    options: LiveExecutorOptions,
    private readonly holds: SessionHolds,
    private readonly nodeName: (index: number) => string,
  ) {
    super(options);
  }

  override start(job: JobView, placement: Placement): void {
    if (!isSessionJob(job)) return super.start(job, placement);
    if (job.attempt > 1) {
      // Requeued (preempted, node lost): its session ended with the first placement.
      queueMicrotask(() => this.options.emit({ kind: 'completion', jobId: job.id, attempt: job.attempt, outcome: 'failed', reason: 'a session is not restarted elsewhere' }));
      return;
    }
    this.holds.started(job, this.nodeName(placement.node), this.options.emit);
  }

  override stop(job: JobView, reason: StopReason): void {
    if (!isSessionJob(job)) return super.stop(job, reason);
    this.holds.stopped(job, reason);
  }
}
