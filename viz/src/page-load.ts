import { loadFgdCurve, loadManifest, loadSummary, LogFeed, type Manifest, type Progress } from './feed.ts';
import { esc, fmtInt } from './format.ts';
import { clampDomain } from './layout.ts';
import { fillRunSelect, selectRun } from './page-nav.ts';
import { $, available, fullDomain, model, POLL_MS, schedule, st, t0Page, timed, type Mode } from './page-state.ts';
import { applyUrl } from './page-url.ts';

/**
 * Loading: the manifest, summary.json and fgd-curve.csv, every run's log through its feed (a first
 * frame from the first part read), and with a live server re-polling logs that have no `end` yet.
 */

/** What the directory holds, in words; and when nothing can be drawn, why and what would be. */
export function renderAbout(): void {
  const m = st.manifest;
  const live = m.runs.filter((r) => r.liveRun).length;
  const staging = m.runs.filter((r) => r.staging).length;
  const what: string[] = [];
  const kindWords: Record<Manifest['kind'], string> = { simulation: 'simulation runs', 'static-fill': 'a static-fill (FGD) study', live: 'live runs', mixed: 'several kinds of output', empty: 'no gpulab output the viewer knows' };
  if (m.runs.length) what.push(`${m.runs.length} event log${m.runs.length === 1 ? '' : 's'}${live ? ` (${live} live${staging ? `, ${staging} still being written` : ''})` : ''}`);
  if (m.summary) what.push(st.summary?.kind === 'static-fill' ? 'summary.json (static-fill study)' : 'summary.json');
  else if (m.runs.length && !live) what.push('no summary.json (metrics come from the logs)');
  if (m.fgdCurve) what.push(`fgd-curve.csv${st.fgd ? ` (${fmtInt(st.fgd.rows.length)} points)` : ''}`);
  const about = $('about');
  about.dataset.kind = m.kind;
  let html = `<b>${esc(m.scenario)}</b>: ${kindWords[m.kind]} — ${what.join(', ') || 'nothing the viewer reads'}.`;
  if (available().length === 0) {
    html +=
      `<div class="empty"><p>Nothing to draw here${m.live ? ' yet (re-checking every 2 s)' : ''}. The viewer draws <b>event logs</b> (<code>events.jsonl</code>, written by <code>npm run sim</code> and <code>npm run live</code>) and <b>static-fill curves</b> (<code>fgd-curve.csv</code>, written by a scenario with <code>workload.kind: static-fill</code>).</p>` +
      `<p>This directory holds: ${m.files.length ? m.files.map((f) => `<code>${esc(f.path)}</code>${f.bytes >= 0 ? ` <small>${fmtInt(f.bytes)} B</small>` : ''}`).join(', ') : 'no files'}.</p></div>`;
  }
  about.innerHTML = html;
  const av = available();
  for (const b of document.querySelectorAll<HTMLButtonElement>('#tabs button')) b.hidden = !av.includes(b.dataset.mode as Mode);
  document.body.classList.toggle('has-runs', st.feeds.length > 0);
}

export async function poll(): Promise<void> {
  let grew = false;
  try {
    const m = await loadManifest();
    for (const r of m.runs) {
      const i = st.manifest.runs.findIndex((x) => x.run === r.run);
      if (i < 0) {
        st.manifest.runs.push(r);
        st.feeds.push(newFeed(`data/${r.log}`));
        grew = true;
      } else if (st.manifest.runs[i].log !== r.log) {
        // A staged run renamed into place: same bytes under a new path; keep what was read.
        st.manifest.runs[i] = r;
        st.feeds[i].url = `data/${r.log}`;
        grew = true;
      } else st.manifest.runs[i] = r;
    }
    st.manifest.kind = m.kind;
    st.manifest.files = m.files;
    for (const f of st.feeds) {
      if (f.model.ended) continue;
      try {
        if ((await f.poll()) > 0) grew = true;
      } catch {
        // Renamed between the manifest and this read: the next manifest names the new path.
      }
    }
  } catch (e) {
    $('status').textContent = `poll failed: ${(e as Error).message}`;
  }
  if (grew) grown();
  if (st.feeds.length === 0 || st.feeds.some((f) => !f.model.ended)) setTimeout(() => void poll(), POLL_MS);
}

