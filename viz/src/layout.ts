import * as d3 from 'd3';

/** Shared horizontal layout so the schedule and every timeline use one time axis. */
export const LEFT = 138;
export const RIGHT = 16;

export type Domain = readonly [number, number];

/** Canvas sized for the device pixel ratio; returns a context drawing in CSS pixels. */
export function sizeCanvas(c: HTMLCanvasElement, w: number, h: number): CanvasRenderingContext2D {
  const dpr = window.devicePixelRatio || 1;
  if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
    c.width = Math.round(w * dpr);
    c.height = Math.round(h * dpr);
    c.style.width = `${w}px`;
    c.style.height = `${h}px`;
  }
  const ctx = c.getContext('2d');
  if (!ctx) throw new Error('no 2d canvas context');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

export function timeScale(domain: Domain, width: number): d3.ScaleLinear<number, number> {
  return d3.scaleLinear().domain(domain as [number, number]).range([LEFT, width - RIGHT]);
}

/** Keeps a domain inside `full` with at least `minSpan` ms (zoom and pan both go through it). */
export function clampDomain(d: Domain, full: Domain, minSpan = 1000): [number, number] {
  const fullSpan = Math.max(full[1] - full[0], minSpan);
  let span = Math.min(Math.max(d[1] - d[0], minSpan), fullSpan);
  let a = d[0];
  if (a < full[0]) a = full[0];
  if (a + span > full[0] + fullSpan) a = full[0] + fullSpan - span;
  if (!Number.isFinite(a)) a = full[0];
  if (!Number.isFinite(span)) span = fullSpan;
  return [a, a + span];
}
