import * as d3 from 'd3';
import type { Group, RunRow } from './compare.ts';
import { esc, fmtT, timeAxis } from './format.ts';
import type { RunView as RunModel } from './run-view.ts';

/**
 * Comparison charts: overlaid timelines (GPU allocated, fragmentation, queue, running) on one time
 * axis and one y-scale per chart; overlaid CDFs of JCT, wait and slowdown; per-tenant panels
 * (share of GPU capacity over time, Jain's index, wait and JCT by tenant). Groups as in compare.ts:
 * one run, or one policy's seeds as mean with a min–max band.
 */

/** Time-weighted mean of a step series over each [edges[c], edges[c+1]). O(points + columns). */
export function columnMeans(t: ArrayLike<number>, v: (i: number) => number, end: number, edges: Float64Array): Float64Array {
  const cols = edges.length - 1;
  const out = new Float64Array(cols).fill(NaN);
  let i = 0;
  const n = t.length;
  if (n === 0) return out;
  for (let c = 0; c < cols; c++) {
    const a = edges[c];
    const b = edges[c + 1];
    if (a >= end || b <= t[0]) continue;
    while (i + 1 < n && t[i + 1] <= a) i++;
    let acc = 0;
    let span = 0;
    for (let k = i; k < n && t[k] < b; k++) {
      const s = Math.max(a, t[k]);
      const e = Math.min(b, k + 1 < n ? t[k + 1] : end, end);
      if (e > s) {
        acc += v(k) * (e - s);
        span += e - s;
      }
    }
    out[c] = span > 0 ? acc / span : NaN;
  }
  return out;
}

interface Line {
  g: Group;
  mean: Float64Array;
  lo: Float64Array;
  hi: Float64Array;
}

function lineOf(g: Group, edges: Float64Array, v: (m: RunModel) => (i: number) => number): Line {
  const per = g.runs.map((r) => columnMeans(r.model.series.t, v(r.model), r.model.lastT, edges));
  const cols = edges.length - 1;
  const mean = new Float64Array(cols);
  const lo = new Float64Array(cols);
  const hi = new Float64Array(cols);
  for (let c = 0; c < cols; c++) {
    const vs = per.map((p) => p[c]).filter((x) => Number.isFinite(x));
    mean[c] = vs.length ? d3.mean(vs)! : NaN;
    lo[c] = vs.length ? d3.min(vs)! : NaN;
    hi[c] = vs.length ? d3.max(vs)! : NaN;
  }
  return { g, mean, lo, hi };
}

const TL = [
  { key: 'alloc', title: 'GPU allocated', unit: '% of capacity', fixed: 100, v: (m: RunModel) => (i: number) => (100 * m.series.alloc[i]) / (m.gpuCapacity || 1) },
  { key: 'frag', title: 'fragmentation', unit: '% of capacity stranded', v: (m: RunModel) => (i: number) => (100 * m.series.frag[i]) / (m.gpuCapacity || 1) },
  { key: 'queue', title: 'queue length', unit: 'jobs', v: (m: RunModel) => (i: number) => m.series.queued[i] },
  { key: 'running', title: 'running', unit: 'jobs', v: (m: RunModel) => (i: number) => m.series.running[i] },
] as const;

