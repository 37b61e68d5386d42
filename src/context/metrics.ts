import { renderTable } from '../output/table.ts';
import type { ContextMetrics } from './warm-state.ts';

/**
 * The context-aware placement figures of each run, side by side: cold and warm starts, the start
 * overhead cold starts cost (run time without progress, s), and the warm pool's idle GPU·s.
 * Empty when no run has contexts, so other scenarios print exactly what they printed before.
 */
export function contextTable(runs: readonly { readonly run: string; readonly contexts?: ContextMetrics }[]): string {
  const rs = runs.filter((r) => r.contexts !== undefined);
  if (rs.length === 0) return '';
  const head = ['run', 'cold starts', 'warm starts', 'warm %', 'cold-start s', 'warm-start s', 'pool idle GPU·s'];
  const rows = rs.map((r) => {
    const c = r.contexts!;
    const n = c.coldStarts + c.warmStarts;
    return [r.run, c.coldStarts, c.warmStarts, n === 0 ? NaN : (100 * c.warmStarts) / n, c.coldStartSec, c.warmStartSec, c.idleGpuSec];
  });
  return `\ncontexts (cold-start s: start overhead paid by cold starts, time lost to them; pool idle GPU·s: GPU share × idle time of kept warm instances):\n${renderTable(head, rows)}`;
}
