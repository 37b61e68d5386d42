import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import '../policies/index.ts';
import type { NodeSpec } from '../src/cluster/types.ts';
import { newJob, type Job, type JobSpec } from '../src/jobs/job.ts';
import type { LogRecord } from '../src/log/records.ts';
import { quotaAdmission } from '../src/quota/admission.ts';
import { Quotas, type TenantQuota } from '../src/quota/quotas.ts';
import { reclaimVictims } from '../src/quota/reclaim.ts';
import type { FailureSpec } from '../src/scheduler/failures.ts';
import { QueueIndex } from '../src/scheduler/queue-index.ts';
import type { PlacementPolicy, PreemptionPolicy, SchedulerView, TenantView } from '../src/scheduler/policy.ts';
import { queuePolicyFactory } from '../src/scheduler/registry.ts';
import { simulate } from '../src/sim/simulate.ts';
import { disturbances, overloadNodesArb, quotaJobsArb as jobsArb, quotasArb, firstFit, hesitant } from './helpers/overload-arbs.ts';

/**
 * Quotas under overload. Quota admission claims that a refusal holds for a tenant's jobs of one
 * shape for the rest of a pass (`AdmissionPolicy.claims.sameForTenantAndShape`): the core then
 * splits its queue by tenant and shape and walks it, dropping a held tenant's shape at once.
 * Quota reclaim reads the order as produced (`victimsLazily`), passing over in bulk the tenants
 * and shapes that cannot reclaim, and stops when nothing left can. Both must change nothing: the
 * same log, byte for byte, as the same policies without the claim, asked job by job, and reclaim
 * reading the order built whole.
 */

const hesitantFit = hesitant(5);

interface Run {
  nodes: NodeSpec[];
  jobs: JobSpec[];
  quotas: TenantQuota[];
  placement: PlacementPolicy;
  headOfLine: 'skip' | 'block';
  cancels: { at: number; job: string }[];
  failures: FailureSpec | undefined;
}

/** A run's log: with the quota policies as shipped, or (`plain`) without their claim and lazy reclaim. */
function logOf(queue: string, r: Run, plain: boolean): string[] {
  const log: LogRecord[] = [];
  const quotas = new Quotas(r.quotas);
  const { claims: _claims, ...gate } = quotaAdmission(quotas);
  // Reclaim over the order built whole, and blind to the queue's counts by shape: it reads every job.
  const reclaim: PreemptionPolicy = { name: 'quota-reclaim', victims: (view, order) => reclaimVictims({ ...view, queuedShapesOf: undefined }, quotas, order) };
  simulate({
    run: 'r',
    seed: 3,
    nodes: r.nodes,
    jobs: r.jobs,
    tenants: ['x', 'y', 'z', 'w'].map((name) => ({ name, weight: name === 'x' ? 2 : 1 })),
    queue: queuePolicyFactory(queue)({}),
    placement: r.placement,
    log: { append: (rec) => log.push(rec) },
    headOfLine: r.headOfLine,
    cancels: r.cancels,
    failures: r.failures,
    scheduler: plain ? { admission: [gate], preemptors: [reclaim], preemption: { restoreMs: 2000, checkpointIntervalMs: 10_000 } } : { quotas, preemption: { restoreMs: 2000, checkpointIntervalMs: 10_000 } },
  });
  // The end record's event count aside: where a placement asks a job to wait, a walk by shape
  // hands the pass back to the general one, which asks again and sets a second wake-up for the
  // same instant (one more event, nothing else).
  return log.map((rec) => JSON.stringify(rec.ev === 'end' ? { ...rec, events: 0 } : rec));
}

const runArb = fc
  .record({
    nodes: overloadNodesArb,
    jobs: jobsArb,
    quotas: quotasArb,
    placement: fc.constantFrom(firstFit, firstFit, hesitantFit),
    headOfLine: fc.constantFrom<'skip' | 'block'>('skip', 'skip', 'block'),
    cancel: fc.array(fc.nat(), { maxLength: 8 }),
    fail: fc.boolean(),
  })
  .map(({ cancel, fail, ...r }): Run => ({ ...r, ...disturbances(r.jobs, cancel, fail) }));

