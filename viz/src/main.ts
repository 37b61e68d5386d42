import { renderCdfs, renderFgd, renderTable, type RunRow } from './comparison.ts';
import { loadFgdCurve, loadManifest, loadSummary, LogFeed, type Manifest } from './feed.ts';
import { esc, fmtInt, fmtT, tenantColor } from './format.ts';
import { Gantt } from './gantt.ts';
import { renderInspector } from './inspector.ts';
import { clampDomain, type Domain } from './layout.ts';
import type { RunModel } from './run-model.ts';
import { Timelines } from './timelines.ts';

/**
 * Wires the views to one state: the shown run, the visible time range (shared by schedule and
 * timelines) and the selected moment (inspector). The app only replays event logs; with a dev
 * server it re-polls logs that have no `end` record yet (live runs) and appends what is new.
 */

const POLL_MS = 2000;
const t0Page = performance.now();
const $ = <T extends Element = HTMLElement>(id: string) => document.getElementById(id) as unknown as T;

interface State {
  manifest: Manifest;
  feeds: LogFeed[];
  cur: number;
  domain: Domain;
  full: Domain;
  cursor: number;
  cursorRec: number;
  summary: Map<string, { metrics: Record<string, number>; digest: string }>;
  fgd: Awaited<ReturnType<typeof loadFgdCurve>>;
  timing: { fetchParseMs: number; firstRenderMs: number; lastRenderMs: number; parts: Record<string, number> };
}

const st: State = {
  manifest: { scenario: '', runs: [], summary: false, fgdCurve: false, live: false },
  feeds: [],
  cur: 0,
  domain: [0, 1],
  full: [0, 1],
  cursor: 0,
  cursorRec: 0,
  summary: new Map(),
  fgd: undefined,
  timing: { fetchParseMs: 0, firstRenderMs: 0, lastRenderMs: 0, parts: {} },
};

const model = (): RunModel => st.feeds[st.cur].model;

function fullDomain(m: RunModel): Domain {
  const a = Number.isFinite(m.firstT) ? Math.min(0, m.firstT) : 0;
  return [a, Math.max(a + 1000, m.lastT)];
}

const host = {
  model,
  domain: () => st.domain,
  full: () => st.full,
  cursor: () => st.cursor,
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
  return Math.max(480, $('gantt-view').clientWidth);
}

function rows(): RunRow[] {
  return st.feeds.map((f, i) => {
    const r = st.manifest.runs[i];
    const s = st.summary.get(r.run);
    const own = f.model.metrics();
    return {
      run: r.run,
      label: r.label,
      model: f.model,
      metrics: s ? { ...own, ...s.metrics } : own,
      fromSummary: s !== undefined,
      digest: s?.digest ?? '',
    };
  });
}

function render(all: boolean): void {
  if (st.feeds.length === 0) return;
  const t0 = performance.now();
  const w = width();
  const m = model();
  const parts: Record<string, number> = {};
  let tp = performance.now();
  const lap = (k: string) => {
    const now = performance.now();
    parts[k] = Math.round(now - tp);
    tp = now;
  };
  const stats = gantt.render(w);
  lap('gantt');
  timelines.render(w);
  lap('timelines');
  if (all) {
    gantt.renderOverview(w);
    lap('overview');
    $('legend').innerHTML = m.tenants.map((t, i) => `<span><i style="background:${tenantColor(i)}"></i>${esc(t)}</span>`).join('');
    const rs = rows();
    renderTable($<HTMLTableElement>('metrics'), rs, m.run || st.manifest.runs[st.cur].run, selectRunByName);
    renderCdfs($('cdfs'), rs);
    if (st.fgd && st.fgd.rows.length > 0) {
      $('fgd-block').hidden = false;
      renderFgd($('fgd'), st.fgd.rows);
    }
    lap('comparison');
  } else gantt.syncBrush(w);
  renderInspector($<HTMLTableElement>('events'), $('decisions'), $('ev-where'), m, st.cursorRec, st.manifest.runs.map((r, i) => ({ run: r.run, model: st.feeds[i].model })));
  lap('inspector');
  st.timing.parts = parts;
  const range = $('range');
  range.textContent = `showing ${fmtT(st.domain[0])} – ${fmtT(st.domain[1])} of ${fmtT(st.full[1])}`;
  range.dataset.t0 = String(Math.round(st.domain[0]));
  range.dataset.t1 = String(Math.round(st.domain[1]));
  const notes: string[] = [];
  if (stats.merged > 0)
    notes.push(`Simplified: ${fmtInt(stats.merged)} of ${fmtInt(stats.bars)} bars are narrower than the pixels already drawn in their lane at this zoom and are merged into them (zoom in to see single jobs; hover still finds them).`);
  if (timelines.simplified) notes.push(`Simplified: ${timelines.simplified}.`);
  for (const [what, n] of m.problems) notes.push(`${fmtInt(n)} ${what}.`);
  if (st.fgd && st.fgd.skipped > 0) notes.push(`fgd-curve.csv: ${st.fgd.skipped} rows skipped (not numbers).`);
  if (!m.ended) notes.push(st.manifest.live ? `Live: this run's log has no end record yet; re-reading it every ${POLL_MS / 1000} s.` : `This run's log has no end record (the run was cut short or is still being written).`);
  $('notices').innerHTML = notes.map((n) => `<div>${esc(n)}</div>`).join('');
  const renderMs = performance.now() - t0;
  st.timing.lastRenderMs = renderMs;
  if (!st.timing.firstRenderMs) st.timing.firstRenderMs = renderMs;
  $('status').textContent = `${st.feeds.length} run(s) · ${fmtInt(m.jobs.length)} jobs · ${fmtInt(m.records.length)} records · ${fmtInt(stats.bars)} bars in view (${fmtInt(stats.painted)} painted) · loaded in ${(st.timing.fetchParseMs / 1000).toFixed(2)} s · frame ${renderMs.toFixed(0)} ms`;
  document.body.dataset.ready = '1';
}

