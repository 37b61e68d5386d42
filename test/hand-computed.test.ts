import { describe, expect, it } from 'vitest';
import '../policies/index.ts';
import type { JobSpec } from '../src/jobs/job.ts';
import { RunWriter } from '../src/output/run-writer.ts';
import { placementPolicyFactory, queuePolicyFactory } from '../src/scheduler/registry.ts';
import { simulate } from '../src/sim/simulate.ts';
import { job, node } from './helpers/builders.ts';

// One node with 2 whole GPUs; five jobs (times in seconds, converted to ms):
//   A: submit 0, runs 10, 1 GPU      B: submit 0, runs 5, 1 GPU
//   C: submit 1, runs 2,  2 GPUs     D: submit 2, runs 3, 1 GPU
//   E: submit 3, runs 1,  half a GPU (500 milli)
const s = 1000;
const jobs: JobSpec[] = [
  job('A').at(0).runs(10 * s).build(),
  job('B').at(0).runs(5 * s).build(),
  job('C').at(1 * s).runs(2 * s).gpus(2).build(),
  job('D').at(2 * s).runs(3 * s).build(),
  job('E').at(3 * s).runs(1 * s).milli(500).build(),
];

function run(headOfLine: 'skip' | 'block') {
  const log = new RunWriter(undefined, { keepLines: true });
  const res = simulate({
    run: 'hand',
    seed: 1,
    nodes: [node('n0', 2)],
    jobs,
    queue: queuePolicyFactory('fifo')({}),
    placement: placementPolicyFactory('first-fit')({}),
    log,
    headOfLine,
  });
  log.close();
  const times = Object.fromEntries(
    [...res.core.jobs.values()].map((j) => [j.id, [j.start / s, j.end / s, j.placement!.gpus.map((g) => g.gpu)]]),
  );
  return { times, res, log };
}

describe('fifo + first-fit on 1 node × 2 GPUs, five jobs', () => {
  it('skip (work-conserving): later jobs pass a blocked multi-GPU job', () => {
    const { times, res } = run('skip');
    // t=0: A → GPU0 (ends 0+10=10), B → GPU1 (ends 0+5=5).
    // t=1,2,3: C (2 GPUs), D, E arrive; no GPU is free, all queue.
    // t=5: B ends, GPU1 free. C needs 2 free GPUs: unfit. D fits → GPU1, ends 5+3=8.
    //      E (500 milli) finds GPU0 and GPU1 full: unfit.
    // t=8: D ends. C still unfit (GPU0 busy). E → GPU1 (first fit), ends 8+1=9.
    // t=10: A ends; both GPUs free: C → GPUs 0,1, ends 10+2=12.
    expect(times).toEqual({
      A: [0, 10, [0]],
      B: [0, 5, [1]],
      C: [10, 12, [0, 1]],
      D: [5, 8, [1]],
      E: [8, 9, [1]],
    });
    expect(res.end).toBe(12 * s);
    expect([...res.core.jobs.values()].every((j) => j.state === 'succeeded')).toBe(true);
  });

  it('block (strict FIFO): nothing passes the head job C', () => {
    const { times } = run('block');
    // t=5: B ends, but the head of the queue is C (needs 2 GPUs): the pass stops there.
    // t=10: A ends: C → GPUs 0,1, ends 12.
    // t=12: C ends: D → GPU0 (ends 12+3=15); E → GPU1 (GPU0 is full), ends 12+1=13.
    expect(times).toEqual({
      A: [0, 10, [0]],
      B: [0, 5, [1]],
      C: [10, 12, [0, 1]],
      D: [12, 15, [0]],
      E: [12, 13, [1]],
    });
  });

  it('logs every event and decision, in time order', () => {
    const { log } = run('skip');
    const recs = log.lines!.map((l) => JSON.parse(l));
    expect(recs[0].ev).toBe('run');
    expect(recs.at(-1).ev).toBe('end');
    const count = (ev: string) => recs.filter((r) => r.ev === ev).length;
    expect([count('arrival'), count('admit'), count('start'), count('finish')]).toEqual([5, 5, 5, 5]);
    for (let i = 1; i < recs.length; i++) expect(recs[i].t).toBeGreaterThanOrEqual(recs[i - 1].t);
    // metrics derived from the log (integer ms): JCT = end − submit: A 10, B 5, C 11, D 6, E 6 → mean 38/5 = 7.6 s
    const m = log.deriver.metrics();
    expect(m.jctMeanMs).toBe(7600);
    // waits: A 0, B 0, C 9, D 3, E 5 → mean 17/5 = 3.4 s
    expect(m.waitMeanMs).toBe(3400);
    expect(m.makespanMs).toBe(12_000);
    // every job succeeded and started: JCT and wait each cover all 5; none unfinished
    expect([m.completed, m.started, m.unfinished]).toEqual([5, 5, 0]);
    // GPU-time: A 10 + B 5 + C 2×2 + D 3 + E 0.5×1 = 22.5 GPU·s over 2 GPUs × 12 s = 93.75 %
    expect(m.meanGpuAllocPct).toBe(93.75);
  });

  it('rejects at admission a job that could never fit, with a reason', () => {
    const log = new RunWriter(undefined, { keepLines: true });
    const res = simulate({
      run: 'reject',
      seed: 1,
      nodes: [node('n0', 2)],
      jobs: [job('big').gpus(4).build(), job('t4').models('T4').build(), job('ok').build()],
      queue: queuePolicyFactory('fifo')({}),
      placement: placementPolicyFactory('first-fit')({}),
      log,
    });
    expect(res.core.jobs.get('big')!.state).toBe('rejected');
    expect(res.core.jobs.get('big')!.reason).toBe('never-fits');
    expect(res.core.jobs.get('t4')!.state).toBe('rejected');
    expect(res.core.jobs.get('ok')!.state).toBe('succeeded');
  });

  it('a bounded queue rejects arrivals beyond its limit with queue-full', () => {
    const log = new RunWriter(undefined, { keepLines: true });
    // 1 GPU; four 1-GPU jobs at t=0: the first starts, two queue (limit 2), the fourth is rejected.
    const res = simulate({
      run: 'bounded',
      seed: 1,
      nodes: [node('n0', 1)],
      jobs: ['a', 'b', 'c', 'd'].map((id) => job(id).build()),
      queue: queuePolicyFactory('fifo')({}),
      placement: placementPolicyFactory('first-fit')({}),
      log,
      maxQueue: 2,
    });
    // All four arrive at the same instant, before the pass: a, b queue; c and d see a full queue.
    expect([...res.core.jobs.values()].map((j) => [j.id, j.state, j.reason])).toEqual([
      ['a', 'succeeded', ''],
      ['b', 'succeeded', ''],
      ['c', 'rejected', 'queue-full'],
      ['d', 'rejected', 'queue-full'],
    ]);
  });
});
