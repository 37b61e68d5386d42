import fc from 'fast-check';
import '../../policies/index.ts';
import type { ReleasedInstance, WarmPoolPolicy, WarmPoolView, KeepDecision } from '../context/warm-pool-policy.ts';
import { warmPoolPolicyFactory, warmPoolPolicyNames } from '../context/warm-pool-registry.ts';
import { WarmState } from '../context/warm-state.ts';
import { RunWriter } from '../output/run-writer.ts';
import type { PolicyParams } from '../scheduler/registry.ts';
import { placementPolicyFactory, queuePolicyFactory } from '../scheduler/registry.ts';
import { simulate } from '../sim/simulate.ts';
import { checkFresh, type FreshProperty } from './fresh-kit.ts';
import type { KitOptions, PropertyResult } from './kit.ts';
import { contextScenarioArb } from './regimes.ts';
import { replay } from './replay.ts';
import { logRecords } from './sim-run.ts';
import { check } from './subject.ts';

/**
 * The conformance kit's warm-pool coverage (README "Checking your policy"): every warm-pool policy
 * (src/context/warm-pool-policy.ts), called the way the warm state calls it after a release, must
 *  - `valid-decision`: answer `keep` a whole number ≥ 0 and `ttlMs` absent or a finite number ≥ 0;
 *  - `deterministic`: give the same decision for the same instance and view (fresh instances);
 *  - `no-hidden-state`: give one instance's decisions over a sequence of releases equal to fresh
 *    instances' (the contract says pure: nothing carried from call to call);
 *  - `pure`: write nothing to the released instance (frozen) and answer the same after it;
 *  - `in-simulation`: in simulated runs of the contexts family (fifo + affinity-wait), keep the
 *    cluster within capacity, end every job, and give a byte-identical log twice.
 */

const CONTEXTS = ['m0', 'm1', 'm2'] as const;
const TENANTS = ['a', 'b'] as const;

/** A release as the warm state makes it, and the view beside it: idle counts and arrival times. */
export interface ReleaseCase {
  readonly released: ReleasedInstance;
  readonly now: number;
  readonly idle: Readonly<Record<string, number>>;
  /** Arrivals (ms, ≤ now) by tenant and context. */
  readonly arrivals: readonly { readonly tenant: string; readonly context: string; readonly at: number }[];
}

export const releaseCaseArb: fc.Arbitrary<ReleaseCase> = fc
  .record({
    context: fc.constantFrom(...CONTEXTS),
    tenant: fc.constantFrom(...TENANTS),
    node: fc.nat({ max: 7 }),
    milliGpu: fc.constantFrom(0, 250, 1000, 2000),
    now: fc.integer({ min: 0, max: 3_600_000 }),
    idle: fc.record({ m0: fc.nat({ max: 5 }), m1: fc.nat({ max: 5 }), m2: fc.nat({ max: 5 }) }),
    arrivals: fc.array(fc.record({ tenant: fc.constantFrom(...TENANTS), context: fc.constantFrom(...CONTEXTS), back: fc.nat({ max: 3_600_000 }) }), { maxLength: 40 }),
  })
  .map((r) => ({
    released: { context: r.context, tenant: r.tenant, node: r.node, milliGpu: r.milliGpu },
    now: r.now,
    idle: r.idle,
    arrivals: r.arrivals.map((a) => ({ tenant: a.tenant, context: a.context, at: Math.max(0, r.now - a.back) })),
  }));

/** The view of `c` (read-only: functions over the case's data). */
function viewOf(c: ReleaseCase): WarmPoolView {
  return {
    now: c.now,
    idle: (context) => c.idle[context] ?? 0,
    arrivals: (context, since) => c.arrivals.filter((a) => a.context === context && a.at >= since).length,
    tenantArrivals: (tenant, context, since) => c.arrivals.filter((a) => a.tenant === tenant && a.context === context && a.at >= since).length,
  };
}

const decide = (p: WarmPoolPolicy, c: ReleaseCase): KeepDecision => p.afterRelease({ ...c.released }, viewOf(c));
const show = (d: KeepDecision) => JSON.stringify(d);