function selectRun(i: number): void {
  st.cur = i;
  ($<HTMLSelectElement>('run-select')).value = String(i);
  st.full = fullDomain(model());
  st.domain = st.full;
  st.cursor = st.full[0];
  st.cursorRec = 0;
  schedule(true);
}

function selectRunByName(run: string): void {
  const i = st.manifest.runs.findIndex((r) => r.run === run);
  if (i >= 0) selectRun(i);
}

async function poll(): Promise<void> {
  let grew = false;
  try {
    const m = await loadManifest();
    for (const r of m.runs.slice(st.manifest.runs.length)) {
      st.manifest.runs.push(r);
      st.feeds.push(new LogFeed(`data/${r.log}`));
      grew = true;
    }
    for (const f of st.feeds) if (!f.model.ended && (await f.poll()) > 0) grew = true;
  } catch (e) {
    $('status').textContent = `poll failed: ${(e as Error).message}`;
  }
  if (grew) {
    const wasAtEnd = st.domain[1] >= st.full[1] - 1;
    st.full = fullDomain(model());
    if (wasAtEnd) st.domain = clampDomain([st.domain[0], st.full[1]], st.full);
    fillRunSelect();
    schedule(true);
  }
  if (st.feeds.some((f) => !f.model.ended)) setTimeout(() => void poll(), POLL_MS);
}

function fillRunSelect(): void {
  const sel = $<HTMLSelectElement>('run-select');
  sel.innerHTML = st.manifest.runs.map((r, i) => `<option value="${i}">${esc(r.run)}</option>`).join('');
  sel.value = String(st.cur);
}

async function main(): Promise<void> {
  try {
    st.manifest = await loadManifest();
    $('scenario').textContent = st.manifest.scenario;
    if (st.manifest.runs.length === 0) throw new Error('no events.jsonl under this output directory');
    const [summary, fgd] = await Promise.all([st.manifest.summary ? loadSummary() : undefined, st.manifest.fgdCurve ? loadFgdCurve() : undefined]);
    for (const r of summary?.runs ?? []) st.summary.set(r.run, { metrics: r.metrics, digest: r.digest ?? '' });
    st.fgd = fgd;
    st.feeds = st.manifest.runs.map((r) => new LogFeed(`data/${r.log}`));
    for (const [i, f] of st.feeds.entries()) {
      await f.poll((bytes) => ($('status').textContent = `loading ${st.manifest.runs[i].run}: ${fmtInt(Math.round(bytes / 1024))} KiB`));
    }
    st.timing.fetchParseMs = performance.now() - t0Page;
    fillRunSelect();
    selectRun(0);
    if (st.manifest.live && st.feeds.some((f) => !f.model.ended)) setTimeout(() => void poll(), POLL_MS);
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
const step = (d: number) => {
  const recs = model().records;
  st.cursorRec = Math.max(0, Math.min(recs.length - 1, st.cursorRec + d));
  if (recs.length) st.cursor = recs[st.cursorRec].t;
  schedule(false);
};
$('ev-prev').addEventListener('click', () => step(-1));
$('ev-next').addEventListener('click', () => step(1));
window.addEventListener('resize', () => schedule(true));

/** Test and scripting hook: what a person sees, in numbers, plus a way to find a job's bar. */
declare global {
  interface Window {
    gpulab: unknown;
  }
}
window.gpulab = {
  state: () => ({
    run: st.manifest.runs[st.cur]?.run,
    runs: st.manifest.runs.map((r) => r.run),
    jobs: model().jobs.length,
    started: model().jobs.filter((j) => j.row.start >= 0).length,
    domain: st.domain,
    full: st.full,
    stats: gantt.stats,
    timing: st.timing,
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
  tenantColor: (tenant: string) => tenantColor(Math.max(0, model().tenants.indexOf(tenant))),
  jobAt: (i: number) => model().jobs[i]?.row.id ?? null,
  job: (id: string) => {
    const j = model().jobIndex.get(id);
    return j === undefined ? null : model().jobs[j];
  },
  setDomain: (a: number, b: number) => host.setDomain([a, b]),
};

void main();
