import type { JobRow } from './derive.ts';
import { mean, percentileSorted, round } from '../metrics/stats.ts';

/** The part of a run's metrics read off its job rows: counts by end state, JCT and wait statistics. */
export interface JobStats {
  jobs: number;
  /** Succeeded jobs: the ones the JCT statistics cover. */
  completed: number;
  failed: number;
  rejected: number;
  cancelled: number;
  /** Queued or running when the run ended (e.g. at `untilSec`): covered by no JCT. */
  unfinished: number;
  /** Jobs that started at least once: the ones the wait statistics cover. */
  started: number;
  jctMeanMs: number;
  jctP50Ms: number;
  jctP95Ms: number;
  jctP99Ms: number;
  waitMeanMs: number;
  waitP95Ms: number;
}

/**
 * Counts and JCT/wait statistics over `count` job rows (the Deriver's `metrics` says which jobs
 * each covers). One pass; JCTs and waits go to typed arrays sorted numerically, so a 1M-job run
 * makes two buffers, not a dozen arrays of a million entries. Pure. Fields in summary.json order.
 */
export function jobStats(rows: Iterable<Pick<JobRow, 'state' | 'submit' | 'start' | 'end'>>, count: number): JobStats {
  const jctAll = new Float64Array(count);
  const waitAll = new Float64Array(count);
  let done = 0;
  let started = 0;
  let failed = 0;
  let rejected = 0;
  let cancelled = 0;
  let unfinished = 0;
  for (const j of rows) {
    switch (j.state) {
      case 'succeeded':
        jctAll[done++] = j.end - j.submit;
        break;
      case 'failed':
      case 'timed-out':
        failed++;
        break;
      case 'rejected':
        rejected++;
        break;
      case 'cancelled':
        cancelled++;
        break;
      case 'queued':
      case 'running':
      case 'pending':
        unfinished++;
        break;
    }
    if (j.start >= 0) waitAll[started++] = j.start - j.submit;
  }
  // Mean over the sorted values: the same order of additions as before, so the same float sum.
  const jct = jctAll.subarray(0, done).sort();
  const wait = waitAll.subarray(0, started).sort();
  const ms = (x: number) => round(x, 0);
  return {
    jobs: count,
    completed: done,
    failed,
    rejected,
    cancelled,
    unfinished,
    started,
    jctMeanMs: ms(mean(jct)),
    jctP50Ms: ms(percentileSorted(jct, 50)),
    jctP95Ms: ms(percentileSorted(jct, 95)),
    jctP99Ms: ms(percentileSorted(jct, 99)),
    waitMeanMs: ms(mean(wait)),
    waitP95Ms: ms(percentileSorted(wait, 95)),
  };
}
