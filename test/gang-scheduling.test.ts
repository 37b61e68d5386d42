import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import '../policies/index.ts';
import { Cluster, splitDemand } from '../src/cluster/cluster.ts';
import type { JobSpec } from '../src/jobs/job.ts';
import { RunWriter } from '../src/output/run-writer.ts';
import { placementPolicyFactory, queuePolicyFactory } from '../src/scheduler/registry.ts';
import { placeSpanning } from '../src/scheduler/gang.ts';
import { simulate } from '../src/sim/simulate.ts';
import { job, node } from './helpers/builders.ts';

const s = 1000;

function run(jobs: JobSpec[], spanNodes: boolean, nodes = [node('a', 4), node('b', 4)]) {
  const log = new RunWriter(undefined, { keepLines: true });
  const res = simulate({
    run: 'gang',
    seed: 1,
    nodes,
    jobs,
    queue: queuePolicyFactory('fifo')({}),
    placement: placementPolicyFactory('best-fit')({}),
    log,
    scheduler: { gang: { spanNodes } },
  });
  log.close();
  return { res, recs: log.lines!.map((l) => JSON.parse(l)) };
}

describe('gang scheduling', () => {
  it('an 8-GPU job on 4-GPU nodes is rejected unless gangs may span nodes', () => {
    const j = [job('big').gpus(8).runs(10 * s).build()];
    expect(run(j, false).res.core.jobs.get('big')!.state).toBe('rejected');
    const { res, recs } = run(j, true);
    expect(res.core.jobs.get('big')!.state).toBe('succeeded');
    const start = recs.find((r) => r.ev === 'start');
    // 4 GPUs on node a and 4 on node b, all at t=0
    expect([start.node, start.gpus, start.parts]).toEqual(['a', [0, 1, 2, 3], [{ node: 'b', gpus: [0, 1, 2, 3] }]]);
  });

  it('splits CPU and memory over the parts by GPU count, remainder to the first part', () => {
    // cpu 1000 over 2 + 1 GPUs: floor(1000·2/3) = 666, floor(1000/3) = 333, remainder 1 → 667 + 333
    const parts = [
      { node: 0, gpus: [{ gpu: 0, milli: 1000 }, { gpu: 1, milli: 1000 }] },
      { node: 1, gpus: [{ gpu: 0, milli: 1000 }] },
    ];
    expect(splitDemand({ cpu: 1000, memory: 300, gpus: 3, milli: 1000 }, parts)).toEqual([
      { cpu: 667, memory: 200 },
      { cpu: 333, memory: 100 },
    ]);
  });

  it('spanning consolidates on the nodes with the most free GPUs', () => {
    // free GPUs: a 1, b 4, c 3 → a 5-GPU gang takes b (4) then c (1), not a.
    const c = new Cluster([node('a', 1), node('b', 4), node('c', 3)]);
    const p = placeSpanning(c, job('g').gpus(5).build())!;
    expect([p.node, p.gpus.length, p.parts!.map((x) => [x.node, x.gpus.length])]).toEqual([1, 4, [[2, 1]]]);
  });

  it('never starts a gang partially: every start grants all GPUs at one instant (random workloads)', () => {
    const arb = fc.array(fc.record({ gap: fc.integer({ min: 0, max: 3 }), gpus: fc.constantFrom(1, 2, 4, 6, 8), dur: fc.integer({ min: 1, max: 9 }) }), {
      minLength: 1,
      maxLength: 15,
    });
    fc.assert(
      fc.property(arb, fc.boolean(), (rows, span) => {
        let t = 0;
        const js = rows.map((r, i) => ((t += r.gap), job(`j${i}`).gpus(r.gpus).at(t * s).runs(r.dur * s).build()));
        const { recs } = run(js, span);
        const want = new Map(js.map((j) => [j.id, j.gpus]));
        const held = new Map<string, number>();
        let inUse = 0;
        for (const r of recs) {
          if (r.ev === 'start') {
            const n = r.gpus.length + (r.parts ?? []).reduce((a: number, p: { gpus: number[] }) => a + p.gpus.length, 0);
            expect(n).toBe(want.get(r.job));
            if (!span) expect(r.parts).toBeUndefined();
            held.set(r.job, n);
            inUse += n;
            expect(inUse).toBeLessThanOrEqual(8);
          }
          if (r.ev === 'finish' && held.has(r.job)) inUse -= held.get(r.job)!;
        }
      }),
      { numRuns: 100 },
    );
  });
});
