import { lowerBound } from './format.ts';
import { innerHeight, type GanttRow } from './gantt-rows.ts';
import { LEFT, RIGHT, timeScale, type Domain } from './layout.ts';
import type { JobInfo, RunView as RunModel } from './run-view.ts';

/**
 * Hit-testing the Gantt: from canvas pixels (CSS px) back to a job, and from a job to its bar.
 * Pure functions of the geometry the Gantt drew with.
 */

/** What maps pixels to rows and times: the model, the drawn rows, row height, top offset, width, range. */
export interface GanttGeometry {
  m: RunModel;
  rows: GanttRow[];
  /** Rows start below the rejection row when there is one. */
  top: number;
  rowH: number;
  width: number;
  domain: Domain;
}

/** The job under a canvas position (CSS px), with a 2px tolerance for thin bars. */
export function hitJob(g: GanttGeometry, px: number, py: number): JobInfo | undefined {
  const { m, rows } = g;
  if (px < LEFT || px > g.width - RIGHT) return undefined;
  const x = timeScale(g.domain, g.width);
  const t = x.invert(px);
  const tol = Math.abs(x.invert(px + 2) - t);
  if (g.top > 0 && py < g.top) {
    let best: number | undefined;
    let bestD = tol * 2;
    for (const j of m.rejected) {
      const d = Math.abs((m.jobs.end(j) >= 0 ? m.jobs.end(j) : m.jobs.submit(j)) - t);
      if (d <= bestD) {
        bestD = d;
        best = j;
      }
    }
    return best === undefined ? undefined : m.jobs.get(best);
  }
  const r = Math.floor((py - g.top) / g.rowH);
  if (r < 0 || r >= rows.length) return undefined;
  const inner = innerHeight(g.rowH);
  const R = rows[r];
  const inRow = ((py - g.top - r * g.rowH) / inner) * R.subs;
  const now = m.lastT;
  let fallback: JobInfo | undefined;
  for (let q = 0; q < R.lanes.length; q++) {
    const L = m.lanes[R.lanes[q]];
    const frac = inRow - R.sub[q];
    if (R.subs > 1 && (frac < -0.05 || frac > 1.05)) continue;
    const i = lowerBound(L.ends, t);
    for (const k of [i, i - 1, i + 1]) {
      if (k < 0 || k >= L.starts.length) continue;
      const e = L.ends[k] === Infinity ? now : L.ends[k];
      if (!(L.starts[k] - tol <= t && t <= e + tol)) continue;
      const a = L.off[k] / 1000;
      const b = (L.off[k] + L.milli[k]) / 1000;
      if (frac >= a - 0.05 && frac <= b + 0.05) return m.jobs.get(L.jobs[k]);
      fallback ??= m.jobs.get(L.jobs[k]);
    }
  }
  return fallback;
}

/** Canvas-relative centre of a job's first visible bar (test hook and "show job"). */
export function barCenterOf(g: GanttGeometry, jobId: string): { x: number; y: number } | undefined {
  const { m } = g;
  const j = m.jobs.indexOf(jobId);
  if (j === undefined) return undefined;
  const { rows } = g;
  const [d0, d1] = g.domain;
  const x = timeScale([d0, d1], g.width);
  const inner = innerHeight(g.rowH);
  for (let r = 0; r < rows.length; r++) {
    const R = rows[r];
    for (let q = 0; q < R.lanes.length; q++) {
      const L = m.lanes[R.lanes[q]];
      const band = inner / R.subs;
      for (let i = 0; i < L.jobs.length; i++) {
        if (L.jobs[i] !== j) continue;
        const e = L.ends[i] === Infinity ? m.lastT : L.ends[i];
        const a = Math.max(L.starts[i], d0);
        const b = Math.min(e, d1);
        if (b < a) continue;
        const y = g.top + r * g.rowH + Math.floor(R.sub[q] * band) + Math.floor((L.off[i] / 1000) * band) + Math.max(1, Math.round((L.milli[i] / 1000) * band)) / 2;
        return { x: x((a + b) / 2), y };
      }
    }
  }
  if (m.rejected.includes(j) && g.top > 0) {
    const end = m.jobs.end(j);
    return { x: x(end >= 0 ? end : m.jobs.submit(j)), y: g.top / 2 };
  }
  return undefined;
}
