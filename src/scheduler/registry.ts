import { z } from 'zod';
import type { PlacementPolicy, QueuePolicy } from './policy.ts';

/**
 * Name → policy maps. Shipped policies register in `policies/index.ts`; users call these too.
 * Each registration names its params schema (zod); the factory the registry hands out validates
 * a scenario's `params:` against it and passes the parsed value (defaults filled in) to `create`,
 * so a policy never sees unchecked options. The maps live on `globalThis`, one per process: a
 * policy file loaded as CommonJS (a `.ts` file outside an ESM package) gets its own copy of this
 * module, and must still register where the runner looks.
 *
 *     registerQueuePolicy('my-queue', (p) => myQueue(p.depth), {
 *       params: z.strictObject({ depth: z.number().int().positive().default(2) }),
 *     });
 */

/** Options a scenario passes to a policy (`params:` in the scenario file), before validation. */
export type PolicyParams = Readonly<Record<string, unknown>>;

/** Validates raw params (PolicyParamsError naming the field) and builds a fresh policy. */
export type QueuePolicyFactory = (params?: PolicyParams) => QueuePolicy;
export type PlacementPolicyFactory = (params?: PolicyParams) => PlacementPolicy;

/** The params schema of a policy that takes none: any key is an error naming it. */
export const NoParams = z.strictObject({});

export interface RegisterOptions<S extends z.ZodType> {
  /** The params schema; default `NoParams`. Prefer `z.strictObject` so unknown keys are errors. */
  readonly params?: S;
}

type Kind = 'queue' | 'placement';

interface Entry<P> {
  readonly params: z.ZodType;
  /** Parses raw params with `params` (PolicyParamsError) and calls the registered `create`. */
  readonly build: (raw: PolicyParams) => P;
}

interface Store {
  readonly queue: Map<string, Entry<QueuePolicy>>;
  readonly placement: Map<string, Entry<PlacementPolicy>>;
  /** Keys of `registerOnce` blocks already run. */
  readonly once: Set<string>;
}
// v2: entries carry a params schema (the v1 store held bare factories).
const KEY = Symbol.for('gpulab.policy-registry.v2');
const g = globalThis as { [KEY]?: Store };
const store: Store = (g[KEY] ??= { queue: new Map(), placement: new Map(), once: new Set() });

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

/** Params that fail a policy's schema; `problems` are `field: message`, one per issue. */
export class PolicyParamsError extends Error {
  override name = 'PolicyParamsError';
  constructor(
    readonly policy: string,
    readonly problems: readonly string[],
  ) {
    super(`${policy}: invalid params\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/**
 * Checks `raw` against `schema`. Returns the parsed params, or the problems as
 * `<prefix>.<field>: message` (an unknown key is named in the path, with the keys the schema
 * takes). `prefix` is the params' own path, e.g. `policies.0.params.queue`; empty for none.
 */
export function checkParams<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  prefix = '',
): { ok: true; params: z.output<S> } | { ok: false; problems: string[] } {
  const r = schema.safeParse(raw ?? {});
  if (r.success) return { ok: true, params: r.data };
  const at = (path: readonly PropertyKey[]) => [prefix, ...path.map(String)].filter((s) => s !== '').join('.') || '(params)';
  const problems = r.error.issues.flatMap((i) => {
    if (i.code !== 'unrecognized_keys') return [`${at(i.path)}: ${i.message}`];
    const takes = i.path.length === 0 ? paramNames(schema) : undefined;
    if (takes === undefined) return i.keys.map((k) => `${at([...i.path, k])}: unknown key`);
    const hint = takes.length === 0 ? 'this policy takes no params' : `params: ${takes.join(', ')}`;
    return i.keys.map((k) => `${at([...i.path, k])}: unknown param (${hint})`);
  });
  return { ok: false, problems };
}

/** The keys of an object schema, sorted; undefined for any other schema. */
function paramNames(schema: z.ZodType): string[] | undefined {
  const shape = (schema as { shape?: unknown }).shape;
  return shape && typeof shape === 'object' ? Object.keys(shape).sort() : undefined;
}

/**
 * Parses `raw` with `schema` or throws a PolicyParamsError naming `policy` and each bad field.
 * For a policy's own constructor called with raw options (`las({ thresholdsGpuSec: [1, 10] })`).
 */
export function parsePolicyParams<S extends z.ZodType>(schema: S, raw: unknown, policy: string): z.output<S> {
  const r = checkParams(schema, raw);
  if (!r.ok) throw new PolicyParamsError(policy, r.problems);
  return r.params;
}

function register<P, S extends z.ZodType>(kind: Kind, map: Map<string, Entry<P>>, name: string, create: (params: z.output<S>) => P, opts?: RegisterOptions<S>): void {
  if (map.has(name)) throw new Error(`${kind} policy '${name}' is already registered`);
  const what = `${kind} policy '${name}'`;
  if (opts?.params) {
    const schema = opts.params;
    map.set(name, { params: schema, build: (raw) => create(parsePolicyParams(schema, raw, what)) });
  } else {
    // No schema: S is its default, NoParams, whose output is the empty object.
    map.set(name, { params: NoParams, build: (raw) => create(parsePolicyParams(NoParams, raw, what) as z.output<S>) });
  }
}

/** Registers a queue policy: `create` gets the params parsed by `opts.params` (default: none allowed). */
export function registerQueuePolicy<S extends z.ZodType = typeof NoParams>(
  name: string,
  create: (params: z.output<S>) => QueuePolicy,
  opts?: RegisterOptions<S>,
): void {
  register('queue', store.queue, name, create, opts);
}

/** Registers a placement policy: `create` gets the params parsed by `opts.params` (default: none allowed). */
export function registerPlacementPolicy<S extends z.ZodType = typeof NoParams>(
  name: string,
  create: (params: z.output<S>) => PlacementPolicy,
  opts?: RegisterOptions<S>,
): void {
  register('placement', store.placement, name, create, opts);
}

function entry<P>(kind: Kind, map: Map<string, Entry<P>>, name: string): Entry<P> {
  const e = map.get(name);
  if (!e) throw new UnknownPolicyError(`unknown ${kind} policy '${name}' (known: ${[...map.keys()].sort().join(', ')})`);
  return e;
}

function factory<P>(kind: Kind, map: Map<string, Entry<P>>, name: string): (params?: PolicyParams) => P {
  const e = entry(kind, map, name);
  return (raw = {}) => e.build(raw);
}

export function queuePolicyFactory(name: string): QueuePolicyFactory {
  return factory('queue', store.queue, name);
}

export function placementPolicyFactory(name: string): PlacementPolicyFactory {
  return factory('placement', store.placement, name);
}

/** The params schema a registered policy was given (UnknownPolicyError for an unknown name). */
export function queuePolicyParams(name: string): z.ZodType {
  return entry('queue', store.queue, name).params;
}

export function placementPolicyParams(name: string): z.ZodType {
  return entry('placement', store.placement, name).params;
}

export function queuePolicyNames(): string[] {
  return [...store.queue.keys()].sort();
}

export function placementPolicyNames(): string[] {
  return [...store.placement.keys()].sort();
}
