import { groups, HIERARCHY_KEYS, renderTable, type RunRow } from './compare.ts';
import { renderCdfs, renderOverlays, renderTenants } from './compare-charts.ts';
import { esc } from './format.ts';
import { selectRun, setMode } from './page-nav.ts';
import { $, allTenants, colorOf, commonNotes, st, tooltip } from './page-state.ts';

/** The comparison mode: every loaded run's row (summary.json's metrics over the log's own), the table and the charts. */

/** One row per loaded run: metrics from summary.json where it has the run, else from the log. */
export function rows(): RunRow[] {
  const byRun = new Map((st.summary?.runs ?? []).map((r) => [r.run, r]));
  return st.feeds.map((f, i) => {
    const r = st.manifest.runs[i];
    const s = byRun.get(r.run);
    const own = f.model.metrics();
    const mine = f.model.failures();
    const fair = s?.fairness ?? f.model.fairness();
    const failures = (s?.metrics.failures ?? mine) as Record<string, number> | undefined;
    const { failures: _, ...sm } = s?.metrics ?? {};
    // A hierarchical run's own figures (summary.json `hierarchy`), under the comparison's column keys.
    const h = s?.hierarchy;
    const hier = h ? Object.fromEntries(HIERARCHY_KEYS.map((k) => [k === 'shards' ? 'hierShards' : k, Number(h[k])])) : {};
    return {
      run: r.run,
      label: r.label,
      seed: r.seed,
      model: f.model,
      metrics: { ...own, ...(sm as Record<string, number>), ...(failures ?? {}), ...hier, jain: fair.jain, ...(fair.migFragPct !== undefined ? { migFragPct: fair.migFragPct } : {}) },
      fairness: fair,
      fromSummary: s !== undefined,
      digest: s?.digest ?? '',
    };
  });
}

export function renderCompare(): void {
  const gs = groups(rows(), st.group === 'policy');
  if (!gs.some((g) => g.key === st.baseline)) st.baseline = gs[0]?.key ?? '';
  const sel = $<HTMLSelectElement>('baseline');
  sel.innerHTML = gs.map((g) => `<option value="${esc(g.key)}">${esc(g.key)}</option>`).join('');
  sel.value = st.baseline;
  $<HTMLSelectElement>('group-by').value = st.group;
  const selected = st.group === 'policy' ? st.manifest.runs[st.cur]?.label : st.manifest.runs[st.cur]?.run;
  renderTable($<HTMLTableElement>('metrics'), gs, st.baseline, selected ?? '', (key) => {
    const i = st.manifest.runs.findIndex((r) => r.run === key || r.label === key);
    if (i >= 0) {
      selectRun(i);
      setMode('run');
    }
  });
  renderOverlays($('overlays'), gs, tooltip);
  renderCdfs($('cdfs'), gs, tooltip);
  renderTenants($('tenants'), gs, allTenants(), colorOf, tooltip);
  commonNotes([]);
  $('status').textContent = `${st.feeds.length} run(s) compared${st.group === 'policy' ? ` as ${gs.length} policies` : ''}`;
}
