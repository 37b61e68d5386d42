import { renderTable } from '../output/table.ts';
import type { RunSummary } from '../sweep/sim-task.ts';

/**
 * The hierarchy comparison printed after a scenario's run table: each hierarchical run beside
 * the global run of the same queue and placement policies and seed (the `global` rows), with its
 * JCT relative to that run's, the routing counts, the time lost to misrouting, the imbalance of
 * per-shard utilisation, and the wall time of each run. Empty when no run has a hierarchy.
 */
export function hierarchyTable(runs: readonly RunSummary[]): string {
  if (!runs.some((r) => r.hierarchy)) return '';
  const globalOf = (r: RunSummary) => runs.find((g) => !g.hierarchy && g.queue === r.queue && g.placement === r.placement && g.seed === r.seed);
  const sec = (ms: number) => (Number.isFinite(ms) ? (ms / 1000).toFixed(1) : '-');
  const head = ['run', 'shards', 'routing', 'rebalance', 'JCT mean', 'vs global %', 'wait mean', 'routes', 'bounces', 'steals', 'misrouted s', 'util max/mean', 'util CoV', 'wall s'];
  const rows = runs.map((r) => {
    const h = r.hierarchy;
    const g = h ? globalOf(r) : undefined;
    const vs = g && Number.isFinite(g.metrics.jctMeanMs) && g.metrics.jctMeanMs > 0 ? ((100 * (r.metrics.jctMeanMs - g.metrics.jctMeanMs)) / g.metrics.jctMeanMs).toFixed(1) : '-';
    return [
      r.run,
      h ? h.shards : 'global',
      h ? h.routing : '-',
      h ? h.rebalance : '-',
      sec(r.metrics.jctMeanMs),
      h ? (vs === '-' ? '-' : `${Number(vs) > 0 ? '+' : ''}${vs}`) : '',
      sec(r.metrics.waitMeanMs),
      h ? h.routes : '',
      h ? h.bounces : '',
      h ? h.steals : '',
      h ? sec(h.misroutedWaitMs) : '',
      h ? h.utilMaxOverMean.toFixed(3) : '',
      h ? h.utilCov.toFixed(3) : '',
      (r.wallMs / 1000).toFixed(2),
    ];
  });
  return (
    `\nscheduler hierarchy (vs global: JCT mean against the global run of the same policies and seed; misrouted: queue time at shards jobs ` +
    `then left by bounce or steal, plus bounce costs; util: per-shard GPU allocation, max/mean and coefficient of variation; wall: this run's time here):\n` +
    renderTable(head, rows)
  );
}
