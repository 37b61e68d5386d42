import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import '../policies/index.ts';
import type { JobSpec } from '../src/jobs/job.ts';
import { RunWriter } from '../src/output/run-writer.ts';
import { Quotas } from '../src/quota/quotas.ts';
import { placementPolicyFactory, queuePolicyFactory } from '../src/scheduler/registry.ts';
import { simulate } from '../src/sim/simulate.ts';
import { job, node } from './helpers/builders.ts';

const s = 1000;
// Cohort c: a nominal 2 GPUs (may borrow 1 more), b nominal 2 (no limit). Cohort d: x nominal 4.
const quotas = new Quotas([
  { tenant: 'a', cohort: 'c', nominal: 2000, borrowingLimit: 1000 },
  { tenant: 'b', cohort: 'c', nominal: 2000 },
  { tenant: 'x', cohort: 'd', nominal: 4000 },
]);

describe('Quotas.admit', () => {
  const use = (m: Record<string, number>) => (t: string) => m[t] ?? 0;
  it.each([
    // [tenant, demand, usage, outcome]
    ['a', 2000, {}, 'ok'], // 0 + 2000 ≤ nominal 2000
    ['a', 3000, {}, 'ok'], // borrows 1000 ≤ limit 1000; cohort 3000 ≤ 4000
    ['a', 4000, {}, 'over'], // 4000 > 2000 + 1000
    ['b', 2000, { a: 3000 }, 'over'], // cohort 3000 + 2000 = 5000 > 4000
    ['b', 1000, { a: 3000 }, 'ok'], // cohort 4000 ≤ 4000
    ['x', 4000, { a: 3000, b: 1000 }, 'ok'], // other cohort: independent
    ['nobody', 99000, {}, 'ok'], // no quota: not limited
  ] as const)('%s asking %i with usage %o → %s', (t, d, u, want) => {
    expect(quotas.admit(t, d, use(u)).kind).toBe(want);
  });
  it('flags borrowing', () => {
    expect(quotas.admit('a', 3000, () => 0)).toEqual({ kind: 'ok', borrowing: true });
  });
});

function run(jobs: JobSpec[], q = quotas) {
  const log = new RunWriter(undefined, { keepLines: true });
  const res = simulate({
    run: 'q',
    seed: 1,
    nodes: [node('n0', 4), node('n1', 4)],
    jobs,
    queue: queuePolicyFactory('fifo')({}),
    placement: placementPolicyFactory('first-fit')({}),
    log,
    scheduler: { quotas: q },
  });
  log.close();
  return { res, recs: log.lines!.map((l) => JSON.parse(l)) };
}

describe('quotas in the scheduler', () => {
  it('lends idle quota and reclaims it by preemption (Kueue reclaimWithinCohort)', () => {
    // t=0: a1, a2, a3 (1 GPU each, 100 s): a uses 2 nominal + 1 borrowed from b's idle quota.
    // t=10: b1, b2 (1 GPU each, 50 s): b is within nominal 2, cohort full (3 + 2 > 4) →
    //   a3 (borrowed, most recently started of a's) is preempted; b1 and b2 start at 10.
    const jobs = [
      job('a1').tenant('a').runs(100 * s).build(),
      job('a2').tenant('a').runs(100 * s).build(),
      job('a3').tenant('a').runs(100 * s).build(),
      job('b1').tenant('b').at(10 * s).runs(50 * s).build(),
      job('b2').tenant('b').at(10 * s).runs(50 * s).build(),
    ];
    const { res, recs } = run(jobs);
    const start = (id: string) => res.core.jobs.get(id)!.start / s;
    expect([start('b1'), start('b2')]).toEqual([10, 10]);
    const p = recs.filter((r) => r.ev === 'preempt');
    expect(p.map((r) => [r.t / s, r.job])).toEqual([[10, 'a3']]);
    expect(p[0].reason).toMatch(/^reclaim:b:/);
    // a3 ran 10 s (kept), restarts with 90 s left when b's jobs end at 60 → ends 150
    expect(res.core.jobs.get('a3')!.end / s).toBe(150);
  });

  it('never exceeds a quota except by borrowing within limits (random workloads)', () => {
    const arb = fc.array(
      fc.record({ gap: fc.integer({ min: 0, max: 4 }), tenant: fc.constantFrom('a', 'b', 'x', 'free'), gpus: fc.integer({ min: 1, max: 3 }), dur: fc.integer({ min: 1, max: 30 }) }),
      { minLength: 1, maxLength: 25 },
    );
    fc.assert(
      fc.property(arb, (rows) => {
        let t = 0;
        const js = rows.map((r, i) => ((t += r.gap), job(`j${i}`).tenant(r.tenant).gpus(r.gpus).at(t * s).runs(r.dur * s).build()));
        const { res, recs } = run(js);
        const held = new Map<string, { tenant: string; m: number }>();
        const use: Record<string, number> = {};
        for (const r of recs) {
          if (r.ev === 'start') {
            const j = res.core.jobs.get(r.job)!;
            held.set(r.job, { tenant: j.tenant, m: r.gpus.length * r.milli });
            use[j.tenant] = (use[j.tenant] ?? 0) + r.gpus.length * r.milli;
            // a: ≤ nominal 2000 + borrowing limit 1000; cohort c (a + b) ≤ 4000; x ≤ 4000.
            expect(use['a'] ?? 0).toBeLessThanOrEqual(3000);
            expect((use['a'] ?? 0) + (use['b'] ?? 0)).toBeLessThanOrEqual(4000);
            expect(use['x'] ?? 0).toBeLessThanOrEqual(4000);
          }
          if ((r.ev === 'finish' || r.ev === 'preempt') && held.has(r.job)) {
            const h = held.get(r.job)!;
            use[h.tenant] -= h.m;
            held.delete(r.job);
          }
        }
        // every job ends: quotas never deadlock the run
        expect([...res.core.jobs.values()].every((j) => j.state === 'succeeded')).toBe(true);
      }),
      { numRuns: 100 },
    );
  });
});
