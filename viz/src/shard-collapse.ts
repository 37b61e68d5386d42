import type { GanttRow } from './gantt-rows.ts';
import type { RunView as RunModel } from './run-view.ts';
import { shardRows } from './shards.ts';

/** A hierarchy with more drawn rows than this starts with its shards collapsed (a row is at least 3 px). */
export const AUTO_COLLAPSE_ROWS = 2000;

/**
 * Which of a hierarchy's shards the schedule draws as their header row alone: set by the URL, by
 * a click on a header (with Shift: every shard as that one goes), or on their own for a run
 * whose rows pass AUTO_COLLAPSE_ROWS while no shard is collapsed (a 100k-GPU cluster's rows
 * would not fit any canvas). The set is the page's, kept across runs like collapsed nodes.
 */
export class ShardCollapse {
  readonly collapsed = new Set<string>();
  /** Runs whose collapse was decided (by the URL, a click, or on their own). */
  private readonly decided = new WeakSet<RunModel>();

  /** What the rows depend on, for the Gantt's row cache. */
  key(): string {
    return [...this.collapsed].sort().join('\u0000');
  }

  /** `rows` grouped under shard headers (shards.ts `shardRows`), or as they are without a hierarchy. */
  rows(m: RunModel, rows: GanttRow[]): GanttRow[] {
    if (!m.hierarchy) return rows;
    if (this.collapsed.size > 0) this.decided.add(m);
    if (!this.decided.has(m) && rows.length > AUTO_COLLAPSE_ROWS) {
      this.decided.add(m);
      for (const s of m.hierarchy.shards) this.collapsed.add(s.id);
    }
    return shardRows(rows, m.hierarchy, m.nodes, this.collapsed);
  }

  /** Collapses shard `id` or expands it (`all`: every shard of `m` the same way); returns whether it is now collapsed. */
  toggle(m: RunModel, id: string, all: boolean): boolean {
    this.decided.add(m);
    const collapse = !this.collapsed.has(id);
    for (const s of all && m.hierarchy ? m.hierarchy.shards.map((x) => x.id) : [id]) {
      if (collapse) this.collapsed.add(s);
      else this.collapsed.delete(s);
    }
    return collapse;
  }
}
