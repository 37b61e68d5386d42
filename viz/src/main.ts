import { max, min } from 'd3';
import { fgdCsv, renderFgdStudy } from './fgd-view.ts';
import { groups, metricsCsv, renderTable, type RunRow } from './compare.ts';
import { renderCdfs, renderOverlays, renderTenants } from './compare-charts.ts';
import { exportButtons } from './export.ts';
import { loadFgdCurve, loadManifest, loadSummary, LogFeed, type Manifest, type Progress, type Summary } from './feed.ts';
import { emptyFilter, JobFlags, searchMatcher } from './filter.ts';
import { esc, fmtInt, fmtT, paletteColor } from './format.ts';
import { Gantt } from './gantt.ts';
import { Heatmap } from './heatmap.ts';
import { renderInspector } from './inspector.ts';
import { clampDomain, type Domain } from './layout.ts';
import type { RunView as RunModel } from './run-view.ts';
import { Timelines } from './timelines.ts';
import { filterFromUrl, formatHash, parseHash, type UrlState } from './url-state.ts';

/**
 * Wires the views to one state: the mode (one run, the comparison of every run, the FGD study),
 * the shown run, the visible time range (shared by schedule, heatmap and timelines), the selected
 * moment (inspector), the search and filters. The state is mirrored in the URL's hash. The app
 * only replays event logs and reads summary.json / fgd-curve.csv; with a server that rebuilds
 * data/index.json it re-polls logs that have no `end` record yet (live runs, runs being staged)
 * and appends what is new. Whatever the directory holds, the page says what it found and draws
 * what it can.
 */

const POLL_MS = 2000;
const t0Page = performance.now();
const $ = <T extends Element = HTMLElement>(id: string) => document.getElementById(id) as unknown as T;

type Mode = 'run' | 'compare' | 'study';

const st = {
  manifest: { scenario: '', runs: [], summary: false, fgdCurve: false, live: false, kind: 'empty', files: [] } as Manifest,
  feeds: [] as LogFeed[],
  cur: 0,
  mode: 'run' as Mode,
  domain: [0, 1] as Domain,
  full: [0, 1] as Domain,
  cursor: 0,
  cursorRec: 0,
  summary: undefined as Summary | undefined,
  summaryNote: '',
  fgd: undefined as Awaited<ReturnType<typeof loadFgdCurve>>,
  fgdX: undefined as [number, number] | undefined,
  group: 'run' as 'run' | 'policy',
  baseline: '',
  filter: emptyFilter(),
  /**
   * Page times (ms since navigation): dataAt when the first log's first bytes arrived, firstFrameAt
   * when the first frame was drawn (maybe from part of the log), fetchParseMs when every log was
   * read and folded, fullFrameAt when the first frame after that was drawn; foldMs: the worker's
   * folding time; firstRenderMs / lastRenderMs: the first and latest frame's own cost.
   */
  timing: { dataAt: 0, firstFrameAt: 0, firstFrameRecords: 0, fetchParseMs: 0, fullFrameAt: 0, foldMs: 0, firstRenderMs: 0, fullRenderMs: 0, lastRenderMs: 0, parts: {} as Record<string, number> },
  /** The first run has data (a first frame is due or drawn). */
  shown: false,
  url: parseHash(location.hash) as UrlState,
  loaded: false,
};

const flagsCache = new JobFlags();
const model = (): RunModel => st.feeds[st.cur].model;

/** Tenant colours: by the tenant's rank among the sorted names of every loaded run (stable across runs and arrival orders). */
let tenantNames: string[] = [];
let tenantKey = '';
function allTenants(): string[] {
  const key = st.feeds.map((f) => f.model.tenants.length).join(',');
  if (key !== tenantKey) {
    tenantKey = key;
    tenantNames = [...new Set(st.feeds.flatMap((f) => f.model.tenants))].sort();
  }
  return tenantNames;
}
const colorOf = (t: string) => paletteColor(Math.max(0, allTenants().indexOf(t)));

function fullDomain(m: RunModel): Domain {
  const a = Number.isFinite(m.firstT) ? Math.min(0, m.firstT) : 0;
  return [a, Math.max(a + 1000, m.lastT)];
}

const host = {
  model,
  all: () => st.feeds.map((f) => f.model),
  domain: () => st.domain,
  full: () => st.full,
  cursor: () => st.cursor,
  colorOf,
  flags: () => flagsCache.get(model(), st.filter),
  setDomain(d: Domain) {
    st.domain = clampDomain(d, st.full);
    schedule(false);
  },
  setCursor(t: number) {
    st.cursor = t;
    st.cursorRec = model().recordAt(t);
    schedule(false);
  },
};

