import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newJob, type Job, type JobSpec, type JobView } from '../src/jobs/job.ts';
import { byKey, KeyedWalk } from '../src/scheduler/keyed-queue.ts';
import { QueueIndex } from '../src/scheduler/queue-index.ts';

// `view.queuedBy(key, moved)`: the core's index by a key, with a few jobs read under a new key
// (las's promoted jobs). Read as an iterable, and walked by shape as a scheduling pass walks it.

const spec = (id: string, submit: number, priority: number, gpus: number): JobSpec => ({ id, tenant: 't', submit, duration: 1000, priority, cpu: 1, memory: 1, gpus, milli: 1000 });
const queued = (s: JobSpec): Job => Object.assign(newJob(s), { state: 'queued' as const });
/** One function object for every call (the core keeps an index per key function). */
const byPriority = (j: JobView) => j.priority;

/** A queue of `rows` (submit times ascending), its jobs, and `moved` built from the rows' new keys. */
function setup(rows: { gap: number; priority: number; gpus: number; moveTo: number | undefined }[]) {
  const q = new QueueIndex();
  let t = 0;
  const jobs = rows.map((r, i) => queued(spec(`j${i}`, (t += r.gap), r.priority, r.gpus)));
  for (const j of jobs) q.push(j);
  const moved = new Map<JobView, number>();
  rows.forEach((r, i) => r.moveTo !== undefined && moved.set(jobs[i], r.moveTo));
  return { q, jobs, moved };
}

const rowsArb = fc.array(
  fc.record({
    gap: fc.integer({ min: 0, max: 2 }), // ties in submit time too
    priority: fc.integer({ min: 0, max: 4 }),
    gpus: fc.integer({ min: 1, max: 3 }), // the shape
    moveTo: fc.option(fc.integer({ min: -1, max: 5 }), { nil: undefined, freq: 3 }), // earlier, later or the same
  }),
  { maxLength: 40 },
);

describe('queuedBy with moved jobs', () => {
  it('reads the moved jobs under their new keys (earlier or later), as a stable sort by the new keys does', () => {
    fc.assert(
      fc.property(rowsArb, (rows) => {
        const { q, moved } = setup(rows);
        const expected = byKey(q.jobs, byPriority, moved).map((j) => j.id);
        expect([...q.sortedBy(byPriority, moved)].map((j) => j.id)).toEqual(expected);
        // Without moved jobs, the index as before.
        expect([...q.sortedBy(byPriority)].map((j) => j.id)).toEqual(byKey(q.jobs, byPriority).map((j) => j.id));
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it('a walk by shape visits what reading the order would: shapes dropped when a job does not fit, started jobs gone, a stop ends it', () => {
    fc.assert(
      fc.property(rowsArb, fc.array(fc.constantFrom<'start' | 'unfit' | 'next'>('start', 'unfit', 'next', 'next'), { minLength: 40, maxLength: 40 }), fc.integer({ min: 0, max: 45 }), (rows, verdicts, stopAt) => {
        // The verdict on each job by its index (a pure function of the job), and a stop after `stopAt` visits.
        const verdict = (j: Job) => verdicts[Number(j.id.slice(1))];
        const shape = (j: Job) => j.gpus;
        // Expected: the order read job by job, passing over jobs of dropped shapes. 'next' is a
        // start that the shape walk makes too (it goes on with the shape's next job).
        const { q: q1, moved: m1 } = setup(rows);
        const expected: string[] = [];
        const dropped = new Set<number>();
        for (const j of byKey(q1.jobs, byPriority, m1)) {
          if (expected.length === stopAt) break;
          if (dropped.has(shape(j))) continue;
          expected.push(j.id);
          if (verdict(j) === 'unfit') dropped.add(shape(j));
        }
        // The walk by shape, on a fresh queue: started jobs leave it as the core's pass makes them.
        const { q, moved } = setup(rows);
        const walk = q.sortedBy(byPriority, moved);
        expect(walk).toBeInstanceOf(KeyedWalk);
        const seen: string[] = [];
        q.walkByKeyAndShape(walk as KeyedWalk, (j) => {
          if (seen.length === stopAt) return 'stop';
          seen.push(j.id);
          if (verdict(j) === 'unfit') return false;
          j.state = 'running';
          q.started(j);
          return true;
        });
        expect(seen).toEqual(expected);
      }),
      { numRuns: 400, seed: 11 },
    );
  });

  it('an iteration goes on past the jobs it yielded that left meanwhile, moved ones included', () => {
    const { q, jobs, moved } = setup([
      { gap: 0, priority: 2, gpus: 1, moveTo: undefined },
      { gap: 1, priority: 2, gpus: 1, moveTo: 0 }, // j1: first now
      { gap: 1, priority: 1, gpus: 2, moveTo: undefined },
      { gap: 1, priority: 3, gpus: 1, moveTo: undefined },
    ]);
    const out: string[] = [];
    for (const j of q.sortedBy(byPriority, moved)) {
      out.push(j.id);
      j.state = 'running';
      q.started(j as Job);
    }
    // j1 (moved to 0), j2 (1), j0 (2), j3 (3)
    expect(out).toEqual(['j1', 'j2', 'j0', 'j3']);
    expect(jobs.every((j) => j.state === 'running')).toBe(true);
  });

  it('refuses a moved job that is not queued, and a NaN key', () => {
    const { q, jobs } = setup([{ gap: 0, priority: 0, gpus: 1, moveTo: undefined }]);
    const stranger = queued(spec('x', 0, 0, 1));
    expect(() => q.sortedBy(byPriority, new Map([[stranger, 0]]))).toThrow(/queuedBy: moved job x is not queued/);
    expect(() => q.sortedBy(byPriority, new Map([[jobs[0], NaN]]))).toThrow(/queuedBy: moved gives NaN for job j0/);
  });
});
