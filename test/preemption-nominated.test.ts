import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import '../policies/index.ts';
import type { NodeSpec } from '../src/cluster/types.ts';
import type { JobSpec } from '../src/jobs/job.ts';
import type { LogRecord } from '../src/log/records.ts';
import type { QueuePolicy } from '../src/scheduler/policy.ts';
import { placementPolicyFactory, queuePolicyFactory } from '../src/scheduler/registry.ts';
import { simulate } from '../src/sim/simulate.ts';
import { job, node } from './helpers/builders.ts';
import { PREEMPTING_QUEUES } from './helpers/overload-arbs.ts';

/**
 * A preemption plan (`planPreemption`) names, with each victim, where the job it is preempted for
 * goes (`Victim.nominated`); the core starts that job there while it still fits, before asking
 * the placement policy (kube-scheduler's preferred nominated node). With several jobs preempted
 * for at one instant, the placement policy could otherwise put the first where the plan put a
 * later one, whose victims were then preempted for nothing.
 */

const s = 1000;

function run(queue: QueuePolicy, placement: string, nodes: NodeSpec[], jobs: JobSpec[]): LogRecord[] {
  const log: LogRecord[] = [];
  simulate({ run: 'nom', seed: 1, nodes, jobs, queue, placement: placementPolicyFactory(placement)({}), log: { append: (r) => log.push(r) }, headOfLine: 'skip' });
  return log;
}

const startsOf = (log: LogRecord[], id: string) => log.filter((r) => r.ev === 'start' && r.job === id).map((r) => `${r.t}@${(r as { node: string }).node}`);

describe('jobs preempted for start where the plan put them', () => {
  it('worst-fit puts the first of two preemptors where the plan put it, not on the node freed for the second', () => {
    // n0: 2 GPUs, n1: 1 GPU, full with low-priority jobs L0 (n0, t=0), L1 (n0, 1 s), L2 (n1, 2 s).
    // At 10 s H1 (1 GPU) and H2 (2 GPUs) arrive at priority 1. The plan takes the most recently
    // started first: L2 makes room for H1 on n1, then L1 and L0 for H2 on n0. worst-fit alone
    // would put H1 on n0 (2 GPUs free against 1), where H2 no longer fits.
    const jobs = [
      job('L0').runs(1000 * s).build(),
      job('L1').at(1 * s).runs(1000 * s).build(),
      job('L2').at(2 * s).runs(1000 * s).build(),
      job('H1').at(10 * s).runs(100 * s).priority(1).build(),
      job('H2').at(10 * s).gpus(2).runs(100 * s).priority(1).build(),
    ];
    const log = run(queuePolicyFactory('priority')({ preempt: true }), 'worst-fit', [node('n0', 2), node('n1', 1)], jobs);
    expect(log.filter((r) => r.ev === 'preempt').map((r) => `${r.job}@${r.t}`)).toEqual(['L2@10000', 'L1@10000', 'L0@10000']);
    expect(startsOf(log, 'H1')).toEqual(['10000@n1']);
    expect(startsOf(log, 'H2')).toEqual(['10000@n0']);
  });

  it('falls back to the placement policy when the nominated placement no longer fits', () => {
    // n0: 2 GPUs, L0 on GPU 0 and L1 on GPU 1. A queue policy names L1 for H but nominates GPU 0,
    // which L0 (no victim) still holds: H starts all the same, where first-fit puts it (GPU 1).
    const naming: QueuePolicy = {
      ...queuePolicyFactory('priority')({}),
      name: 'nominates-a-busy-gpu',
      victims: (view) => {
        const w = view.queue.find((j) => j.id === 'H');
        const r = view.running.find((j) => j.id === 'L1');
        return w && r ? [{ job: r, reason: 'test', for: w.id, nominated: { node: 0, gpus: [{ gpu: 0, milli: 1000 }] } }] : [];
      },
    };
    const jobs = [job('L0').runs(1000 * s).build(), job('L1').at(1 * s).runs(1000 * s).build(), job('H').at(10 * s).runs(10 * s).priority(1).build()];
    const log = run(naming, 'first-fit', [node('n0', 2)], jobs);
    expect(log.filter((r) => r.ev === 'preempt').map((r) => `${r.job}@${r.t}`)).toEqual(['L1@10000']);
    expect(log.filter((r) => r.ev === 'start' && r.job === 'H').map((r) => `${r.t}:${JSON.stringify((r as { gpus: unknown }).gpus)}`)).toEqual(['10000:[1]']);
  });

  it('rejects a nominated placement that is no placement, naming the policy', () => {
    const base = queuePolicyFactory('priority')({});
    const broken: QueuePolicy = {
      ...base,
      name: 'nominates-junk',
      victims: (view) => {
        const w = view.queue[0];
        const r = view.running[0];
        return w && r ? [{ job: r, reason: 'test', for: w.id, nominated: { node: 'n0' } as never }] : [];
      },
    };
    const jobs = [job('L0').runs(1000 * s).build(), job('H').at(10 * s).runs(10 * s).priority(1).build()];
    expect(() => run(broken, 'first-fit', [node('n0', 1)], jobs)).toThrow(/nominates-junk.*nominated.*for job H, which is not a placement.*victims/s);
  });

  // Small clusters of uneven nodes (1–8 GPUs), jobs of 1–4 GPUs (whole or half) at priorities
  // 0–2 arriving in bursts (most at the instant of the one before): several jobs wait at once, so
  // one preemption round often makes room for several, on different nodes.
  const nodesArb = fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 2, maxLength: 4 }).map((gs) => gs.map((g, i) => node(`n${i}`, g)));
  const jobsArb = fc
    .array(
      fc.record({ gap: fc.constantFrom(0, 0, 0, 1000, 7000), dur: fc.integer({ min: 5, max: 120 }), gpus: fc.integer({ min: 1, max: 4 }), half: fc.boolean(), priority: fc.integer({ min: 0, max: 2 }) }),
      { minLength: 10, maxLength: 80 },
    )
    .map((rs) => {
      let t = 0;
      return rs.map((r, i) => job(`j${i}`).at((t += r.gap)).runs(r.dur * s).gpus(r.gpus).milli(r.gpus === 1 && r.half ? 500 : 1000).priority(r.priority).build());
    });
  const runArb = fc.record({ nodes: nodesArb, jobs: jobsArb });
  it.each(PREEMPTING_QUEUES)('%s: every job a plan preempted for starts at that instant, whatever the placement policy', (queue, params) => {
    fc.assert(
      fc.property(runArb, fc.constantFrom('first-fit', 'best-fit', 'worst-fit', 'dot-product'), (r, placement) => {
        const log = run(queuePolicyFactory(queue)(params), placement, r.nodes, r.jobs);
        const started = new Set<string>();
        for (const rec of log) if (rec.ev === 'start') started.add(`${rec.job}@${rec.t}`);
        for (const rec of log) {
          if (rec.ev !== 'preempt') continue;
          // srtf:<id>, las:q…>q…:<id>, priority:<id>: the job it was preempted for.
          const w = rec.reason.slice(rec.reason.lastIndexOf(':') + 1);
          expect(started.has(`${w}@${rec.t}`), `${rec.job} preempted at ${rec.t} for ${w}, which did not start then`).toBe(true);
        }
        expect(log.filter((x) => x.ev === 'finish' || x.ev === 'reject').length).toBe(r.jobs.length);
      }),
      { numRuns: Number(process.env.RUNS ?? 100), seed: 61 },
    );
  });
});
