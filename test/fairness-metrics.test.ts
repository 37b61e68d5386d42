import { describe, expect, it } from 'vitest';
import '../policies/index.ts';
import { isolatedTime, jain } from '../src/metrics/fairness.ts';
import type { JobSpec } from '../src/jobs/job.ts';
import { timelineCsv } from '../src/output/csv.ts';
import { RunWriter } from '../src/output/run-writer.ts';
import { placementPolicyFactory, queuePolicyFactory } from '../src/scheduler/registry.ts';
import { simulate } from '../src/sim/simulate.ts';
import { job, node } from './helpers/builders.ts';

const s = 1000;

describe('Jain and Themis', () => {
  it.each([
    // (Σx)² / (n Σx²)
    [[1, 1, 1], 1], // 9 / (3 × 3)
    [[1, 0, 0], 1 / 3], // 1 / (3 × 1)
    [[2, 1], 9 / 10], // 9 / (2 × 5)
    [[], 1],
  ])('jain(%j) = %f', (xs, want) => {
    expect(jain(xs)).toBeCloseTo(want, 12);
  });
  it('isolated time scales the duration when the demand exceeds a 1/N share', () => {
    // 32 GPUs, 4 tenants → 8 GPUs each. A 16-GPU job of 100 s: 100 × 16/8 = 200 s; a 4-GPU one: 100 s.
    expect(isolatedTime(100, 16000, 32000, 4)).toBe(200);
    expect(isolatedTime(100, 4000, 32000, 4)).toBe(100);
  });
});

function run(jobs: JobSpec[], queue: string, gpus = 4) {
  const log = new RunWriter(undefined);
  simulate({
    run: 'f',
    seed: 1,
    nodes: [node('n0', gpus)],
    jobs,
    queue: queuePolicyFactory(queue)({}),
    placement: placementPolicyFactory('first-fit')({}),
    log,
  });
  log.close();
  return log.deriver;
}

describe('per-tenant shares', () => {
  it('hand case: GPU time, entitlement and timeline columns', () => {
    // 2 GPUs. A: 2 jobs × 1 GPU × 10 s at t=0. B: 1 job × 1 GPU × 10 s at t=0.
    // fifo: A1 and A2 run 0..10, B runs 10..20.
    // received: A 20 GPU·s, B 10 GPU·s (in GPU·ms: ×1000).
    // entitled: 0..10 both active, 2 GPUs allocated → 1 GPU each: A 10, B 10;
    //           10..20 only B active (A finished) with 1 GPU allocated → B 10. A 10, B 20.
    const d = run([job('A1').tenant('A').runs(10 * s).build(), job('A2').tenant('A').runs(10 * s).build(), job('B1').tenant('B').runs(10 * s).build()], 'fifo', 2);
    const f = d.fairness();
    const by = Object.fromEntries(f.tenants.map((t) => [t.tenant, t]));
    expect([by.A.gpuMs, by.A.entitledGpuMs, by.B.gpuMs, by.B.entitledGpuMs]).toEqual([20_000, 10_000, 10_000, 20_000]);
    // ratios 2 and 0.5: Jain = (2.5)² / (2 × 4.25) = 6.25 / 8.5 = 0.7353
    expect(f.jain).toBeCloseTo(0.7353, 4);
    expect(by.B.waitMeanMs).toBe(10 * s);
    const csv = timelineCsv(d.timeline, d.gpuCapacity).split('\n');
    expect(csv[0]).toBe('t_ms,gpu_alloc_milli,gpu_alloc_pct,queued,running,gpu_up_milli,share_pct_A,share_pct_B');
    expect(csv[1]).toBe('0,2000,100,1,2,2000,100,0');
    expect(csv[2]).toBe('10000,1000,50,0,1,2000,0,50');
  });

  it.each(['weighted-fair', 'drf'])('%s: backlogged equal-weight tenants converge to equal shares', (q) => {
    // 4 GPUs; tenant A submits 40 jobs, B and C 10 each, all 1 GPU × 10 s at t=0 (all backlogged
    // until B and C run out at 10 × 10 s × 3 tenants / 4 GPUs = 75 s). fifo gives A the first
    // 100 s entirely; the fair policies give each tenant 4/3 GPU from the start.
    const jobs: JobSpec[] = [];
    for (let i = 0; i < 40; i++) jobs.push(job(`a${String(i).padStart(2, '0')}`).tenant('A').runs(10 * s).build());
    for (let i = 0; i < 10; i++) jobs.push(job(`b${i}`).tenant('B').runs(10 * s).build(), job(`c${i}`).tenant('C').runs(10 * s).build());
    // Over the first 60 s (6 rounds of 4 jobs = 24 jobs): each tenant has 8 done.
    const d = run(jobs, q);
    const done = (t: string) => [...d.jobs.values()].filter((j) => j.tenant === t && j.end <= 60 * s).length;
    expect([done('A'), done('B'), done('C')]).toEqual([8, 8, 8]);
    const fifo = run(jobs, 'fifo');
    const doneF = (t: string) => [...fifo.jobs.values()].filter((j) => j.tenant === t && j.end <= 60 * s).length;
    expect([doneF('A'), doneF('B'), doneF('C')]).toEqual([24, 0, 0]);
  });
});
