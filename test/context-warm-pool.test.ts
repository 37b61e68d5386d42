import { describe, expect, it } from 'vitest';
import '../policies/index.ts';
import { warmPoolPolicyFactory } from '../src/context/warm-pool-registry.ts';
import { WarmState } from '../src/context/warm-state.ts';
import { newJob, type Job } from '../src/jobs/job.ts';
import { PolicyParamsError } from '../src/scheduler/registry.ts';
import { job } from './helpers/builders.ts';

// The warm state driven as the core drives it: arrived → startOverhead → stopped (times in ms).
// Contexts cost 10 s cold, 1 s warm; every job holds 1 whole GPU.
const s = 1000;
const mk = (id: string, context: string, tenant = 'a'): Job => ({ ...newJob({ ...job(id).build(), tenant, context }) });
const state = (policy: string, params: Record<string, unknown>) => new WarmState({ coldMs: 10 * s, warmMs: 1 * s }, warmPoolPolicyFactory(policy)(params));
/** Runs `j` on `node` from `start` to `end` (its overhead included). */
function runOn(w: WarmState, j: Job, node: number, start: number, end: number) {
  const o = w.startOverhead(j, { node, gpus: [{ gpu: 0, milli: 1000 }] }, start);
  w.stopped(j, end);
  return o;
}

describe('warm-pool policy fixed', () => {
  it('keeps N idle instances per context, evicting the longest idle', () => {
    const w = state('fixed', { perContext: 2 });
    // Jobs of m end at 20, 30, 40 s on nodes 0, 1, 2 (each ran from 0 — cold, 10 s overhead).
    runOn(w, mk('a', 'm'), 0, 0, 20 * s);
    runOn(w, mk('b', 'm'), 1, 0, 30 * s);
    runOn(w, mk('c', 'm'), 2, 0, 40 * s);
    // The third release leaves 3 idle > 2: node 0's (idle since 20) goes at 40 (20 GPU·s).
    expect(w.warmNodes('m', 40 * s)).toEqual([1, 2]);
    expect(w.idle(0, 'm', 40 * s)).toBe(0);
    // At 50 s: node 0 evicted 20, node 1 idle 30 → 50 = 20, node 2 idle 40 → 50 = 10: 50 GPU·s.
    expect(w.metrics(50 * s)).toEqual({ coldStarts: 3, warmStarts: 0, coldStartSec: 30, warmStartSec: 0, idleGpuSec: 50 });
    // Kept for good: still warm an hour later; a job of m on node 1 starts warm.
    expect(runOn(w, mk('d', 'm'), 1, 3600 * s, 3700 * s)).toEqual({ ms: 1 * s, record: { context: 'm', warm: true, overhead: 1 * s } });
  });

  it('perContext 0 keeps nothing: every start is cold', () => {
    const w = state('fixed', { perContext: 0 });
    runOn(w, mk('a', 'm'), 0, 0, 20 * s);
    expect(runOn(w, mk('b', 'm'), 0, 30 * s, 50 * s)?.record).toEqual({ context: 'm', warm: false, overhead: 10 * s });
    expect(w.metrics(60 * s).idleGpuSec).toBe(0);
  });
});

describe('warm-pool policy idle-timeout', () => {
  // idleSec 60: a job of m ends at 100 s on node 0: m is warm there until 160 s.
  it('keeps an instance until its timeout: reused before, expired after', () => {
    const w = state('idle-timeout', { idleSec: 60 });
    runOn(w, mk('a', 'm'), 0, 0, 100 * s);
    expect(w.idle(0, 'm', 159 * s)).toBe(1);
    expect(w.idle(0, 'm', 160 * s)).toBe(0);
    // Reused at 150: warm; the instance idled 100 → 150 = 50 GPU·s.
    expect(runOn(w, mk('b', 'm'), 0, 150 * s, 200 * s)?.record?.warm).toBe(true);
    expect(w.metrics(200 * s).idleGpuSec).toBe(50);
  });

  it('a start after the timeout is cold; the expired instance counts 60 GPU·s', () => {
    const w = state('idle-timeout', { idleSec: 60 });
    runOn(w, mk('a', 'm'), 0, 0, 100 * s);
    expect(w.startOverhead(mk('b', 'm'), { node: 0, gpus: [{ gpu: 0, milli: 1000 }] }, 170 * s)?.record?.warm).toBe(false);
    expect(w.metrics(170 * s).idleGpuSec).toBe(60);
  });
});

