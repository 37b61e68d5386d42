import * as d3 from 'd3';
import type { FgdRow } from './feed.ts';
import { esc, runColor } from './format.ts';
import type { RunModel } from './run-model.ts';

export interface RunRow {
  run: string;
  label: string;
  model: RunModel;
  /** From summary.json when the run is in it; otherwise derived from the log (live runs). */
  metrics: Record<string, number>;
  fromSummary: boolean;
  digest: string;
}

/** Columns of the table: summary.json `metrics` keys (times there are integer ms, `…Ms`; shown in seconds). */
const COLS: { key: string; title: string; better: 'low' | 'high' | ''; ms?: true }[] = [
  { key: 'jobs', title: 'jobs', better: '' },
  { key: 'completed', title: 'done', better: 'high' },
  { key: 'rejected', title: 'rej', better: 'low' },
  { key: 'unfinished', title: 'unfinished', better: '' },
  { key: 'jctMeanMs', title: 'JCT mean', better: 'low', ms: true },
  { key: 'jctP50Ms', title: 'p50', better: 'low', ms: true },
  { key: 'jctP95Ms', title: 'p95', better: 'low', ms: true },
  { key: 'jctP99Ms', title: 'p99', better: 'low', ms: true },
  { key: 'waitMeanMs', title: 'wait mean', better: 'low', ms: true },
  { key: 'waitP95Ms', title: 'wait p95', better: 'low', ms: true },
  { key: 'makespanMs', title: 'makespan', better: 'low', ms: true },
  { key: 'meanGpuAllocPct', title: 'GPU alloc %', better: 'high' },
];

/** The summary metrics of every run, one row per run; best value per column in bold green. */
export function renderTable(table: HTMLTableElement, rows: RunRow[], selected: string, onSelect: (run: string) => void): void {
  const best = new Map<string, number>();
  for (const c of COLS) {
    if (!c.better) continue;
    const vals = rows.map((r) => r.metrics[c.key]).filter((v) => Number.isFinite(v));
    if (vals.length > 1) best.set(c.key, vals.reduce(c.better === 'low' ? (a, b) => Math.min(a, b) : (a, b) => Math.max(a, b)));
  }
  const fmt = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '—' : d3.format(',.4~r')(v));
  table.innerHTML =
    `<thead><tr><th>run</th><th>queue</th><th>placement</th><th>seed</th>${COLS.map((c) => `<th>${c.title}</th>`).join('')}<th>source</th></tr></thead>` +
    `<tbody>${rows
      .map((r) => {
        const m = r.model;
        const cells = COLS.map((c) => {
          const v = r.metrics[c.key];
          return `<td class="${best.get(c.key) === v ? 'best' : ''}">${fmt(c.ms && v !== undefined ? v / 1000 : v)}</td>`;
        }).join('');
        return `<tr data-run="${esc(r.run)}" data-policy="${esc(r.label)}" class="${r.run === selected ? 'selected' : ''}"><td>${esc(r.run)}</td><td>${esc(m.queue)}</td><td>${esc(m.placement)}</td><td>${m.seed}</td>${cells}<td title="${esc(r.digest)}">${r.fromSummary ? 'summary.json' : 'event log' + (m.ended ? '' : ' (live)')}</td></tr>`;
      })
      .join('')}</tbody>`;
  table.querySelectorAll<HTMLTableRowElement>('tr[data-run]').forEach((tr) => tr.addEventListener('click', () => onSelect(tr.dataset.run ?? '')));
  table.insertAdjacentHTML('beforeend', '<caption style="caption-side:bottom;text-align:left;color:#666;font-size:11px">times in seconds; JCT over the succeeded jobs (done), wait over the jobs that started; unfinished: queued or running at the end; GPU alloc % is the time-weighted mean</caption>');
}

/** Up to `n` evenly spaced quantiles of a sorted array as CDF points (x, fraction ≤ x). */
export function cdfPoints(sorted: ArrayLike<number>, n = 256): [number, number][] {
  const len = sorted.length;
  if (len === 0) return [];
  const out: [number, number][] = [];
  const step = Math.max(1, Math.floor(len / n));
  for (let i = 0; i < len; i += step) out.push([sorted[i], (i + 1) / len]);
  if (out[out.length - 1][1] !== 1) out.push([sorted[len - 1], 1]);
  return out;
}