const tooltip = $('tooltip');
const gantt = new Gantt($<HTMLCanvasElement>('gantt'), $<SVGSVGElement>('gantt-axis'), $<SVGSVGElement>('overview'), tooltip, host);
const heatmap = new Heatmap($<HTMLCanvasElement>('heat-alloc'), $<HTMLCanvasElement>('heat-strand'), tooltip, host);
const timelines = new Timelines($('timelines'), $<SVGSVGElement>('timeline-axis'), tooltip, host);

let pending: { all: boolean } | undefined;
function schedule(all: boolean): void {
  if (pending) {
    pending.all ||= all;
    return;
  }
  pending = { all };
  requestAnimationFrame(() => {
    const p = pending;
    pending = undefined;
    render(p?.all ?? true);
  });
}

function width(): number {
  return Math.max(480, document.querySelector('main')!.clientWidth);
}

function rows(): RunRow[] {
  const byRun = new Map((st.summary?.runs ?? []).map((r) => [r.run, r]));
  return st.feeds.map((f, i) => {
    const r = st.manifest.runs[i];
    const s = byRun.get(r.run);
    const own = f.model.metrics();
    const mine = f.model.failures();
    const fair = s?.fairness ?? f.model.fairness();
    const failures = (s?.metrics.failures ?? mine) as Record<string, number> | undefined;
    const { failures: _, ...sm } = s?.metrics ?? {};
    return {
      run: r.run,
      label: r.label,
      seed: r.seed,
      model: f.model,
      metrics: { ...own, ...(sm as Record<string, number>), ...(failures ?? {}), jain: fair.jain, ...(fair.migFragPct !== undefined ? { migFragPct: fair.migFragPct } : {}) },
      fairness: fair,
      fromSummary: s !== undefined,
      digest: s?.digest ?? '',
    };
  });
}

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

function renderRunView(all: boolean, w: number, parts: Record<string, number>, lap: (k: string) => void): void {
  const m = model();
  const stats = gantt.render(w);
  lap('gantt');
  // The heatmap costs nodes × columns searches: while zooming or panning it follows once the view
  // settles, so interaction frames stay short.
  clearTimeout(heatTimer);
  if (all) heatmap.render(w);
  else heatTimer = window.setTimeout(() => heatmap.render(width()), 120);
  lap('heatmap');
  timelines.render(w);
  lap('timelines');
  if (all) {
    gantt.renderOverview(w);
    renderLegend(m);
    lap('overview');
  } else gantt.syncBrush(w);
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
  const notes: string[] = [];
  if (stats.merged > 0)
    notes.push(`Simplified: ${fmtInt(stats.merged)} of ${fmtInt(stats.bars)} bars are narrower than the pixels already drawn in their lane at this zoom and are merged into them (zoom in to see single jobs; hover still finds them).`);
  if (timelines.simplified) notes.push(`Simplified: ${timelines.simplified}.`);
  for (const [what, n] of m.problems) notes.push(`${fmtInt(n)} ${what}.`);
  if (!st.loaded) notes.push(`Loading: drawn from the first ${fmtInt(m.records.length)} records read so far; the log is still being read and folded (off this page's thread), the view grows as it is.`);
  else if (!m.ended) notes.push(st.manifest.live ? `Live: this run's log has no end record yet; re-reading it every ${POLL_MS / 1000} s.` : `This run's log has no end record (the run was cut short or is still being written).`);
  commonNotes(notes);
  const p = st.feeds[st.cur].progress;
  const reading = !st.loaded && p ? `still reading: ${p.total > 0 ? `${Math.floor((100 * p.bytes) / p.total)}% of the log` : `${fmtInt(Math.round(p.bytes / 1024))} KiB`} · ` : '';
  $('status').textContent = `${reading}${st.feeds.length} run(s) · ${fmtInt(m.jobs.length)} jobs · ${fmtInt(m.records.length)} records · ${fmtInt(stats.bars)} bars in view (${fmtInt(stats.painted)} painted)${st.loaded ? ` · loaded in ${(st.timing.fetchParseMs / 1000).toFixed(2)} s` : ''} · frame ${Object.values(parts).reduce((a, b) => a + b, 0)} ms`;
}