/** Shows one read's progress (header bar and status line). */
export function showProgress(i: number, p: Progress): void {
  const bar = $<HTMLProgressElement>('load-progress');
  bar.hidden = false;
  if (p.total > 0) {
    bar.max = p.total;
    bar.value = p.bytes;
  } else bar.removeAttribute('value');
  // MB, or KB for a log under 1 MB (so a small log does not read "0.0 of 0.0 MB").
  const [unit, div] = (p.total > 0 ? p.total : p.bytes) < 1048576 ? ['KB', 1024] : ['MB', 1048576];
  const mb = (b: number) => (b / div).toFixed(1);
  const of = p.total > 0 ? ` of ${mb(p.total)} ${unit} (${Math.floor((100 * p.bytes) / p.total)}%)` : ` ${unit}`;
  const run = st.manifest.runs[i]?.run ?? '';
  $('status').textContent = `loading ${run}: ${mb(p.bytes)}${of} read and folded${st.feeds.length > 1 ? ` · run ${i + 1} of ${st.feeds.length}` : ''}`;
  bar.dataset.bytes = String(p.bytes);
  if (!st.timing.dataAt) st.timing.dataAt = p.at;
}

/** While a log loads, the partial frames its deltas ask for are at least this far apart (ms). */
const LOADING_FRAME_MS = 1500;
let lastGrown = 0;
let grownTimer = 0;

/**
 * The first feed's first delta draws a first frame (from the part folded so far); later ones
 * redraw, at most one whole frame per LOADING_FRAME_MS while the first load is under way (the
 * worker posts more often than that, so that each append stays short).
 */
export function onDelta(i: number, final: boolean): void {
  if (!st.shown) {
    if (i !== 0) return;
    st.shown = true;
    lastGrown = performance.now();
    showRuns();
    return;
  }
  if (final && st.loaded) grown();
  else if (i === st.cur && st.mode === 'run') {
    if (st.loaded) return grown();
    const wait = lastGrown + LOADING_FRAME_MS - performance.now();
    if (wait <= 0) {
      lastGrown = performance.now();
      timed('grown', grown);
    } else if (!grownTimer)
      grownTimer = window.setTimeout(() => {
        grownTimer = 0;
        lastGrown = performance.now();
        // The end of the load draws its own frame.
        if (!st.loaded) timed('grown', grown);
      }, wait);
  }
}

/** The page's state once the first run has data: run list, modes, the URL's view. */
export function showRuns(): void {
  fillRunSelect();
  renderAbout();
  const av = available();
  st.mode = av[0] ?? 'run';
  if (st.feeds.length > 0) selectRun(0, false);
  applyUrl(st.url);
  schedule(true);
}

/** Brings the view up to date with what the feeds hold now (a delta arrived, a run appeared). */
export function grown(): void {
  const first = st.mode !== 'compare' && st.feeds.length > 0 && st.full[1] <= 1;
  if (first) selectRun(st.cur, false);
  const wasAtEnd = st.domain[1] >= st.full[1] - 1;
  st.full = fullDomain(model());
  if (wasAtEnd) st.domain = clampDomain([st.domain[0], st.full[1]], st.full);
  fillRunSelect();
  renderAbout();
  if (!available().includes(st.mode)) st.mode = available()[0] ?? 'run';
  schedule(true);
}

export function newFeed(url: string): LogFeed {
  const f = new LogFeed(url);
  const i = st.feeds.length;
  f.onDelta = (final) => onDelta(i, final);
  return f;
}

/** Loads everything the directory holds, then keeps polling while a run is live. */
export async function load(): Promise<void> {
  try {
    st.manifest = await loadManifest();
    $('scenario').textContent = st.manifest.scenario;
    const [summary, fgd] = await Promise.all([st.manifest.summary ? loadSummary() : undefined, st.manifest.fgdCurve ? loadFgdCurve() : undefined]);
    if (typeof summary === 'string') st.summaryNote = summary;
    else st.summary = summary;
    st.fgd = fgd;
    for (const r of st.manifest.runs) st.feeds.push(newFeed(`data/${r.log}`));
    for (const [i, f] of st.feeds.entries()) await f.poll((p) => showProgress(i, p));
    $('load-progress').hidden = true;
    st.timing.fetchParseMs = performance.now() - t0Page;
    st.timing.foldMs = st.feeds.reduce((a, f) => a + f.foldMs, 0);
    st.loaded = true;
    // A range in the URL was clamped to the part read when the first frame was drawn.
    const u = st.url;
    if (st.shown && st.feeds.length > 0 && u.t0 !== undefined && u.t1 !== undefined) {
      st.full = fullDomain(model());
      st.domain = clampDomain([u.t0, u.t1], st.full);
    }
    if (!st.shown) {
      st.shown = true;
      showRuns();
    } else grown();
    if (st.manifest.live && (st.feeds.length === 0 || st.feeds.some((f) => !f.model.ended))) setTimeout(() => void poll(), POLL_MS);
  } catch (e) {
    $('notices').innerHTML = `<div class="err">${esc((e as Error).message)}</div>`;
    $('status').textContent = 'failed';
    document.body.dataset.ready = 'error';
  }
}
