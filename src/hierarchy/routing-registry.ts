import { z } from 'zod';
import { NoParams, parsePolicyParams, UnknownPolicyError, type PolicyParams, type RegisterOptions } from '../scheduler/registry.ts';
import type { RoutingPolicy } from './routing-policy.ts';

/**
 * Name → routing policy, as src/scheduler/registry.ts does for queue and placement policies: a
 * registration names its params schema (zod); the factory validates a scenario's
 * `hierarchy.params` against it (PolicyParamsError naming the field) before `create` sees them.
 * Shipped routing policies register in policies/index.ts.
 */
interface Entry {
  readonly params: z.ZodType;
  readonly build: (raw: PolicyParams) => RoutingPolicy;
}

const KEY = Symbol.for('gpulab.routing-registry.v1');
const g = globalThis as { [KEY]?: Map<string, Entry> };
const store: Map<string, Entry> = (g[KEY] ??= new Map());

export function registerRoutingPolicy<S extends z.ZodType = typeof NoParams>(name: string, create: (params: z.output<S>) => RoutingPolicy, opts?: RegisterOptions<S>): void {
  if (store.has(name)) throw new Error(`routing policy '${name}' is already registered`);
  const schema: z.ZodType = opts?.params ?? NoParams;
  store.set(name, { params: schema, build: (raw) => create(parsePolicyParams(schema, raw, `routing policy '${name}'`) as z.output<S>) });
}

function entry(name: string): Entry {
  const e = store.get(name);
  if (!e) throw new UnknownPolicyError(`unknown routing policy '${name}' (known: ${routingPolicyNames().join(', ')})`);
  return e;
}

/** Validates raw params and builds a fresh routing policy. */
export function routingPolicyFactory(name: string): (params?: PolicyParams) => RoutingPolicy {
  const e = entry(name);
  return (raw = {}) => e.build(raw);
}

export function routingPolicyParams(name: string): z.ZodType {
  return entry(name).params;
}

export function routingPolicyNames(): string[] {
  return [...store.keys()].sort();
}
