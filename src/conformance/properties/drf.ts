import fc from 'fast-check';
import { stream } from '../../engine/rng.ts';
import type { SchedulerView } from '../../scheduler/policy.ts';
import { scenarioArb } from '../regimes.ts';
import { runSim } from '../sim-run.ts';
import { spyQueue } from '../spy.ts';
import { check, type PropertyDef } from '../subject.ts';

/**
 * DRF's definition (Ghodsi et al., NSDI 2011, weighted §5) as progressive filling over the order:
 * a tenant's dominant share is max(GPU, CPU, memory in use / cluster capacity) / weight; each job
 * of the order must belong to a tenant with the lowest dominant share among tenants that still have
 * jobs later in the order, counting the jobs ordered before it as allocated. Tolerance 1e-9 for
 * floating-point ties. Applies to the policy named `drf`.
 */
function checkDrf(view: SchedulerView, order: readonly { id: string; tenant: string; gpus: number; milli: number; cpu: number; memory: number }[]): string | undefined {
  const c = view.cluster;
  const frac = (x: number, cap: number) => (cap > 0 ? x / cap : 0);
  const use = new Map(view.tenants.map((t) => [t.name, { gpu: t.gpuInUse, cpu: t.cpuInUse, memory: t.memoryInUse, weight: t.weight }]));
  const share = (t: string) => {
    const u = use.get(t) ?? { gpu: 0, cpu: 0, memory: 0, weight: 1 };
    return Math.max(frac(u.gpu, c.gpuCapacity), frac(u.cpu, c.cpuCapacity), frac(u.memory, c.memoryCapacity)) / u.weight;
  };
  for (let k = 0; k < order.length; k++) {
    const j = order[k];
    const waiting = new Set(order.slice(k).map((x) => x.tenant));
    const min = [...waiting].map(share).reduce((a, b) => Math.min(a, b));
    if (share(j.tenant) > min + 1e-9) {
      return `position ${k}: job ${j.id} of tenant ${j.tenant} (dominant share ${share(j.tenant).toFixed(4)}) ahead of a tenant at ${min.toFixed(4)}`;
    }
    const u = use.get(j.tenant) ?? { gpu: 0, cpu: 0, memory: 0, weight: 1 };
    use.set(j.tenant, { ...u, gpu: u.gpu + j.gpus * j.milli, cpu: u.cpu + j.cpu, memory: u.memory + j.memory });
  }
  return undefined;
}

export const drfProperties: readonly PropertyDef[] = [
  {
    name: 'drf-dominant-shares',
    description: 'each job in the order belongs to a tenant of lowest weighted dominant share (progressive filling)',
    applies: (s) => s.focus === 'queue' && s.queue.name === 'drf',
    property: (s) =>
      fc.property(scenarioArb, (sc) => {
        const spy = spyQueue(s.queue, 25);
        runSim({ ...s, queue: spy.policy }, sc);
        for (const call of spy.calls) {
          const order = s.queue.order(call.view, { now: call.now, rng: stream(sc.seed, `queue/${s.queue.name}`) });
          const bad = checkDrf(call.view, order);
          check(bad === undefined, () => `t=${call.now}: ${bad}`);
        }
      }),
  },
];
