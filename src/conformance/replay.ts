import { Cluster } from '../cluster/cluster.ts';
import type { Demand, NodeSpec } from '../cluster/types.ts';
import type { LogRecord } from '../log/records.ts';
import { check } from './subject.ts';

/**
 * Replays an event log through a fresh `Cluster`, which throws `AllocationError` on any
 * over-commit, invalid grant or unmatched release: what the log says was allocated must fit, and
 * every finish must return exactly what its start took; a node is down from its node-down to its
 * node-up (allocating on it throws). `atInstantEnd` sees the state after the
 * last record of each instant (after that instant's scheduling pass); `atRecord` after every record.
 */
export function replay(
  nodes: readonly NodeSpec[],
  recs: readonly LogRecord[],
  hooks: {
    atInstantEnd?: (cluster: Cluster, queued: ReadonlyMap<string, Demand>, t: number) => void;
    atRecord?: (cluster: Cluster, index: number) => void;
  } = {},
): Cluster {
  const cluster = new Cluster(nodes);
  const index = new Map(nodes.map((n, i) => [n.id, i]));
  const demands = new Map<string, Demand>();
  const queued = new Map<string, Demand>();
  for (let i = 0; i < recs.length; i++) {
    const r = recs[i];
    switch (r.ev) {
      case 'arrival':
        demands.set(r.job, { cpu: r.cpu, memory: r.mem, gpus: r.gpus, milli: r.milli, models: r.models, ...(r.mig ? { mig: r.mig } : {}) });
        break;
      case 'admit':
        queued.set(r.job, demands.get(r.job)!);
        break;
      case 'start': {
        const node = index.get(r.node);
        check(node !== undefined, () => `t=${r.t}: start of ${r.job} on unknown node ${r.node}`);
        // A MIG grant's milli is its instance size, checked by the cluster against the profile.
        check(r.mig !== undefined || r.milli === demands.get(r.job)!.milli, () => `t=${r.t}: start of ${r.job} logs ${r.milli} milli, demand is ${demands.get(r.job)!.milli}`);
        const grant = (g: number) => ({ gpu: g, milli: r.milli, ...(r.mig ? { mig: r.mig } : {}) });
        const parts = (r.parts ?? []).map((p) => ({ node: index.get(p.node)!, gpus: p.gpus.map(grant) }));
        cluster.allocate(r.job, demands.get(r.job)!, { node: node!, gpus: r.gpus.map(grant), ...(parts.length > 0 ? { parts } : {}) });
        queued.delete(r.job);
        break;
      }
      case 'finish':
        if (cluster.allocationOf(r.job)) cluster.release(r.job);
        queued.delete(r.job);
        break;
      case 'preempt':
        cluster.release(r.job);
        break;
      case 'node-down': {
        // The jobs it lists lose their allocation (each then has a node-loss record); the node
        // must hold nothing else (setUp throws) and takes no placement until node-up.
        const node = index.get(r.node);
        check(node !== undefined, () => `t=${r.t}: node-down of unknown node ${r.node}`);
        for (const j of r.jobs) {
          check(cluster.allocationOf(j) !== undefined, () => `t=${r.t}: node-down of ${r.node} lists ${j}, which holds nothing`);
          cluster.release(j);
        }
        cluster.setUp(node!, false);
        break;
      }
      case 'node-up': {
        const node = index.get(r.node);
        check(node !== undefined, () => `t=${r.t}: node-up of unknown node ${r.node}`);
        cluster.setUp(node!, true);
        break;
      }
      case 'requeue':
        queued.set(r.job, demands.get(r.job)!);
        break;
    }
    hooks.atRecord?.(cluster, i);
    const next = recs[i + 1];
    if (hooks.atInstantEnd && r.ev !== 'run' && (next === undefined || next.t !== r.t)) hooks.atInstantEnd(cluster, queued, r.t);
  }
  return cluster;
}
