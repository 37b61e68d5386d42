import { describe, expect, it } from 'vitest';
import '../policies/index.ts';
import { jobsCsv } from '../src/output/csv.ts';
import { RunWriter } from '../src/output/run-writer.ts';
import { expandNodeGroups } from '../src/scenario/cluster.ts';
import { loadScenario } from '../src/scenario/load.ts';
import type { QueuePolicy } from '../src/scheduler/policy.ts';
import { placementPolicyFactory, queuePolicyFactory } from '../src/scheduler/registry.ts';
import { simulate, type SimInput } from '../src/sim/simulate.ts';
import { synthesize } from '../src/workload/synthetic.ts';

/**
 * fifo's pass walks the queue by shape (per-shape lists merged by queue position) instead of
 * scanning it; a fifo whose `order` is another function that returns the queue takes the
 * scanning pass. Both must try the same jobs in the same order: byte-identical event logs.
 */
const scn = loadScenario('scenarios/quickstart.yaml');
if (!('nodes' in scn.cluster) || scn.workload.kind !== 'synthetic') throw new Error('quickstart changed shape');
const nodes = expandNodeGroups(scn.cluster.nodes);
const workload = scn.workload;

function logOf(queue: QueuePolicy, placement: string, extra: Partial<SimInput>, seed: number): { digest: string; jobs: string } {
  // Overloaded: a job every 0.5 s on average against 48 GPUs, so the queue grows to thousands.
  const jobs = synthesize({ ...workload, jobs: 1500, meanInterarrivalSec: 0.5 }, seed);
  const log = new RunWriter();
  simulate({
    run: 'q',
    seed,
    nodes,
    jobs,
    queue,
    placement: placementPolicyFactory(placement)({}),
    log,
    until: 2_000_000,
    cancels: [
      { at: jobs[300].submit + 1, job: jobs[300].id },
      { at: jobs[700].submit + 60_000, job: jobs[700].id },
    ],
    ...extra,
  });
  const digest = log.close();
  return { digest, jobs: jobsCsv(log.deriver.jobs.values()) };
}

const fifo = queuePolicyFactory('fifo')({});
const scanningFifo: QueuePolicy = { name: 'fifo', order: (view) => view.queue };

describe('fifo pass by shape', () => {
  const cases: [string, string, Partial<SimInput>][] = [
    ['first-fit', 'skip', {}],
    ['best-fit', 'skip', {}],
    ['worst-fit', 'block', { headOfLine: 'block' }],
    // node losses requeue running jobs into the middle of the queue (back in submit order)
    ['best-fit', 'skip + node failures', { failures: { random: { mtbfMs: 3_600_000, mttrMs: 600_000 } } }],
    ['first-fit', 'skip + spanning gangs', { scheduler: { gang: { spanNodes: true } } }],
  ];
  for (const [placement, what, extra] of cases) {
    it(`gives the same event log as the scanning pass (${placement}, ${what})`, () => {
      for (const seed of [1, 2]) {
        const a = logOf(fifo, placement, extra, seed);
        const b = logOf(scanningFifo, placement, extra, seed);
        expect(a.digest).toBe(b.digest);
        expect(a.jobs).toBe(b.jobs);
      }
    });
  }
});
