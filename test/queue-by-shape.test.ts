import { describe, expect, it } from 'vitest';
import '../policies/index.ts';
import { jobsCsv } from '../src/output/csv.ts';
import { RunWriter } from '../src/output/run-writer.ts';
import { expandNodeGroups } from '../src/scenario/cluster.ts';
import { loadScenario } from '../src/scenario/load.ts';
import { newJob, type Job } from '../src/jobs/job.ts';
import type { QueuePolicy } from '../src/scheduler/policy.ts';
import { QueueIndex } from '../src/scheduler/queue-index.ts';
import { placementPolicyFactory, queuePolicyFactory } from '../src/scheduler/registry.ts';
import { simulate, type SimInput } from '../src/sim/simulate.ts';
import { synthesize } from '../src/workload/synthetic.ts';

/**
 * fifo's pass walks the queue by shape (per-shape lists merged by queue position) instead of
 * scanning it; a fifo whose `order` is another function that returns the queue takes the
 * scanning pass. Both must try the same jobs in the same order: byte-identical event logs.
 */
const scn = loadScenario('scenarios/quickstart.yaml');
if (!('nodes' in scn.cluster) || scn.workload.kind !== 'synthetic') throw new Error('quickstart changed shape');
const nodes = expandNodeGroups(scn.cluster.nodes);
const workload = scn.workload;

function logOf(queue: QueuePolicy, placement: string, extra: Partial<SimInput>, seed: number): { digest: string; jobs: string } {
  // Overloaded: a job every 0.5 s on average against 48 GPUs, so the queue grows to thousands.
  const jobs = synthesize({ ...workload, jobs: 1500, meanInterarrivalSec: 0.5 }, seed);
  const log = new RunWriter();
  simulate({
    run: 'q',
    seed,
    nodes,
    jobs,
    queue,
    placement: placementPolicyFactory(placement)({}),
    log,
    until: 2_000_000,
    cancels: [
      { at: jobs[300].submit + 1, job: jobs[300].id },
      { at: jobs[700].submit + 60_000, job: jobs[700].id },
    ],
    ...extra,
  });
  const digest = log.close();
  return { digest, jobs: jobsCsv(log.deriver.jobs.values()) };
}

const fifo = queuePolicyFactory('fifo')({});
const scanningFifo: QueuePolicy = { name: 'fifo', order: (view) => view.queue };

describe('fifo pass by shape', () => {
  const cases: [string, string, Partial<SimInput>][] = [
    ['first-fit', 'skip', {}],
    ['best-fit', 'skip', {}],
    ['worst-fit', 'block', { headOfLine: 'block' }],
    // node losses requeue running jobs into the middle of the queue (back in submit order)
    ['best-fit', 'skip + node failures', { failures: { random: { mtbfMs: 3_600_000, mttrMs: 600_000 } } }],
    ['first-fit', 'skip + spanning gangs', { scheduler: { gang: { spanNodes: true } } }],
  ];
  for (const [placement, what, extra] of cases) {
    it(`gives the same event log as the scanning pass (${placement}, ${what})`, () => {
      for (const seed of [1, 2]) {
        const a = logOf(fifo, placement, extra, seed);
        const b = logOf(scanningFifo, placement, extra, seed);
        expect(a.digest).toBe(b.digest);
        expect(a.jobs).toBe(b.jobs);
      }
    });
  }
});