describe('warm-pool policy demand-proportional', () => {
  // window 600 s, horizon 120 s: keep ceil(arrivals in the last 600 s × 120 / 600).
  const releaseMany = (w: WarmState, n: number, context: string, at: number) => {
    for (let i = 0; i < n; i++) runOn(w, mk(`${context}${i}`, context), i, 0, at);
  };

  it('sizes each pool by its context’s recent arrivals', () => {
    const w = state('demand-proportional', { windowSec: 600, horizonSec: 120, maxPerContext: 8 });
    // 25 arrivals of hot in [100, 124] s, 2 of warm at 100 s, 1 of cold at 0 (outside the window at 700).
    for (let i = 0; i < 25; i++) w.arrived(mk(`h${i}`, 'hot'), (100 + i) * s);
    for (let i = 0; i < 2; i++) w.arrived(mk(`w${i}`, 'warm'), 100 * s);
    w.arrived(mk('c0', 'cold'), 0);
    releaseMany(w, 7, 'hot', 700 * s); // ceil(25 × 120 / 600) = 5 kept
    releaseMany(w, 3, 'warm', 700 * s); // ceil(2 × 0.2) = ceil(0.4) = 1
    releaseMany(w, 2, 'cold', 700 * s); // window [100, 700]: 0 arrivals → 0
    expect(w.warmNodes('hot', 700 * s)).toHaveLength(5);
    expect(w.warmNodes('warm', 700 * s)).toHaveLength(1);
    expect(w.warmNodes('cold', 700 * s)).toHaveLength(0);
  });

  it('by tenant: the releasing tenant’s rate sizes the pool', () => {
    const w = state('demand-proportional', { windowSec: 600, horizonSec: 120, by: 'tenant' });
    // Tenant a: 10 arrivals of m → ceil(10 × 0.2) = 2; tenant b: none → 0.
    for (let i = 0; i < 10; i++) w.arrived(mk(`a${i}`, 'm', 'a'), 100 * s);
    runOn(w, mk('x', 'm', 'a'), 0, 0, 200 * s);
    runOn(w, mk('y', 'm', 'a'), 1, 0, 200 * s);
    runOn(w, mk('z', 'm', 'a'), 2, 0, 200 * s);
    expect(w.warmNodes('m', 200 * s)).toEqual([1, 2]);
    runOn(w, mk('v', 'm', 'b'), 3, 0, 210 * s); // keep 0 bounds the whole pool of m: emptied
    expect(w.warmNodes('m', 210 * s)).toEqual([]);
  });
});

describe('warm state', () => {
  it('a node going down loses its idle instances', () => {
    const w = state('fixed', { perContext: 5 });
    runOn(w, mk('a', 'm'), 0, 0, 20 * s);
    runOn(w, mk('b', 'm'), 1, 0, 20 * s);
    w.nodeDown(0, 30 * s);
    expect(w.warmNodes('m', 30 * s)).toEqual([1]);
    // node 0: 20 → 30 = 10; node 1: 20 → 40 = 20.
    expect(w.metrics(40 * s).idleGpuSec).toBe(30);
  });

  it('jobs without a context pay nothing and leave nothing', () => {
    const w = state('fixed', { perContext: 5 });
    const j = newJob(job('x').build());
    expect(w.startOverhead(j, { node: 0, gpus: [{ gpu: 0, milli: 1000 }] }, 0)).toBeUndefined();
    w.stopped(j, 10);
    expect(w.metrics(10)).toEqual({ coldStarts: 0, warmStarts: 0, coldStartSec: 0, warmStartSec: 0, idleGpuSec: 0 });
  });

  it('per-context costs override the defaults', () => {
    const w = new WarmState({ coldMs: 10 * s, warmMs: 1 * s, perContext: new Map([['big', { coldMs: 90 * s, warmMs: 3 * s }]]) }, warmPoolPolicyFactory('fixed')({}));
    expect(runOn(w, mk('a', 'big'), 0, 0, 100 * s)?.ms).toBe(90 * s);
    expect(runOn(w, mk('b', 'big'), 0, 100 * s, 200 * s)?.ms).toBe(3 * s);
  });

  it('bad params name the policy and the field', () => {
    expect(() => warmPoolPolicyFactory('fixed')({ perContext: -1 })).toThrow(PolicyParamsError);
    expect(() => warmPoolPolicyFactory('idle-timeout')({ idle: 5 })).toThrow(/warm-pool policy 'idle-timeout'.*\n.*idle: unknown param/);
    expect(() => warmPoolPolicyFactory('lru')).toThrow(/unknown warm-pool policy 'lru' \(known: demand-proportional, fixed, idle-timeout\)/);
  });
});
