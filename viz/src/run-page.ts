import { searchMatcher } from './filter.ts';
import { esc, fmtInt, fmtT } from './format.ts';
import { Gantt } from './gantt.ts';
import { Heatmap } from './heatmap.ts';
import { renderInspector } from './inspector.ts';
import { clampDomain } from './layout.ts';
import { setCursor, setDomain } from './page-nav.ts';
import { $, colorOf, commonNotes, flagsCache, model, POLL_MS, schedule, st, timed, tooltip, width } from './page-state.ts';
import type { RunView as RunModel } from './run-view.ts';
import { Timelines } from './timelines.ts';

/**
 * The one-run mode: schedule (Gantt), heatmap and timelines on one visible range, the tenant
 * legend, the inspector at the cursor, the search count, notes and the status line.
 */

/** What the run views read and change of the page's state. */
export const host = {
  model,
  all: () => st.feeds.map((f) => f.model),
  domain: () => st.domain,
  full: () => st.full,
  cursor: () => st.cursor,
  colorOf,
  flags: () => flagsCache.get(model(), st.filter),
  setDomain,
  setCursor,
};

export const gantt = new Gantt($<HTMLCanvasElement>('gantt'), $<SVGSVGElement>('gantt-axis'), $<SVGSVGElement>('overview'), tooltip, host);
export const heatmap = new Heatmap($<HTMLCanvasElement>('heat-alloc'), $<HTMLCanvasElement>('heat-strand'), tooltip, host);
export const timelines = new Timelines($('timelines'), $<SVGSVGElement>('timeline-axis'), tooltip, host);

function renderLegend(m: RunModel): void {
  const names = [...m.tenants].sort();
  $('legend').innerHTML = names
    .map((t) => `<button class="${st.filter.hiddenTenants.has(t) ? 'off' : ''}" data-tenant="${esc(t)}" title="click: hide/show this tenant's jobs"><i style="background:${colorOf(t)}"></i>${esc(t)}</button>`)
    .join('');
  $('legend')
    .querySelectorAll<HTMLButtonElement>('button[data-tenant]')
    .forEach((b) =>
      b.addEventListener('click', () => {
        const t = b.dataset.tenant!;
        if (st.filter.hiddenTenants.has(t)) st.filter.hiddenTenants.delete(t);
        else st.filter.hiddenTenants.add(t);
        schedule(true);
      }),
    );
}

let heatTimer = 0;
let laterTimer = 0;

export function renderRunView(all: boolean, w: number, parts: Record<string, number>, lap: (k: string) => void): void {
  const m = model();
  const stats = timed('gantt', () => gantt.render(w));
  lap('gantt');
  // The heatmap costs nodes × columns searches: while zooming or panning it follows once the view
  // settles, so interaction frames stay short. A whole frame (new data: each part of a loading
  // log, the end of the load; a new run or filter) draws the heatmap, timelines and overview in
  // tasks of their own right after the schedule, so that no single task blocks the page for the
  // whole frame; zoom and pan frames draw the timelines with the schedule.
  clearTimeout(heatTimer);
  clearTimeout(laterTimer);
  heatTimer = window.setTimeout(() => timed('heatmap', () => heatmap.render(width())), all ? 0 : 120);
  if (all) {
    laterTimer = window.setTimeout(() => {
      const note = timelines.simplified;
      timed('timelines', () => timelines.render(width()));
      // The notes were written with the last render's simplification; rewrite them if it changed.
      if (timelines.simplified !== note) writeNotes(m, stats);
      laterTimer = window.setTimeout(() => timed('overview', () => gantt.renderOverview(width())), 0);
    }, 0);
    renderLegend(m);
    lap('legend');
  } else {
    timelines.render(w);
    lap('timelines');
    gantt.syncBrush(w);
  }
  const match = searchMatcher(m, st.filter.q);
  renderInspector($<HTMLTableElement>('events'), $('decisions'), $('ev-where'), m, st.cursorRec, st.manifest.runs.map((r, i) => ({ run: r.run, model: st.feeds[i].model })), { events: st.filter.events, match, searching: st.filter.q !== '' });
  lap('inspector');
  const { hits } = host.flags();
  $('search-count').textContent = st.filter.q ? `${fmtInt(hits)} job${hits === 1 ? '' : 's'}` : '';
  $('search-count').dataset.hits = String(hits);
  $('ev-job').hidden = hits === 0;
  const range = $('range');
  range.textContent = `showing ${fmtT(st.domain[0])} – ${fmtT(st.domain[1])} of ${fmtT(st.full[1])}`;
  range.dataset.t0 = String(Math.round(st.domain[0]));
  range.dataset.t1 = String(Math.round(st.domain[1]));
  writeNotes(m, stats);
  const p = st.feeds[st.cur].progress;
  const reading = !st.loaded && p ? `still reading: ${p.total > 0 ? `${Math.floor((100 * p.bytes) / p.total)}% of the log` : `${fmtInt(Math.round(p.bytes / 1024))} KiB`} · ` : '';
  $('status').textContent = `${reading}${st.feeds.length} run(s) · ${fmtInt(m.jobs.length)} jobs · ${fmtInt(m.records.length)} records · ${fmtInt(stats.bars)} bars in view (${fmtInt(stats.painted)} painted)${st.loaded ? ` · loaded in ${(st.timing.fetchParseMs / 1000).toFixed(2)} s` : ''} · frame ${Object.values(parts).reduce((a, b) => a + b, 0)} ms`;
}

/** The notes above the views: simplifications, problems in the log, loading and live state. */
function writeNotes(m: RunModel, stats: { merged: number; bars: number }): void {
  const notes: string[] = [];
  if (stats.merged > 0)
    notes.push(`Simplified: ${fmtInt(stats.merged)} of ${fmtInt(stats.bars)} bars are narrower than the pixels already drawn in their lane at this zoom and are merged into them (zoom in to see single jobs; hover still finds them).`);
  if (timelines.simplified) notes.push(`Simplified: ${timelines.simplified}.`);
  for (const [what, n] of m.problems) notes.push(`${fmtInt(n)} ${what}.`);
  if (!st.loaded) notes.push(`Loading: drawn from the first ${fmtInt(m.records.length)} records read so far; the log is still being read and folded (off this page's thread), the view grows as it is.`);
  else if (!m.ended) notes.push(st.manifest.live ? `Live: this run's log has no end record yet; re-reading it every ${POLL_MS / 1000} s.` : `This run's log has no end record (the run was cut short or is still being written).`);
  commonNotes(notes);
}

/** Moves the cursor by `d` records (only over the filtered event types, when any). */
export const step = (d: number) => {
  const recs = model().records;
  const evs = st.filter.events;
  let i = st.cursorRec + d;
  while (evs.size > 0 && i > 0 && i < recs.length - 1 && !evs.has(recs.ev(i))) i += d;
  st.cursorRec = Math.max(0, Math.min(recs.length - 1, i));
  if (recs.length) st.cursor = recs.t[st.cursorRec];
  schedule(false);
};

/** Moves the cursor to the first record of the (first) searched job and zooms to its life. */
export function goToSearched(): void {
  const m = model();
  const match = searchMatcher(m, st.filter.q);
  let j = 0;
  while (j < m.jobs.length && !match(m.jobs.id(j))) j++;
  if (j === m.jobs.length) return;
  const r = m.jobs.get(j).row;
  const end = r.end >= 0 ? r.end : m.lastT;
  const pad = Math.max(1000, (end - r.submit) * 0.25);
  st.domain = clampDomain([r.submit - pad, end + pad], st.full);
  setCursor(r.submit);
}