// The preempting orders (srtf, las, priority with `preempt`) are left out: their plans read the
// view's quotas (`SchedulerView.quotas`), which a run given the gate and reclaim as plain policies
// does not have. test/quota-preemption.test.ts covers them beside quotas.
describe('quotas walked by tenant and shape', () => {
  it('fifo, drf, weighted-fair, round-robin and sjf under overload: the same log as asking the gate job by job and reclaiming over the order built whole', () => {
    fc.assert(
      fc.property(runArb, fc.constantFrom('fifo', 'drf', 'weighted-fair', 'round-robin', 'sjf'), (r, queue) => {
        expect(logOf(queue, r, false)).toEqual(logOf(queue, r, true));
      }),
      { numRuns: Number(process.env.RUNS ?? 300), seed: 47 },
    );
  });
});

describe('a reader walking an order by tenant and shape (LazyOrder.walk: QueueIndex.walkByTenant, readByShape)', () => {
  // Tenants a, b, c with 1-, 2- or 3-GPU jobs in a queue split by tenant and shape, in rounds, fair order or queue order (QueueIndex.readByShape). The reader
  // answers from a script by job: 'pass' (drop the rest of that tenant's jobs of that shape),
  // 'reset' (every dropped one back in play), 'next', 'stop'. The walk must meet the jobs that
  // reading the order job by job meets, skipping those of dropped pairs.
  const queueArb = fc.array(fc.record({ tenant: fc.constantFrom('a', 'b', 'c'), gpus: fc.integer({ min: 1, max: 3 }), answer: fc.constantFrom('next', 'pass', 'pass', 'reset', 'stop') }), { minLength: 1, maxLength: 60 });
  it('meets the jobs reading the order would, passing dropped tenant-shape pairs until a reset', () => {
    fc.assert(
      fc.property(queueArb, fc.constantFrom('rounds', 'fair', 'queue'), (rows, kind) => {
        const fair = kind === 'fair';
        const q = new QueueIndex(true);
        const answer = new Map<string, 'next' | 'pass' | 'reset' | 'stop'>();
        rows.forEach((r, i) => {
          const j: Job = Object.assign(newJob({ id: `j${i}`, tenant: r.tenant, submit: i, duration: 1000, priority: 0, cpu: 1, memory: 1, gpus: r.gpus, milli: 1000 }), { state: 'queued' as const });
          q.push(j);
          answer.set(j.id, r.answer);
        });
        const names = ['c', 'a', 'b'];
        // Rounds over c, a, b; or fair by GPU share over weights a 1, b 2, c 1 (a starting with 2 GPUs in use).
        const tenant = (name: string, weight: number, gpuInUse: number): TenantView => ({ name, weight, gpuInUse, cpuInUse: 0, memoryInUse: 0, running: 0, queued: 0, attainedGpu: 0 });
        const view = { now: 0, tenants: [tenant('a', 1, 2000), tenant('b', 2, 0), tenant('c', 1, 0)] } as unknown as SchedulerView;
        const share = (t: TenantView, u: { gpu: number }) => u.gpu / t.weight;
        const order = () => (kind === 'queue' ? q.jobs : fair ? q.fairly(view, share) : q.inRounds(names));
        // Reference: the order read job by job, skipping dropped pairs.
        const want: string[] = [];
        const dropped = new Set<string>();
        for (const j of order()) {
          const pair = `${j.tenant}/${j.gpus}`;
          if (dropped.has(pair)) continue;
          want.push(j.id);
          const a = answer.get(j.id)!;
          if (a === 'stop') break;
          if (a === 'pass') dropped.add(pair);
          if (a === 'reset') dropped.clear();
        }
        const got: string[] = [];
        if (kind === 'queue') {
          q.readByShape((j) => {
            got.push(j.id);
            return answer.get(j.id)!;
          });
        } else {
          const walked = q.walkByTenant(fair ? q.fairly(view, share) : q.inRounds(names), fair ? share : undefined, (what) => new Error(what), (j) => {
            got.push(j.id);
            const a = answer.get(j.id)!;
            return a === 'pass' ? 'unfit' : a === 'next' ? 'wait' : a;
          });
          expect(walked).toBe(true);
        }
        expect(got).toEqual(want);
      }),
      { numRuns: 500, seed: 53 },
    );
  });
});
