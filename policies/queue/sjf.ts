import { estimateOf } from '../../src/jobs/estimate.ts';
import { byKey, queuedByKey } from '../../src/scheduler/keyed-queue.ts';
import type { QueuePolicy } from '../../src/scheduler/policy.ts';

/**
 * sjf: shortest job first on the scenario's estimate (non-preemptive; Tiresias' SJF baseline).
 * The estimate is the job's `estimate` (ms) when the scenario supplies one — synthetic workloads
 * draw it as duration × a factor in [1/(1+e), 1+e] for `estimateError: e`, traces read
 * `estimate_s` — else its `duration` (an oracle). Time only, not GPUs × time; ties by admission
 * order. Pure. `lazyOrder` reads the same order from the core's index by estimate
 * (`view.queuedBy`): a pass costs the jobs it reads, not a sort of the queue.
 *
 * Example: estimates [a 30 s, b 10 s, c 10 s] → b c a.
 */
export const sjf = {
  name: 'sjf',
  order: (view) => byKey(view.queue, estimateOf),
  lazyOrder: (view) => queuedByKey(view, estimateOf),
  claims: { workConserving: true },
} satisfies QueuePolicy;
