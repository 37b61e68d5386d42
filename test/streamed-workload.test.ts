import { describe, expect, it } from 'vitest';
import '../policies/index.ts';
import { RunWriter } from '../src/output/run-writer.ts';
import { expandNodeGroups } from '../src/scenario/cluster.ts';
import { loadScenario } from '../src/scenario/load.ts';
import { policiesFor, policyMaker, prepareScenario } from '../src/scenario/prepare.ts';
import type { PolicyCombo } from '../src/scenario/schema.ts';
import { simulate } from '../src/sim/simulate.ts';
import { synthesize, syntheticJobs } from '../src/workload/synthetic.ts';

const quick = loadScenario('scenarios/quickstart.yaml');
const w = quick.workload.kind === 'synthetic' ? quick.workload : (() => { throw new Error('quickstart must be synthetic'); })();
const nodes = expandNodeGroups('nodes' in quick.cluster ? quick.cluster.nodes : []);

/** The digest of one run of `combo` on the quickstart cluster, jobs given as an array or streamed. */
function digestOf(combo: PolicyCombo, jobs: Iterable<(ReturnType<typeof synthesize>)[number]>): string {
  const writer = new RunWriter(undefined);
  simulate({ run: 'r', seed: 1, nodes, jobs, ...policiesFor(combo, jobs), log: writer });
  return writer.close();
}

describe('streamed synthetic workload (jobs drawn as a run pulls them)', () => {
  it('yields the jobs synthesize returns, in order, and the same again when iterated twice', () => {
    const spec = { ...w, jobs: 3000 };
    const stream = syntheticJobs(spec, 5);
    expect([...stream]).toEqual(synthesize(spec, 5));
    expect([...stream]).toEqual([...stream]);
  });

  it('draws only what is pulled: the first jobs of a billion-job workload come at once', () => {
    const it = syntheticJobs({ ...w, jobs: 1e9 }, 3)[Symbol.iterator]();
    const first = [it.next().value, it.next().value, it.next().value];
    // ids are padded to the width of the job count (9 digits for 1e9 − 1).
    expect(first.map((j) => j!.id)).toEqual(['j000000000', 'j000000001', 'j000000002']);
    expect(first.map((j) => j!.submit)).toEqual(synthesize({ ...w, jobs: 3 }, 3).map((j) => j.submit));
  });

  it("gives a scenario's runs the same event log streamed or as a list, fgd's typical pods included", async () => {
    const prep = await prepareScenario({ ...quick, workload: { ...w, jobs: 600 } }, nodes, 'quickstart.yaml', 'scenarios', () => {});
    expect([...prep.jobStream(2)]).toEqual(prep.jobsFor(2));
    for (const placement of ['fgd', 'best-fit']) {
      const combo = { queue: 'fifo', placement, params: { queue: {}, placement: {} } } as PolicyCombo;
      expect(digestOf(combo, prep.jobStream(2))).toBe(digestOf(combo, prep.jobsFor(2)));
    }
  });

  it("draws a streamed workload once for a hierarchy's shards: a fresh placement object per shard, fgd's typical pods derived once", () => {
    const spec = { ...w, jobs: 500 };
    let passes = 0;
    const stream = {
      *[Symbol.iterator]() {
        passes++;
        yield* syntheticJobs(spec, 4);
      },
    };
    const combo = { queue: 'fifo', placement: 'fgd', params: { queue: {}, placement: {} } } as PolicyCombo;
    const make = policyMaker(combo, stream);
    const shards = [make(), make(), make()];
    expect(passes).toBe(1);
    expect(new Set(shards.map((s) => s.placement)).size).toBe(3);
    // Each shard's fgd scores as the one policiesFor makes from the whole list.
    const whole = policiesFor(combo, synthesize(spec, 4));
    const digest = (p: { queue: typeof whole.queue; placement: typeof whole.placement }) => {
      const writer = new RunWriter(undefined);
      simulate({ run: 'r', seed: 1, nodes, jobs: synthesize(spec, 4), ...p, log: writer });
      return writer.close();
    };
    expect(digest(shards[2])).toBe(digest(whole));
  });
});
