import type { JobInfo } from './job-info.ts';

/**
 * Ascending per-job values over the succeeded jobs (JCT, ms; slowdown: JCT / nominal duration)
 * or the started jobs (wait, ms). Pure.
 */
export function jobDist(jobs: readonly JobInfo[], what: 'jct' | 'wait' | 'slowdown'): Float64Array {
  const out: number[] = [];
  for (const j of jobs) {
    const r = j.row;
    if (what === 'wait') {
      if (r.start >= 0) out.push(r.start - r.submit);
    } else if (r.state === 'succeeded') out.push(what === 'jct' ? r.end - r.submit : (r.end - r.submit) / Math.max(1, j.dur));
  }
  return Float64Array.from(out).sort();
}

/** Ascending JCTs (s) of succeeded jobs, as the Deriver defines JCT. Pure. */
export function succeededJcts(jobs: readonly JobInfo[]): Float64Array {
  const out: number[] = [];
  for (const { row } of jobs) if (row.state === 'succeeded') out.push((row.end - row.submit) / 1000);
  return Float64Array.from(out).sort();
}
