import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import '../policies/index.ts';
import type { JobSpec } from '../src/jobs/job.ts';
import { RunWriter } from '../src/output/run-writer.ts';
import { placementPolicyFactory, queuePolicyFactory } from '../src/scheduler/registry.ts';
import { simulate } from '../src/sim/simulate.ts';
import { job, node } from './helpers/builders.ts';

const s = 1000;

function run(jobs: JobSpec[], opts: { headOfLine?: 'skip' | 'block'; backfill?: 'none' | 'easy'; queue?: string; gpus?: number }) {
  const log = new RunWriter(undefined);
  const res = simulate({
    run: 'bf',
    seed: 1,
    nodes: [node('n0', opts.gpus ?? 4)],
    jobs,
    queue: queuePolicyFactory(opts.queue ?? 'fifo')({}),
    placement: placementPolicyFactory('first-fit')({}),
    log,
    headOfLine: opts.headOfLine,
    scheduler: opts.backfill ? { backfill: opts.backfill } : {},
  });
  log.close();
  return Object.fromEntries([...res.core.jobs.values()].map((j) => [j.id, j.start / s]));
}

// One node, 4 GPUs (times in s):
//   J1: t=0, 3 GPUs, 10 s → runs 0..10
//   J2: t=1, 4 GPUs, 5 s  → head; needs J1's GPUs: reservation at 10
//   J3: t=2, 1 GPU, 20 s  → would end at 22 > 10 and hold a GPU J2 needs → must wait
//   J4: t=3, 1 GPU, 5 s   → ends at 8 ≤ 10 → backfilled at 3
const jobs = [
  job('J1').gpus(3).runs(10 * s).build(),
  job('J2').gpus(4).at(1 * s).runs(5 * s).build(),
  job('J3').at(2 * s).runs(20 * s).build(),
  job('J4').at(3 * s).runs(5 * s).build(),
];

describe('EASY backfill', () => {
  it('backfills a short job but never one that would delay the head job', () => {
    // J2 10..15, J3 after J2 at 15, J4 backfilled at 3.
    expect(run(jobs, { headOfLine: 'block', backfill: 'easy' })).toEqual({ J1: 0, J2: 10, J3: 15, J4: 3 });
  });
  it('compared with strict blocking (nothing jumps) and skipping (the head is delayed)', () => {
    expect(run(jobs, { headOfLine: 'block' })).toEqual({ J1: 0, J2: 10, J3: 15, J4: 15 });
    // skip: J3 takes the 4th GPU at 2, J4 gets one of J1's at 10, and J2 waits for J3 to end at 22.
    expect(run(jobs, { headOfLine: 'skip' })).toEqual({ J1: 0, J2: 22, J3: 2, J4: 10 });
  });
  it('lets a long job start when it leaves the head job enough GPUs', () => {
    // 6 GPUs: J1 3 GPUs 0..10; J2 needs 4 → reservation at 10 with 6 free there, 2 spare;
    // J3 (1 GPU, 20 s) fits in the spare → starts at 2 and J2 still starts at 10.
    expect(run(jobs, { backfill: 'easy', gpus: 6 })).toMatchObject({ J2: 10, J3: 2 });
  });

  it('never delays a head job past the reservation it got (random fifo workloads, exact estimates)', () => {
    // Replay each run: at every event instant, the head is the earliest-submitted job still
    // queued. When a job becomes head, its reservation is when the running jobs' ends (exact
    // here) free its GPUs: free = 4 − Σ running GPUs, adding ends in time order. It must start
    // by then, whatever was backfilled meanwhile.
    const arb = fc.array(fc.record({ gap: fc.integer({ min: 0, max: 5 }), gpus: fc.integer({ min: 1, max: 4 }), dur: fc.integer({ min: 1, max: 20 }) }), {
      minLength: 1,
      maxLength: 12,
    });
    fc.assert(
      fc.property(arb, (rows) => {
        let t = 0;
        const js = rows.map((r, i) => {
          t += r.gap;
          return { id: `j${i}`, submit: t, gpus: r.gpus, dur: r.dur };
        });
        const start = run(
          js.map((j) => job(j.id).gpus(j.gpus).at(j.submit * s).runs(j.dur * s).build()),
          { headOfLine: 'block', backfill: 'easy' },
        );
        const instants = [...new Set([...js.map((j) => j.submit), ...js.map((j) => start[j.id]), ...js.map((j) => start[j.id] + j.dur)])].sort((a, b) => a - b);
        let head: string | undefined;
        for (const now of instants) {
          const queued = js.filter((j) => j.submit <= now && start[j.id] > now);
          const h = queued[0];
          if (!h || h.id === head) continue;
          head = h.id;
          const running = js.filter((j) => start[j.id] <= now && start[j.id] + j.dur > now);
          let free = 4 - running.reduce((a, j) => a + j.gpus, 0);
          let shadow = now;
          for (const r of running.sort((a, b) => start[a.id] + a.dur - (start[b.id] + b.dur))) {
            if (free >= h.gpus) break;
            free += r.gpus;
            shadow = start[r.id] + r.dur;
          }
          expect(start[h.id]).toBeLessThanOrEqual(shadow);
        }
      }),
      { numRuns: 200 },
    );
  });
});
