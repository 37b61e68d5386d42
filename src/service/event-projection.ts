import type { JobView as CoreJob } from '../jobs/job.ts';
import type { LogRecord } from '../log/records.ts';
import type { GroupCommit, Settle } from './group-commit.ts';
import { jobView } from './job-view.ts';
import type { ServiceMetrics } from './metrics.ts';
import type { SubmitResult } from './service-results.ts';
import type { StoredJob } from './state-store.ts';
import type { Pending } from './submission.ts';

const BACKPRESSURE = new Set(['queue-full', 'paused']);
/** The answer to a caller whose commit the store refused. */
const STORE_DOWN: SubmitResult = { kind: 'unavailable', why: 'store-unavailable' };

export interface ProjectionDeps {
  readonly epoch: number;
  /** Wall clock, ms since the epoch (the stored times). */
  readonly now: () => number;
  readonly commit: GroupCommit;
  /** Submissions waiting for the core's admit or reject; settled (and removed) here. */
  readonly pending: Map<string, Pending>;
  readonly metrics: ServiceMetrics;
  /** The core's view of a job, if it knows it. */
  readonly coreJob: (id: string) => CoreJob | undefined;
  /** Why admission is paused, if it is. */
  readonly pausedReason: () => string | undefined;
  readonly queueFullRetryAfterSec: number;
  /** After the commit that records a job's finish (committed or not). */
  readonly onFinished?: (id: string) => void;
}

/**
 * The store's projection of the core's event log: the sink maps each record to store operations
 * for the next group commit, and settles the callers waiting on that record after the commit.
 * State changes reach the store only this way.
 */
export class EventProjection {
  /** Jobs the core knows in this epoch (cancel of any other id would be a contract error). */
  readonly known = new Set<string>();
  /** Reasons to record instead of the core's when a job finishes (the kill switch's). */
  readonly killReasons = new Map<string, string>();
  private readonly finishWaiters = new Map<string, Settle[]>();

  constructor(private readonly d: ProjectionDeps) {}

  /** Runs `f` after the commit that records the job's finish (with whether it committed). */
  whenFinished(id: string, f: Settle): void {
    const w = this.finishWaiters.get(id) ?? [];
    w.push(f);
    this.finishWaiters.set(id, w);
  }

  /** The core's log sink: events.jsonl as it happens, store operations for the next commit. */
  onRecord(r: LogRecord): void {
    const { commit, pending, metrics, epoch } = this.d;
    const line = JSON.stringify(r);
    commit.record(line, { op: 'event', epoch, record: r, line });
    const at = this.d.now();
    switch (r.ev) {
      case 'admit': {
        this.known.add(r.job);
        const p = pending.get(r.job);
        if (!p) break;
        pending.delete(r.job);
        commit.add({ op: 'insert-job', job: p.job });
        if (p.nonce) commit.add({ op: 'nonce', keyId: p.nonce.keyId, nonce: p.nonce.nonce, at });
        commit.add({ op: 'attestation', jobId: p.job.id, report: p.job.attestation!, at });
        commit.afterCommit((ok) => {
          // Counted once its commit is done: a job the store did not keep was never accepted.
          metrics.admission(ok ? 'accepted' : 'refused', ok ? 'ok' : 'store-unavailable');
          p.resolve(ok ? { kind: 'created', job: jobView(p.job) } : STORE_DOWN);
        });
        break;
      }
      case 'reject': {
        const p = pending.get(r.job);
        if (!p) {
          commit.add({ op: 'set-state', id: r.job, state: 'rejected', reason: r.reason, at });
          break;
        }
        pending.delete(r.job);
        metrics.admission('refused', r.reason);
        if (BACKPRESSURE.has(r.reason)) {
          const out: SubmitResult = r.reason === 'paused' ? { kind: 'paused', reason: this.d.pausedReason() ?? '' } : { kind: 'backpressure', reason: 'queue-full', retryAfterSec: this.d.queueFullRetryAfterSec };
          commit.afterCommit((ok) => p.resolve(ok ? out : STORE_DOWN));
          break;
        }
        // A rejection for good (never-fits, over-quota): the job exists, and ended rejected.
        const job: StoredJob = { ...p.job, state: 'rejected', reason: r.reason, endedAt: at };
        commit.add({ op: 'insert-job', job });
        commit.add({ op: 'attestation', jobId: job.id, report: job.attestation!, at });
        commit.afterCommit((ok) => p.resolve(ok ? { kind: 'created', job: jobView(job) } : STORE_DOWN));
        break;
      }
      case 'start': {
        commit.add({ op: 'start-run', jobId: r.job, epoch, node: r.node, gpus: r.gpus, at });
        const j = this.d.coreJob(r.job);
        if (j) metrics.waited((r.t - j.submit) / 1000);
        break;
      }
      case 'preempt':
        commit.add({ op: 'end-run', jobId: r.job, outcome: 'preempted', reason: r.reason, at });
        break;
      case 'node-loss':
        commit.add({ op: 'end-run', jobId: r.job, outcome: 'node-loss', at });
        break;
      case 'requeue':
        // With a reason, the attempt was lost (a stale worker) and no preempt/node-loss record ended its run.
        if (r.reason !== undefined) commit.add({ op: 'end-run', jobId: r.job, outcome: 'lost', reason: r.reason, at });
        commit.add({ op: 'set-state', id: r.job, state: 'queued', reason: r.reason ?? null, at });
        break;
      case 'finish': {
        if (r.state === 'pending' || r.state === 'queued' || r.state === 'running' || r.state === 'preempted') break;
        const reason = this.killReasons.get(r.job) ?? r.reason ?? null;
        this.killReasons.delete(r.job);
        commit.add({ op: 'end-run', jobId: r.job, outcome: r.state, reason, at });
        commit.add({ op: 'set-state', id: r.job, state: r.state, reason, at });
        const j = this.d.coreJob(r.job);
        if (j && j.start >= 0) metrics.ran((r.t - j.start) / 1000);
        const done = this.d.onFinished;
        if (done) commit.afterCommit(() => done(r.job));
        const w = this.finishWaiters.get(r.job);
        if (w) {
          this.finishWaiters.delete(r.job);
          commit.afterCommit(...w);
        }
        break;
      }
      default:
        break;
    }
    commit.queue();
  }
}
