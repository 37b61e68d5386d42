import * as d3 from 'd3';

/** Simulated time (ms) for people: 45s, 12m05s, 3h07m, 2d04h. Pure. */
export function fmtT(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  const neg = ms < 0 ? '-' : '';
  const s = Math.abs(ms) / 1000;
  if (s < 60) return `${neg}${s < 10 ? s.toFixed(1).replace(/\.0$/, '') : Math.round(s)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${neg}${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${neg}${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${neg}${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

export const fmtInt = d3.format(',');

/** Colour per tenant, by the tenant's index in the run (first arrival order, deterministic). */
export function tenantColor(i: number): string {
  const p = d3.schemeTableau10;
  return p[i % p.length];
}

/** Colour per run/policy in comparisons. */
export function runColor(i: number): string {
  const p = d3.schemeSet2;
  return p[i % p.length];
}

/** First index in an ascending array whose value is >= x (binary search). */
export function lowerBound(a: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
