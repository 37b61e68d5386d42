import { RunModel } from './run-model.ts';

/** What the server (or the static build) says is in the output directory: `data/index.json`. */
export interface Manifest {
  scenario: string;
  /** Event logs, relative to `data/`. */
  runs: { run: string; label: string; seed: number; log: string; staging?: boolean; liveRun?: boolean }[];
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
  runs: { run: string; metrics: Record<string, number> & { failures?: Record<string, number> }; digest?: string; fairness?: { jain: number; migFragPct?: number; tenants: { tenant: string; sharePct: number; waitMeanMs: number; jctMeanMs: number; jobs: number; completed: number }[] } }[];
  [k: string]: unknown;
}

/**
 * Reads one run's events.jsonl into a RunModel and, on `poll()`, asks only for the bytes after
 * what it has read (HTTP Range). A server that ignores ranges answers 200 with the whole file;
 * the feed then skips what it already folded. Bytes are decoded in streaming mode so a UTF-8
 * character split across two reads is not mangled.
 */
export class LogFeed {
  readonly model = new RunModel();
  private offset = 0;
  private readonly decoder = new TextDecoder();

  /** Changes when a staged run is renamed into place (same bytes, new path). */
  constructor(public url: string) {}

  /** Fetches new bytes; returns how many records were folded (0 when nothing new). */
  async poll(onProgress?: (bytes: number) => void): Promise<number> {
    const headers: Record<string, string> = this.offset > 0 ? { Range: `bytes=${this.offset}-` } : {};
    const res = await fetch(this.url, { headers, cache: 'no-store' });
    if (res.status === 416) return 0;
    if (!res.ok) throw new Error(`${this.url}: HTTP ${res.status}`);
    const skip = res.status === 206 ? 0 : this.offset;
    let seen = 0;
    let folded = 0;
    const reader = res.body?.getReader();
    if (!reader) return 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      let bytes = value;
      if (seen + bytes.length <= skip) {
        seen += bytes.length;
        continue;
      }
      if (seen < skip) bytes = bytes.subarray(skip - seen);
      seen += value.length;
      this.offset += bytes.length;
      folded += this.model.addText(this.decoder.decode(bytes, { stream: true }));
      onProgress?.(this.offset);
    }
    return folded;
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
