/**
 * Overload benchmark (figures, not pass/fail): the quickstart cluster (48 GPUs) fed jobs every
 * 0.2 s on average, far beyond what it can run, so the queue grows without bound. The cost per
 * job should stay flat as the job count grows: printed as µs/job for each size.
 * `npx tsx bench/overload.ts [sizes…]` (default 10000 40000).
 */
import '../policies/index.ts';
import { RunWriter } from '../src/output/run-writer.ts';
import { expandNodeGroups } from '../src/scenario/cluster.ts';
import { loadScenario } from '../src/scenario/load.ts';
import { placementPolicyFactory, queuePolicyFactory } from '../src/scheduler/registry.ts';
import { simulate } from '../src/sim/simulate.ts';
import { synthesize } from '../src/workload/synthetic.ts';

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
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
