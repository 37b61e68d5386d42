import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PlacementPolicy, QueuePolicy } from '../scheduler/policy.ts';
import { placementPolicyNames, queuePolicyNames } from '../scheduler/registry.ts';
import type { WarmPoolPolicy } from '../context/warm-pool-policy.ts';
import { warmPoolPolicyFactory, warmPoolPolicyNames } from '../context/warm-pool-registry.ts';
import type { RoutingPolicy } from '../hierarchy/routing-policy.ts';
import { routingPolicyFactory, routingPolicyNames } from '../hierarchy/routing-registry.ts';
import { registeredSubject, subjectFor } from './kit.ts';
import { routingSubject, warmPoolSubject, type AnySubject, type PolicyKind } from './subjects.ts';

/** A policy module could not be used: the message names the file. */
export class PolicyFileError extends Error {
  override name = 'PolicyFileError';
}

type AnyPolicy = QueuePolicy | PlacementPolicy | RoutingPolicy | WarmPoolPolicy;

/** Which kind of policy `x` is, by the method it has; undefined when it is none. */
function kindOf(x: unknown): PolicyKind | undefined {
  if (x === null || typeof x !== 'object') return undefined;
  const o = x as Record<string, unknown>;
  if (typeof o.name !== 'string') return undefined;
  if (typeof o.place === 'function') return 'placement';
  if (typeof o.order === 'function') return 'queue';
  if (typeof o.route === 'function') return 'routing';
  if (typeof o.afterRelease === 'function') return 'warm-pool';
  return undefined;
}

/**
 * The policies a module exports as objects, plus those it registers by name (built by their
 * factory, so the kit can make fresh instances): queue, placement, routing and warm-pool
 * policies. Works for ESM and CommonJS files alike.
 */
export async function subjectsOfFile(file: string): Promise<AnySubject[]> {
  const beforeQ = new Set(queuePolicyNames());
  const beforeP = new Set(placementPolicyNames());
  const beforeR = new Set(routingPolicyNames());
  const beforeW = new Set(warmPoolPolicyNames());
  let isFile = false;
  try {
    isFile = statSync(file).isFile();
  } catch {
    throw new PolicyFileError(`${file}: no such file`);
  }
  if (!isFile) throw new PolicyFileError(`${file}: not a file (a policy module, .ts or .js)`);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(resolve(file)).href)) as Record<string, unknown>;
  } catch (e) {
    throw new PolicyFileError(`${file}: cannot import: ${(e as Error).message}`);
  }
  const found = new Map<string, AnySubject>();
  // A CommonJS module's exports may arrive under `default` as well: look at both.
  const values = [...Object.values(mod), ...(mod.default && typeof mod.default === 'object' ? Object.values(mod.default as object) : [])];
  for (const n of queuePolicyNames()) if (!beforeQ.has(n)) found.set(`queue:${n}`, registeredSubject('queue', n));
  for (const n of placementPolicyNames()) if (!beforeP.has(n)) found.set(`placement:${n}`, registeredSubject('placement', n));
  for (const n of routingPolicyNames()) if (!beforeR.has(n)) found.set(`routing:${n}`, routingSubject(n, () => routingPolicyFactory(n)({})));
  for (const n of warmPoolPolicyNames()) if (!beforeW.has(n)) found.set(`warm-pool:${n}`, warmPoolSubject(n, () => warmPoolPolicyFactory(n)({})));
  for (const v of values) {
    const kind = kindOf(v);
    if (kind === undefined) continue;
    const p = v as AnyPolicy;
    const key = `${kind}:${p.name}`;
    if (found.has(key)) continue;
    // An exported object has no factory: the kit checks that one instance (its properties that
    // need fresh instances then see the same one, so state it keeps shows as a failure).
    if (kind === 'routing') found.set(key, routingSubject(p.name, () => p as RoutingPolicy));
    else if (kind === 'warm-pool') found.set(key, warmPoolSubject(p.name, () => p as WarmPoolPolicy));
    else found.set(key, { kind, name: p.name, label: p.name, params: {}, subject: subjectFor(p as QueuePolicy | PlacementPolicy) });
  }
  return [...found.values()];
}