/** Draws a line chart with bands into a new figure; returns it. */
function chart(
  title: string,
  unit: string,
  W: number,
  H: number,
  x: d3.ScaleLinear<number, number>,
  ymax: number,
  lines: Line[],
  edges: Float64Array,
  isTime: boolean,
  tooltip: HTMLElement,
  fmtV: (v: number) => string,
): HTMLElement {
  const M = { l: 48, r: 12, t: 18, b: 24 };
  const fig = document.createElement('figure');
  fig.dataset.chart = title;
  fig.dataset.ymax = String(ymax);
  const y = d3.scaleLinear().domain([0, ymax || 1]).nice().range([H - M.b, M.t]);
  const svg = d3.select(fig).append('svg').attr('width', W).attr('height', H).attr('xmlns', 'http://www.w3.org/2000/svg');
  svg.append('rect').attr('width', W).attr('height', H).attr('fill', '#fff');
  const head = svg.append('text').attr('class', 'title').attr('x', M.l).attr('y', 12).attr('font-size', 12);
  head.append('tspan').attr('font-weight', 600).text(title);
  head.append('tspan').attr('dx', 6).attr('font-size', 10).attr('fill', '#666').text(unit);
  svg.append('g').attr('class', 'axis').attr('transform', `translate(0,${H - M.b})`).call(isTime ? timeAxis(d3.axisBottom(x), x, 80) : d3.axisBottom(x).ticks(6));
  svg.append('g').attr('class', 'axis').attr('transform', `translate(${M.l},0)`).call(d3.axisLeft(y).ticks(4));
  const xs = (c: number) => x((edges[c] + edges[c + 1]) / 2);
  for (const L of lines) {
    if (L.g.runs.length > 1) {
      svg
        .append('path')
        .attr('class', 'band')
        .attr('d', d3.area<number>().defined((c) => Number.isFinite(L.lo[c])).x(xs).y0((c) => y(L.lo[c])).y1((c) => y(L.hi[c]))(d3.range(L.lo.length)) ?? '')
        .attr('fill', L.g.color)
        .attr('fill-opacity', 0.15);
    }
    svg
      .append('path')
      .attr('class', 'line')
      .attr('data-run', L.g.key)
      .attr('d', d3.line<number>().defined((c) => Number.isFinite(L.mean[c])).x(xs).y((c) => y(L.mean[c]))(d3.range(L.mean.length)) ?? '')
      .attr('fill', 'none')
      .attr('stroke', L.g.color)
      .attr('stroke-width', 1.6)
      .attr('stroke-dasharray', L.g.dash);
  }
  const rule = svg.append('line').attr('y1', M.t).attr('y2', H - M.b).attr('stroke', '#888').attr('visibility', 'hidden');
  svg.on('pointermove', (ev: PointerEvent) => {
    const [px] = d3.pointer(ev);
    const t = x.invert(px);
    let c = 0;
    while (c + 1 < edges.length - 1 && edges[c + 1] <= t) c++;
    rule.attr('x1', px).attr('x2', px).attr('visibility', 'visible');
    tooltip.innerHTML = `<b>${esc(title)}</b> at ${isTime ? fmtT(t) : fmtV(t)}<br>` + lines.map((L) => `<span style="color:${L.g.color}">■</span> ${esc(L.g.key)} <b>${fmtV(L.mean[c])}</b>${L.g.runs.length > 1 ? ` <small>(${fmtV(L.lo[c])}–${fmtV(L.hi[c])})</small>` : ''}`).join('<br>');
    delete tooltip.dataset.job;
    tooltip.hidden = false;
    tooltip.style.left = `${Math.min(ev.clientX + 14, window.innerWidth - tooltip.offsetWidth - 8)}px`;
    tooltip.style.top = `${ev.clientY + 14}px`;
  });
  svg.on('pointerleave', () => {
    rule.attr('visibility', 'hidden');
    tooltip.hidden = true;
  });
  return fig;
}

function legendHtml(gs: Group[]): string {
  return gs.map((g) => `<span data-run="${esc(g.key)}"><svg width="26" height="10"><line x1="1" y1="5" x2="25" y2="5" stroke="${g.color}" stroke-width="2.5" stroke-dasharray="${g.dash}"/></svg>${esc(g.key)}</span>`).join('');
}

/** Overlaid timelines on one time axis with shared y-scales (a chart's max over every run). */
export function renderOverlays(root: HTMLElement, gs: Group[], tooltip: HTMLElement): void {
  root.innerHTML = `<div class="legend">${legendHtml(gs)}${gs.some((g) => g.runs.length > 1) ? '<small>line: mean over seeds; band: lowest to highest seed</small>' : ''}</div>`;
  const end = d3.max(gs.flatMap((g) => g.runs.map((r) => r.model.lastT))) ?? 1;
  const W = Math.max(300, Math.floor((root.clientWidth - 16) / 2));
  const x = d3.scaleLinear().domain([0, Math.max(1, end)]).range([48, W - 12]);
  const cols = Math.max(20, Math.floor((W - 60) / 2));
  const edges = Float64Array.from({ length: cols + 1 }, (_, c) => (c * end) / cols);
  const grid = document.createElement('div');
  grid.className = 'grid2';
  for (const ch of TL) {
    const lines = gs.map((g) => lineOf(g, edges, ch.v));
    const ymax = 'fixed' in ch ? ch.fixed : Math.max(1, d3.max(lines.flatMap((L) => [...L.hi].filter(Number.isFinite))) ?? 1);
    grid.append(chart(ch.title, ch.unit, W, 170, x, ymax, lines, edges, true, tooltip, (v) => (Number.isFinite(v) ? (ch.key === 'alloc' || ch.key === 'frag' ? `${v.toFixed(1)}%` : v.toFixed(1)) : '—')));
  }
  root.append(grid);
}

