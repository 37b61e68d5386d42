import { describe, expect, it } from 'vitest';
import '../policies/index.ts';
import { WarmState } from '../src/context/warm-state.ts';
import { warmPoolPolicyFactory } from '../src/context/warm-pool-registry.ts';
import type { JobSpec } from '../src/jobs/job.ts';
import { parseLogRecord } from '../src/log/records.ts';
import { RunWriter } from '../src/output/run-writer.ts';
import { placementPolicyFactory, queuePolicyFactory } from '../src/scheduler/registry.ts';
import { simulate } from '../src/sim/simulate.ts';
import { job, node } from './helpers/builders.ts';

const s = 1000;
const ctx = (b: ReturnType<typeof job>, context: string): JobSpec => ({ ...b.build(), context });

/** Contexts cost 10 s cold, 1 s warm; the warm pool keeps one idle instance per context. */
function run(
  nodes: ReturnType<typeof node>[],
  jobs: JobSpec[],
  placement: string,
  params: Record<string, unknown> = {},
  queue: { name: string; params?: Record<string, unknown> } = { name: 'fifo' },
  core: { headOfLine?: 'skip' | 'block'; backfill?: 'easy' } = {},
) {
  const log = new RunWriter(undefined, { keepLines: true });
  const warm = new WarmState({ coldMs: 10 * s, warmMs: 1 * s }, warmPoolPolicyFactory('fixed')({ perContext: 1 }));
  const res = simulate({
    run: 'ctx',
    seed: 1,
    nodes,
    jobs,
    queue: queuePolicyFactory(queue.name)(queue.params ?? {}),
    placement: placementPolicyFactory(placement)(params),
    log,
    scheduler: { contexts: warm, ...(core.backfill ? { backfill: core.backfill } : {}) },
    ...(core.headOfLine ? { headOfLine: core.headOfLine } : {}),
    keepEndedJobs: true,
  });
  log.close();
  const at = Object.fromEntries([...res.core.jobs.values()].map((j) => [j.id, [j.start / s, j.end / s, res.cluster.nodes[j.placement!.node].id]]));
  const records = log.lines!.flatMap((l) => {
    const o = parseLogRecord(l, 'events.jsonl');
    return o.kind === 'record' ? [o.record] : [];
  });
  const starts = records.filter((r) => r.ev === 'start').map((r) => r.ev === 'start' && [r.job, r.node, r.warm, r.overhead]);
  return { at, starts, records, warm: warm.metrics(res.end), res };
}

// n0: 2 GPUs, n1: 1 GPU. Y (no context, 1 GPU, runs 16 s) and W (context m, 1 GPU, runs 5 s)
// arrive at 0; X (context m, 1 GPU, runs 5 s) at 20 s.
//   t=0: Y → n1 (best-fit: n1 leaves 1−1 = 0 GPUs, n0 leaves 2−1 = 1), ends 16.
//        W → n0 (n1 full), cold: 5 + 10 = 15 s of run time, ends 15; m is then warm on n0.
const nodes2 = () => [node('n0', 2), node('n1', 1)];
const base = () => [job('Y').at(0).runs(16 * s).build(), ctx(job('W').at(0).runs(5 * s), 'm')];

describe('affinity', () => {
  it('chooses the node where the context is warm over the tighter cold one', () => {
    const jobs = [...base(), ctx(job('X').at(20 * s).runs(5 * s), 'm')];
    // t=20: both nodes free. best-fit: n1 (leaves 0 < 1), cold: ends 20 + 10 + 5 = 35.
    const bf = run(nodes2(), jobs, 'best-fit');
    expect(bf.at.X).toEqual([20, 35, 'n1']);
    // affinity: n0 has m's idle instance: warm, ends 20 + 1 + 5 = 26.
    const af = run(nodes2(), jobs, 'affinity');
    expect(af.at.X).toEqual([20, 26, 'n0']);
    expect(af.starts).toEqual([
      ['Y', 'n1', undefined, undefined],
      ['W', 'n0', false, 10 * s],
      ['X', 'n0', true, 1 * s],
    ]);
    // One cold start (W, 10 s), one warm (X, 1 s). n0's instance idled 15 → 20 (1 GPU): 5 GPU·s,
    // then X's idles from 26 to the end of the run (26): 0.
    expect(af.warm).toEqual({ coldStarts: 1, warmStarts: 1, coldStartSec: 10, warmStartSec: 1, idleGpuSec: 5 });
  });

  it('falls back to best-fit, cold, when no warm node fits', () => {
    // V (no context, 2 GPUs, runs 100 s) arrives at 16: only n0 can host it (W ended at 15).
    const jobs = [...base(), job('V').at(16 * s).runs(100 * s).gpus(2).build(), ctx(job('X').at(20 * s).runs(5 * s), 'm')];
    // t=20: m is warm on n0, but n0 is full: X → n1, cold: ends 20 + 10 + 5 = 35.
    const af = run(nodes2(), jobs, 'affinity');
    expect(af.at.X).toEqual([20, 35, 'n1']);
    expect(af.starts.find((r) => r && r[0] === 'X')).toEqual(['X', 'n1', false, 10 * s]);
  });
});