export const WARM_POOL_PROPERTIES: readonly FreshProperty<WarmPoolPolicy>[] = [
  {
    name: 'valid-decision',
    description: 'keeps a whole number ≥ 0 of instances, for a ttlMs that is absent or a finite number ≥ 0',
    property: (fresh) =>
      fc.property(releaseCaseArb, (c) => {
        const d = decide(fresh(), c);
        check(d !== null && typeof d === 'object', () => `answered ${String(d)}, not { keep, ttlMs? }`);
        check(Number.isInteger(d.keep) && d.keep >= 0, () => `keep ${String(d.keep)}: not a whole number ≥ 0`);
        check(d.ttlMs === undefined || (Number.isFinite(d.ttlMs) && d.ttlMs >= 0), () => `ttlMs ${String(d.ttlMs)}: not a finite number ≥ 0`);
      }),
  },
  {
    name: 'deterministic',
    description: 'the same released instance and view give the same decision (fresh instances)',
    property: (fresh) =>
      fc.property(releaseCaseArb, (c) => {
        const [a, b] = [decide(fresh(), c), decide(fresh(), c)];
        check(show(a) === show(b), () => `answered ${show(a)}, then ${show(b)} for the same release`);
      }),
  },
  {
    name: 'no-hidden-state',
    description: "one instance's decisions over a sequence of releases are fresh instances' decisions",
    property: (fresh) =>
      fc.property(fc.array(releaseCaseArb, { minLength: 2, maxLength: 12 }), (cases) => {
        const reused = fresh();
        cases.forEach((c, i) => {
          const [a, b] = [decide(reused, c), decide(fresh(), c)];
          check(show(a) === show(b), () => `release ${i + 1}: ${show(a)} from an instance that decided before, ${show(b)} from a fresh one`);
        });
      }),
  },
  {
    name: 'pure',
    description: 'writes nothing to the released instance it is given (frozen), and answers alike after',
    property: (fresh) =>
      fc.property(releaseCaseArb, (c) => {
        const released = Object.freeze({ ...c.released });
        let d: KeepDecision;
        try {
          d = fresh().afterRelease(released, viewOf(c));
        } catch (e) {
          if (e instanceof TypeError && /read.only|frozen|not extensible/i.test(e.message)) check(false, () => `wrote to the released instance: ${e.message}`);
          throw e;
        }
        check(show(d) === show(decide(fresh(), c)), () => `answered ${show(d)} on a frozen instance, ${show(decide(fresh(), c))} on a copy`);
      }),
  },
  {
    name: 'in-simulation',
    description: 'in simulated runs with contexts: within capacity, every job ends, the same log twice',
    property: (fresh) =>
      fc.property(contextScenarioArb, (sc) => {
        const c = sc.contexts!;
        const once = () => {
          const log = new RunWriter(undefined, { keepLines: true });
          simulate({
            run: 'kit',
            seed: sc.seed,
            nodes: sc.nodes,
            jobs: sc.jobs,
            queue: queuePolicyFactory('fifo')({}),
            placement: placementPolicyFactory('affinity-wait')({ waitSec: 5 }),
            log,
            headOfLine: sc.headOfLine,
            scheduler: { contexts: new WarmState({ warmMs: c.warmMs, coldMs: c.coldMs }, fresh()) },
          });
          return { digest: log.close(), lines: log.lines! };
        };
        const a = once();
        const recs = logRecords(a.lines);
        replay(sc.nodes, recs); // throws on an over-commit or a release that does not match
        const ended = new Set(recs.flatMap((r) => (r.ev === 'finish' || r.ev === 'reject' ? [r.job] : [])));
        check(ended.size === sc.jobs.length, () => `${sc.jobs.length - ended.size} of ${sc.jobs.length} jobs never ended`);
        const b = once();
        check(a.digest === b.digest, () => `two runs gave different logs (${a.digest.slice(0, 12)}, ${b.digest.slice(0, 12)})`);
      }),
  },
];

/** Runs every warm-pool property against a warm-pool policy (`fresh` builds a new instance per call). */
export function checkWarmPool(fresh: () => WarmPoolPolicy, opts: KitOptions = {}): PropertyResult[] {
  return checkFresh(WARM_POOL_PROPERTIES, fresh, opts);
}

/** Every registered warm-pool policy with its default params (or `params[name]`): `{ name, results }`. */
export function checkRegisteredWarmPools(opts: KitOptions = {}, params: Readonly<Record<string, PolicyParams>> = {}): { name: string; results: PropertyResult[] }[] {
  return warmPoolPolicyNames().map((name) => ({ name, results: checkFresh(WARM_POOL_PROPERTIES, () => warmPoolPolicyFactory(name)(params[name] ?? {}), opts) }));
}
