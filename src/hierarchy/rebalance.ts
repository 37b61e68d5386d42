import { fits } from '../cluster/fit.ts';
import type { ClusterView, Demand } from '../cluster/types.ts';
import type { JobView } from '../jobs/job.ts';

/**
 * Whether `d` fits some up node of `cluster` now (the true state; a shard knows its own). Scans
 * one member per node group and the loose nodes: O(groups + loose), not O(nodes). Pure.
 */
export function fitsTrue(cluster: ClusterView, d: Demand): boolean {
  const groups = cluster.groups?.();
  if (!groups) return cluster.nodes.some((n) => fits(n, d));
  for (const g of groups.live()) if (fits(cluster.nodes[groups.members(g)[0]], d)) return true;
  for (const i of groups.loose()) if (fits(cluster.nodes[i], d)) return true;
  return false;
}

/** The first `max` jobs of a queue that have waited at least `limitMs` by `now` (bounce candidates), in queue order. */
export function overdue(queue: readonly JobView[], now: number, limitMs: number, max: number): JobView[] {
  const out: JobView[] = [];
  const n = Math.min(queue.length, max);
  for (let i = 0; i < n; i++) if (now - queue[i].queuedAt >= limitMs) out.push(queue[i]);
  return out;
}

/**
 * Steal candidates: the first `max` queued jobs of each shard but `thief`, oldest first (queued
 * since, then submit, then id), each with the shard it waits in. Pure.
 */
export function stealCandidates(queues: readonly (readonly JobView[])[], thief: number, max: number): { job: JobView; from: number }[] {
  const out: { job: JobView; from: number }[] = [];
  queues.forEach((q, from) => {
    if (from === thief) return;
    const n = Math.min(q.length, max);
    for (let i = 0; i < n; i++) out.push({ job: q[i], from });
  });
  return out.sort((a, b) => a.job.queuedAt - b.job.queuedAt || a.job.submit - b.job.submit || (a.job.id < b.job.id ? -1 : a.job.id > b.job.id ? 1 : 0));
}
