import type { FromWorker, ToWorker } from './log-worker.ts';
import { RunView } from './run-view.ts';

/** What the server (or the static build) says is in the output directory: `data/index.json`. */
export interface Manifest {
  scenario: string;
  /** Event logs, relative to `data/`. */
  /** `gzip`: on disk as `<log>.gz`; the data server answers `log` decompressed. */
  runs: { run: string; label: string; seed: number; log: string; gzip?: boolean; staging?: boolean; liveRun?: boolean }[];
  /** summary.json exists (a finished scenario run). */
  summary: boolean;
  /** fgd-curve.csv exists at the output root. */
  fgdCurve: boolean;
  /** The server can answer byte ranges of growing logs (dev server: yes; static site: maybe). */
  live: boolean;
  /** What the directory is: simulation runs, a static-fill study, live runs, several, or nothing known. */
  kind: 'simulation' | 'static-fill' | 'live' | 'mixed' | 'empty';
  /** Its files (two levels; folders deeper end in '/'), for the page to say what it holds. */
  files: { path: string; bytes: number }[];
}

/** summary.json as the viewer reads it: a simulation's runs, or a static-fill study's description. */
export interface Summary {
  scenario?: string;
  kind?: string;
  /** `hierarchy`: a hierarchical run's routing counts and utilisation imbalance (src/hierarchy/metrics.ts), read by the comparison. */
  runs: { run: string; metrics: Record<string, number> & { failures?: Record<string, number> }; hierarchy?: Record<string, unknown>; digest?: string; fairness?: { jain: number; migFragPct?: number; tenants: { tenant: string; sharePct: number; waitMeanMs: number; jctMeanMs: number; jobs: number; completed: number }[] } }[];
  [k: string]: unknown;
}

/** Progress of one read: bytes so far, the total when the server said (-1 when not). */
export interface Progress {
  bytes: number;
  total: number;
  /** Page time (ms, performance.now()) at which this read's first bytes arrived. */
  at: number;
}

/**
 * The log worker (src/log-worker.ts), shared by every feed; bundled by vite as its own chunk.
 * Page time is `performance.now()`; the worker's epoch ms convert with the page's time origin.
 */
let worker: Worker | undefined;
const waiting = new Map<number, { resolve: (n: number) => void; reject: (e: Error) => void; onProgress?: (p: Progress) => void }>();
const feedsById = new Map<number, LogFeed>();
let nextId = 0;

function theWorker(): Worker {
  if (worker) return worker;
  worker = new Worker(new URL('./log-worker.ts', import.meta.url), { type: 'module' });
  worker.onmessage = (ev: MessageEvent<FromWorker>) => {
    const m = ev.data;
    const w = waiting.get(m.id);
    const feed = feedsById.get(m.id);
    if (m.kind === 'progress') {
      const p = { bytes: m.bytes, total: m.total, at: m.at - performance.timeOrigin };
      if (feed) feed.progress = p;
      w?.onProgress?.(p);
    } else if (m.kind === 'delta') {
      if (!feed) return;
      const t0 = performance.now();
      feed.model.apply(m.delta);
      feed.applyMs.push(Math.round(performance.now() - t0));
      feed.applyAt.push(Math.round(t0));
      feed.foldMs += m.foldMs - feed.lastFoldMs;
      feed.lastFoldMs = m.final ? 0 : m.foldMs;
      feed.onDelta?.(m.final);
    } else if (m.kind === 'done') {
      waiting.delete(m.id);
      w?.resolve(m.folded);
    } else {
      waiting.delete(m.id);
      w?.reject(new Error(m.message));
    }
  };
  return worker;
}

/**
 * One run's events.jsonl, read and folded by the log worker; `model` is the page's copy, appended
 * as the worker posts. `poll()` asks the worker for the bytes after what it has read (HTTP Range);
 * deltas can arrive before it resolves (a long first read is shown while it is folded), each
 * reported through `onDelta`.
 */
export class LogFeed {
  readonly model = new RunView();
  readonly id = nextId++;
  progress: Progress | undefined;
  /** Page time spent appending each delta (ms). */
  readonly applyMs: number[] = [];
  /** Page time (ms) at which each delta's append began. */
  readonly applyAt: number[] = [];
  /** Worker time spent folding this log (ms), over every poll. */
  foldMs = 0;
  lastFoldMs = 0;
  /** Called after each delta is applied (`final`: the last of a poll, metrics included). */
  onDelta: ((final: boolean) => void) | undefined;

  /** Changes when a staged run is renamed into place (same bytes, new path). */
  constructor(public url: string) {
    feedsById.set(this.id, this);
  }

  /** Fetches and folds new bytes in the worker; resolves to how many records were folded. */
  poll(onProgress?: (p: Progress) => void): Promise<number> {
    const w = theWorker();
    return new Promise((resolve, reject) => {
      waiting.set(this.id, { resolve, reject, onProgress });
      // The worker resolves relative URLs against its own script's URL: send an absolute one.
      w.postMessage({ kind: 'poll', id: this.id, url: new URL(this.url, location.href).href } satisfies ToWorker);
    });
  }
}

export async function loadManifest(): Promise<Manifest> {
  const res = await fetch('data/index.json', { cache: 'no-store' });
  if (!res.ok) throw new Error(`data/index.json: HTTP ${res.status} (start the viewer with npm run viz -- <output dir>)`);
  return (await res.json()) as Manifest;
}

/** summary.json, or a reason it could not be read (the page shows it). */
export async function loadSummary(): Promise<Summary | string> {
  const res = await fetch('data/summary.json', { cache: 'no-store' });
  if (!res.ok) return `summary.json: HTTP ${res.status}`;
  try {
    const s = (await res.json()) as Summary;
    if (!Array.isArray(s.runs)) s.runs = [];
    return s;
  } catch (e) {
    return `summary.json: not JSON (${(e as Error).message})`;
  }
}

export interface FgdRow {
  workload: string;
  policy: string;
  seed: string;
  arrived: number;
  alloc: number;
  frag: number;
}

/** fgd-curve.csv: workload,policy,seed,arrived_pct,gpu_alloc_pct,frag_pct; bad rows are skipped and counted. */
export async function loadFgdCurve(): Promise<{ rows: FgdRow[]; skipped: number } | undefined> {
  const res = await fetch('data/fgd-curve.csv', { cache: 'no-store' });
  if (!res.ok) return undefined;
  const lines = (await res.text()).split(/\r?\n/).filter((l) => l.trim() !== '');
  const head = (lines.shift() ?? '').split(',').map((s) => s.trim());
  const col = (n: string) => head.indexOf(n);
  const c = { w: col('workload'), p: col('policy'), s: col('seed'), a: col('arrived_pct'), g: col('gpu_alloc_pct'), f: col('frag_pct') };
  if (c.p < 0 || c.a < 0 || c.g < 0) return { rows: [], skipped: lines.length };
  const rows: FgdRow[] = [];
  let skipped = 0;
  for (const l of lines) {
    const f = l.split(',');
    const arrived = Number(f[c.a]);
    const alloc = Number(f[c.g]);
    if (!Number.isFinite(arrived) || !Number.isFinite(alloc)) {
      skipped++;
      continue;
    }
    rows.push({
      workload: c.w >= 0 ? f[c.w] : '',
      policy: f[c.p],
      seed: c.s >= 0 ? f[c.s] : '',
      arrived,
      alloc,
      frag: c.f >= 0 ? Number(f[c.f]) : NaN,
    });
  }
  return { rows, skipped };
}
