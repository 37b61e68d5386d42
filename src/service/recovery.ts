import type { ReapReport } from './reaper.ts';
import type { StoredJob, StoreOp } from './state-store.ts';

/** What start-up recovery did (kept on the service for its status and tests). */
export interface RecoveryReport {
  readonly requeued: number;
  readonly failed: number;
  readonly queued: number;
  readonly reaped: ReapReport;
}

/**
 * Recovery, by one rule: a job found running was stopped with its process; it is queued again
 * as a new attempt while it has had fewer than `maxAttempts` runs, else it fails (`crashed`).
 * Queued jobs queue again in submission order; finished jobs are left alone. Returns the store
 * operations that record it (`at`: ms since the epoch) and the counts. Pure.
 */
export function recoveryOps(unfinished: readonly StoredJob[], maxAttempts: number, at: number): { ops: StoreOp[]; requeued: number; failed: number } {
  const ops: StoreOp[] = [];
  let requeued = 0;
  let failed = 0;
  for (const j of unfinished) {
    if (j.state !== 'running') continue;
    ops.push({ op: 'end-run', jobId: j.id, outcome: 'crashed', reason: 'service stopped while the job ran', at });
    if (j.attempts < maxAttempts) {
      ops.push({ op: 'set-state', id: j.id, state: 'queued', reason: `requeued after a service stop (attempt ${j.attempts} lost)`, at });
      requeued++;
    } else {
      ops.push({ op: 'set-state', id: j.id, state: 'failed', reason: 'crashed', at });
      failed++;
    }
  }
  return { ops, requeued, failed };
}
