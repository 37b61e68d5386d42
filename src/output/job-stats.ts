import { mean, percentileSorted, round } from '../metrics/stats.ts';
import { CANCELLED, FAILED, PENDING, QUEUED, REJECTED, RUNNING, SUCCEEDED, TIMED_OUT } from './job-table.ts';

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

/** The columns `jobStats` reads (src/output/job-table.ts): states as `ROW_STATES` codes, times in ms (-1: never). */
export interface JobColumns {
  readonly size: number;
  readonly state: ArrayLike<number>;
  readonly submit: ArrayLike<number>;
  readonly start: ArrayLike<number>;
  readonly end: ArrayLike<number>;
}

/**
 * Counts and JCT/wait statistics over the jobs (the Deriver's `metrics` says which jobs each
 * covers). One pass; JCTs and waits go to typed arrays sorted numerically, so a 1M-job run
 * makes two buffers, not a dozen arrays of a million entries. Pure. Fields in summary.json order.
 */
export function jobStats(jobs: JobColumns): JobStats {
  const count = jobs.size;
  const jctAll = new Float64Array(count);
  const waitAll = new Float64Array(count);
  let done = 0;
  let started = 0;
  let failed = 0;
  let rejected = 0;
  let cancelled = 0;
  let unfinished = 0;
  const { state, submit, start, end } = jobs;
  for (let i = 0; i < count; i++) {
    switch (state[i]) {
      case SUCCEEDED:
        jctAll[done++] = end[i] - submit[i];
        break;
      case FAILED:
      case TIMED_OUT:
        failed++;
        break;
      case REJECTED:
        rejected++;
        break;
      case CANCELLED:
        cancelled++;
        break;
      case QUEUED:
      case RUNNING:
      case PENDING:
        unfinished++;
        break;
    }
    if (start[i] >= 0) waitAll[started++] = start[i] - submit[i];
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
