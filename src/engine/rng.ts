import seedrandom from 'seedrandom';

/** A seeded uniform generator on [0, 1). */
export type Rng = () => number;

/**
 * Named random streams derived from one scenario seed.
 *
 * Each stream is seeded from `seed` and its own name only, so adding a consumer (a new stream
 * name) never changes the numbers any other consumer sees. Uses seedrandom's Alea generator
 * (fast, and identical on every platform).
 */
export function stream(seed: number | string, name: string): Rng {
  return seedrandom.alea(`gpulab/${seed}/${name}`);
}

export class RngStreams {
  private readonly cache = new Map<string, Rng>();
  constructor(readonly seed: number | string) {}

  /** The stream with this name; the same name returns the same (stateful) stream. */
  get(name: string): Rng {
    let r = this.cache.get(name);
    if (!r) {
      r = stream(this.seed, name);
      this.cache.set(name, r);
    }
    return r;
  }
}

/** Exponential variate with the given mean. */
export function exponential(rng: Rng, mean: number): number {
  return -Math.log(1 - rng()) * mean;
}

/** Standard normal variate (Box–Muller, one value per call: keeps stream use simple and stable). */
export function normal(rng: Rng): number {
  const u1 = 1 - rng();
  const u2 = rng();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Index drawn with probability proportional to weights[i]. */
export function weightedIndex(rng: Rng, weights: readonly number[], total?: number): number {
  const sum = total ?? weights.reduce((a, b) => a + b, 0);
  let x = rng() * sum;
  for (let i = 0; i < weights.length; i++) {
    x -= weights[i];
    if (x < 0) return i;
  }
  return weights.length - 1;
}
