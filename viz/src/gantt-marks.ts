import { FLAG } from './filter.ts';
import { lowerBound } from './format.ts';
import type { GanttRow } from './gantt-rows.ts';
import type { RunView as RunModel } from './run-view.ts';

/**
 * Marks the Gantt draws over or beside its bars: node outages, the end marks of preempted and
 * node-lost segments, search-hit outlines and rejection ticks. Each draws into a context already
 * clipped to the plot and returns how many it drew (the counts go to the frame's stats).
 */

export const PREEMPT_COLOR = '#000000';
export const LOSS_COLOR = '#c00000';
const REJECT_COLOR = '#c00000';

/** Time → canvas x: `xL + (t - d0) * k`. */
export interface XMap {
  xL: number;
  d0: number;
  d1: number;
  k: number;
}

/** An end mark: a 2px stroke ending at `x`, over a bar at `y` of height `h`, in colour `c`. */
export interface EndMark {
  x: number;
  y: number;
  h: number;
  c: string;
}

/** Node outages (node-down … node-up): a grey band across the node's rows. Returns the bands drawn. */
export function drawOutages(ctx: CanvasRenderingContext2D, m: RunModel, rows: GanttRow[], rowY: (r: number) => number, rowH: number, { xL, d0, d1, k }: XMap): number {
  let outages = 0;
  if (m.outages.size === 0) return outages;
  const now = m.lastT;
  ctx.fillStyle = 'rgba(90, 90, 90, 0.28)';
  for (let r = 0; r < rows.length; r++) {
    const o = m.outages.get(rows[r].node);
    if (o) outages += fillIntervals(ctx, o, rowY(r), rowH, { xL, d0, d1, k }, now);
  }
  return outages;
}

/**
 * Fills one row's intervals (`starts[i]`–`ends[i]`, ends sorted; an open one, Infinity, ends at
 * `now`) that meet the view [d0, d1], at least 1 px wide, in the current fill style. Returns how many.
 */
export function fillIntervals(ctx: CanvasRenderingContext2D, o: { readonly starts: readonly number[]; readonly ends: readonly number[] }, y: number, h: number, { xL, d0, d1, k }: XMap, now: number): number {
  let n = 0;
  for (let i = lowerBound(o.ends, d0); i < o.starts.length && o.starts[i] <= d1; i++) {
    const e = o.ends[i] === Infinity ? now : o.ends[i];
    const a = Math.floor(xL + (Math.max(o.starts[i], d0) - d0) * k);
    const b = Math.ceil(xL + (Math.min(e, d1) - d0) * k);
    ctx.fillRect(a, y, Math.max(1, b - a), h);
    n++;
  }
  return n;
}

/** End marks of preempted and node-lost segments: a 2px stroke at the segment's end. */
export function drawEndMarks(ctx: CanvasRenderingContext2D, marks: EndMark[]): void {
  for (const mk of marks) {
    ctx.fillStyle = mk.c;
    ctx.fillRect(mk.x - 2, mk.y, 2, mk.h);
  }
}

/** Search hits: outlined on top of everything. Rects are [x, y, w, h]. */
export function drawHitOutlines(ctx: CanvasRenderingContext2D, hitRects: [number, number, number, number][]): void {
  if (hitRects.length === 0) return;
  ctx.strokeStyle = '#000';
  ctx.lineWidth = 1.5;
  for (const [a, y, w, h] of hitRects) ctx.strokeRect(a + 0.5, y + 0.5, w - 1, Math.max(1, h - 1));
}

/** Rejections: a tick at the moment of rejection, in the top row. Returns the ticks drawn. */
export function drawRejections(ctx: CanvasRenderingContext2D, m: RunModel, flags: Uint8Array, rowH: number, { xL, d0, d1, k }: XMap): number {
  let rejectMarks = 0;
  ctx.fillStyle = REJECT_COLOR;
  for (const j of m.rejected) {
    const t = m.jobs.end(j) >= 0 ? m.jobs.end(j) : m.jobs.submit(j);
    if (t < d0 || t > d1) continue;
    if (flags[j] === FLAG.out) continue;
    const px = Math.floor(xL + (t - d0) * k);
    ctx.fillRect(px, 1, flags[j] === FLAG.hit ? 3 : 1, rowH - 2);
    rejectMarks++;
  }
  return rejectMarks;
}
