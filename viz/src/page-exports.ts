import { metricsCsv } from './compare.ts';
import { rows } from './compare-page.ts';
import { exportButtons } from './export.ts';
import { fgdCsv } from './fgd-view.ts';
import { $, model, st } from './page-state.ts';

/** The export buttons of every view: the figure as drawn, and its data as CSV where it has any. */
export function wireExports(): void {
  const scenario = () => st.manifest.scenario;
  exportButtons($('gantt-export'), 'schedule', {
    scenario,
    parts: () => [$<SVGSVGElement>('gantt-axis'), $<HTMLCanvasElement>('gantt'), $<SVGSVGElement>('overview')],
    csv: () => {
      const m = model();
      const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
      const [d0, d1] = st.domain;
      const out = ['id,tenant,state,submit_ms,start_ms,end_ms,node,gpus,milli'];
      for (let j = 0; j < m.jobs.length; j++) {
        const r = m.jobs.get(j).row;
        const end = r.end >= 0 ? r.end : m.lastT;
        if (r.submit > d1 || end < d0) continue;
        out.push([q(r.id), q(r.tenant), r.state, r.submit, r.start >= 0 ? r.start : '', r.end >= 0 ? r.end : '', q(r.node), q(r.gpus), r.milli].join(','));
      }
      return out.join('\n') + '\n';
    },
  });
  exportButtons($('heatmap-export'), 'heatmap', {
    scenario,
    parts: () => [$<HTMLCanvasElement>('heat-alloc'), $<HTMLCanvasElement>('heat-strand')],
    csv: () => {
      const m = model();
      const out = ['node,t_ms,gpu_alloc_milli,gpu_stranded_milli,gpu_capacity_milli'];
      m.nodeSeries.forEach((S, n) => S.t.forEach((t, i) => out.push(`${m.nodes[n].id},${t},${S.alloc[i]},${S.strand[i]},${m.nodeCap[n]}`)));
      return out.join('\n') + '\n';
    },
  });
  exportButtons($('timeline-export'), 'timelines', {
    scenario,
    parts: () => [...document.querySelectorAll<HTMLCanvasElement>('#timelines canvas'), $<SVGSVGElement>('timeline-axis')],
    csv: () => {
      const m = model();
      const s = m.series;
      const out = [['t_ms', 'gpu_alloc_milli', 'frag_milli', 'queued', 'running', ...m.tenants.map((t) => `alloc_milli_${t}`)].join(',')];
      for (let i = 0; i < s.t.length; i++) out.push([s.t[i], s.alloc[i], s.frag[i], s.queued[i], s.running[i], ...s.tenantAlloc.map((c) => c[i])].join(','));
      return out.join('\n') + '\n';
    },
  });
  exportButtons($('table-export'), 'metrics', { scenario, parts: () => [], csv: () => metricsCsv(rows()) });
  exportButtons($('overlay-export'), 'over-time', { scenario, parts: () => [...document.querySelectorAll<SVGSVGElement>('#overlays svg')] });
  exportButtons($('cdf-export'), 'cdfs', {
    scenario,
    parts: () => [...document.querySelectorAll<SVGSVGElement>('#cdfs svg')],
    csv: () => {
      const out = ['run,measure,value'];
      for (const r of rows()) for (const k of ['jct', 'wait', 'slowdown'] as const) for (const v of r.model.dist(k)) out.push(`${r.run},${k},${v}`);
      return out.join('\n') + '\n';
    },
  });
  exportButtons($('tenant-export'), 'tenants', { scenario, parts: () => [...document.querySelectorAll<SVGSVGElement>('#tenants svg')] });
  exportButtons($('study-export'), 'fgd-study', { scenario, parts: () => [...document.querySelectorAll<SVGSVGElement>('#fgd svg')], csv: () => fgdCsv(st.fgd?.rows ?? []) });
}
