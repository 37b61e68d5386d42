import fc from 'fast-check';
import { causeOf } from './causes.ts';
import { limits, type CallLimits } from './guarded.ts';
import { DEFAULT_SEED, defaultRuns, type KitOptions, type PropertyResult } from './kit.ts';

/**
 * A property of a policy kind checked through a maker of fresh instances (routing, warm-pool):
 * `property(fresh)` builds the fast-check property; each call of `fresh` gives a new instance.
 */
export interface FreshProperty<P> {
  readonly name: string;
  readonly description: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each property has its own argument tuple
  property(fresh: () => P): fc.IProperty<any>;
}

/** Runs `props` (those `opts.only` names, else all) against `fresh`, as the kit reports them. */
export function checkFresh<P>(props: readonly FreshProperty<P>[], fresh: () => P, opts: KitOptions = {}): PropertyResult[] {
  const numRuns = opts.numRuns ?? defaultRuns();
  const seed = opts.seed ?? DEFAULT_SEED;
  const budgetBefore = limits.budgetMs;
  limits.budgetMs = opts.callBudgetMs ?? budgetBefore;
  try {
    return props.filter((p) => !opts.only || opts.only.includes(p.name)).map((p) => checkOne(p, fresh, numRuns, seed, opts));
  } finally {
    limits.budgetMs = budgetBefore;
  }
}

function checkOne<P>(p: FreshProperty<P>, fresh: () => P, numRuns: number, seed: number, opts: KitOptions): PropertyResult {
  opts.onProperty?.(p.name);
  limits.overrun = undefined;
  const t0 = performance.now();
  const d = fc.check(p.property(fresh), { numRuns, seed, ...(opts.timeLimitMs ? { interruptAfterTimeLimit: opts.timeLimitMs, markInterruptAsFailure: false } : {}) });
  const overrun = limits.overrun as CallLimits['overrun']; // set by the calls fc.check made
  limits.overrun = undefined;
  if (!d.failed) return { property: p.name, description: p.description, status: 'pass', runs: d.numRuns, ms: performance.now() - t0 };
  const err = d.errorInstance as Error | undefined;
  const error = overrun ? `BudgetError: ${overrun.message}` : err ? `${err.name}: ${err.message}` : String(d.errorInstance);
  return {
    property: p.name,
    description: p.description,
    status: 'fail',
    runs: d.numRuns,
    error,
    cause: causeOf(error),
    counterexample: fc.stringify(d.counterexample),
    counterexampleValue: d.counterexample ?? undefined,
    replay: { seed: d.seed, path: d.counterexamplePath ?? '' },
    ms: performance.now() - t0,
  };
}
