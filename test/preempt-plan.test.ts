import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Cluster } from '../src/cluster/cluster.ts';
import type { NodeSpec } from '../src/cluster/types.ts';
import { newJob, type Job, type JobView } from '../src/jobs/job.ts';
import { anyPlacement } from '../src/scheduler/gang.ts';
import { JobShape } from '../src/scheduler/job-shape.ts';
import type { SchedulerView, Victim } from '../src/scheduler/policy.ts';
import { byLeastLoss, planChecks, planPreemption, releaseUntilFits } from '../src/scheduler/preempt-kit.ts';

/**
 * `planPreemption` tries each plan on its scratch cluster itself and undoes a plan that fails
 * (allocating the released jobs again where they were), where it used to try each on a fresh copy.
 * The victims must be the same: checked against that copy-per-plan version, kept here as the
 * reference, over random clusters, running jobs, waiting jobs and rankings. The same goes for the
 * later changes: shapes that found no candidates remembered, and a ranking read as a prefix.
 */

/** The copy-per-plan version (as it was), for reference. */
function planByCopies(view: SchedulerView, waiting: Iterable<JobView>, outranks: (w: JobView, r: JobView) => boolean, victimOrder: (a: JobView, b: JobView) => number, reason: (w: JobView, r: JobView) => string, maxWaiting = 64): Victim[] {
  const running = view.running;
  if (running.length === 0) return [];
  const sim = Cluster.fromView(view.cluster, running);
  const span = view.spanNodes === true;
  const taken = new Set<string>();
  const out: Victim[] = [];
  let ranked: JobView[] | undefined;
  let failed: { shape: JobShape; cands: Set<string> }[] = [];
  let k = 0;
  for (const w of waiting) {
    if (k++ >= maxWaiting) break;
    const known = failed.find((f) => f.shape.holds(w));
    const direct = known ? undefined : anyPlacement(sim, w, span);
    if (direct) {
      sim.allocate(`w:${w.id}`, w, direct);
      failed = [];
      continue;
    }
    const cands = (ranked ??= [...running].sort(victimOrder)).filter((r) => !taken.has(r.id) && outranks(w, r));
    if (cands.length === 0 || (known && cands.every((r) => known.cands.has(r.id)))) continue;
    const plan = releaseUntilFits(sim.clone(), w, cands, span);
    if (!plan) {
      const entry = { shape: new JobShape(w), cands: new Set(cands.map((r) => r.id)) };
      if (known) failed[failed.indexOf(known)] = entry;
      else failed.push(entry);
      continue;
    }
    failed = [];
    for (const r of plan.chosen) {
      taken.add(r.id);
      sim.release(r.id);
    }
    // Where the plan puts w once its victims are gone: each victim nominates it.
    const at = anyPlacement(sim, w, span)!;
    for (const r of plan.chosen) out.push({ job: r, reason: reason(w, r), for: w.id, nominated: at });
    sim.allocate(`w:${w.id}`, w, at);
  }
  return out;
}

const demandArb = fc.record({
  gpus: fc.integer({ min: 0, max: 4 }),
  milli: fc.constantFrom(250, 500, 1000),
  cpu: fc.constantFrom(1000, 8000, 24000),
  priority: fc.integer({ min: 0, max: 3 }),
});

