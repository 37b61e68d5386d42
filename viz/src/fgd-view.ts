import * as d3 from 'd3';
import type { FgdRow } from './feed.ts';
import { esc, runColor, runDash } from './format.ts';

/**
 * The FGD study view (static fill, fgd-curve.csv): per pod list (workload), GPU allocation and
 * fragmentation (`frag_pct`, the study's measure) against the arrived load, one line per policy
 * (mean over seeds) with a band from the lowest to the highest seed. Both charts of a panel share
 * the x range: brush either to zoom (double-click or "all" to reset); the y range fits the data in
 * view. Hover shows every policy's mean and seed range at that load. Policies keep one colour and
 * dash (Okabe–Ito palette) in every panel, and each line is labelled at its right end.
 */

export interface CurvePoint {
  arrived: number;
  mean: number;
  lo: number;
  hi: number;
  n: number;
}

export interface PolicyCurves {
  policy: string;
  alloc: CurvePoint[];
  frag: CurvePoint[];
}

/** Per workload and policy: mean, min and max over seeds at each arrived %. Pure. */
export function aggregateFgd(rows: readonly FgdRow[]): Map<string, PolicyCurves[]> {
  const policies = [...new Set(rows.map((r) => r.policy))];
  const out = new Map<string, PolicyCurves[]>();
  for (const [workload, rs] of d3.group(rows, (r) => r.workload)) {
    const curves: PolicyCurves[] = [];
    for (const policy of policies) {
      const mine = rs.filter((r) => r.policy === policy);
      if (mine.length === 0) continue;
      const agg = (v: (r: FgdRow) => number): CurvePoint[] =>
        d3
          .rollups(
            mine.filter((r) => Number.isFinite(v(r))),
            (g) => ({ mean: d3.mean(g, v) ?? NaN, lo: d3.min(g, v) ?? NaN, hi: d3.max(g, v) ?? NaN, n: g.length }),
            (r) => r.arrived,
          )
          .map(([arrived, s]) => ({ arrived, ...s }))
          .sort((a, b) => a.arrived - b.arrived);
      curves.push({ policy, alloc: agg((r) => r.alloc), frag: agg((r) => r.frag) });
    }
    out.set(workload, curves);
  }
  return out;
}

export interface FgdViewState {
  /** Visible arrived-% range; undefined = everything. */
  x?: [number, number];
}

const CHARTS = [
  { key: 'alloc', title: 'GPU allocated', unit: '% of cluster GPU capacity' },
  { key: 'frag', title: 'fragmentation (frag_pct)', unit: '% of cluster GPU capacity' },
] as const;

