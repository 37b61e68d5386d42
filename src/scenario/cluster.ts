import type { NodeSpec } from '../cluster/types.ts';
import type { NodeGroup } from './schema.ts';

/** Expands node groups into node specs: ids are `<prefix><index>`, zero-padded per group. */
export function expandNodeGroups(groups: readonly NodeGroup[]): NodeSpec[] {
  const nodes: NodeSpec[] = [];
  for (const g of groups) {
    const width = String(g.count - 1).length;
    for (let i = 0; i < g.count; i++) {
      nodes.push({
        id: `${g.prefix}${String(i).padStart(width, '0')}`,
        cpu: g.cpu,
        memory: g.memory,
        gpus: g.gpus.flatMap((gg) =>
          Array.from({ length: gg.count }, () => ({ model: gg.model, capacity: gg.capacity, ...(gg.mig ? { mig: true } : {}) })),
        ),
        ...(g.labels ? { labels: g.labels } : {}),
      });
    }
  }
  return nodes;
}
