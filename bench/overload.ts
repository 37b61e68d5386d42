/**
 * Overload benchmark (figures, not pass/fail): the quickstart cluster (48 GPUs) fed jobs every
 * 0.2 s on average, far beyond what it can run, so the queue grows without bound. The cost per
 * job should stay flat as the job count grows: printed as µs/job for each size. Then drf (three
 * tenants, weights 3:2:1) with `headOfLine: block` and `skip`, its passes reading the lazy order
 * (`lazyOrder`) and, as the same run's baseline, the whole order built each pass (`order` alone;
 * same digest) at the smaller sizes (`--fair` sizes, default 5000 10000), and with block lazily
 * at 40,000.
 * `npx tsx bench/overload.ts [sizes…] [--fair sizes…]` (default 10000 40000).
 */
import '../policies/index.ts';
import { RunWriter } from '../src/output/run-writer.ts';
import { expandNodeGroups } from '../src/scenario/cluster.ts';
import { loadScenario } from '../src/scenario/load.ts';
import { placementPolicyFactory, queuePolicyFactory } from '../src/scheduler/registry.ts';
import { simulate } from '../src/sim/simulate.ts';
import { synthesize } from '../src/workload/synthetic.ts';

const args = process.argv.slice(2);
const cut = args.indexOf('--fair') < 0 ? args.length : args.indexOf('--fair');
const sizes = args.slice(0, cut).map(Number).filter((n) => n > 0);
const fairSizes = args.slice(cut + 1).map(Number).filter((n) => n > 0);
const scn = loadScenario('scenarios/quickstart.yaml');
if (!('nodes' in scn.cluster) || scn.workload.kind !== 'synthetic') throw new Error('quickstart changed shape');
const nodes = expandNodeGroups(scn.cluster.nodes);

console.log('# overload: quickstart cluster (48 GPUs), mean interarrival 0.2 s, fifo, hashing log');
console.log('placement    jobs      s  us/job   events');
for (const placement of ['first-fit', 'best-fit']) {
  for (const n of sizes.length > 0 ? sizes : [10_000, 40_000]) {
    const jobs = synthesize({ ...scn.workload, jobs: n, meanInterarrivalSec: 0.2 }, 1);
    const log = new RunWriter();
    const t0 = performance.now();
    const res = simulate({ run: 'bench', seed: 1, nodes, jobs, queue: queuePolicyFactory('fifo')({}), placement: placementPolicyFactory(placement)({}), log });
    log.close();
    const s = (performance.now() - t0) / 1000;
    console.log(`${placement.padEnd(10)} ${String(n).padStart(6)} ${s.toFixed(2).padStart(6)} ${((s * 1e6) / n).toFixed(1).padStart(7)}  ${res.events}`);
  }
}

console.log('\n# overload, fair share: drf (tenants 3:2:1), first-fit, hashing log; lazy = passes read lazyOrder, whole = the order built each pass');
console.log('mode   order     jobs       s  us/job  digest');
const tenants = scn.workload.tenants.map((t) => ({ name: t.name, weight: t.share }));
const drf = queuePolicyFactory('drf')({});
for (const headOfLine of ['block', 'skip'] as const) {
  // With skip a pass reads on until every queued shape is known not to fit: a shape that fits
  // (CPU-only jobs here) whose next job lies deep in the order is read to, lazily or not.
  const runs: [string, number][] = [...(fairSizes.length > 0 ? fairSizes : [5_000, 10_000]).flatMap((n): [string, number][] => [['lazy', n], ['whole', n]]), ...(headOfLine === 'block' ? [['lazy', 40_000] as [string, number]] : [])];
  for (const [form, n] of runs) {
    const jobs = synthesize({ ...scn.workload, jobs: n, meanInterarrivalSec: 0.2 }, 1);
    const log = new RunWriter();
    const t0 = performance.now();
    simulate({ run: 'bench', seed: 1, nodes, jobs, tenants, headOfLine, queue: form === 'lazy' ? drf : { ...drf, lazyOrder: undefined }, placement: placementPolicyFactory('first-fit')({}), log });
    const digest = log.close();
    const s = (performance.now() - t0) / 1000;
    console.log(`${headOfLine.padEnd(6)} ${form.padEnd(6)} ${String(n).padStart(7)} ${s.toFixed(2).padStart(7)} ${((s * 1e6) / n).toFixed(1).padStart(7)}  ${digest.slice(0, 12)}`);
  }
}