function commonNotes(notes: string[]): void {
  if (st.fgd && st.fgd.skipped > 0) notes.push(`fgd-curve.csv: ${st.fgd.skipped} rows skipped (not numbers).`);
  if (st.summaryNote) notes.push(st.summaryNote);
  $('notices').innerHTML = notes.map((n) => `<div>${esc(n)}</div>`).join('');
}

function renderCompare(): void {
  const gs = groups(rows(), st.group === 'policy');
  if (!gs.some((g) => g.key === st.baseline)) st.baseline = gs[0]?.key ?? '';
  const sel = $<HTMLSelectElement>('baseline');
  sel.innerHTML = gs.map((g) => `<option value="${esc(g.key)}">${esc(g.key)}</option>`).join('');
  sel.value = st.baseline;
  $<HTMLSelectElement>('group-by').value = st.group;
  const selected = st.group === 'policy' ? st.manifest.runs[st.cur]?.label : st.manifest.runs[st.cur]?.run;
  renderTable($<HTMLTableElement>('metrics'), gs, st.baseline, selected ?? '', (key) => {
    const i = st.manifest.runs.findIndex((r) => r.run === key || r.label === key);
    if (i >= 0) {
      selectRun(i);
      setMode('run');
    }
  });
  renderOverlays($('overlays'), gs, tooltip);
  renderCdfs($('cdfs'), gs, tooltip);
  renderTenants($('tenants'), gs, allTenants(), colorOf, tooltip);
  commonNotes([]);
  $('status').textContent = `${st.feeds.length} run(s) compared${st.group === 'policy' ? ` as ${gs.length} policies` : ''}`;
}

function renderStudy(): void {
  const f = st.fgd;
  if (!f) return;
  renderFgdStudy($('fgd'), f.rows, { x: st.fgdX }, (x) => {
    st.fgdX = x;
    schedule(true);
  }, tooltip);
  const arrived = f.rows.map((r) => r.arrived);
  const lo = min(arrived) ?? 0;
  const hi = max(arrived) ?? 0;
  $('fgd-range').textContent = st.fgdX ? ` arrived ${st.fgdX[0]}–${st.fgdX[1]}% of ${lo}–${hi}%` : ` arrived ${lo}–${hi}% (all)`;
  $('fgd-top').textContent = `zoom to 80–${hi}%`;
  const s = st.summary;
  const results = s?.kind === 'static-fill' && Array.isArray(s.results) ? (s.results as Record<string, unknown>[]) : [];
  if (results.length > 0) {
    const keys = Object.keys(results[0]).filter((k) => k !== 'label');
    // Failed pods are not ranked: a policy that packs worse fails other (smaller or larger) pods.
    const numKeys = keys.filter((k) => k.startsWith('alloc') || k.startsWith('frag'));
    // Best per column: highest allocation, lowest fragmentation and failures; ties marked as ties.
    const best = new Map<string, { v: number; n: number }>();
    for (const k of numKeys) {
      const low = !k.startsWith('alloc');
      const vs = results.map((r) => r[k]).filter((v): v is number => typeof v === 'number');
      if (vs.length < 2) continue;
      const v = (low ? min(vs) : max(vs))!;
      const n = vs.filter((x) => x.toFixed(2) === v.toFixed(2)).length;
      if (n < vs.length) best.set(k, { v, n });
    }
    $<HTMLTableElement>('fgd-table').innerHTML =
      `<thead><tr><th>policy</th>${keys.map((k) => `<th>${esc(k)}</th>`).join('')}</tr></thead><tbody>` +
      results
        .map(
          (r) =>
            `<tr data-policy="${esc(String(r.label))}"><td>${esc(String(r.label))}</td>${keys
              .map((k) => {
                const v = r[k];
                const b = best.get(k);
                const mark = typeof v === 'number' && b && v.toFixed(2) === b.v.toFixed(2) ? (b.n === 1 ? 'best' : 'tie') : '';
                return `<td class="${mark}">${typeof v === 'number' ? v.toFixed(2).replace(/\.00$/, '') : v === null ? '—' : esc(String(v))}${mark === 'tie' ? '<sup>=</sup>' : ''}</td>`;
              })
              .join('')}</tr>`,
        )
        .join('') +
      `</tbody><caption>${esc(String((s?.covers as Record<string, string> | undefined)?.means ?? ''))}; pod list ${esc(String(s?.podList ?? ''))} (${fmtInt(Number(s?.pods ?? 0))} pods), ${fmtInt(Number(s?.nodes ?? 0))} nodes, ${fmtInt(Number(s?.gpus ?? 0))} GPUs, tune ${esc(String(s?.tune ?? ''))}. Bold green: the single best (highest allocation, lowest fragmentation); <sup>=</sup> tied; failed pods are not ranked (they differ in size between policies).</caption>`;
  } else $<HTMLTableElement>('fgd-table').innerHTML = `<caption>${s ? 'summary.json has no static-fill results' : 'no summary.json: the table needs one (written by static-fill runs since this version)'}</caption>`;
  commonNotes([]);
  $('status').textContent = `FGD study: ${fmtInt(f.rows.length)} curve points, ${new Set(f.rows.map((r) => r.policy)).size} policies, ${new Set(f.rows.map((r) => r.seed)).size} seeds`;
}

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
  if (st.mode === 'run' && st.feeds.length > 0) renderRunView(all, w, parts, lap);
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

