import type { PlacementPolicyFactory, QueuePolicyFactory } from './policy.ts';

/** Name → factory maps. Shipped policies register in `policies/index.ts`; users call these too. */
const queue = new Map<string, QueuePolicyFactory>();
const placement = new Map<string, PlacementPolicyFactory>();

export class UnknownPolicyError extends Error {
  override name = 'UnknownPolicyError';
}

export function registerQueuePolicy(name: string, factory: QueuePolicyFactory): void {
  if (queue.has(name)) throw new Error(`queue policy '${name}' is already registered`);
  queue.set(name, factory);
}

export function registerPlacementPolicy(name: string, factory: PlacementPolicyFactory): void {
  if (placement.has(name)) throw new Error(`placement policy '${name}' is already registered`);
  placement.set(name, factory);
}

export function queuePolicyFactory(name: string): QueuePolicyFactory {
  const f = queue.get(name);
  if (!f) throw new UnknownPolicyError(`unknown queue policy '${name}' (known: ${[...queue.keys()].sort().join(', ')})`);
  return f;
}

export function placementPolicyFactory(name: string): PlacementPolicyFactory {
  const f = placement.get(name);
  if (!f) {
    throw new UnknownPolicyError(
      `unknown placement policy '${name}' (known: ${[...placement.keys()].sort().join(', ')})`,
    );
  }
  return f;
}

export function queuePolicyNames(): string[] {
  return [...queue.keys()].sort();
}

export function placementPolicyNames(): string[] {
  return [...placement.keys()].sort();
}
