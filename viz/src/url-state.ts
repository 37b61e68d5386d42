import type { Filter } from './filter.ts';

/**
 * The view in the URL's hash, so a view can be shared: mode, run, visible range, cursor, filters,
 * comparison grouping and baseline, the FGD zoom, the collapsed nodes and shards. Times are integer ms. Parsing is defensive: an
 * unknown or malformed field is ignored.
 */
export interface UrlState {
  mode?: string;
  run?: string;
  t0?: number;
  t1?: number;
  cursor?: number;
  q?: string;
  hide?: string[];
  states?: string[];
  events?: string[];
  group?: string;
  base?: string;
  fgd?: [number, number];
  /** Nodes whose Gantt rows are collapsed into one summary row. */
  collapse?: string[];
  /** A hierarchy's shards drawn as their header row alone. */
  shards?: string[];
}

export function parseHash(hash: string): UrlState {
  const p = new URLSearchParams(hash.replace(/^#/, ''));
  const num = (k: string) => {
    const v = p.get(k);
    if (v === null || v.trim() === '') return undefined;
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  };
  const list = (k: string) => {
    const v = p.get(k);
    return v ? v.split(',').filter((s) => s !== '') : undefined;
  };
  const fgd = list('fgd')?.map(Number);
  return {
    mode: p.get('mode') ?? undefined,
    run: p.get('run') ?? undefined,
    t0: num('t0'),
    t1: num('t1'),
    cursor: num('cursor'),
    q: p.get('q') ?? undefined,
    hide: list('hide'),
    states: list('states'),
    events: list('events'),
    group: p.get('group') ?? undefined,
    base: p.get('base') ?? undefined,
    fgd: fgd && fgd.length === 2 && fgd.every(Number.isFinite) ? [fgd[0], fgd[1]] : undefined,
    collapse: list('collapse'),
    shards: list('shards'),
  };
}

export function formatHash(s: UrlState): string {
  const p = new URLSearchParams();
  const put = (k: string, v: string | number | undefined) => {
    if (v !== undefined && v !== '') p.set(k, String(v));
  };
  put('mode', s.mode);
  put('run', s.run);
  put('t0', s.t0 === undefined ? undefined : Math.round(s.t0));
  put('t1', s.t1 === undefined ? undefined : Math.round(s.t1));
  put('cursor', s.cursor === undefined ? undefined : Math.round(s.cursor));
  put('q', s.q);
  put('hide', s.hide?.join(','));
  put('states', s.states?.join(','));
  put('events', s.events?.join(','));
  put('group', s.group);
  put('base', s.base);
  put('fgd', s.fgd?.join(','));
  put('collapse', s.collapse?.join(','));
  put('shards', s.shards?.join(','));
  return '#' + p.toString();
}

export function filterFromUrl(u: UrlState, f: Filter): void {
  if (u.q !== undefined) f.q = u.q;
  if (u.hide) f.hiddenTenants = new Set(u.hide);
  if (u.states) f.states = new Set(u.states);
  if (u.events) f.events = new Set(u.events);
}