describe('affinity-wait', () => {
  // n0, n1: 1 GPU each. W (m, runs 5 s) at 0 → n0 (tie, smaller id), cold: ends 0 + 10 + 5 = 15.
  // X (m, runs 5 s) at 2: no idle instance of m, but W holds one (busy): X waits.
  const jobs = () => [ctx(job('W').at(0).runs(5 * s), 'm'), ctx(job('X').at(2 * s).runs(5 * s), 'm')];
  const nodes = () => [node('n0', 1), node('n1', 1)];

  it('waits until its deadline, then starts cold elsewhere', () => {
    // waitSec 10: deadline 2 + 10 = 12 < 15 (W still running): at 12, X → n1 cold, ends 12 + 10 + 5 = 27.
    const r = run(nodes(), jobs(), 'affinity-wait', { waitSec: 10 });
    expect(r.at.X).toEqual([12, 27, 'n1']);
    expect(r.warm.coldStarts).toBe(2);
  });

  it('takes the warm slot when it frees before the deadline', () => {
    // waitSec 20: deadline 22. W ends at 15, its instance goes idle on n0: X → n0 warm at 15, ends 15 + 1 + 5 = 21.
    const r = run(nodes(), jobs(), 'affinity-wait', { waitSec: 20 });
    expect(r.at.X).toEqual([15, 21, 'n0']);
    expect(r.warm).toMatchObject({ coldStarts: 1, warmStarts: 1 });
  });

  it('does not wait when nothing of its context exists (plain affinity meanwhile starts it at once)', () => {
    // X's context q is nowhere: no slot can free, so X starts at 2 on n1, cold: ends 2 + 10 + 5 = 17.
    const r = run(nodes(), [ctx(job('W').at(0).runs(5 * s), 'm'), ctx(job('X').at(2 * s).runs(5 * s), 'q')], 'affinity-wait', { waitSec: 20 });
    expect(r.at.X).toEqual([2, 17, 'n1']);
  });

  it('waits without blocking jobs of the same shape behind it', () => {
    // Z (no context, 1 GPU, runs 1 s) at 3, same shape as X: it starts on n1 at 3 while X waits.
    const r = run(nodes(), [...jobs(), job('Z').at(3 * s).runs(1 * s).build()], 'affinity-wait', { waitSec: 20 });
    expect(r.at.Z).toEqual([3, 4, 'n1']);
    expect(r.at.X).toEqual([15, 21, 'n0']);
  });

  it.each([['headOfLine block', { headOfLine: 'block' as const }], ['EASY backfill', { headOfLine: 'block' as const, backfill: 'easy' as const }]])(
    'under %s, a waiting job holds back nothing behind it (it waits by choice, not for room)',
    (_, core) => {
      // Z (no context, 1 GPU, runs 30 s) at 3 behind the waiting X: it starts on n1 at 3. Blocking
      // would hold it until X's start at 15; a reservation for X on n1 would refuse it (ends 33 > 15).
      const r = run(nodes(), [...jobs(), job('Z').at(3 * s).runs(30 * s).build()], 'affinity-wait', { waitSec: 20 }, { name: 'fifo' }, core);
      expect(r.at.Z).toEqual([3, 33, 'n1']);
      expect(r.at.X).toEqual([15, 21, 'n0']);
    },
  );
});

describe('start overhead and preemption', () => {
  // One 1-GPU node. L (prio 0, context m, runs 10 s) at 0: cold, 10 + 10 = 20 s of run time.
  // H (prio 10, no context, runs 5 s) at 4 preempts L (priority with preempt).
  const prio = { name: 'priority', params: { preempt: true } };

  it('a preemption during the cold start carries no unused overhead as work, and leaves nothing warm', () => {
    const jobs = [ctx(job('L').at(0).runs(10 * s), 'm'), { ...job('H').at(4 * s).runs(5 * s).build(), priority: 10 }];
    const r = run([node('n0', 1)], jobs, 'affinity', {}, prio);
    // Preempted at 4: ran 4 s, all overhead (setup 10): lost 4, left = 20 − 10 (setup) − 0 = 10 s of work.
    const pre = r.records.find((x) => x.ev === 'preempt');
    expect(pre).toMatchObject({ t: 4 * s, job: 'L', lost: 4 * s, left: 10 * s });
    // H runs 4 → 9. L restarts at 9; m never became warm (stopped at 4 < 10): cold again, 10 + 10, ends 29.
    expect(r.at.L).toEqual([9, 29, 'n0']);
    expect(r.warm).toMatchObject({ coldStarts: 2, warmStarts: 0, coldStartSec: 20 });
  });

  it('a preemption after the cold start keeps the progress and the warm instance', () => {
    const jobs = [ctx(job('L').at(0).runs(10 * s), 'm'), { ...job('H').at(14 * s).runs(5 * s).build(), priority: 10 }];
    const r = run([node('n0', 1)], jobs, 'affinity', {}, prio);
    // Preempted at 14: 10 s overhead + 4 s progress kept (checkpoint at preemption): lost 10, left 6.
    expect(r.records.find((x) => x.ev === 'preempt')).toMatchObject({ t: 14 * s, lost: 10 * s, left: 6 * s });
    // H runs 14 → 19; L restarts warm on n0 (its instance was kept): 1 + 6, ends 26.
    expect(r.at.L).toEqual([19, 26, 'n0']);
    expect(r.warm).toMatchObject({ coldStarts: 1, warmStarts: 1, coldStartSec: 10, warmStartSec: 1 });
  });
});
