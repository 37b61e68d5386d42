import type { Rng } from '../engine/rng.ts';
import type { JobView } from '../jobs/job.ts';
import type { PolicyGuard } from './policy-guard.ts';
import type { LazyOrder, PolicyContext, PreemptionPolicy, QueuePolicy, SchedulerView, Victim } from './policy.ts';

/**
 * The victims of one preemption round, each with the policy that named it: the queue policy's own
 * `victims` first, then each preemption policy in turn (given the queue policy's order for this
 * instant: built whole, or produced as read for a policy with `victimsLazily`). Every call goes
 * through the guard. The core preempts each named job once.
 */
export function collectVictims(
  guard: PolicyGuard,
  queue: QueuePolicy,
  preemptors: readonly PreemptionPolicy[],
  view: SchedulerView,
  rng: { readonly queue: Rng; readonly preemption?: Rng },
  now: number,
  /** The order as produced, for a policy with `victimsLazily` (each gets its own). */
  lazyOrder: () => LazyOrder,
): (Victim & { policy: string })[] {
  const qctx: PolicyContext = { now, rng: rng.queue };
  const out: (Victim & { policy: string })[] = [];
  if (queue.victims) {
    for (const v of guard.victims('queue', queue.name, () => queue.victims!(view, qctx), now)) out.push({ ...v, policy: queue.name });
  }
  if (preemptors.length > 0) {
    // The order built whole once for the policies that read it so; each lazy reader gets its own
    // order, produced as read.
    let whole: readonly JobView[] | undefined;
    const pctx: PolicyContext = { now, rng: rng.preemption ?? rng.queue };
    for (const p of preemptors) {
      const named = p.victimsLazily
        ? guard.preemptionLazily(p, view, lazyOrder(), pctx)
        : guard.preemption(p, view, (whole ??= guard.order(queue, view, qctx)), pctx);
      for (const v of named) out.push({ ...v, policy: p.name });
    }
  }
  return out;
}
