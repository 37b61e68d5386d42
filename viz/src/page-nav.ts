import { esc, fmtInt } from './format.ts';
import { clampDomain, type Domain } from './layout.ts';
import { $, available, fullDomain, model, schedule, st, type Mode } from './page-state.ts';

/** Moving around the page: the mode, the shown run, the visible range, the cursor; and the run and filter pickers. */

/** Sets the visible range (clamped to the run). */
export function setDomain(d: Domain): void {
  st.domain = clampDomain(d, st.full);
  schedule(false);
}

/** Selects the moment `t` (the inspector shows the records from it). */
export function setCursor(t: number): void {
  st.cursor = t;
  st.cursorRec = model().recordAt(t);
  schedule(false);
}

export function setMode(mode: Mode, draw = true): void {
  if (!available().includes(mode)) return;
  st.mode = mode;
  if (draw) schedule(true);
}

export function selectRun(i: number, draw = true): void {
  st.cur = i;
  $<HTMLSelectElement>('run-select').value = String(i);
  st.full = fullDomain(model());
  st.domain = st.full;
  st.cursor = st.full[0];
  st.cursorRec = 0;
  fillFilters();
  if (draw) schedule(true);
}

export function fillRunSelect(): void {
  const sel = $<HTMLSelectElement>('run-select');
  sel.innerHTML = st.manifest.runs.map((r, i) => `<option value="${i}">${esc(r.run)}${r.staging ? ' (being written)' : ''}</option>`).join('');
  sel.value = String(st.cur);
}

export function fillFilters(): void {
  const m = model();
  const count = new Map<string, number>();
  for (let j = 0; j < m.jobs.length; j++) count.set(m.jobs.state(j), (count.get(m.jobs.state(j)) ?? 0) + 1);
  const states = [...count.keys()].sort();
  const evs = [...m.records.types].sort();
  const s = $<HTMLSelectElement>('state-filter');
  s.innerHTML = `<option value="">every state</option>` + states.map((x) => `<option value="${esc(x)}">${esc(x)} (${fmtInt(count.get(x) ?? 0)})</option>`).join('');
  s.value = [...st.filter.states][0] ?? '';
  const e = $<HTMLSelectElement>('event-filter');
  e.innerHTML = `<option value="">every event</option>` + evs.map((x) => `<option value="${esc(x)}">${esc(x)}</option>`).join('');
  e.value = [...st.filter.events][0] ?? '';
}
