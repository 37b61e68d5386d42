import type { loadFgdCurve, LogFeed, Manifest, Summary } from './feed.ts';
import { emptyFilter, JobFlags } from './filter.ts';
import { esc, paletteColor } from './format.ts';
import type { Domain } from './layout.ts';
import type { RunView as RunModel } from './run-view.ts';
import { parseHash, type UrlState } from './url-state.ts';

/**
 * The page's one state (mode, shown run, visible range, cursor, search and filters, what was
 * loaded) and what every view derives from it: the shown run's model, tenant colours, the modes
 * there is data for. `schedule` asks for a frame; main.ts registers the renderer with `onFrame`.
 */

export const POLL_MS = 2000;
export const t0Page = performance.now();
export const $ = <T extends Element = HTMLElement>(id: string) => document.getElementById(id) as unknown as T;

export type Mode = 'run' | 'compare' | 'study';

export const st = {
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
   * folding time; firstRenderMs / lastRenderMs: the first and latest frame's own cost; loadingMax:
   * per kind of page work (appending a delta, each panel's render), its longest until the
   * complete frame; work: the latest pieces of timed page work as [kind, page time, ms] (the
   * last WORK_KEPT), so that a benchmark can see what a resize or a zoom cost.
   */
  timing: { dataAt: 0, firstFrameAt: 0, firstFrameRecords: 0, fetchParseMs: 0, fullFrameAt: 0, foldMs: 0, firstRenderMs: 0, fullRenderMs: 0, lastRenderMs: 0, parts: {} as Record<string, number>, loadingMax: {} as Record<string, number>, work: [] as [string, number, number][] },
  /** The first run has data (a first frame is due or drawn). */
  shown: false,
  url: parseHash(location.hash) as UrlState,
  loaded: false,
};

const WORK_KEPT = 64;

/** Notes how long one piece of page work took (ms) in `timing.work`; while loading, keeps each kind's longest in `timing.loadingMax`. */
export function timed<T>(what: string, fn: () => T): T {
  const t0 = performance.now();
  const out = fn();
  const ms = Math.round(performance.now() - t0);
  if (!st.timing.fullFrameAt) st.timing.loadingMax[what] = Math.max(st.timing.loadingMax[what] ?? 0, ms);
  const w = st.timing.work;
  w.push([what, Math.round(t0), ms]);
  if (w.length > WORK_KEPT) w.splice(0, w.length - WORK_KEPT);
  return out;
}

export const flagsCache = new JobFlags();
export const model = (): RunModel => st.feeds[st.cur].model;

/** Tenant colours: by the tenant's rank among the sorted names of every loaded run (stable across runs and arrival orders). */
let tenantNames: string[] = [];
let tenantKey = '';
export function allTenants(): string[] {
  const key = st.feeds.map((f) => f.model.tenants.length).join(',');
  if (key !== tenantKey) {
    tenantKey = key;
    tenantNames = [...new Set(st.feeds.flatMap((f) => f.model.tenants))].sort();
  }
  return tenantNames;
}
export const colorOf = (t: string) => paletteColor(Math.max(0, allTenants().indexOf(t)));

export function fullDomain(m: RunModel): Domain {
  const a = Number.isFinite(m.firstT) ? Math.min(0, m.firstT) : 0;
  return [a, Math.max(a + 1000, m.lastT)];
}

export const tooltip = $('tooltip');

let draw: (all: boolean) => void = () => {};
/** Registers the frame renderer (`all`: redraw everything, not only what follows the range and cursor). */
export function onFrame(render: (all: boolean) => void): void {
  draw = render;
}

/** Asks for a frame on the next animation frame; requests before it merge (`all` if any asked for it). */
let pending: { all: boolean } | undefined;
export function schedule(all: boolean): void {
  if (pending) {
    pending.all ||= all;
    return;
  }
  pending = { all };
  requestAnimationFrame(() => {
    const p = pending;
    pending = undefined;
    timed('frame', () => draw(p?.all ?? true));
  });
}

export function width(): number {
  return Math.max(480, document.querySelector('main')!.clientWidth);
}

export function commonNotes(notes: string[]): void {
  if (st.fgd && st.fgd.skipped > 0) notes.push(`fgd-curve.csv: ${st.fgd.skipped} rows skipped (not numbers).`);
  if (st.summaryNote) notes.push(st.summaryNote);
  $('notices').innerHTML = notes.map((n) => `<div>${esc(n)}</div>`).join('');
}

export function available(): Mode[] {
  const out: Mode[] = [];
  if (st.feeds.length > 0) out.push('run', 'compare');
  if (st.fgd && st.fgd.rows.length > 0) out.push('study');
  return out;
}
