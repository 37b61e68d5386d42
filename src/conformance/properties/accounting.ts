import fc from 'fast-check';
import type { ClusterView } from '../../cluster/types.ts';
import { RunWriter } from '../../output/run-writer.ts';
import { scenarioArb } from '../regimes.ts';
import { replay } from '../replay.ts';
import { runSim } from '../sim-run.ts';
import { spyPlacement } from '../spy.ts';
import { check, type PropertyDef } from '../subject.ts';

/** Free capacity as a comparable string: per node CPU, memory and each GPU's free milli. */
function freeOf(c: ClusterView): string {
  return c.nodes.map((n) => `${n.id}:${n.cpuFree}/${n.memoryFree}/${n.gpus.map((g) => g.free).join(',')}`).join(' ');
}

/** Internal consistency of a view: per-node and cluster-wide sums agree with the per-GPU figures. */
function consistent(c: ClusterView): string | undefined {
  let gpuFree = 0;
  for (const n of c.nodes) {
    const s = n.gpus.reduce((a, g) => a + g.free, 0);
    if (s !== n.gpuFree) return `node ${n.id}: gpuFree ${n.gpuFree} but its GPUs have ${s} free`;
    for (const g of n.gpus) if (g.free < 0 || g.free > g.capacity) return `node ${n.id} GPU ${g.index}: free ${g.free} outside 0..${g.capacity}`;
    if (n.cpuFree < 0 || n.memoryFree < 0) return `node ${n.id}: negative free CPU or memory`;
    gpuFree += s;
  }
  if (c.gpuCapacity - c.gpuAllocated !== gpuFree) return `cluster: capacity ${c.gpuCapacity} − allocated ${c.gpuAllocated} ≠ free ${gpuFree}`;
  return undefined;
}

export const accountingProperties: readonly PropertyDef[] = [
  {
    name: 'no-overcommit',
    description: 'CPU, memory and milli-GPU are never over-committed; releases match allocations exactly',
    applies: () => true,
    property: (s) =>
      fc.property(scenarioArb, (sc) => {
        // The policy's view at each placement call must equal the log replayed up to that call:
        // what the core holds is exactly what its logged starts took and its finishes returned.
        const log = new RunWriter(undefined, { keepLines: true });
        const spy = spyPlacement(s.placement, 200, () => log.records);
        const { recs, res } = runSim({ ...s, placement: spy.policy }, sc, undefined, log);
        const byPosition = new Map<number, string>();
        let k = 0;
        // replay throws AllocationError on any over-commit or unmatched release
        const c = replay(sc.nodes, recs, {
          atRecord: (cluster, i) => {
            while (k < spy.calls.length && spy.calls[k].at === i + 1) {
              const call = spy.calls[k++];
              const bad = consistent(call.cluster);
              check(bad === undefined, () => `t=${call.now}, placing ${call.job.id}: inconsistent view: ${bad}`);
              if (!byPosition.has(i)) byPosition.set(i, freeOf(cluster));
              check(
                freeOf(call.cluster) === byPosition.get(i),
                () => `t=${call.now}, placing ${call.job.id}: view shows free ${freeOf(call.cluster)}, log replay gives ${byPosition.get(i)}`,
              );
            }
          },
        });
        check(k === spy.calls.length, () => `${spy.calls.length - k} placement calls not matched to a log position`);
        check(c.allocationCount === 0, () => `${c.allocationCount} allocations never released`);
        check(c.gpuAllocated === 0 && c.cpuAllocated === 0 && c.memoryAllocated === 0, () => 'replayed counters not back to zero');
        const live = res.cluster;
        check(live.allocationCount === 0 && live.gpuAllocated === 0 && live.cpuAllocated === 0 && live.memoryAllocated === 0,
          () => `after the run the core's cluster still holds ${live.allocationCount} allocations`);
      }),
  },
];
