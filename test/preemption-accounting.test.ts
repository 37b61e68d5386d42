import { describe, expect, it } from 'vitest';
import '../policies/index.ts';
import type { JobSpec } from '../src/jobs/job.ts';
import { RunWriter } from '../src/output/run-writer.ts';
import type { CoreOptions } from '../src/scheduler/core.ts';
import { interruption } from '../src/scheduler/interruption.ts';
import { placementPolicyFactory, queuePolicyFactory } from '../src/scheduler/registry.ts';
import { simulate } from '../src/sim/simulate.ts';
import { job, node } from './helpers/builders.ts';

const s = 1000;

function run(jobs: JobSpec[], queue: string, params: Record<string, unknown>, scheduler: CoreOptions['preemption']) {
  const log = new RunWriter(undefined, { keepLines: true });
  const res = simulate({
    run: 'p',
    seed: 1,
    nodes: [node('n0', 2)],
    jobs,
    queue: queuePolicyFactory(queue)(params),
    placement: placementPolicyFactory('first-fit')({}),
    log,
    scheduler: { preemption: scheduler },
  });
  log.close();
  return { res, recs: log.lines!.map((l) => JSON.parse(l)), log };
}

describe('interruption cost', () => {
  it.each([
    // [ran, setup, remaining, restore, interval] → [lost, remaining after]
    // no checkpoint interval: all 30 s of progress kept; 100 − 30 = 70 left, + 5 restore = 75
    [30, 0, 100, 5, 0, 0, 75],
    // interval 20 s: 30 s of progress keeps floor(30/20)·20 = 20; lost 10; 100 − 20 + 5 = 85
    [30, 0, 100, 5, 20, 10, 85],
    // restore 5 s in this attempt: ran 30 = 5 setup + 25 progress; interval 10 keeps 20;
    // lost = 30 − 20 = 10; work left = (105 − 5) − 20 = 80; + 5 restore = 85
    [30, 5, 105, 5, 10, 10, 85],
    // preempted during the restore itself: ran 3 < setup 5 → no progress, all 3 lost; 100 + 5 = 105
    [3, 5, 105, 5, 0, 3, 105],
  ])('preemption: ran %i s (setup %i, remaining %i, restore %i, interval %i) → lost %i, remaining %i', (ran, setup, rem, restore, interval, lost, after) => {
    const r = interruption({ setup: setup * s, remaining: rem * s }, ran * s, { restoreMs: restore * s, checkpointIntervalMs: interval * s }, true);
    expect(r).toEqual({ lost: lost * s, remaining: after * s, setup: restore * s });
  });

  it.each([
    // node loss, no interval: nothing is checkpointed at the instant; all 30 s lost; 100 + 5 = 105
    [30, 0, 100, 5, 0, 30, 105],
    // node loss, interval 20 s: keeps 20 of 30 s, lost 10; 100 − 20 + 5 = 85 (as a preemption)
    [30, 0, 100, 5, 20, 10, 85],
    // node loss 12 s into an attempt with 5 s setup: 7 s progress, interval 10 keeps 0; lost 12;
    // work left (105 − 5) − 0 = 100; + 5 restore = 105
    [12, 5, 105, 5, 10, 12, 105],
  ])('node loss: ran %i s (setup %i, remaining %i, restore %i, interval %i) → lost %i, remaining %i', (ran, setup, rem, restore, interval, lost, after) => {
    const r = interruption({ setup: setup * s, remaining: rem * s }, ran * s, { restoreMs: restore * s, checkpointIntervalMs: interval * s }, false);
    expect(r).toEqual({ lost: lost * s, remaining: after * s, setup: restore * s });
  });
});

describe('preemption through the core', () => {
  // 2 GPUs. low: 2 GPUs, 100 s, priority 0 at t=0. high: 2 GPUs, 10 s, priority 5 at t=30.
  // Restore 5 s, checkpoint every 20 s.
  // t=30: high preempts low (ran 30 s, keeps 20 s, loses 10 s), high runs 30..40.
  // t=40: low restarts with 100 − 20 + 5 = 85 s → ends at 125.
  const jobs = [job('low').gpus(2).runs(100 * s).build(), job('high').gpus(2).at(30 * s).runs(10 * s).priority(5).build()];
  const { res, recs, log } = run(jobs, 'priority', { preempt: true }, { restoreMs: 5 * s, checkpointIntervalMs: 20 * s });

  it('logs preempt and requeue records and accounts the work exactly', () => {
    const low = res.core.jobs.get('low')!;
    const high = res.core.jobs.get('high')!;
    expect([high.start / s, high.end / s]).toEqual([30, 40]);
    expect([low.start / s, low.end / s, low.attempt, low.preemptions]).toEqual([40, 125, 2, 1]);
    expect(low.lostWork).toBe(10 * s);
    // Σ run time over attempts = 30 + 85 = 115 = duration 100 + lost (10 + 5 restore) = 115
    expect(low.executed).toBe(115 * s);
    expect(low.executed).toBe(low.duration + low.lostWork + low.setup);
    const p = recs.find((r) => r.ev === 'preempt');
    expect(p).toMatchObject({ t: 30 * s, job: 'low', lost: 10 * s, left: 85 * s });
    expect(p.reason).toMatch(/^priority:high/);
    expect(recs.some((r) => r.ev === 'requeue' && r.job === 'low' && r.t === 30 * s)).toBe(true);
  });

  it('derived outputs count the preemption and the lost GPU time', () => {
    const f = log.deriver.fairness();
    // 10 s lost × 2 GPUs = 20 GPU·s = 20,000 GPU·ms (the 5 s restore is paid in the next attempt and counted when it is lost)
    expect([f.preemptions, f.lostGpuMs]).toEqual([1, 20_000]);
    expect(log.deriver.jobs.get('low')!.preemptions).toBe(1);
    expect(log.deriver.metrics().completed).toBe(2);
  });

  it('without preempt: true the high-priority job waits', () => {
    const r = run(jobs, 'priority', {}, undefined);
    expect(r.res.core.jobs.get('high')!.start).toBe(100 * s);
    expect(r.recs.some((x) => x.ev === 'preempt')).toBe(false);
  });
});
