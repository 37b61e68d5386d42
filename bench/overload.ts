/**
 * Overload benchmark (figures, not pass/fail): the quickstart cluster (48 GPUs) fed jobs every
 * 0.2 s on average, far beyond what it can run, so the queue grows without bound. The cost per
 * job should stay flat as the job count grows: printed as µs/job for each size. Then drf,
 * weighted-fair and round-robin (three tenants, weights 3:2:1) with `headOfLine: block` and
 * `skip`, their passes walking the lazy order (`lazyOrder`: the core's walk by tenant and shape)
 * and, as the same run's baseline, the whole order built each pass (`order` alone; same digest)
 * at the smaller sizes (`--fair` sizes, default 5000 10000; weighted-fair's and round-robin's at
 * the smallest only), and lazily at 40,000. Then the sorting policies (sjf, srtf, priority with preemption, las; block and skip):
 * lazily, from the core's index by their key, at the `--fair` sizes and 40,000, and built whole
 * at the smallest. Then tenant quotas (scenarios/quotas.yaml's cluster, tenants and quotas, a job
 * every 5 s): fifo, drf and weighted-fair with `skip`, as shipped (quota refusals held by tenant
 * and shape, reclaim reading the order as produced) at the `--fair` sizes and 40,000, and as the
 * same run's baseline at the smallest, the gate asked job by job and reclaim reading the order
 * built whole (same digest).
 * `npx tsx bench/overload.ts [sizes…] [--fair sizes…] [--quotas]` (default 10000 40000; `--quotas`:
 * the tenant-quota section alone).
 */
import '../policies/index.ts';
import { RunWriter } from '../src/output/run-writer.ts';
import { quotaAdmission } from '../src/quota/admission.ts';
import { Quotas, tenantQuotas } from '../src/quota/quotas.ts';
import { reclaimVictims } from '../src/quota/reclaim.ts';
import { expandNodeGroups } from '../src/scenario/cluster.ts';
import { loadScenario } from '../src/scenario/load.ts';
import type { PreemptionPolicy, QueuePolicy } from '../src/scheduler/policy.ts';
import { placementPolicyFactory, queuePolicyFactory } from '../src/scheduler/registry.ts';
import { simulate } from '../src/sim/simulate.ts';
import { synthesize } from '../src/workload/synthetic.ts';

const args = process.argv.slice(2).filter((a) => a !== '--quotas');
/** `--quotas`: the tenant-quota section alone. */
const quotasOnly = process.argv.includes('--quotas');
const cut = args.indexOf('--fair') < 0 ? args.length : args.indexOf('--fair');
const sizes = args.slice(0, cut).map(Number).filter((n) => n > 0);
const fairSizes = args.slice(cut + 1).map(Number).filter((n) => n > 0);
const scn = loadScenario('scenarios/quickstart.yaml');
if (!('nodes' in scn.cluster) || scn.workload.kind !== 'synthetic') throw new Error('quickstart changed shape');
const nodes = expandNodeGroups(scn.cluster.nodes);
const workload = scn.workload;

