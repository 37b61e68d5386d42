import fc from 'fast-check';
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
  return props
    .filter((p) => !opts.only || opts.only.includes(p.name))
    .map((p) => {
      opts.onProperty?.(p.name);
      const t0 = performance.now();
      const d = fc.check(p.property(fresh), { numRuns, seed });
      if (!d.failed) return { property: p.name, description: p.description, status: 'pass', runs: d.numRuns, ms: performance.now() - t0 };
      const err = d.errorInstance as Error | undefined;
      return {
        property: p.name,
        description: p.description,
        status: 'fail',
        runs: d.numRuns,
        error: err ? `${err.name}: ${err.message}` : String(d.errorInstance),
        counterexample: fc.stringify(d.counterexample),
        counterexampleValue: d.counterexample ?? undefined,
        replay: { seed: d.seed, path: d.counterexamplePath ?? '' },
        ms: performance.now() - t0,
      };
    });
}
