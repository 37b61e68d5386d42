import { max } from 'd3';
import { renderCompare } from './compare-page.ts';
import { load } from './page-load.ts';
import { wireExports } from './page-exports.ts';
import { installHook } from './page-hook.ts';
import { selectRun, setMode } from './page-nav.ts';
import { $, available, model, onFrame, schedule, st, width, type Mode } from './page-state.ts';
import { applyUrl, writeUrl } from './page-url.ts';
import { renderJobRouting } from './job-routing-view.ts';
import { renderJobTree, shownJob, wireJobTree } from './job-tree-view.ts';
import { gantt, goToSearched, host, renderRunView, step } from './run-page.ts';
import { renderStudy } from './study-page.ts';
import { parseHash } from './url-state.ts';

/**
 * Wires the views to one state: the mode (one run, the comparison of every run, the FGD study),
 * the shown run, the visible time range (shared by schedule, heatmap and timelines), the selected
 * moment (inspector), the search and filters. The state is mirrored in the URL's hash. The app
 * only replays event logs and reads summary.json / fgd-curve.csv; with a server that rebuilds
 * data/index.json it re-polls logs that have no `end` record yet (live runs, runs being staged)
 * and appends what is new. Whatever the directory holds, the page says what it found and draws
 * what it can.
 *
 * This file draws a frame (`render`) and wires the page's controls. The state: page-state.ts;
 * loading and polling: page-load.ts; the URL: page-url.ts; the modes: run-page.ts,
 * compare-page.ts, study-page.ts; export buttons: page-exports.ts; the test hook: page-hook.ts.
 */

function render(all: boolean): void {
  const t0 = performance.now();
  const w = width();
  const parts: Record<string, number> = {};
  let tp = performance.now();
  const lap = (k: string) => {
    const now = performance.now();
    parts[k] = Math.round(now - tp);
    tp = now;
  };
  document.body.dataset.mode = st.mode;
  const can = available().includes(st.mode);
  for (const v of document.querySelectorAll<HTMLElement>('[data-view]')) v.hidden = !can || v.dataset.view !== st.mode;
  if (!can) $('status').textContent = st.manifest.live ? 'nothing to draw yet' : 'nothing to draw';
  for (const b of document.querySelectorAll<HTMLButtonElement>('#tabs button')) b.classList.toggle('on', b.dataset.mode === st.mode);
  if (st.mode === 'run' && st.feeds.length > 0) {
    renderRunView(all, w, parts, lap);
    const shown = shownJob(model(), st.filter.q, picked);
    renderJobTree($('job-tree'), model(), shown);
    renderJobRouting($('job-routing'), model(), shown);
  }
  else if (st.mode === 'compare' && st.feeds.length > 0) {
    if (all) renderCompare();
    lap('compare');
  } else if (st.mode === 'study') {
    if (all) renderStudy();
    lap('study');
  }
  st.timing.parts = parts;
  const renderMs = performance.now() - t0;
  st.timing.lastRenderMs = renderMs;
  const done = performance.now();
  if (!st.timing.firstRenderMs) {
    st.timing.firstRenderMs = renderMs;
    st.timing.firstFrameAt = done;
    st.timing.firstFrameRecords = st.feeds[0]?.model.records.length ?? 0;
  }
  if (st.loaded && !st.timing.fullFrameAt) {
    st.timing.fullFrameAt = done;
    st.timing.fullRenderMs = renderMs;
  }
  writeUrl();
  document.body.dataset.ready = st.loaded ? '1' : 'loading';
}
onFrame(render);

$<HTMLSelectElement>('run-select').addEventListener('change', (ev) => selectRun(Number((ev.target as HTMLSelectElement).value)));
$('zoom-in').addEventListener('click', () => gantt.zoomAt(gantt.plotCenter(), 0.5));
$('zoom-out').addEventListener('click', () => gantt.zoomAt(gantt.plotCenter(), 2));
$('zoom-reset').addEventListener('click', () => host.setDomain(st.full));
for (const b of document.querySelectorAll<HTMLButtonElement>('#tabs button')) b.addEventListener('click', () => setMode(b.dataset.mode as Mode));
$('ev-prev').addEventListener('click', () => step(-1));
$('ev-next').addEventListener('click', () => step(1));
/** The job a click on a bar picked for the job tree panel ('' = the searched one). */
let picked = '';
$('gantt').addEventListener('job-pick', (ev) => {
  picked = (ev as CustomEvent<string>).detail;
  schedule(false);
});
wireJobTree($('job-tree'), (q, pick) => {
  $<HTMLInputElement>('search').value = q;
  st.filter.q = q;
  picked = pick;
  schedule(false);
});
let searchTimer = 0;
$<HTMLInputElement>('search').addEventListener('input', (ev) => {
  clearTimeout(searchTimer);
  searchTimer = window.setTimeout(() => {
    st.filter.q = (ev.target as HTMLInputElement).value.trim();
    picked = '';
    schedule(false);
  }, 120);
});
$<HTMLInputElement>('search').addEventListener('keydown', (ev) => {
  if (ev.key === 'Enter') goToSearched();
});
$('ev-job').addEventListener('click', () => goToSearched());
$<HTMLSelectElement>('state-filter').addEventListener('change', (ev) => {
  const v = (ev.target as HTMLSelectElement).value;
  st.filter.states = new Set(v ? [v] : []);
  schedule(false);
});
$<HTMLSelectElement>('event-filter').addEventListener('change', (ev) => {
  const v = (ev.target as HTMLSelectElement).value;
  st.filter.events = new Set(v ? [v] : []);
  schedule(false);
});
$<HTMLSelectElement>('group-by').addEventListener('change', (ev) => {
  st.group = (ev.target as HTMLSelectElement).value === 'policy' ? 'policy' : 'run';
  schedule(true);
});
$<HTMLSelectElement>('baseline').addEventListener('change', (ev) => {
  st.baseline = (ev.target as HTMLSelectElement).value;
  schedule(true);
});
$('fgd-all').addEventListener('click', () => {
  st.fgdX = undefined;
  schedule(true);
});
$('fgd-top').addEventListener('click', () => {
  const hi = max(st.fgd?.rows ?? [], (r) => r.arrived) ?? 100;
  st.fgdX = [80, hi];
  schedule(true);
});
window.addEventListener('hashchange', () => {
  if (!st.loaded) return;
  applyUrl(parseHash(location.hash));
  schedule(true);
});
let resizeTimer = 0;
window.addEventListener('resize', () => {
  // Redraw once the window has settled, not on every intermediate size.
  clearTimeout(resizeTimer);
  resizeTimer = window.setTimeout(() => schedule(true), 150);
});

wireExports();
installHook();

void load();
