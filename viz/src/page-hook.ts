import type { JobTable } from './job-table.ts';
import { $, available, colorOf, model, st } from './page-state.ts';
import { gantt, heatmap, host } from './run-page.ts';

/** Test and scripting hook: what a person sees, in numbers, plus a way to find a job's bar. */
declare global {
  interface Window {
    gpulab: unknown;
  }
}

function started(jobs: JobTable): number {
  let n = 0;
  for (let j = 0; j < jobs.length; j++) if (jobs.start(j) >= 0) n++;
  return n;
}

/** Installs `window.gpulab`. */
export function installHook(): void {
  window.gpulab = {
    state: () => ({
      /** The mode drawn on screen (set once a frame has rendered it). */
      mode: document.body.dataset.mode ?? '',
      modes: available(),
      kind: st.manifest.kind,
      run: st.manifest.runs[st.cur]?.run,
      runs: st.manifest.runs.map((r) => r.run),
      jobs: st.feeds.length ? model().jobs.length : 0,
      started: st.feeds.length ? started(model().jobs) : 0,
      ended: st.feeds.map((f) => f.model.ended),
      records: st.feeds.map((f) => f.model.records.length),
      domain: st.domain,
      full: st.full,
      cursor: st.cursor,
      filter: { q: st.filter.q, hidden: [...st.filter.hiddenTenants], states: [...st.filter.states], events: [...st.filter.events] },
      group: st.group,
      baseline: st.baseline,
      fgdX: st.fgdX ?? null,
      stats: gantt.stats,
      heat: heatmap.stats,
      timing: st.timing,
      applyMs: st.feeds.map((f) => f.applyMs),
      applyAt: st.feeds.map((f) => f.applyAt),
      /** Per run: the last read's progress as the worker reported it, and how many deltas it posted. */
      progress: st.feeds.map((f) => f.progress ?? null),
      deltas: st.feeds.map((f) => f.applyMs.length),
      collapsed: [...gantt.collapsed],
      collapsedShards: [...gantt.collapsedShards],
      /** A hierarchy's shard header rows as last drawn (id, nodes, GPUs, utilisation in view 0..1, collapsed). */
      shards: gantt.heads,
    }),
    /** Client (page) coordinates of the centre of a job's first visible bar, scrolled into view. */
    barCenter(jobId: string): { x: number; y: number } | null {
      const p = gantt.barCenter(jobId);
      if (!p) return null;
      const scroll = $('gantt-scroll');
      if (p.y < scroll.scrollTop || p.y > scroll.scrollTop + scroll.clientHeight) scroll.scrollTop = p.y - scroll.clientHeight / 2;
      const rect = $('gantt').getBoundingClientRect();
      return { x: rect.left + p.x, y: rect.top + p.y };
    },
    /** Client coordinates of a drawn row's label (key `node/gpu`, or `shard:<id>` for a shard header). */
    labelCenter(key: string): { x: number; y: number } | null {
      const p = gantt.labelCenter(key);
      if (!p) return null;
      const rect = $('gantt').getBoundingClientRect();
      return { x: rect.left + p.x, y: rect.top + p.y };
    },
    tenantColor: (tenant: string) => colorOf(tenant),
    jobAt: (i: number) => (i >= 0 && i < model().jobs.length ? model().jobs.id(i) : null),
    job: (id: string) => {
      const j = model().jobs.indexOf(id);
      return j === undefined ? null : model().jobs.get(j);
    },
    setDomain: (a: number, b: number) => host.setDomain([a, b]),
  };
}