describe('preemption plans tried in place', () => {
  it('name the same victims, for the same jobs placed alike, as plans tried on a copy each (the ranking read whole, or as far as the first job not outranked)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ gpus: fc.integer({ min: 1, max: 8 }), cpu: fc.constantFrom(16000, 32000, 64000) }), { minLength: 1, maxLength: 5 }),
        fc.array(demandArb, { minLength: 1, maxLength: 40 }),
        fc.array(demandArb, { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 64 }),
        fc.constantFrom('priority', 'priority, small ones', 'priority, read as a prefix'),
        (ns, runs, waits, maxWaiting, rule) => {
          const nodes: NodeSpec[] = ns.map((n, i) => ({ id: `n${i}`, cpu: n.cpu, memory: 262144, gpus: Array.from({ length: n.gpus }, () => ({ model: 'A', capacity: 1000 })) }));
          const cluster = new Cluster(nodes);
          const job = (id: string, d: (typeof runs)[number], k: number): Job => newJob({ id, tenant: 't', submit: k, duration: 1000, priority: d.priority, cpu: d.cpu, memory: 1024, gpus: d.gpus, milli: d.gpus > 1 ? 1000 : d.milli });
          // Running jobs: whatever fits, first fit, started in turn.
          const running: Job[] = [];
          runs.forEach((d, k) => {
            const j = job(`r${k}`, d, k);
            const p = anyPlacement(cluster, j, false);
            if (!p) return;
            cluster.allocate(j.id, j, p);
            Object.assign(j, { state: 'running', placement: p, start: k, attempt: 1 });
            running.push(j);
          });
          const waiting = waits.map((d, k) => Object.assign(job(`w${k}`, d, 100 + k), { state: 'queued' as const }));
          const view = { now: 1000, cluster, queue: waiting, running, tenants: [] } as unknown as SchedulerView;
          // By priority: byLeastLoss ranks every job a waiting one outranks (a lower class) before the
          // rest, so the planner may read the ranking as a prefix (`victimsFirst`). 'small ones'
          // (a lower class on no more GPUs) is no prefix of it: the planner reads every running job.
          const outranks = rule === 'priority, small ones' ? (w: JobView, r: JobView) => w.priority > r.priority && r.gpus <= w.gpus : (w: JobView, r: JobView) => w.priority > r.priority;
          const options = rule === 'priority, read as a prefix' ? { maxWaiting, victimsFirst: true } : maxWaiting;
          const reason = (w: JobView, r: JobView) => `${w.id}>${r.id}`;
          const ids = (vs: Victim[]) => vs.map((v) => `${v.job.id}:${v.reason}:${v.for}:${JSON.stringify(v.nominated)}`);
          const before = cluster.gpuAllocated;
          expect(ids(planPreemption(view, waiting, outranks, byLeastLoss, reason, options))).toEqual(ids(planByCopies(view, waiting, outranks, byLeastLoss, reason, maxWaiting)));
          // The live cluster is never touched.
          expect(cluster.gpuAllocated).toBe(before);
        },
      ),
      { numRuns: 600, seed: 7 },
    );
  });

  it('checks a victimsFirst promise when asked: a ranking with an outranked job after one that is not fails', () => {
    const cluster = new Cluster([{ id: 'n0', cpu: 64000, memory: 262144, gpus: [{ model: 'A', capacity: 1000 }, { model: 'A', capacity: 1000 }] }]);
    const run = (id: string, priority: number, gpu: number, start: number): Job => {
      const j = newJob({ id, tenant: 't', submit: 0, duration: 1000, priority, cpu: 1000, memory: 1024, gpus: 1, milli: 1000 });
      const p = { node: 0, gpus: [{ gpu, milli: 1000 }] };
      cluster.allocate(j.id, j, p);
      return Object.assign(j, { state: 'running' as const, placement: p, start, attempt: 1 });
    };
    // r1 (class 2) ranked before r0 (class 0) by start time alone: w (class 1) outranks r0, not r1.
    const running = [run('r0', 0, 0, 1), run('r1', 2, 1, 5)];
    const w = Object.assign(newJob({ id: 'w', tenant: 't', submit: 9, duration: 1000, priority: 1, cpu: 1000, memory: 1024, gpus: 1, milli: 1000 }), { state: 'queued' as const });
    const view = { now: 10, cluster, queue: [w], running, tenants: [] } as unknown as SchedulerView;
    const outranks = (a: JobView, r: JobView) => a.priority > r.priority;
    const latestFirst = (a: JobView, b: JobView) => b.start - a.start;
    // Read whole, r0 is found (read as a prefix, what the planner finds is not to be relied on).
    expect(planPreemption(view, [w], outranks, latestFirst, () => 'x').map((v) => v.job.id)).toEqual(['r0']);
    planChecks.victimsFirst = true;
    try {
      expect(() => planPreemption(view, [w], outranks, latestFirst, () => 'x', { victimsFirst: true })).toThrow(/victimsFirst promised, but w outranks r0, ranked after r1/);
    } finally {
      planChecks.victimsFirst = false;
    }
  });
});
