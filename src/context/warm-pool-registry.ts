import type { z } from 'zod';
import { parsePolicyParams, type PolicyParams, UnknownPolicyError } from '../scheduler/registry.ts';
import type { WarmPoolPolicy } from './warm-pool-policy.ts';

/**
 * Name → warm-pool policy, like the queue and placement registries (src/scheduler/registry.ts):
 * each entry names its zod params schema; `warmPoolPolicyFactory(name)(raw)` validates a
 * scenario's params (PolicyParamsError naming the field) and builds a fresh policy. Shipped
 * policies register in `policies/index.ts`. One map per process, on `globalThis`.
 */
interface Entry {
  readonly params: z.ZodType;
  readonly build: (raw: PolicyParams) => WarmPoolPolicy;
}
const KEY = Symbol.for('gpulab.warm-pool-registry.v1');
const g = globalThis as { [KEY]?: Map<string, Entry> };
const store: Map<string, Entry> = (g[KEY] ??= new Map());

export function registerWarmPoolPolicy<S extends z.ZodType>(name: string, create: (params: z.output<S>) => WarmPoolPolicy, opts: { readonly params: S }): void {
  if (store.has(name)) throw new Error(`warm-pool policy '${name}' is already registered`);
  const what = `warm-pool policy '${name}'`;
  store.set(name, { params: opts.params, build: (raw) => create(parsePolicyParams(opts.params, raw, what)) });
}

export function warmPoolPolicyFactory(name: string): (params?: PolicyParams) => WarmPoolPolicy {
  const e = store.get(name);
  if (!e) throw new UnknownPolicyError(`unknown warm-pool policy '${name}' (known: ${warmPoolPolicyNames().join(', ')})`);
  return (raw = {}) => e.build(raw);
}

export function warmPoolPolicyParams(name: string): z.ZodType {
  const e = store.get(name);
  if (!e) throw new UnknownPolicyError(`unknown warm-pool policy '${name}' (known: ${warmPoolPolicyNames().join(', ')})`);
  return e.params;
}

export function warmPoolPolicyNames(): string[] {
  return [...store.keys()].sort();
}
