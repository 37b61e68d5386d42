import type { ClusterView } from '../cluster/types.ts';
import type { JobView } from '../jobs/job.ts';
import type { SchedulerView } from '../scheduler/policy.ts';
import { readOnly } from './readonly.ts';

/** Recursively freezes a plain data structure; mutation then throws in strict-mode code. */
export function deepFreeze<T>(x: T): T {
  if (x !== null && typeof x === 'object' && !Object.isFrozen(x)) {
    Object.freeze(x);
    for (const v of Object.values(x as object)) deepFreeze(v);
  }
  return x;
}

function isPlain(x: object): boolean {
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null || Array.isArray(x);
}

/** Getter names along a class instance's prototype chain (TenantState.attainedGpu, …). */
function getters(x: object): string[] {
  const out: string[] = [];
  for (let p = Object.getPrototypeOf(x); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const [k, d] of Object.entries(Object.getOwnPropertyDescriptors(p))) if (d.get && k !== '__proto__') out.push(k);
  }
  return out;
}

const SKIP = Symbol('skip');

/**
 * A deep copy of what a view exposes, sharing nothing with the live state, so that freezing it
 * cannot freeze the core's own objects. Generic on purpose, so that fields added to the views
 * later (MIG instances, quotas …) are copied too: plain objects and arrays are copied whole
 * (getters read); of a class instance (the live `Cluster`, `TenantState`) its data fields and
 * getters are copied, but not the collaborators it holds (other class instances, Maps, functions
 * — a tenant's clock, the cluster's allocation table), which are not part of any view.
 */
function viewCopy(x: unknown, depth: number): unknown {
  if (x === null || typeof x !== 'object') return typeof x === 'function' ? SKIP : x;
  if (depth > 12) throw new Error('view too deep to snapshot (a cycle?)');
  if (Array.isArray(x)) return x.map((v) => viewCopy(v, depth + 1));
  if (x instanceof Map || x instanceof Set || x instanceof WeakMap || x instanceof WeakSet) return SKIP;
  const plain = isPlain(x);
  const out: Record<string, unknown> = {};
  const keys = plain ? Object.keys(x) : [...Object.keys(x), ...getters(x)];
  for (const k of keys) {
    const v = (x as Record<string, unknown>)[k];
    if (!plain && v !== null && typeof v === 'object' && !isPlain(v) && !Array.isArray(v)) continue;
    const c = viewCopy(v, depth + 1);
    if (c !== SKIP) out[k] = c;
  }
  return out;
}

/*
 * The copies below are read-only proxies (readonly.ts), not frozen objects: a write throws even
 * from sloppy-mode code (a CommonJS policy file), where a write to a frozen object is ignored.
 */

/** A plain, read-only copy of a cluster view (what a policy may read, nothing it may change). */
export function frozenCluster(c: ClusterView): ClusterView {
  return readOnly(viewCopy(c, 0) as ClusterView, 'cluster');
}

export function frozenJob(j: JobView): JobView {
  return readOnly(viewCopy(j, 0) as JobView, 'job');
}

/** A plain, read-only copy of everything a queue policy sees. */
export function frozenView(v: SchedulerView): SchedulerView {
  const copy = viewCopy(v, 0) as SchedulerView;
  // The quotas are the run's configuration, read through pure functions (which a copy drops): kept.
  return readOnly(v.quotas ? { ...copy, quotas: v.quotas } : copy, 'view');
}
