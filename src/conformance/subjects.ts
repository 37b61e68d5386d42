import type { RoutingPolicy } from '../hierarchy/routing-policy.ts';
import { routingPolicyFactory, routingPolicyNames } from '../hierarchy/routing-registry.ts';
import type { WarmPoolPolicy } from '../context/warm-pool-policy.ts';
import { warmPoolPolicyFactory, warmPoolPolicyNames } from '../context/warm-pool-registry.ts';
import type { PolicyParams } from '../scheduler/registry.ts';
import { checkFresh, type FreshProperty } from './fresh-kit.ts';
import { timed } from './guarded.ts';
import { checkSubject, registeredSubjects, type KitOptions, type NamedSubject, type PropertyResult } from './kit.ts';
import { PROPERTIES } from './properties.ts';
import { ROUTING_PROPERTIES } from './routing.ts';
import { WARM_POOL_PROPERTIES } from './warm-pool.ts';

/**
 * Every kind of policy the kit checks, as one list the CLI and the isolating worker walk: queue
 * and placement policies (properties.ts, over simulated scenarios) and routing and warm-pool
 * policies (routing.ts, warm-pool.ts, through a maker of fresh instances). Calls of the latter go
 * through `timed` like the former's, so the hang watchdog and the per-call budget see them too.
 */
export interface FreshSubject {
  readonly kind: 'routing' | 'warm-pool';
  readonly label: string;
  readonly name: string;
  readonly params: PolicyParams;
  readonly properties: readonly FreshProperty<unknown>[];
  readonly fresh: () => unknown;
}

export type AnySubject = NamedSubject | FreshSubject;
export type PolicyKind = AnySubject['kind'];

/** `p` with `route` timed (guarded.ts). */
function timedRouting(p: RoutingPolicy): RoutingPolicy {
  const label = `routing policy '${p.name}'`;
  return { name: p.name, route: (job, shards, ctx) => timed(label, 'route', job.id, ctx.now, () => `${shards.length} shards`, () => p.route(job, shards, ctx)) };
}

/** `p` with `afterRelease` timed (guarded.ts). */
function timedWarmPool(p: WarmPoolPolicy): WarmPoolPolicy {
  const label = `warm-pool policy '${p.name}'`;
  return { name: p.name, afterRelease: (r, view) => timed(label, 'afterRelease', '', view.now, () => `context ${r.context}`, () => p.afterRelease(r, view)) };
}

export function routingSubject(name: string, make: () => RoutingPolicy, params: PolicyParams = {}): FreshSubject {
  return { kind: 'routing', name, label: name, params, properties: ROUTING_PROPERTIES as readonly FreshProperty<unknown>[], fresh: () => timedRouting(make()) };
}

export function warmPoolSubject(name: string, make: () => WarmPoolPolicy, params: PolicyParams = {}): FreshSubject {
  return { kind: 'warm-pool', name, label: name, params, properties: WARM_POOL_PROPERTIES as readonly FreshProperty<unknown>[], fresh: () => timedWarmPool(make()) };
}

/** Every registered policy of every kind (what `--all` checks): queue and placement with their variants. */
export function allRegisteredSubjects(): AnySubject[] {
  return [
    ...registeredSubjects(),
    ...routingPolicyNames().map((n) => routingSubject(n, () => routingPolicyFactory(n)({}))),
    ...warmPoolPolicyNames().map((n) => warmPoolSubject(n, () => warmPoolPolicyFactory(n)({}))),
  ];
}

/** The names of the properties `s` is checked against. */
export function propertyNames(s: AnySubject): string[] {
  return 'subject' in s ? PROPERTIES.map((p) => p.name) : s.properties.map((p) => p.name);
}

/** Checks `s` against its kind's properties (`opts.only` narrows them). */
export function checkAny(s: AnySubject, opts: KitOptions = {}): PropertyResult[] {
  return 'subject' in s ? checkSubject(s.subject, opts) : checkFresh(s.properties, s.fresh, opts);
}
