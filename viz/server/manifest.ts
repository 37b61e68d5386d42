import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';

import type { Manifest } from '../src/feed.ts';

export type { Manifest };

/**
 * Lists an output directory's runs: every `events.jsonl` under it (up to four levels, so the
 * `<label>/seed-<N>/` layout and live runs' folders both work), in a stable order (summary.json's
 * order when it exists, then by path). Pure apart from reading the directory.
 */
export function buildManifest(dir: string, live: boolean): Manifest {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`${dir}: not a directory (expected a scenario output dir such as out/quickstart)`);
  const logs: string[] = [];
  const walk = (d: string, depth: number) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory() && depth < 4) walk(p, depth + 1);
      else if (st.isFile() && name === 'events.jsonl') logs.push(relative(dir, p).split(sep).join('/'));
    }
  };
  walk(dir, 0);
  let order: string[] = [];
  let scenario = basename(dir);
  const summaryFile = join(dir, 'summary.json');
  const summary = existsSync(summaryFile);
  if (summary) {
    try {
      const s = JSON.parse(readFileSync(summaryFile, 'utf8')) as { scenario?: string; runs?: { run?: string }[] };
      if (typeof s.scenario === 'string') scenario = s.scenario;
      order = (s.runs ?? []).map((r) => `${r.run}/events.jsonl`);
    } catch {
      // A half-written summary is treated as absent order; the viewer says so when it reads it.
    }
  }
  const rank = (p: string) => {
    const i = order.indexOf(p);
    return i < 0 ? order.length : i;
  };
  logs.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return {
    scenario,
    runs: logs.map((log) => {
      const run = log.replace(/\/?events\.jsonl$/, '') || '(root)';
      const m = /^(.*)\/seed-(-?\d+)$/.exec(run);
      return { run, label: m ? m[1] : run, seed: m ? Number(m[2]) : 0, log };
    }),
    summary,
    fgdCurve: existsSync(join(dir, 'fgd-curve.csv')),
    live,
  };
}

