import type { RunView as RunModel } from './run-view.ts';
import type { ShardHead } from './shards.ts';

/**
 * A drawn row: the model's row, a collapsed node's summary row (`summary`), or a hierarchy's shard
 * header (`shard`: no lanes, node ''; shards.ts); `sub[k]` of `subs` is lane k's band.
 */
export type GanttRow = ReturnType<RunModel['rowOrder']>[number] & { sub: number[]; subs: number; summary?: boolean; shard?: ShardHead };

/**
 * Drawn rows: the model's, except that a collapsed node's rows become one summary row in which
 * each of them keeps a band of its own (`sub` of `subs`), so shares and offsets stay visible. Pure.
 */
export function collapseRows(order: ReturnType<RunModel['rowOrder']>, collapsed: ReadonlySet<string>): GanttRow[] {
  const out: GanttRow[] = [];
  for (const R of order) {
    const last = out[out.length - 1];
    if (!collapsed.has(R.node)) out.push({ ...R, sub: R.lanes.map(() => 0), subs: 1 });
    else if (last && last.node === R.node && last.summary) {
      for (const li of R.lanes) (last.lanes.push(li), last.sub.push(last.subs));
      last.subs++;
    } else out.push({ ...R, key: `${R.node}/*`, lanes: [...R.lanes], sub: R.lanes.map(() => 0), subs: 1, summary: true });
  }
  return out;
}

/** Whether the CPU row at `r` shares its node's CPU with another slot row (then slots are numbered). */
export function cpuSlots(rows: GanttRow[], r: number): boolean {
  const R = rows[r];
  const next = rows[r + 1];
  return next !== undefined && next.node === R.node && next.gpu < 0;
}

/** Band height inside a row: rows of 4px and more keep a 1px gap below their bars. */
export function innerHeight(rowH: number): number {
  return rowH >= 4 ? rowH - 1 : rowH;
}