function writeUrl(): void {
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
  };
  const h = formatHash(u);
  if (h !== location.hash && !(h === '#' && location.hash === '')) history.replaceState(null, '', h);
}

function applyUrl(u: UrlState): void {
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
  if (st.feeds.length > 0 && u.t0 !== undefined && u.t1 !== undefined) st.domain = clampDomain([u.t0, u.t1], st.full);
  if (st.feeds.length > 0 && u.cursor !== undefined) host.setCursor(u.cursor);
  if (u.mode === 'run' || u.mode === 'compare' || u.mode === 'study') setMode(u.mode, false);
}

function available(): Mode[] {
  const out: Mode[] = [];
  if (st.feeds.length > 0) out.push('run', 'compare');
  if (st.fgd && st.fgd.rows.length > 0) out.push('study');
  return out;
}

function setMode(mode: Mode, draw = true): void {
  if (!available().includes(mode)) return;
  st.mode = mode;
  if (draw) schedule(true);
}

function selectRun(i: number, draw = true): void {
  st.cur = i;
  $<HTMLSelectElement>('run-select').value = String(i);
  st.full = fullDomain(model());
  st.domain = st.full;
  st.cursor = st.full[0];
  st.cursorRec = 0;
  fillFilters();
  if (draw) schedule(true);
}

function fillRunSelect(): void {
  const sel = $<HTMLSelectElement>('run-select');
  sel.innerHTML = st.manifest.runs.map((r, i) => `<option value="${i}">${esc(r.run)}${r.staging ? ' (being written)' : ''}</option>`).join('');
  sel.value = String(st.cur);
}

function fillFilters(): void {
  const m = model();
  const states = [...new Set(m.jobs.map((j) => j.row.state))].sort();
  const evs = [...m.records.types].sort();
  const s = $<HTMLSelectElement>('state-filter');
  s.innerHTML = `<option value="">every state</option>` + states.map((x) => `<option value="${esc(x)}">${esc(x)} (${fmtInt(m.jobs.filter((j) => j.row.state === x).length)})</option>`).join('');
  s.value = [...st.filter.states][0] ?? '';
  const e = $<HTMLSelectElement>('event-filter');
  e.innerHTML = `<option value="">every event</option>` + evs.map((x) => `<option value="${esc(x)}">${esc(x)}</option>`).join('');
  e.value = [...st.filter.events][0] ?? '';
}