/** Overlaid CDFs of JCT, wait and slowdown (log x); seeds of a group are pooled. */
export function renderCdfs(root: HTMLElement, gs: Group[], tooltip: HTMLElement): void {
  root.innerHTML = '';
  const W = Math.max(280, Math.floor((root.clientWidth - 24) / 3));
  const H = 220;
  const M = { l: 40, r: 10, t: 18, b: 30 };
  const what = [
    { key: 'jct', title: 'JCT', note: 'succeeded jobs', fmt: fmtT },
    { key: 'wait', title: 'wait', note: 'started jobs', fmt: fmtT },
    { key: 'slowdown', title: 'slowdown', note: 'JCT / nominal duration', fmt: (v: number) => `${v.toFixed(2)}×` },
  ] as const;
  const grid = document.createElement('div');
  grid.className = 'grid3';
  for (const w of what) {
    const data = gs.map((g) => {
      const all = g.runs.flatMap((r) => [...r.model.dist(w.key)]).sort((a, b) => a - b);
      return { g, v: Float64Array.from(all) };
    });
    const fig = document.createElement('figure');
    fig.dataset.chart = `cdf-${w.key}`;
    const pos = data.flatMap((d) => [...d.v].filter((v) => v > 0));
    const svg = d3.select(fig).append('svg').attr('width', W).attr('height', H).attr('xmlns', 'http://www.w3.org/2000/svg');
    svg.append('rect').attr('width', W).attr('height', H).attr('fill', '#fff');
    const head = svg.append('text').attr('x', M.l).attr('y', 12).attr('font-size', 12);
    head.append('tspan').attr('font-weight', 600).text(`${w.title} CDF`);
    head.append('tspan').attr('dx', 6).attr('font-size', 10).attr('fill', '#666').text(`${w.note}; log x`);
    if (pos.length === 0) {
      svg.append('text').attr('x', W / 2).attr('y', H / 2).attr('text-anchor', 'middle').attr('fill', '#666').text('no jobs yet');
      grid.append(fig);
      continue;
    }
    const lo = Math.max(w.key === 'slowdown' ? 0.5 : 1, d3.min(pos)!);
    const hi = Math.max(lo * 10, d3.max(pos)!);
    const x = d3.scaleLog().domain([lo, hi]).range([M.l, W - M.r]).clamp(true);
    const y = d3.scaleLinear().domain([0, 1]).range([H - M.b, M.t]);
    const ticks = x.ticks(5).filter((_, i, a) => a.length <= 6 || i % Math.ceil(a.length / 6) === 0);
    svg.append('g').attr('class', 'axis').attr('transform', `translate(0,${H - M.b})`).call(d3.axisBottom(x).tickValues(ticks).tickFormat((v) => w.fmt(Number(v))));
    svg.append('g').attr('class', 'axis').attr('transform', `translate(${M.l},0)`).call(d3.axisLeft(y).ticks(4, '.0%'));
    for (const d of data) {
      const pts: [number, number][] = [];
      const n = d.v.length;
      const step = Math.max(1, Math.floor(n / 300));
      for (let i = 0; i < n; i += step) pts.push([d.v[i], (i + 1) / n]);
      if (n > 0) pts.push([d.v[n - 1], 1]);
      svg
        .append('path')
        .attr('class', 'line')
        .attr('data-run', d.g.key)
        .attr('data-n', n)
        .attr('d', d3.line<[number, number]>().x((p) => x(Math.max(lo, p[0]))).y((p) => y(p[1])).curve(d3.curveStepAfter)(pts) ?? '')
        .attr('fill', 'none')
        .attr('stroke', d.g.color)
        .attr('stroke-width', 1.8)
        .attr('stroke-dasharray', d.g.dash);
    }
    svg.on('pointermove', (ev: PointerEvent) => {
      const [px] = d3.pointer(ev);
      const v = x.invert(px);
      tooltip.innerHTML = `<b>${w.title} ≤ ${w.fmt(v)}</b><br>` + data.map((d) => `<span style="color:${d.g.color}">■</span> ${esc(d.g.key)} <b>${d.v.length ? ((100 * d3.bisectRight(d.v, v)) / d.v.length).toFixed(1) : '—'}%</b> of ${d3.format(',')(d.v.length)}`).join('<br>');
      delete tooltip.dataset.job;
      tooltip.hidden = false;
      tooltip.style.left = `${Math.min(ev.clientX + 14, window.innerWidth - tooltip.offsetWidth - 8)}px`;
      tooltip.style.top = `${ev.clientY + 14}px`;
    });
    svg.on('pointerleave', () => (tooltip.hidden = true));
    grid.append(fig);
  }
  root.append(grid);
}

