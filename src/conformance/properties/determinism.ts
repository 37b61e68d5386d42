import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { stream, type Rng } from '../../engine/rng.ts';
import { scenarioArb } from '../regimes.ts';
import { runSim } from '../sim-run.ts';
import { withReadOnlyViews } from '../guarded.ts';
import { takeViewWrites } from '../readonly.ts';
import { spyPlacement, spyQueue } from '../spy.ts';
import { fairPicks, roundPicks } from '../../scheduler/fair-walk.ts';
import { byKey } from '../../scheduler/keyed-queue.ts';
import type { QueuePolicy, SchedulerView } from '../../scheduler/policy.ts';
import { check, type PropertyDef } from '../subject.ts';

/** A write the policy made and swallowed (try/catch around it) still fails the case. */
function noWrites(): void {
  const w = takeViewWrites();
  check(w.count === 0, () => `${w.first[0]}${w.count > 1 ? ` (and ${w.count - 1} more writes)` : ''}`);
}

/** Policy calls re-checked for purity per generated scenario. */
const PURITY_CALLS = 25;

/**
 * The first queue-policy calls of a run of `sc`, as deep-frozen views (the run's own writes to
 * them fail the case), and a fresh copy of the policy's seeded stream per re-ask.
 */
function queueCalls(s: Parameters<typeof runSim>[0], sc: Parameters<typeof runSim>[1]): { calls: ReturnType<typeof spyQueue>['calls']; rng: () => Rng } {
  takeViewWrites();
  const spy = spyQueue(s.queue, PURITY_CALLS);
  withReadOnlyViews(() => runSim({ ...s, queue: spy.policy }, sc));
  noWrites();
  return { calls: spy.calls, rng: () => stream(sc.seed, `queue/${s.queue.name}`) };
}

export const determinismProperties: readonly PropertyDef[] = [
  {
    name: 'deterministic',
    description: 'the same scenario and seed give a byte-identical event log',
    applies: () => true,
    property: (s) =>
      fc.property(scenarioArb, (sc) => {
        const a = runSim(s, sc);
        const b = runSim(s, sc);
        check(a.digest === b.digest, () => `logs differ from line ${a.lines.findIndex((l, i) => l !== b.lines[i]) + 1}`);
      }),
  },
  {
    name: 'pure-placement',
    description: 'placement is a pure function: same answer twice on the same view, and any write to its read-only views fails (in any module mode)',
    applies: (s) => s.focus === 'placement',
    property: (s) =>
      fc.property(scenarioArb, (sc) => {
        // Re-ask the policy about the exact (deep-frozen) views the core showed it during a run,
        // each time with a fresh copy of its seeded stream.
        takeViewWrites();
        const spy = spyPlacement(s.placement, PURITY_CALLS);
        withReadOnlyViews(() => runSim({ ...s, placement: spy.policy }, sc));
        noWrites();
        const rng = () => stream(sc.seed, `placement/${s.placement.name}`);
        for (const c of spy.calls) {
          const a = withReadOnlyViews(() => s.placement.place(c.job, c.cluster, { now: c.now, rng: rng() }));
          const b = withReadOnlyViews(() => s.placement.place(c.job, c.cluster, { now: c.now, rng: rng() }));
          noWrites();
          check(isDeepStrictEqual(a, b), () => `t=${c.now}: two calls for job ${c.job.id} disagree: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
        }
      }),
  },
  {
    name: 'pure-queue',
    description: 'queue ordering is a pure function: same order twice on the same view, queued jobs only, once each; any write to its read-only views fails',
    applies: (s) => s.focus === 'queue',
    property: (s) =>
      fc.property(scenarioArb, (sc) => {
        const { calls, rng } = queueCalls(s, sc);
        for (const c of calls) {
          const a = withReadOnlyViews(() => s.queue.order(c.view, { now: c.now, rng: rng() })).map((j) => j.id);
          const b = withReadOnlyViews(() => s.queue.order(c.view, { now: c.now, rng: rng() })).map((j) => j.id);
          noWrites();
          check(isDeepStrictEqual(a, b), () => `t=${c.now}: two calls disagree: ${a.join(',')} vs ${b.join(',')}`);
          const queued = new Set(c.view.queue.map((j) => j.id));
          check(new Set(a).size === a.length, () => `t=${c.now}: order repeats a job: ${a.join(',')}`);
          check(a.every((id) => queued.has(id)), () => `t=${c.now}: order returns a job that is not queued: ${a.join(',')}`);
        }
      }),
  },
  {
    name: 'lazy-order',
    description: 'a queue policy’s lazyOrder gives the log its order gives, and yields what order returns on the views the core showed it, with the core’s queue indexes (view.queuedOf, view.queuedBy, view.queuedFairly, view.queuedInRounds) and without',
    applies: (s) => s.focus === 'queue' && s.queue.lazyOrder !== undefined,
    property: (s) =>
      fc.property(scenarioArb, (sc) => {
        // The passes reading lazyOrder (it reads what the pass has started meanwhile) against
        // passes given the whole order.
        const whole = Object.create(s.queue) as QueuePolicy;
        Object.defineProperty(whole, 'lazyOrder', { value: undefined });
        const a = runSim(s, sc);
        const b = runSim({ ...s, queue: whole }, sc);
        check(a.digest === b.digest, () => `lazyOrder yields another order than order returns: the logs differ from line ${a.lines.findIndex((l, i) => l !== b.lines[i]) + 1}`);
        const { calls, rng } = queueCalls(s, sc);
        for (const c of calls) {
          const eager = withReadOnlyViews(() => s.queue.order(c.view, { now: c.now, rng: rng() })).map((j) => j.id);
          // Given the queue indexes (as the core's view has them) and without them.
          const queuedOf = (name: string) => c.view.queue.filter((j) => j.tenant === name);
          const indexed: SchedulerView = {
            ...c.view,
            queuedOf,
            queuedBy: (key, moved) => byKey(c.view.queue, key, moved),
            queuedFairly: (share) => fairPicks(indexed, share, queuedOf),
            queuedInRounds: (names) => roundPicks(names, queuedOf),
          };
          const lazy = withReadOnlyViews(() => [...s.queue.lazyOrder!(indexed, { now: c.now, rng: rng() })]).map((j) => j.id);
          const plain = withReadOnlyViews(() => [...s.queue.lazyOrder!({ ...c.view, queuedOf: undefined, queuedBy: undefined }, { now: c.now, rng: rng() })]).map((j) => j.id);
          check(isDeepStrictEqual(plain, eager), () => `t=${c.now}: lazyOrder (without view.queuedOf, view.queuedBy) yields ${plain.join(',')} where order returns ${eager.join(',')}`);
          noWrites();
          check(isDeepStrictEqual(lazy, eager), () => `t=${c.now}: lazyOrder yields ${lazy.join(',')} where order returns ${eager.join(',')}`);
        }
      }),
  },
];