/** Renders the study into `root`; `onZoom` is called with the new x range (undefined: all). */
export function renderFgdStudy(root: HTMLElement, rows: readonly FgdRow[], view: FgdViewState, onZoom: (x: [number, number] | undefined) => void, tooltip: HTMLElement): void {
  root.innerHTML = '';
  const data = aggregateFgd(rows);
  const policies = [...new Set(rows.map((r) => r.policy))];
  const seeds = new Set(rows.map((r) => r.seed)).size;
  const legend = document.createElement('div');
  legend.className = 'legend fgd-legend';
  legend.innerHTML =
    policies
      .map((p, k) => `<span data-policy="${esc(p)}"><svg width="26" height="10"><line x1="1" y1="5" x2="25" y2="5" stroke="${runColor(k)}" stroke-width="2.5" stroke-dasharray="${runDash(k)}"/></svg>${esc(p)}</span>`)
      .join('') + `<small>line: mean of ${seeds} seed${seeds === 1 ? '' : 's'}; band: lowest to highest seed</small>`;
  root.append(legend);
  const full = d3.extent(rows, (r) => r.arrived) as [number, number];
  const xd: [number, number] = view.x ?? full;
  const W = Math.max(320, Math.floor((root.clientWidth - 24) / 2));
  const H = 340;
  const M = { l: 48, r: 96, t: 22, b: 36 };
  for (const [workload, curves] of data) {
    const panel = document.createElement('div');
    panel.className = 'fgd-panel';
    panel.dataset.workload = workload;
    panel.innerHTML = `<h3>pod list <b>${esc(workload || '(unnamed)')}</b> <small>${curves.length} policies · arrived ${xd[0]}–${xd[1]}%</small></h3>`;
    const charts = document.createElement('div');
    charts.className = 'fgd-charts';
    panel.append(charts);
    for (const ch of CHARTS) {
      const fig = document.createElement('figure');
      fig.dataset.chart = ch.key;
      const x = d3.scaleLinear().domain(xd).range([M.l, W - M.r]);
      const inView = curves.flatMap((c) => c[ch.key].filter((p) => p.arrived >= xd[0] && p.arrived <= xd[1]));
      const ylo = d3.min(inView, (p) => p.lo) ?? 0;
      const yhi = d3.max(inView, (p) => p.hi) ?? 100;
      const pad = Math.max(0.5, (yhi - ylo) * 0.06);
      const y = d3
        .scaleLinear()
        .domain([Math.max(0, ylo - pad), Math.min(100, yhi + pad)])
        .nice()
        .range([H - M.b, M.t]);
      const svg = d3.select(fig).append('svg').attr('width', W).attr('height', H).attr('data-x0', xd[0]).attr('data-x1', xd[1]).attr('xmlns', 'http://www.w3.org/2000/svg');
      svg.append('rect').attr('width', W).attr('height', H).attr('fill', '#fff');
      const head = svg.append('text').attr('x', M.l).attr('y', 14).attr('font-size', 12);
      head.append('tspan').attr('font-weight', 600).text(ch.title);
      head.append('tspan').attr('dx', 6).attr('font-size', 10).attr('fill', '#666').text(ch.unit);
      svg.append('g').attr('class', 'grid').attr('transform', `translate(${M.l},0)`).call(d3.axisLeft(y).ticks(6).tickSize(-(W - M.l - M.r)).tickFormat(() => '')).call((g) => g.selectAll('line').attr('stroke', '#eee')).call((g) => g.select('.domain').remove());
      svg.append('g').attr('class', 'axis').attr('transform', `translate(0,${H - M.b})`).call(d3.axisBottom(x).ticks(8).tickFormat((v) => `${v}%`));
      svg.append('g').attr('class', 'axis').attr('transform', `translate(${M.l},0)`).call(d3.axisLeft(y).ticks(6).tickFormat((v) => `${v}%`));
      svg.append('text').attr('x', W - M.r).attr('y', H - 4).attr('text-anchor', 'end').attr('font-size', 11).text('arrived load, % of cluster GPU capacity →');
      const clipId = `clip-${ch.key}-${workload.replace(/[^A-Za-z0-9_-]/g, '_')}`;
      svg.append('clipPath').attr('id', clipId).append('rect').attr('x', M.l).attr('y', M.t).attr('width', W - M.l - M.r).attr('height', H - M.t - M.b);
      const plot = svg.append('g').attr('clip-path', `url(#${clipId})`);
      const ends: { y: number; label: string; color: string }[] = [];
      curves.forEach((c) => {
        const k = policies.indexOf(c.policy);
        const pts = c[ch.key];
        if (pts.length === 0) return;
        const color = runColor(k);
        plot
          .append('path')
          .attr('class', 'band')
          .attr('data-policy', c.policy)
          .attr('d', d3.area<CurvePoint>().x((p) => x(p.arrived)).y0((p) => y(p.lo)).y1((p) => y(p.hi))(pts) ?? '')
          .attr('fill', color)
          .attr('fill-opacity', 0.16);
        plot
          .append('path')
          .attr('class', 'line')
          .attr('data-policy', c.policy)
          .attr('d', d3.line<CurvePoint>().x((p) => x(p.arrived)).y((p) => y(p.mean))(pts) ?? '')
          .attr('fill', 'none')
          .attr('stroke', color)
          .attr('stroke-width', 2)
          .attr('stroke-dasharray', runDash(k));
        const last = [...pts].reverse().find((p) => p.arrived <= xd[1]);
        if (last) ends.push({ y: y(last.mean), label: `${c.policy} ${last.mean.toFixed(1)}`, color });
      });
      // End labels, pushed apart so they do not overlap.
      ends.sort((a, b) => a.y - b.y);
      for (let i = 1; i < ends.length; i++) if (ends[i].y - ends[i - 1].y < 11) ends[i].y = ends[i - 1].y + 11;
      for (const e of ends) svg.append('text').attr('class', 'end-label').attr('x', W - M.r + 4).attr('y', e.y + 3).attr('font-size', 10).attr('fill', e.color).text(e.label);
      // Hover rule and brush share one overlay.
      const rule = svg.append('line').attr('y1', M.t).attr('y2', H - M.b).attr('stroke', '#888').attr('stroke-dasharray', '3 3').attr('visibility', 'hidden');
      const brush = d3
        .brushX()
        .extent([
          [M.l, M.t],
          [W - M.r, H - M.b],
        ])
        .on('end', (ev: d3.D3BrushEvent<unknown>) => {
          if (!ev.sourceEvent || !ev.selection) return;
          const [a, b] = (ev.selection as [number, number]).map((v) => Math.round(x.invert(v)));
          if (b - a >= 2) onZoom([a, b]);
        });
      const bg = svg.append('g').attr('class', 'brush').call(brush);
      bg.on('dblclick', () => onZoom(undefined));
      bg.on('pointermove', (ev: PointerEvent) => {
        const [px] = d3.pointer(ev, svg.node());
        const a = Math.round(x.invert(px));
        rule.attr('x1', x(a)).attr('x2', x(a)).attr('visibility', 'visible');
        const lines = curves
          .map((c) => ({ c, p: c[ch.key].find((q) => q.arrived === a), k: policies.indexOf(c.policy) }))
          .filter((v) => v.p !== undefined)
          .sort((u, v) => v.p!.mean - u.p!.mean)
          .map(({ c, p, k }) => `<span style="color:${runColor(k)}">■</span> ${esc(c.policy)} <b>${p!.mean.toFixed(2)}%</b> <small>(seeds ${p!.lo.toFixed(2)}–${p!.hi.toFixed(2)}, n=${p!.n})</small>`);
        tooltip.innerHTML = `<b>${esc(workload)}: ${ch.title}</b> at arrived ${a}%<br>${lines.join('<br>')}`;
        delete tooltip.dataset.job;
        tooltip.dataset.fgd = `${ch.key}@${a}`;
        tooltip.hidden = false;
        tooltip.style.left = `${Math.min(ev.clientX + 14, window.innerWidth - tooltip.offsetWidth - 8)}px`;
        tooltip.style.top = `${ev.clientY + 14}px`;
      });
      bg.on('pointerleave', () => {
        rule.attr('visibility', 'hidden');
        tooltip.hidden = true;
      });
      charts.append(fig);
    }
    root.append(panel);
  }
}

/** The aggregated curves as CSV (what the charts draw). */
export function fgdCsv(rows: readonly FgdRow[]): string {
  const out = ['workload,policy,arrived_pct,gpu_alloc_mean,gpu_alloc_min,gpu_alloc_max,frag_mean,frag_min,frag_max,seeds'];
  const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  for (const [w, curves] of aggregateFgd(rows))
    for (const c of curves)
      c.alloc.forEach((a, i) => {
        const f = c.frag[i];
        const r4 = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '' : String(Math.round(v * 1e4) / 1e4));
        out.push([q(w), q(c.policy), a.arrived, r4(a.mean), r4(a.lo), r4(a.hi), r4(f?.mean), r4(f?.lo), r4(f?.hi), a.n].join(','));
      });
  return out.join('\n') + '\n';
}
