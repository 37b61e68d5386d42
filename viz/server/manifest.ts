import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';

import type { Manifest } from '../src/feed.ts';

export type { Manifest };

/**
 * Lists an output directory's runs: every `events.jsonl` (or `events.jsonl.gz`, listed as
 * `events.jsonl` with `gzip`) under it (up to four levels, so the
 * `<label>/seed-<N>/` layout and live runs' folders both work), in a stable order (summary.json's
 * order when it exists, then by path in natural order: epoch-2 before epoch-10). Pure apart from
 * reading the directory.
 */
export function buildManifest(dir: string, live: boolean): Manifest {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`${dir}: not a directory (expected a scenario output dir such as out/quickstart)`);
  const logs: string[] = [];
  const gzipped = new Set<string>();
  // A `gpulab serve` state directory: its runs are runs/epoch-N/ (live); work/ holds the jobs' own
  // files, never read.
  const serviceState = existsSync(join(dir, 'state.sqlite'));
  const walk = (d: string, depth: number) => {
    for (const name of readdirSync(d).sort(natural)) {
      if (serviceState && depth === 0 && name === 'work') continue;
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory() && depth < 4) walk(p, depth + 1);
      else if (st.isFile() && name === 'events.jsonl') logs.push(relative(dir, p).split(sep).join('/'));
      // Gzipped (`npm run sim -- --gzip`): listed under its plain name, which the server answers decompressed.
      else if (st.isFile() && name === 'events.jsonl.gz' && !existsSync(join(d, 'events.jsonl'))) {
        const log = relative(dir, join(d, 'events.jsonl')).split(sep).join('/');
        logs.push(log);
        gzipped.add(log);
      }
    }
  };
  walk(dir, 0);
  let order: string[] = [];
  let scenario = basename(dir);
  let summaryKind = '';
  const summaryFile = join(dir, 'summary.json');
  const summary = existsSync(summaryFile);
  if (summary) {
    try {
      const s = JSON.parse(readFileSync(summaryFile, 'utf8')) as { scenario?: string; kind?: string; runs?: { run?: string }[] };
      if (typeof s.scenario === 'string') scenario = s.scenario;
      if (typeof s.kind === 'string') summaryKind = s.kind;
      order = (s.runs ?? []).map((r) => `${r.run}/events.jsonl`);
    } catch {
      // A half-written summary is treated as absent order; the viewer says so when it reads it.
    }
  }
  const rank = (p: string) => {
    const i = order.indexOf(p);
    return i < 0 ? order.length : i;
  };
  logs.sort((a, b) => rank(a) - rank(b) || natural(a, b));
  const fgdCurve = existsSync(join(dir, 'fgd-curve.csv'));
  const runs = logs.map((log) => {
    // A run still being written lives in a temporary sibling `.<name>.tmp-<pid>` (src/output/out-dir.ts):
    // it is listed under its final name, marked staging, so the viewer follows it across the rename.
    const staging = log.split('/').some((seg) => STAGED.test(seg));
    const run = log.replace(/\/?events\.jsonl$/, '').split('/').map((seg) => seg.replace(STAGED, '$1')).join('/') || '(root)';
    const m = /^(.*)\/seed-(-?\d+)$/.exec(run);
    const here = join(dir, dirname(log));
    return { run, label: m ? m[1] : run, seed: m ? Number(m[2]) : 0, log, ...(gzipped.has(log) ? { gzip: true } : {}), ...(staging ? { staging: true } : {}), ...(existsSync(join(here, 'live.json')) || staging || (serviceState && /^runs\/epoch-\d+$/.test(run)) ? { liveRun: true } : {}) };
  });
  const kinds = new Set<string>();
  if (summaryKind === 'static-fill' || fgdCurve) kinds.add('static-fill');
  if (runs.some((r) => r.liveRun)) kinds.add('live');
  if (runs.some((r) => !r.liveRun)) kinds.add('simulation');
  const files: { path: string; bytes: number }[] = [];
  const list = (d: string, depth: number) => {
    for (const name of readdirSync(d).sort(natural)) {
      if (files.length >= 60) return;
      const p = join(d, name);
      const st = statSync(p);
      const rel = relative(dir, p).split(sep).join('/');
      if (st.isDirectory()) {
        if (depth < 1) list(p, depth + 1);
        else files.push({ path: rel + '/', bytes: -1 });
      } else files.push({ path: rel, bytes: st.size });
    }
  };
  list(dir, 0);
  return {
    scenario,
    runs,
    summary,
    fgdCurve,
    live,
    kind: kinds.size === 0 ? 'empty' : kinds.size > 1 ? 'mixed' : ([...kinds][0] as Manifest['kind']),
    files,
  };
}

const STAGED = /^\.(.+)\.tmp-\d+$/;

/** Natural order: digit runs compare as numbers, so runs/epoch-2 comes before runs/epoch-10 and seed-9 before seed-10. */
const natural = new Intl.Collator('en', { numeric: true }).compare;
