import type fc from 'fast-check';
import type { PlacementPolicy, QueuePolicy } from '../scheduler/policy.ts';

/** What the kit checks: a queue policy and a placement policy run together. */
export interface Subject {
  readonly queue: QueuePolicy;
  readonly placement: PlacementPolicy;
  /** Which of the two is under test (decides which properties apply). */
  readonly focus: 'queue' | 'placement';
}

/** One named invariant. `property` builds a fast-check property for a subject. */
export interface PropertyDef {
  readonly name: string;
  readonly description: string;
  /** Whether the property applies to this subject (e.g. only policies that claim it). */
  applies(s: Subject): boolean;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each property has its own argument tuple
  property(s: Subject): fc.IProperty<any>;
}

/** A broken invariant: the message says what, when and for which job or node. */
export class Violation extends Error {
  override name = 'Violation';
}

export function check(cond: boolean, msg: () => string): void {
  if (!cond) throw new Violation(msg());
}
