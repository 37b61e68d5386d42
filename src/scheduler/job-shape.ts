import type { Demand } from '../cluster/types.ts';

/**
 * Jobs with equal shapes are interchangeable for placement feasibility: equal CPU, memory, GPU
 * count, milli, allowed models (none and an empty list alike) and MIG profile. The scheduler
 * core's queue keeps one list per shape (queue-index.ts); a hierarchy's master memoises which
 * shards could ever run a shape (hierarchy/ever-fits.ts).
 */
export function modelsKey(d: Demand): string {
  return d.models ? d.models.join('|') : '';
}

/** A 32-bit hash of a demand's numeric shape (models and MIG profile are compared, not hashed). */
export function shapeHash(d: Demand): number {
  let h = Math.imul(d.cpu | 0, 0x9e3779b1) ^ (d.cpu / 4294967296);
  h = Math.imul(h ^ (d.memory | 0), 0x85ebca6b) ^ (d.memory / 4294967296);
  h = Math.imul(h ^ d.gpus, 0xc2b2ae35);
  h = Math.imul(h ^ d.milli, 0x27d4eb2f);
  return h ^ (h >>> 15);
}

/** One shape, taken from a demand: `holds` says whether another demand has it. */
export class JobShape {
  readonly cpu: number;
  readonly memory: number;
  readonly gpus: number;
  readonly milli: number;
  readonly models: string;
  readonly mig: string | undefined;
  constructor(d: Demand) {
    this.cpu = d.cpu;
    this.memory = d.memory;
    this.gpus = d.gpus;
    this.milli = d.milli;
    this.models = modelsKey(d);
    this.mig = d.mig;
  }

  /** Whether `d` has this shape. */
  holds(d: Demand): boolean {
    if (d.cpu !== this.cpu || d.memory !== this.memory || d.gpus !== this.gpus || d.milli !== this.milli || d.mig !== this.mig) return false;
    return !d.models || d.models.length === 0 ? this.models === '' : modelsKey(d) === this.models;
  }
}