if (!quotasOnly) console.log('# overload: quickstart cluster (48 GPUs), mean interarrival 0.2 s, fifo, hashing log\nplacement    jobs      s  us/job   events');
for (const placement of quotasOnly ? [] : ['first-fit', 'best-fit']) {
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

const tenants = scn.workload.tenants.map((t) => ({ name: t.name, weight: t.share }));
/** One overloaded run of `queue` (first-fit, hashing log): its passes read `lazyOrder` (`lazy`) or the order built each pass (`whole`). */
const overloaded = (queue: QueuePolicy, headOfLine: 'block' | 'skip', form: 'lazy' | 'whole', n: number, label: string) => {
  const jobs = synthesize({ ...workload, jobs: n, meanInterarrivalSec: 0.2 }, 1);
  const log = new RunWriter();
  const t0 = performance.now();
  simulate({ run: 'bench', seed: 1, nodes, jobs, tenants, headOfLine, queue: form === 'lazy' ? queue : { ...queue, lazyOrder: undefined }, placement: placementPolicyFactory('first-fit')({}), log });
  const digest = log.close();
  const s = (performance.now() - t0) / 1000;
  console.log(`${label.padEnd(13)} ${headOfLine.padEnd(6)} ${form.padEnd(6)} ${String(n).padStart(7)} ${s.toFixed(2).padStart(7)} ${((s * 1e6) / n).toFixed(1).padStart(7)}  ${digest.slice(0, 12)}`);
};
const smaller = fairSizes.length > 0 ? fairSizes : [5_000, 10_000];

if (!quotasOnly) console.log('\n# overload, fair share: drf, weighted-fair and round-robin (tenants 3:2:1), first-fit, hashing log; lazy = passes walk lazyOrder, whole = the order built each pass');
if (!quotasOnly) console.log('queue         mode   order     jobs       s  us/job  digest');
for (const name of quotasOnly ? [] : ['drf', 'weighted-fair', 'round-robin']) {
  const q = queuePolicyFactory(name)({});
  for (const headOfLine of ['block', 'skip'] as const) {
    // With skip a pass goes on until every queued shape is known not to fit. Read whole, it reads
    // every job before the next one of a shape that fits (CPU-only jobs here), deep in the order;
    // walked by tenant and shape, the jobs of shapes that do not fit are passed over in bulk.
    // weighted-fair's and round-robin's whole order at the smallest size only (the same run's baseline; it costs what drf's does).
    for (const n of smaller) for (const form of ['lazy', 'whole'] as const) if (form === 'lazy' || name === 'drf' || n === smaller[0]) overloaded(q, headOfLine, form, n, name);
    overloaded(q, headOfLine, 'lazy', 40_000, name);
  }
}

// Sorting policies read the core's index by their key (view.queuedBy) lazily; built whole, each
// pass sorts the queue (srtf's and priority's victims read the index in both forms).
// A lazy pass walks that index shape by shape (each shape's jobs by the key, the heads merged), as
// fifo's walks the queue: with skip too, it costs the jobs it starts and the shapes.
if (!quotasOnly) console.log('\n# overload, sorted orders: sjf, srtf, priority with preemption, las, first-fit, hashing log; whole at the smallest size only (the same run\'s baseline)');
if (!quotasOnly) console.log('queue         mode   order     jobs       s  us/job  digest');
for (const [name, params] of quotasOnly ? [] : ([['sjf', {}], ['srtf', {}], ['priority', { preempt: true }], ['las', {}]] as const)) {
  const queue = queuePolicyFactory(name)(params);
  // las reads the core's index by level, its promoted jobs moved to the highest queue (view.queuedBy's `moved`).
  for (const headOfLine of ['block', 'skip'] as const) {
    overloaded(queue, headOfLine, 'whole', smaller[0], name);
    for (const n of [...smaller, 40_000]) overloaded(queue, headOfLine, 'lazy', n, name);
  }
}

// Tenant quotas: a pass asks quota admission once per tenant and shape (a refusal holds for the
// rest of the pass) and walks the queue split by tenant and shape; quota reclaim reads the order
// as produced and stops once no tenant left to read can reclaim. The baseline asks the gate job by
// job (no claim) and reclaims over the order built whole, blind to the queue's counts by shape.
const qs = loadScenario('scenarios/quotas.yaml');
if (!('nodes' in qs.cluster) || qs.workload.kind !== 'synthetic') throw new Error('quotas.yaml changed shape');
const quotaNodes = expandNodeGroups(qs.cluster.nodes);
const quotaWorkload = qs.workload;
const quotaTenants = quotaWorkload.tenants.map((t) => ({ name: t.name, weight: 1 }));
const quotaRun = (name: string, n: number, form: 'lazy' | 'whole') => {
  const jobs = synthesize({ ...quotaWorkload, jobs: n, meanInterarrivalSec: 5 }, 1);
  const quotas = new Quotas(tenantQuotas(quotaWorkload.tenants));
  const { claims: _claims, ...gate } = quotaAdmission(quotas);
  const reclaim: PreemptionPolicy = { name: 'quota-reclaim', victims: (view, order) => reclaimVictims({ ...view, queuedShapesOf: undefined }, quotas, order) };
  const preemption = { restoreMs: 30_000, checkpointIntervalMs: 300_000 };
  const log = new RunWriter();
  const t0 = performance.now();
  simulate({
    run: 'bench', seed: 1, nodes: quotaNodes, jobs, tenants: quotaTenants, headOfLine: 'skip',
    queue: queuePolicyFactory(name)({}), placement: placementPolicyFactory('best-fit')({}), log,
    scheduler: form === 'lazy' ? { quotas, preemption } : { admission: [gate], preemptors: [reclaim], preemption },
  });
  const digest = log.close();
  const s = (performance.now() - t0) / 1000;
  console.log(`${name.padEnd(13)} skip   ${form.padEnd(6)} ${String(n).padStart(7)} ${s.toFixed(2).padStart(7)} ${((s * 1e6) / n).toFixed(1).padStart(7)}  ${digest.slice(0, 12)}`);
};
console.log('\n# overload with tenant quotas: scenarios/quotas.yaml (32 GPUs, two cohorts), a job every 5 s, best-fit, hashing log; lazy = as shipped, whole = gate asked job by job, reclaim over the whole order (the smallest size only)');
console.log('queue         mode   order     jobs       s  us/job  digest');
for (const name of ['fifo', 'drf', 'weighted-fair']) {
  quotaRun(name, smaller[0], 'whole');
  for (const n of [...smaller, 40_000]) quotaRun(name, n, 'lazy');
}