describe('queue index shapes', () => {
  // (cpu 3, memory 0) and (cpu 10949, memory 115238), one GPU of 1000 milli each, share the
  // queue index's 32-bit shape hash (found by search): their lists share one hash bucket.
  const job = (id: string, submit: number, cpu: number, memory: number, models?: string[]) =>
    newJob({ id, tenant: 't', submit, duration: 1, priority: 0, cpu, memory, gpus: 1, milli: 1000, models });
  const A = [3, 0] as const;
  const B = [10949, 115238] as const;

  /** Walks the queue starting every job it visits; returns the ids in visit order. */
  const drain = (q: QueueIndex, keep: (j: Job) => boolean = () => true) => {
    const seen: string[] = [];
    q.walkByShape((j) => {
      seen.push(j.id);
      if (!keep(j)) return false;
      q.started(j);
      return true;
    });
    return seen;
  };

  it('keeps shapes whose hashes collide apart, through empties and re-creation in either chain position', () => {
    const q = new QueueIndex();
    const [a1, b1, a2, b2] = [job('a1', 0, ...A), job('b1', 1, ...B), job('a2', 2, ...A), job('b2', 3, ...B)];
    for (const j of [a1, b1, a2, b2]) q.push(j);
    expect(q.shapeCount).toBe(2);
    expect(q.shapeOf(a1)).toBe('3/0/1/1000/');
    expect(q.shapeOf(b2)).toBe('10949/115238/1/1000/');
    // Shape B fits nothing: dropped after b1, the walk goes on with A only.
    expect(drain(q, (j) => j.cpu === 3)).toEqual(['a1', 'b1', 'a2']);
    expect(q.shapeCount).toBe(1); // A's list emptied behind B's in the bucket
    expect(q.jobs.map((j) => j.id)).toEqual(['b1', 'b2']);
    const a3 = job('a3', 4, ...A);
    q.push(a3); // A again, now at the bucket's head
    expect(q.shapeCount).toBe(2);
    q.remove(b1);
    q.remove(b2); // B empties behind A
    expect(q.shapeCount).toBe(1);
    expect(q.shapeOf(a3)).toBe('3/0/1/1000/');
    const b3 = job('b3', 5, ...B);
    q.push(b3);
    expect(drain(q)).toEqual(['a3', 'b3']);
    expect(q.shapeCount).toBe(0);
    expect(q.length).toBe(0);
  });

  it('walks only the shapes queued now after a wider walk, or one a throwing visit left (its heap keeps its slots between walks)', () => {
    const q = new QueueIndex();
    const js = [6, 5, 4, 3, 2, 1].map((cpu, k) => job(`w${k}`, k, cpu, 0));
    for (const j of js) q.push(j);
    // Six shapes in the heap; the walk stops at its first job.
    const first: string[] = [];
    q.walkByShape((j) => (first.push(j.id), 'stop'));
    expect(first).toEqual(['w0']);
    // A walk whose visit throws halfway.
    let n = 0;
    expect(() =>
      q.walkByShape((j) => {
        if (++n === 3) throw new Error('visit failed');
        q.started(j);
        return true;
      }),
    ).toThrow('visit failed');
    expect(q.jobs.map((j) => j.id)).toEqual(['w2', 'w3', 'w4', 'w5']);
    expect(drain(q, (j) => j.id !== 'w3' && j.id !== 'w5')).toEqual(['w2', 'w3', 'w4', 'w5']);
    // Two shapes left: the next walks see those two, in queue order, then a new one after them.
    expect(drain(q, () => false)).toEqual(['w3', 'w5']);
    q.push(job('w6', 10, 7, 0));
    expect(drain(q)).toEqual(['w3', 'w5', 'w6']);
    expect(q.length).toBe(0);
  });

  it('refills an emptied list in queue order, by push and by requeue', () => {
    const q = new QueueIndex();
    const x1 = job('x1', 0, ...A);
    q.push(x1);
    expect(drain(q)).toEqual(['x1']); // the list empties
    const x2 = job('x2', 10, ...A);
    q.push(x2);
    // A job stopped and put back (submitted at 5) goes before x2, in the same list.
    const r = job('r', 5, ...A);
    r.state = 'queued';
    q.requeue(r);
    const x3 = job('x3', 12, ...A);
    q.push(x3);
    expect(q.shapeCount).toBe(1);
    expect(q.jobs.map((j) => j.id)).toEqual(['r', 'x2', 'x3']);
    expect(drain(q, (j) => j.id !== 'x2')).toEqual(['r', 'x2']);
    expect(drain(q)).toEqual(['x2', 'x3']);
    expect(q.length).toBe(0);
    // Emptied again and refilled: only the new job is there.
    q.push(job('x4', 20, ...A));
    expect(drain(q)).toEqual(['x4']);
  });

  it('keeps emptied lists for their shape and drops them once they outnumber the lists in use by 64', () => {
    const q = new QueueIndex();
    // A job that never starts keeps its list in use throughout.
    q.push(job('keep', 0, 5000, 0));
    const notKeep = (j: Job) => j.id !== 'keep';
    // 200 shapes, one job at a time: each list empties as its job starts.
    for (let k = 0; k < 200; k++) {
      q.push(job(`s${k}`, k + 1, k + 1, 0));
      expect(q.shapeCount).toBe(2);
      expect(drain(q, notKeep)).toEqual(['keep', `s${k}`]);
      expect(q.shapeCount).toBe(1);
      expect(q.lists().map((l) => l.key)).toEqual(['5000/0/1/1000/']);
    }
    // Shapes seen before and new ones, interleaved, walk in queue order with only live lists.
    const again = [job('r0', 300, 5, 0), job('n0', 301, 999, 0), job('r1', 302, 5, 0), job('r2', 303, 150, 0)];
    for (const j of again) q.push(j);
    expect(q.shapeCount).toBe(4);
    expect(q.lists().map((l) => l.key).sort()).toEqual(['150/0/1/1000/', '5/0/1/1000/', '5000/0/1/1000/', '999/0/1/1000/']);
    expect(drain(q)).toEqual(['keep', 'r0', 'n0', 'r1', 'r2']);
    expect(q.length).toBe(0);
  });

  it('does not count a job moved to another queue (a hierarchy bounce or steal) as still queued in the first', () => {
    const first = new QueueIndex();
    const second = new QueueIndex();
    const moved = job('m', 0, ...A);
    first.push(moved);
    first.remove(moved); // withdrawn: its entry stays in the first queue's arrays, dead
    second.push(moved);
    first.push(job('x', 1, ...A));
    expect(first.jobs.map((j) => j.id)).toEqual(['x']);
    expect(drain(first)).toEqual(['x']);
    expect(drain(second)).toEqual(['m']);
  });

  it('treats no models and an empty model list as one shape, and other model lists as others', () => {
    const q = new QueueIndex();
    q.push(job('x', 0, 1, 1));
    q.push(job('y', 1, 1, 1, []));
    expect(q.shapeCount).toBe(1);
    q.push(job('z', 2, 1, 1, ['A100']));
    q.push(job('w', 3, 1, 1, ['A100']));
    expect(q.shapeCount).toBe(2);
    expect(drain(q)).toEqual(['x', 'y', 'z', 'w']);
  });
});
