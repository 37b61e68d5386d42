import { emptyFilter } from './filter.ts';
import { clampDomain } from './layout.ts';
import { selectRun, setCursor, setMode } from './page-nav.ts';
import { $, st } from './page-state.ts';
import { gantt } from './run-page.ts';
import { filterFromUrl, formatHash, type UrlState } from './url-state.ts';

/** The state mirrored in the URL's hash: written after each frame once loaded, applied on load and on hashchange. */

export function writeUrl(): void {
  if (!st.loaded) return;
  const r = st.manifest.runs[st.cur];
  const zoomed = st.domain[0] > st.full[0] || st.domain[1] < st.full[1];
  const u: UrlState = {
    mode: st.mode,
    run: r?.run,
    t0: zoomed ? st.domain[0] : undefined,
    t1: zoomed ? st.domain[1] : undefined,
    cursor: st.cursorRec > 0 ? st.cursor : undefined,
    q: st.filter.q || undefined,
    hide: st.filter.hiddenTenants.size ? [...st.filter.hiddenTenants].sort() : undefined,
    states: st.filter.states.size ? [...st.filter.states] : undefined,
    events: st.filter.events.size ? [...st.filter.events] : undefined,
    group: st.group === 'policy' ? 'policy' : undefined,
    base: st.mode === 'compare' ? st.baseline || undefined : undefined,
    fgd: st.fgdX,
    collapse: gantt.collapsed.size ? [...gantt.collapsed].sort() : undefined,
    shards: gantt.collapsedShards.size ? [...gantt.collapsedShards].sort() : undefined,
  };
  const h = formatHash(u);
  if (h !== location.hash && !(h === '#' && location.hash === '')) history.replaceState(null, '', h);
}

export function applyUrl(u: UrlState): void {
  if (u.run) {
    const i = st.manifest.runs.findIndex((r) => r.run === u.run);
    if (i >= 0) selectRun(i, false);
  }
  st.filter = emptyFilter();
  filterFromUrl(u, st.filter);
  $<HTMLInputElement>('search').value = st.filter.q;
  $<HTMLSelectElement>('state-filter').value = [...st.filter.states][0] ?? '';
  $<HTMLSelectElement>('event-filter').value = [...st.filter.events][0] ?? '';
  if (u.group === 'policy') st.group = 'policy';
  if (u.base) st.baseline = u.base;
  if (u.fgd) st.fgdX = u.fgd;
  gantt.collapsed.clear();
  for (const n of u.collapse ?? []) gantt.collapsed.add(n);
  gantt.collapsedShards.clear();
  for (const s of u.shards ?? []) gantt.collapsedShards.add(s);
  if (st.feeds.length > 0 && u.t0 !== undefined && u.t1 !== undefined) st.domain = clampDomain([u.t0, u.t1], st.full);
  if (st.feeds.length > 0 && u.cursor !== undefined) setCursor(u.cursor);
  if (u.mode === 'run' || u.mode === 'compare' || u.mode === 'study') setMode(u.mode, false);
}
