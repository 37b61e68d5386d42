import type fc from 'fast-check';
import type { PlacementPolicy, QueuePolicy } from '../scheduler/policy.ts';

/**
 * What a queue policy may claim, each checked by the kit on its own scenario family (README,
 * "Checking your policy"). `QueuePolicy.claims` types the first two; a policy making the others
 * types itself as `ClaimingQueuePolicy`.
 */
export interface Claims {
  /** Every queued job in the order: with headOfLine skip no queued job that fits waits. */
  readonly workConserving?: boolean;
  /** Backlogged tenants' GPU shares converge to their weights. */
  readonly fairShare?: boolean;
  /** Never starts a lower-priority job while a higher-priority one that fits waits. */
  readonly priorityOrder?: boolean;
  /** Each victim has a lower priority than the job it makes room for (`Victim.for`). */
  readonly preemptsOnlyLower?: boolean;
}

export type ClaimingQueuePolicy = Omit<QueuePolicy, 'claims'> & { readonly claims?: Claims };

/** What the kit checks: a queue policy and a placement policy run together. */
export interface Subject {
  readonly queue: QueuePolicy;
  readonly placement: PlacementPolicy;
  /** Which of the two is under test (decides which properties apply). */
  readonly focus: 'queue' | 'placement';
  /** A fresh instance of the policy under test (its factory), for the state-across-calls check. */
  readonly fresh?: () => QueuePolicy | PlacementPolicy;
  /** Claims made for the policy besides its own `claims` (shipped policies whose files the kit does not own). */
  readonly extraClaims?: Claims;
}

/** The claims of the queue policy under test (none for a placement subject). */
export function claimsOf(s: Subject): Claims {
  if (s.focus !== 'queue') return {};
  return { ...((s.queue.claims ?? {}) as Claims), ...(s.extraClaims ?? {}) };
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