/** What the directory holds, in words; and when nothing can be drawn, why and what would be. */
function renderAbout(): void {
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

async function poll(): Promise<void> {
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
function showProgress(i: number, p: Progress): void {
  const bar = $<HTMLProgressElement>('load-progress');
  bar.hidden = false;
  if (p.total > 0) {
    bar.max = p.total;
    bar.value = p.bytes;
  } else bar.removeAttribute('value');
  const mb = (b: number) => (b / 1048576).toFixed(1);
  const of = p.total > 0 ? ` of ${mb(p.total)} MB (${Math.floor((100 * p.bytes) / p.total)}%)` : ' MB';
  const run = st.manifest.runs[i]?.run ?? '';
  $('status').textContent = `loading ${run}: ${mb(p.bytes)}${of} read and folded${st.feeds.length > 1 ? ` · run ${i + 1} of ${st.feeds.length}` : ''}`;
  bar.dataset.bytes = String(p.bytes);
  if (!st.timing.dataAt) st.timing.dataAt = p.at;
}

/** The first feed's first delta draws a first frame (from the part folded so far); later ones redraw. */
function onDelta(i: number, final: boolean): void {
  if (!st.shown) {
    if (i !== 0) return;
    st.shown = true;
    showRuns();
    return;
  }
  if (final && st.loaded) grown();
  else if (i === st.cur && st.mode === 'run') grown();
}

/** The page's state once the first run has data: run list, modes, the URL's view. */
function showRuns(): void {
  fillRunSelect();
  renderAbout();
  const av = available();
  st.mode = av[0] ?? 'run';
  if (st.feeds.length > 0) selectRun(0, false);
  applyUrl(st.url);
  schedule(true);
}

/** Brings the view up to date with what the feeds hold now (a delta arrived, a run appeared). */
function grown(): void {
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

function newFeed(url: string): LogFeed {
  const f = new LogFeed(url);
  const i = st.feeds.length;
  f.onDelta = (final) => onDelta(i, final);
  return f;
}

async function main(): Promise<void> {
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

$<HTMLSelectElement>('run-select').addEventListener('change', (ev) => selectRun(Number((ev.target as HTMLSelectElement).value)));
$('zoom-in').addEventListener('click', () => gantt.zoomAt(gantt.plotCenter(), 0.5));
$('zoom-out').addEventListener('click', () => gantt.zoomAt(gantt.plotCenter(), 2));
$('zoom-reset').addEventListener('click', () => host.setDomain(st.full));
for (const b of document.querySelectorAll<HTMLButtonElement>('#tabs button')) b.addEventListener('click', () => setMode(b.dataset.mode as Mode));
const step = (d: number) => {
  const recs = model().records;
  const evs = st.filter.events;
  let i = st.cursorRec + d;
  while (evs.size > 0 && i > 0 && i < recs.length - 1 && !evs.has(recs.ev(i))) i += d;
  st.cursorRec = Math.max(0, Math.min(recs.length - 1, i));
  if (recs.length) st.cursor = recs.t[st.cursorRec];
  schedule(false);
};
$('ev-prev').addEventListener('click', () => step(-1));
$('ev-next').addEventListener('click', () => step(1));
let searchTimer = 0;
$<HTMLInputElement>('search').addEventListener('input', (ev) => {
  clearTimeout(searchTimer);
  searchTimer = window.setTimeout(() => {
    st.filter.q = (ev.target as HTMLInputElement).value.trim();
    schedule(false);
  }, 120);
});
$<HTMLInputElement>('search').addEventListener('keydown', (ev) => {
  if (ev.key === 'Enter') goToSearched();
});
$('ev-job').addEventListener('click', () => goToSearched());
/** Moves the cursor to the first record of the (first) searched job and zooms to its life. */
function goToSearched(): void {
  const m = model();
  const match = searchMatcher(m, st.filter.q);
  const j = m.jobs.find((x) => match(x.row.id));
  if (!j) return;
  const r = j.row;
  const end = r.end >= 0 ? r.end : m.lastT;
  const pad = Math.max(1000, (end - r.submit) * 0.25);
  st.domain = clampDomain([r.submit - pad, end + pad], st.full);
  host.setCursor(r.submit);
}
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

const scenario = () => st.manifest.scenario;
exportButtons($('gantt-export'), 'schedule', {
  scenario,
  parts: () => [$<SVGSVGElement>('gantt-axis'), $<HTMLCanvasElement>('gantt'), $<SVGSVGElement>('overview')],
  csv: () => {
    const m = model();
    const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    const [d0, d1] = st.domain;
    const out = ['id,tenant,state,submit_ms,start_ms,end_ms,node,gpus,milli'];
    for (const j of m.jobs) {
      const r = j.row;
      const end = r.end >= 0 ? r.end : m.lastT;
      if (r.submit > d1 || end < d0) continue;
      out.push([q(r.id), q(r.tenant), r.state, r.submit, r.start >= 0 ? r.start : '', r.end >= 0 ? r.end : '', q(r.node), q(r.gpus), r.milli].join(','));
    }
    return out.join('\n') + '\n';
  },
});
exportButtons($('heatmap-export'), 'heatmap', {
  scenario,
  parts: () => [$<HTMLCanvasElement>('heat-alloc'), $<HTMLCanvasElement>('heat-strand')],
  csv: () => {
    const m = model();
    const out = ['node,t_ms,gpu_alloc_milli,gpu_stranded_milli,gpu_capacity_milli'];
    m.nodeSeries.forEach((S, n) => S.t.forEach((t, i) => out.push(`${m.nodes[n].id},${t},${S.alloc[i]},${S.strand[i]},${m.nodeCap[n]}`)));
    return out.join('\n') + '\n';
  },
});
exportButtons($('timeline-export'), 'timelines', {
  scenario,
  parts: () => [...document.querySelectorAll<HTMLCanvasElement>('#timelines canvas'), $<SVGSVGElement>('timeline-axis')],
  csv: () => {
    const m = model();
    const s = m.series;
    const out = [['t_ms', 'gpu_alloc_milli', 'frag_milli', 'queued', 'running', ...m.tenants.map((t) => `alloc_milli_${t}`)].join(',')];
    for (let i = 0; i < s.t.length; i++) out.push([s.t[i], s.alloc[i], s.frag[i], s.queued[i], s.running[i], ...s.tenantAlloc.map((c) => c[i])].join(','));
    return out.join('\n') + '\n';
  },
});
exportButtons($('table-export'), 'metrics', { scenario, parts: () => [], csv: () => metricsCsv(rows()) });
exportButtons($('overlay-export'), 'over-time', { scenario, parts: () => [...document.querySelectorAll<SVGSVGElement>('#overlays svg')] });
exportButtons($('cdf-export'), 'cdfs', {
  scenario,
  parts: () => [...document.querySelectorAll<SVGSVGElement>('#cdfs svg')],
  csv: () => {
    const out = ['run,measure,value'];
    for (const r of rows()) for (const k of ['jct', 'wait', 'slowdown'] as const) for (const v of r.model.dist(k)) out.push(`${r.run},${k},${v}`);
    return out.join('\n') + '\n';
  },
});
exportButtons($('tenant-export'), 'tenants', { scenario, parts: () => [...document.querySelectorAll<SVGSVGElement>('#tenants svg')] });
exportButtons($('study-export'), 'fgd-study', { scenario, parts: () => [...document.querySelectorAll<SVGSVGElement>('#fgd svg')], csv: () => fgdCsv(st.fgd?.rows ?? []) });

/** Test and scripting hook: what a person sees, in numbers, plus a way to find a job's bar. */
declare global {
  interface Window {
    gpulab: unknown;
  }
}
window.gpulab = {
  state: () => ({
    /** The mode drawn on screen (set once a frame has rendered it). */
    mode: document.body.dataset.mode ?? '',
    modes: available(),
    kind: st.manifest.kind,
    run: st.manifest.runs[st.cur]?.run,
    runs: st.manifest.runs.map((r) => r.run),
    jobs: st.feeds.length ? model().jobs.length : 0,
    started: st.feeds.length ? model().jobs.filter((j) => j.row.start >= 0).length : 0,
    ended: st.feeds.map((f) => f.model.ended),
    records: st.feeds.map((f) => f.model.records.length),
    domain: st.domain,
    full: st.full,
    cursor: st.cursor,
    filter: { q: st.filter.q, hidden: [...st.filter.hiddenTenants], states: [...st.filter.states], events: [...st.filter.events] },
    group: st.group,
    baseline: st.baseline,
    fgdX: st.fgdX ?? null,
    stats: gantt.stats,
    heat: heatmap.stats,
    timing: st.timing,
    applyMs: st.feeds.map((f) => f.applyMs),
    /** Per run: the last read's progress as the worker reported it, and how many deltas it posted. */
    progress: st.feeds.map((f) => f.progress ?? null),
    deltas: st.feeds.map((f) => f.applyMs.length),
    collapsed: [...gantt.collapsed],
  }),
  /** Client (page) coordinates of the centre of a job's first visible bar, scrolled into view. */
  barCenter(jobId: string): { x: number; y: number } | null {
    const p = gantt.barCenter(jobId);
    if (!p) return null;
    const scroll = $('gantt-scroll');
    if (p.y < scroll.scrollTop || p.y > scroll.scrollTop + scroll.clientHeight) scroll.scrollTop = p.y - scroll.clientHeight / 2;
    const rect = $('gantt').getBoundingClientRect();
    return { x: rect.left + p.x, y: rect.top + p.y };
  },
  tenantColor: (tenant: string) => colorOf(tenant),
  jobAt: (i: number) => model().jobs[i]?.row.id ?? null,
  job: (id: string) => {
    const j = model().jobIndex.get(id);
    return j === undefined ? null : model().jobs[j];
  },
  setDomain: (a: number, b: number) => host.setDomain([a, b]),
};

void main();
