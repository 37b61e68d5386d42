import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newJob, type Job } from '../src/jobs/job.ts';
import { QueueIndex } from '../src/scheduler/queue-index.ts';

/**
 * The queue index against a model: a list of queued jobs in queue order, (submit, ticket), where a
 * requeued job takes a new ticket (it goes after the jobs submitted at or before it). Random
 * pushes, starts, cancellations and requeues (a stopped job back with its submit time, the way
 * preemption and quota reclaim requeue under overload), split by tenant and shape as under quotas;
 * after each step the queue, each tenant's jobs, each tenant's shapes, a walk by tenant in rounds
 * (its per-tenant, per-shape entry arrays) and a walk by shape (its per-shape lists, which take
 * requeued entries in place) must read as the model does.
 */

const tenants = ['a', 'b', 'c'];
type Op = { kind: 'push'; tenant: number; gpus: number; gap: number } | { kind: 'start' | 'cancel' | 'requeue'; pick: number } | { kind: 'walk' };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('push' as const), tenant: fc.nat(2), gpus: fc.integer({ min: 1, max: 3 }), gap: fc.constantFrom(0, 1, 1, 5) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('start' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('requeue' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'walk' as const }) },
);

const shapeOf = (j: Job) => `${j.tenant}/${j.gpus}`;

describe('queue index against a model, split by tenant and shape, under requeues', () => {
  it('reads in (submit, ticket) order by queue, tenant, tenant and shape, rounds and shape walks', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 40, maxLength: 300 }), (ops) => {
        const q = new QueueIndex(true);
        q.tenantJobs('a'); // links the tenant lists from the first job on, as a fair order does
        /** Queued jobs with their place: (submit, order of entering). */
        let model: { job: Job; seq: number }[] = [];
        const stopped: Job[] = [];
        let seq = 0;
        let now = 0;
        let n = 0;
        const inOrder = () => [...model].sort((x, y) => x.job.submit - y.job.submit || x.seq - y.seq).map((m) => m.job.id);
        const leave = (j: Job) => (model = model.filter((m) => m.job !== j));
        for (const op of ops) {
          if (op.kind === 'push') {
            now += op.gap;
            const j = newJob({ id: `j${n++}`, tenant: tenants[op.tenant], submit: now, duration: 1000, priority: 0, cpu: 1000, memory: 1024, gpus: op.gpus, milli: 1000 });
            j.state = 'queued';
            q.push(j);
            model.push({ job: j, seq: seq++ });
          } else if (op.kind === 'start' || op.kind === 'cancel') {
            if (model.length === 0) continue;
            const j = model[op.pick % model.length].job;
            if (op.kind === 'start') q.started(j);
            else q.remove(j);
            leave(j);
            if (op.kind === 'start') stopped.push(j);
          } else if (op.kind === 'requeue') {
            if (stopped.length === 0) continue;
            const [j] = stopped.splice(op.pick % stopped.length, 1);
            q.requeue(j);
            model.push({ job: j, seq: seq++ });
          } else {
            // A walk by shape starting every job it meets: the lists merged in queue order.
            const met: string[] = [];
            const want = inOrder();
            q.walkByShape((j) => {
              met.push(j.id);
              q.started(j);
              leave(j);
              stopped.push(j);
              return true;
            });
            expect(met).toEqual(want);
          }
          const order = inOrder();
          expect(q.jobs.map((j) => j.id)).toEqual(order);
          for (const t of tenants) {
            const mine = order.filter((id) => model.find((m) => m.job.id === id)!.job.tenant === t);
            expect([...q.tenantJobs(t)].map((j) => j.id)).toEqual(mine);
            // One of each shape, the first in queue order, and how many.
            const shapes = q.shapesOf(t).map((s) => `${s.job.id}×${s.count}`).sort();
            const want = new Map<string, { first: string; count: number }>();
            for (const id of mine) {
              const j = model.find((m) => m.job.id === id)!.job;
              const w = want.get(shapeOf(j));
              want.set(shapeOf(j), w ? { first: w.first, count: w.count + 1 } : { first: id, count: 1 });
            }
            expect(shapes).toEqual([...want.values()].map((w) => `${w.first}×${w.count}`).sort());
          }
          // A walk in rounds that tries every job and starts none: one per tenant per round.
          const rounds = q.inRounds(tenants);
          const walked: string[] = [];
          q.walkByTenant(rounds, undefined, (what) => new Error(what), (j) => (walked.push(j.id), 'wait'));
          const lists = tenants.map((t) => order.filter((id) => model.find((m) => m.job.id === id)!.job.tenant === t));
          const want: string[] = [];
          for (let r = 0; lists.some((l) => r < l.length); r++) for (const l of lists) if (r < l.length) want.push(l[r]);
          expect(walked).toEqual(want);
        }
      }),
      { numRuns: Number(process.env.RUNS ?? 200), seed: 61 },
    );
  });
});
