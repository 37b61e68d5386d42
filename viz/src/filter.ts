import { treeOf, treeRoot } from './job-tree.ts';
import type { RunView as RunModel } from './run-view.ts';
import { shardQuery } from './shards.ts';

/**
 * What the person asked to see: a job id search (highlights), hidden tenants, job states and
 * event types (empty set: all). Shared by the schedule, the inspector and the URL.
 */
export interface Filter {
  /** Job id search: exact id, or a substring when no id matches exactly, or `tree:<id>` (the job and its descendants), or `shard:<id>` (the jobs a hierarchy's shard holds); '' = none. */
  q: string;
  hiddenTenants: Set<string>;
  /** Job states to show (JobRow.state values); empty = every state. */
  states: Set<string>;
  /** Inspector event types to show; empty = every type. */
  events: Set<string>;
}

export const emptyFilter = (): Filter => ({ q: '', hiddenTenants: new Set(), states: new Set(), events: new Set() });

/** Per job: 0 filtered out (drawn faint), 1 shown, 2 shown and matched by the search. */
export const FLAG = { out: 0, shown: 1, hit: 2 } as const;

/**
 * Whether the search matches `id`: `tree:<id>` matches that job and all its descendants;
 * `shard:<id>` the jobs whose last routing (route, or steal) put them in that shard; else
 * exact when some job has that exact id, else by substring.
 */
export function searchMatcher(m: RunModel, q: string): (id: string) => boolean {
  const s = q.trim();
  if (s === '') return () => false;
  const root = treeRoot(s);
  if (root !== undefined) {
    const all = new Set(treeOf(m.jobs).subtree(root));
    return (id) => all.has(id);
  }
  const shard = shardQuery(s);
  if (shard !== undefined) {
    const ids = new Set<string>();
    for (let j = 0; j < m.jobs.length; j++) if (m.jobs.shard(j) === shard) ids.add(m.jobs.id(j));
    return (id) => ids.has(id);
  }
  if (m.jobs.indexOf(s) !== undefined) return (id) => id === s;
  const lo = s.toLowerCase();
  return (id) => id.toLowerCase().includes(lo);
}

/** Flags of every job of `m` under `f`; cached per model, filter key and log length. Pure. */
export class JobFlags {
  private cache = new WeakMap<RunModel, { key: string; flags: Uint8Array; hits: number }>();

  get(m: RunModel, f: Filter): { flags: Uint8Array; hits: number } {
    const key = `${f.q}\u0000${[...f.hiddenTenants].join(',')}\u0000${[...f.states].join(',')}\u0000${m.records.length}`;
    const c = this.cache.get(m);
    if (c && c.key === key) return c;
    const match = searchMatcher(m, f.q);
    const flags = new Uint8Array(m.jobs.length);
    let hits = 0;
    const J = m.jobs;
    for (let i = 0; i < J.length; i++) {
      const shown = (f.hiddenTenants.size === 0 || !f.hiddenTenants.has(J.tenant(i))) && (f.states.size === 0 || f.states.has(J.state(i)));
      const hit = f.q !== '' && match(J.id(i));
      if (hit) hits++;
      flags[i] = hit ? FLAG.hit : shown ? FLAG.shown : FLAG.out;
    }
    const v = { key, flags, hits };
    this.cache.set(m, v);
    return v;
  }
}