/** Per tenant: share of GPU capacity over time (a line per group) and a table of Jain, share, wait, JCT. */
export function renderTenants(root: HTMLElement, gs: Group[], tenants: string[], colorOf: (t: string) => string, tooltip: HTMLElement): void {
  root.innerHTML = '';
  const end = d3.max(gs.flatMap((g) => g.runs.map((r) => r.model.lastT))) ?? 1;
  const W = Math.max(260, Math.floor((root.clientWidth - 24) / Math.min(3, Math.max(1, tenants.length))));
  const x = d3.scaleLinear().domain([0, Math.max(1, end)]).range([48, W - 12]);
  const cols = Math.max(20, Math.floor((W - 60) / 2));
  const edges = Float64Array.from({ length: cols + 1 }, (_, c) => (c * end) / cols);
  const per = tenants.map((t) =>
    gs.map((g) =>
      lineOf(g, edges, (m) => {
        const k = m.tenants.indexOf(t);
        return (i: number) => (k < 0 ? 0 : (100 * (m.series.tenantAlloc[k]?.[i] ?? 0)) / (m.gpuCapacity || 1));
      }),
    ),
  );
  // One y-scale for every tenant panel, so panels compare too.
  const ymax = Math.max(1, d3.max(per.flat().flatMap((L) => [...L.hi].filter(Number.isFinite))) ?? 1);
  const grid = document.createElement('div');
  grid.className = 'grid-tenants';
  tenants.forEach((t, i) => {
    const fig = chart(`${t}`, 'share of GPU capacity, %', W, 150, x, ymax, per[i], edges, true, tooltip, (v) => (Number.isFinite(v) ? `${v.toFixed(1)}%` : '—'));
    fig.dataset.tenant = t;
    fig.querySelector('text.title tspan')?.setAttribute('fill', colorOf(t));
    grid.append(fig);
  });
  root.append(grid);
  const tbl = document.createElement('table');
  tbl.className = 'tenant-table';
  const fmtPct = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '—');
  const gv = (g: Group, t: string, f: (x: RunRow['fairness']['tenants'][number]) => number) => {
    const vs = g.runs.map((r) => r.fairness.tenants.find((x) => x.tenant === t)).filter((x) => x !== undefined).map(f);
    return vs.length ? d3.mean(vs)! : NaN;
  };
  tbl.innerHTML =
    `<thead><tr><th>run</th><th>Jain</th>${tenants.map((t) => `<th colspan="3" style="color:${colorOf(t)}">${esc(t)}</th>`).join('')}</tr>` +
    `<tr><th></th><th></th>${tenants.map(() => '<th>share %</th><th>wait mean</th><th>JCT mean</th>').join('')}</tr></thead><tbody>` +
    gs
      .map(
        (g) =>
          `<tr data-run="${esc(g.key)}"><td><i class="sw" style="background:${g.color}"></i>${esc(g.key)}</td><td>${(d3.mean(g.runs, (r) => r.fairness.jain) ?? NaN).toFixed(3)}</td>` +
          tenants.map((t) => `<td>${fmtPct(gv(g, t, (x) => x.sharePct))}</td><td>${fmtT(gv(g, t, (x) => x.waitMeanMs))}</td><td>${fmtT(gv(g, t, (x) => x.jctMeanMs))}</td>`).join('') +
          '</tr>',
      )
      .join('') +
    '</tbody>';
  root.append(tbl);
}
