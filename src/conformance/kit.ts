import fc from 'fast-check';
import type { PlacementPolicy, QueuePolicy } from '../scheduler/policy.ts';
import { placementPolicyFactory, queuePolicyFactory, type PolicyParams } from '../scheduler/registry.ts';
import { PROPERTIES, type Subject } from './properties.ts';

export interface PropertyResult {
  readonly property: string;
  readonly description: string;
  readonly status: 'pass' | 'fail' | 'n/a';
  readonly runs: number;
  /** Shrunk counterexample, printed (generated scenarios print as readable scenarios). */
  readonly counterexample?: string;
  /** The shrunk counterexample itself: the property's arguments. */
  readonly counterexampleValue?: readonly unknown[];
  readonly error?: string;
  /** Seed and path to replay the failure with fast-check. */
  readonly replay?: { seed: number; path: string };
}

export interface KitOptions {
  /** Generated cases per property (default: GPULAB_CONFORMANCE_RUNS or 50). */
  readonly numRuns?: number;
  readonly seed?: number;
  /** Only these properties. */
  readonly only?: readonly string[];
}

export function defaultRuns(): number {
  const env = Number(process.env.GPULAB_CONFORMANCE_RUNS);
  return Number.isInteger(env) && env > 0 ? env : 50;
}

/**
 * Parameter sets checked besides a registered policy's defaults, where options change what it
 * does (preemption, time-driven queues). Names not registered are ignored. Each set goes through
 * the policy's params schema, as a scenario's `params:` would.
 */
export const PARAM_VARIANTS: Readonly<Record<string, readonly PolicyParams[]>> = {
  priority: [{ preempt: true }],
  las: [{ thresholdsGpuSec: [1, 10] }],
};

/** A placement policy is checked with fifo queueing; a queue policy with first-fit placement. */
export function subjectFor(policy: QueuePolicy | PlacementPolicy): Subject {
  if ('place' in policy) return { focus: 'placement', placement: policy, queue: queuePolicyFactory('fifo')({}) };
  return { focus: 'queue', queue: policy, placement: placementPolicyFactory('first-fit')({}) };
}

/** Runs every applicable property against `subject`, returning one result per property. */
export function checkSubject(subject: Subject, opts: KitOptions = {}): PropertyResult[] {
  const numRuns = opts.numRuns ?? defaultRuns();
  return PROPERTIES.filter((p) => !opts.only || opts.only.includes(p.name)).map((p) => {
    if (!p.applies(subject)) return { property: p.name, description: p.description, status: 'n/a', runs: 0 };
    const details = fc.check(p.property(subject), { numRuns, seed: opts.seed });
    if (!details.failed) return { property: p.name, description: p.description, status: 'pass', runs: details.numRuns };
    const err = details.errorInstance as Error | undefined;
    return {
      property: p.name,
      description: p.description,
      status: 'fail',
      runs: details.numRuns,
      counterexample: details.counterexample ? details.counterexample.map((v: unknown) => fc.stringify(v)).join('\n') : undefined,
      counterexampleValue: details.counterexample ?? undefined,
      error: err ? `${err.name}: ${err.message}` : String(details.errorInstance),
      replay: { seed: details.seed, path: details.counterexamplePath ?? '' },
    };
  });
}
