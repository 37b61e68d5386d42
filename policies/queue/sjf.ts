import type { JobView } from '../../src/jobs/job.ts';
import { estimateOf } from '../../src/jobs/estimate.ts';
import type { QueuePolicy } from '../../src/scheduler/policy.ts';

/**
 * sjf: shortest job first on the scenario's estimate (non-preemptive; Tiresias' SJF baseline).
 * The estimate is the job's `estimate` (ms) when the scenario supplies one — synthetic workloads
 * draw it as duration × a factor in [1/(1+e), 1+e] for `estimateError: e`, traces read
 * `estimate_s` — else its `duration` (an oracle). Time only, not GPUs × time; ties by admission
 * order. Pure.
 *
 * Example: estimates [a 30 s, b 10 s, c 10 s] → b c a.
 */
export const sjf = {
  name: 'sjf',
  order: (view) => byKey(view.queue, estimateOf),
  claims: { workConserving: true },
} satisfies QueuePolicy;

/** Stable sort of `jobs` by `key` ascending (ties keep the given order). */
export function byKey(jobs: readonly JobView[], key: (j: JobView) => number): JobView[] {
  return jobs
    .map((j, i) => ({ j, i, k: key(j) }))
    .sort((a, b) => a.k - b.k || a.i - b.i)
    .map((x) => x.j);
}
