import type { PlacementPolicyFactory, QueuePolicyFactory } from './policy.ts';

/**
 * Name → factory maps. Shipped policies register in `policies/index.ts`; users call these too.
 * The maps live on `globalThis`, one per process: a policy file loaded as CommonJS (a `.ts` file
 * outside an ESM package) gets its own copy of this module, and must still register where the
 * runner looks.
 */
interface Store {
  readonly queue: Map<string, QueuePolicyFactory>;
  readonly placement: Map<string, PlacementPolicyFactory>;
  /** Keys of `registerOnce` blocks already run. */
  readonly once: Set<string>;
}
const KEY = Symbol.for('gpulab.policy-registry');
const g = globalThis as { [KEY]?: Store };
const store: Store = (g[KEY] ??= { queue: new Map(), placement: new Map(), once: new Set() });
const queue = store.queue;
const placement = store.placement;

/**
 * Runs `register` once per process for `key`, however many copies of the calling module are
 * loaded (the shipped policies use it: a CommonJS copy of policies/index.ts must not register
 * them twice).
 */
export function registerOnce(key: string, register: () => void): void {
  if (store.once.has(key)) return;
  store.once.add(key);
  register();
}

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