/** One small CDF per run, log time axis shared by all; the other runs in grey behind. */
export function renderCdfs(root: HTMLElement, rows: RunRow[]): void {
  root.innerHTML = '';
  const curves = rows.map((r) => cdfPoints(r.model.jcts()));
  const all = curves.flat().map((p) => p[0]).filter((v) => v > 0);
  if (all.length === 0) {
    root.textContent = 'no succeeded jobs yet';
    return;
  }
  const lo = Math.max(0.1, d3.min(all) ?? 1);
  const hi = Math.max(lo * 10, d3.max(all) ?? 10);
  const W = 250;
  const H = 160;
  const M = { l: 34, r: 8, t: 6, b: 28 };
  const x = d3.scaleLog().domain([lo, hi]).range([M.l, W - M.r]).clamp(true);
  const y = d3.scaleLinear().domain([0, 1]).range([H - M.b, M.t]);
  const line = d3.line<[number, number]>().x((p) => x(Math.max(lo, p[0]))).y((p) => y(p[1])).curve(d3.curveStepAfter);
  rows.forEach((r, k) => {
    const fig = document.createElement('figure');
    fig.dataset.run = r.run;
    fig.innerHTML = `<figcaption style="color:${runColor(k)}">${esc(r.run)} <small>(${d3.format(',')(r.model.jcts().length)} jobs)</small></figcaption>`;
    const svg = d3.select(fig).append('svg').attr('width', W).attr('height', H);
    curves.forEach((c, j) => {
      if (j !== k) svg.append('path').attr('d', line(c) ?? '').attr('fill', 'none').attr('stroke', '#ccc');
    });
    svg.append('path').attr('d', line(curves[k]) ?? '').attr('fill', 'none').attr('stroke', runColor(k)).attr('stroke-width', 2);
    svg.append('g').attr('class', 'axis').attr('transform', `translate(0,${H - M.b})`).call(d3.axisBottom(x).ticks(4, '~s'));
    svg.append('g').attr('class', 'axis').attr('transform', `translate(${M.l},0)`).call(d3.axisLeft(y).ticks(4, '.0%'));
    svg.append('text').attr('x', W - M.r).attr('y', H - 2).attr('text-anchor', 'end').attr('font-size', 10).text('JCT (s, log)');
    root.append(fig);
  });
}

/** FGD curve small multiples: one per workload, a line per policy (mean over seeds). */
export function renderFgd(root: HTMLElement, rows: FgdRow[]): void {
  root.innerHTML = '';
  const byWorkload = d3.group(rows, (r) => r.workload);
  const policies = [...new Set(rows.map((r) => r.policy))];
  const W = 300;
  const H = 200;
  const M = { l: 36, r: 10, t: 8, b: 30 };
  for (const [workload, rs] of byWorkload) {
    const fig = document.createElement('figure');
    fig.dataset.workload = workload;
    fig.innerHTML = `<figcaption>${esc(workload || '(workload)')}</figcaption>`;
    const x = d3.scaleLinear().domain(d3.extent(rs, (r) => r.arrived) as [number, number]).nice().range([M.l, W - M.r]);
    const y = d3.scaleLinear().domain([0, Math.max(100, d3.max(rs, (r) => r.alloc) ?? 100)]).range([H - M.b, M.t]);
    const svg = d3.select(fig).append('svg').attr('width', W).attr('height', H);
    svg.append('g').attr('class', 'axis').attr('transform', `translate(0,${H - M.b})`).call(d3.axisBottom(x).ticks(5));
    svg.append('g').attr('class', 'axis').attr('transform', `translate(${M.l},0)`).call(d3.axisLeft(y).ticks(5));
    svg.append('text').attr('x', W - M.r).attr('y', H - 2).attr('text-anchor', 'end').attr('font-size', 10).text('arrived load (% of capacity)');
    svg.append('text').attr('x', M.l + 4).attr('y', M.t + 8).attr('font-size', 10).text('GPU allocated %');
    policies.forEach((p, k) => {
      const pts = d3
        .rollups(
          rs.filter((r) => r.policy === p),
          (v) => d3.mean(v, (r) => r.alloc) ?? 0,
          (r) => r.arrived,
        )
        .sort((a, b) => a[0] - b[0]);
      if (pts.length === 0) return;
      svg
        .append('path')
        .attr('d', d3.line<[number, number]>().x((q) => x(q[0])).y((q) => y(q[1]))(pts) ?? '')
        .attr('fill', 'none')
        .attr('stroke', runColor(k))
        .attr('stroke-width', 1.8);
      svg.append('text').attr('x', M.l + 8).attr('y', M.t + 24 + 12 * k).attr('font-size', 10).attr('fill', runColor(k)).text(p);
    });
    root.append(fig);
  }
}
