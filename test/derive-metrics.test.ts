import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import '../policies/index.ts';
import type { Deriver } from '../src/output/derive.ts';
import { RunWriter } from '../src/output/run-writer.ts';
import { expandNodeGroups } from '../src/scenario/cluster.ts';
import { loadScenario } from '../src/scenario/load.ts';
import { placementPolicyFactory, queuePolicyFactory } from '../src/scheduler/registry.ts';
import { simulate } from '../src/sim/simulate.ts';
import { synthesize } from '../src/workload/synthetic.ts';

const quick = loadScenario('scenarios/quickstart.yaml');
const w = quick.workload.kind === 'synthetic' ? quick.workload : (() => { throw new Error('quickstart must be synthetic'); })();
const nodes = expandNodeGroups('nodes' in quick.cluster ? quick.cluster.nodes : []);

/** The run metrics' job counts and JCT/wait statistics computed the plain way: filter, map, sort. */
function reference(d: Deriver) {
  const rows = [...d.jobs.values()];
  const jct = rows.filter((j) => j.state === 'succeeded').map((j) => j.end - j.submit).sort((a, b) => a - b);
  const wait = rows.filter((j) => j.start >= 0).map((j) => j.start - j.submit).sort((a, b) => a - b);
  const count = (s: string) => rows.filter((j) => j.state === s).length;
  const mean = (xs: number[]) => (xs.length === 0 ? NaN : Math.round(xs.reduce((a, x) => a + x, 0) / xs.length));
  const pct = (xs: number[], p: number) => (xs.length === 0 ? NaN : xs[Math.min(xs.length - 1, Math.max(0, Math.ceil((p / 100) * xs.length) - 1))]);
  return {
    jobs: rows.length,
    completed: jct.length,
    failed: count('failed') + count('timed-out'),
    rejected: count('rejected'),
    cancelled: count('cancelled'),
    unfinished: count('queued') + count('running') + count('pending'),
    started: wait.length,
    jctMeanMs: mean(jct),
    jctP50Ms: pct(jct, 50),
    jctP95Ms: pct(jct, 95),
    jctP99Ms: pct(jct, 99),
    waitMeanMs: mean(wait),
    waitP95Ms: pct(wait, 95),
  };
}

describe('Deriver run metrics', () => {
  it('agree with a plain filter-and-sort over the rows, whatever ends the jobs (cancel, node loss, run cut short)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 0, max: 200 }),
        fc.boolean(),
        fc.option(fc.integer({ min: 600, max: 20_000 }), { nil: undefined }),
        fc.array(fc.nat(199), { maxLength: 12 }),
        (seed, jobCount, failing, untilSec, cancelled) => {
          const jobs = synthesize({ ...w, jobs: jobCount }, seed);
          const ids = new Set(jobs.map((j) => j.id));
          const cancels = [...new Set(cancelled)].filter((i) => ids.has(jobs[i]?.id)).map((i) => ({ at: jobs[i].submit + 1 + (i % 7) * 500_000, job: jobs[i].id }));
          const writer = new RunWriter(undefined);
          simulate({
            run: 'r',
            seed,
            nodes,
            jobs,
            queue: queuePolicyFactory('fifo')({}),
            placement: placementPolicyFactory('best-fit')({}),
            log: writer,
            cancels,
            until: untilSec === undefined ? undefined : untilSec * 1000,
            scheduler: { onNodeLoss: seed % 2 === 0 ? 'fail' : undefined },
            failures: failing ? { random: { mtbfMs: 7_200_000, mttrMs: 900_000 } } : undefined,
          });
          writer.close();
          const m = writer.deriver.metrics();
          expect({ ...m, failures: undefined, makespanMs: undefined, meanGpuAllocPct: undefined }).toEqual({ ...reference(writer.deriver), failures: undefined, makespanMs: undefined, meanGpuAllocPct: undefined });
        },
      ),
      { numRuns: 40 },
    );
  });
});
