import * as d3 from 'd3';

/**
 * One time convention for every axis, table and tooltip: simulated time and durations in d/h/m/s
 * (integer ms in the data; exact ms in `title` attributes where a table shows a rounded value).
 */

const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** Simulated time or a duration (ms) for people: 45s, 12m05s, 3h07m, 2d04h. Pure. */
export function fmtT(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  const neg = ms < 0 ? '-' : '';
  const a = Math.abs(ms);
  if (a < SEC && a > 0) return `${neg}${Math.round(a)}ms`;
  const s = a / 1000;
  if (s < 60) return `${neg}${s < 10 ? s.toFixed(1).replace(/\.0$/, '') : Math.round(s)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${neg}${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${neg}${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${neg}${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

/** Tick steps (ms) an axis may use: 1-2-5 below a second, then clock-like steps. */
const STEPS = [
  1, 2, 5, 10, 20, 50, 100, 200, 500,
  SEC, 2 * SEC, 5 * SEC, 10 * SEC, 15 * SEC, 30 * SEC,
  MIN, 2 * MIN, 5 * MIN, 10 * MIN, 15 * MIN, 30 * MIN,
  HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR,
  DAY, 2 * DAY, 7 * DAY, 14 * DAY, 28 * DAY, 56 * DAY, 112 * DAY, 364 * DAY,
];

/**
 * Ticks for a time axis over [t0, t1] ms with at most `n` ticks: multiples of the smallest step
 * of STEPS that gives no more than `n`, so labels never repeat at any zoom. Pure.
 */
export function timeTicks(t0: number, t1: number, n: number): { ticks: number[]; step: number } {
  const span = Math.max(1, t1 - t0);
  let step = STEPS[STEPS.length - 1];
  for (const s of STEPS) {
    if (span / s <= Math.max(1, n)) {
      step = s;
      break;
    }
  }
  if (span / step > n) step = Math.ceil(span / n / (364 * DAY)) * 364 * DAY;
  const ticks: number[] = [];
  for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) ticks.push(t);
  return { ticks, step };
}

/**
 * A tick label precise to the step's unit: step 1m → 3h53m, step 10s → 3h53m10s, step 100ms →
 * 12.3s; leading zero units are left out (0 → 0). Distinct ticks of one axis get distinct labels.
 */
export function fmtTick(ms: number, step: number): string {
  if (ms === 0) return '0';
  const neg = ms < 0 ? '-' : '';
  let a = Math.abs(ms);
  if (step < SEC) {
    const digits = step < 10 ? 3 : step < 100 ? 2 : 1;
    const s = a / SEC;
    const whole = Math.floor(s / 60) * 60;
    return neg + (whole > 0 ? fmtTick(whole * SEC, MIN) : '') + `${(s - whole).toFixed(digits)}s`;
  }
  const units: [number, string][] = [
    [DAY, 'd'],
    [HOUR, 'h'],
    [MIN, 'm'],
    [SEC, 's'],
  ];
  let out = '';
  for (const [u, name] of units) {
    const v = Math.floor(a / u);
    a -= v * u;
    if (out === '' && v === 0 && u > step) continue;
    out += out === '' ? `${v}${name}` : `${String(v).padStart(2, '0')}${name}`;
    if (u <= step) break;
  }
  return neg + out;
}

/** d3 axis for simulated time (ms) with the ticks above; about one tick per `px` pixels. */
export function timeAxis(axis: d3.Axis<d3.NumberValue>, scale: d3.ScaleLinear<number, number>, px = 90): d3.Axis<d3.NumberValue> {
  const [a, b] = scale.domain();
  const w = Math.abs(scale.range()[1] - scale.range()[0]);
  const { ticks, step } = timeTicks(a, b, Math.max(2, Math.floor(w / px)));
  return axis.tickValues(ticks).tickFormat((v) => fmtTick(Number(v), step));
}

export const fmtInt = d3.format(',');

/**
 * Paul Tol's "muted" qualitative scheme: nine colours distinguishable with the common forms of
 * colour-blindness, all readable on white. Tenants take them in the order of their names.
 */
const TENANT_PALETTE = ['#332288', '#88ccee', '#44aa99', '#117733', '#999933', '#ddcc77', '#cc6677', '#882255', '#aa4499'];

/**
 * Colour of the k-th tenant (k: its index among the sorted tenant names of every loaded run, so
 * a tenant keeps its colour across runs and arrival orders). Beyond nine, the palette repeats
 * darker, then lighter: never the same colour twice up to 27 tenants. Pure.
 */
export function paletteColor(k: number): string {
  const base = TENANT_PALETTE[k % TENANT_PALETTE.length];
  const round = Math.floor(k / TENANT_PALETTE.length);
  if (round === 0) return base;
  const c = d3.hsl(base);
  c.l = round % 2 === 1 ? c.l * 0.6 : Math.min(0.9, c.l + (1 - c.l) * 0.5);
  return c.formatHex();
}

/**
 * Okabe & Ito's colour-blind-safe palette for runs and policies (lines on white: its yellow is
 * left out), then the same hues dashed in charts that draw lines.
 */
const RUN_PALETTE = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#000000'];

export function runColor(i: number): string {
  return RUN_PALETTE[i % RUN_PALETTE.length];
}

/** Dash pattern for the i-th run (solid for the first seven, then dashed, then dotted). */
export function runDash(i: number): string {
  const r = Math.floor(i / RUN_PALETTE.length) % 3;
  return r === 0 ? '' : r === 1 ? '6 3' : '2 2';
}

/** Kept for callers that colour by a run-local tenant index: the palette's k-th colour. */
export function tenantColor(i: number): string {
  return paletteColor(i);
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
