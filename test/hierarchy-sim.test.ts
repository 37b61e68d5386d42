import { describe, expect, it } from 'vitest';
import '../policies/index.ts';
import type { NodeSpec } from '../src/cluster/types.ts';
import { routingPolicyFactory } from '../src/hierarchy/routing-registry.ts';
import type { JobSpec } from '../src/jobs/job.ts';
import type { LogRecord } from '../src/log/records.ts';
import type { FailureSpec } from '../src/scheduler/failures.ts';
import { placementPolicyFactory, queuePolicyFactory } from '../src/scheduler/registry.ts';
import { simulateHierarchy, type HierarchySettings } from '../src/sim/simulate-hierarchy.ts';
import { job, node } from './helpers/builders.ts';

/** Two shards of one 1-GPU node each: s0 = node a, s1 = node b. */
const NODES: NodeSpec[] = [node('a', 1), node('b', 1)];

function run(jobs: JobSpec[], h: Omit<Partial<HierarchySettings>, 'routing'> & { routing?: string }, nodes = NODES, failures?: FailureSpec) {
  const log: LogRecord[] = [];
  const settings: HierarchySettings = {
    partition: { shards: 2 },
    summaryIntervalMs: 10_000,
    routingLatencyMs: 0,
    rebalance: { mode: 'bounce', waitLimitMs: 5_000, bounceCostMs: 1_000, maxScan: 64 },
    onShardDown: 'bounce',
    failures: [],
    ...h,
    routing: routingPolicyFactory(h.routing ?? 'least-loaded')({}),
  };
  const res = simulateHierarchy({
    run: 't',
    seed: 1,
    nodes,
    jobs,
    policies: () => ({ queue: queuePolicyFactory('fifo')({}), placement: placementPolicyFactory('first-fit')({}) }),
    log: { append: (r) => log.push(r) },
    hierarchy: settings,
    failures,
  });
  const of = (ev: string, id?: string) => log.filter((r) => r.ev === ev && (id === undefined || ('job' in r && r.job === id)));
  return { log, res, of };
}

const strip = (rs: LogRecord[]) => rs.map((r) => JSON.parse(JSON.stringify(r)));

describe('a stale summary misroutes a job; the rebalancer fixes it', () => {
  // j1 at 1 s and j2 at 2 s, one GPU each, 100 s. Reports at 0 s show both shards free.
  // best-fit-by-summary: j1 → both fit, loads 0 = 0 → s0. j2: by the (stale) report s0 still fits,
  // and its load (0 + 1000 routed)/1000 = 1 beats s1's 0 → s0 again, where a is busy: j2 waits.
  const jobs = [job('j1').at(1000).runs(100_000).build(), job('j2').at(2000).runs(100_000).build()];

  it('bounce: at the 10 s report j2 has waited 8 s ≥ 5 s and s1 shows room → bounced, re-routed 1 s later to s1', () => {
    const { of, res } = run(jobs, { routing: 'best-fit-by-summary' });
    expect(strip(of('route', 'j2'))).toEqual([
      { t: 2000, ev: 'route', job: 'j2', shard: 's0', n: 1 },
      { t: 11_000, ev: 'route', job: 'j2', shard: 's1', n: 2 },
    ]);
    expect(strip(of('bounce'))).toEqual([{ t: 10_000, ev: 'bounce', job: 'j2', shard: 's0', reason: 'wait-limit' }]);
    expect(of('start', 'j2').map((r) => [r.t, (r as { node: string }).node])).toEqual([[11_000, 'b']]);
    // misrouted: queued 2 s → 10 s at s0 (8 s) + the 1 s bounce cost
    expect(res.metrics.misroutedWaitMs).toBe(9_000);
    expect(res.metrics.bounces).toBe(1);
    expect(res.metrics.routes).toBe(3);
    expect(res.metrics.perShard.map((s) => s.routed)).toEqual([2, 1]);
  });

  it('steal: at the 10 s report the idle s1 takes j2 from s0 and starts it at once', () => {
    const { of, res } = run(jobs, { routing: 'best-fit-by-summary', rebalance: { mode: 'steal', waitLimitMs: 0, bounceCostMs: 0, maxScan: 64 } });
    expect(strip(of('steal'))).toEqual([{ t: 10_000, ev: 'steal', job: 'j2', from: 's0', to: 's1' }]);
    expect(of('start', 'j2').map((r) => [r.t, (r as { node: string }).node])).toEqual([[10_000, 'b']]);
    expect(of('admit', 'j2')).toHaveLength(1); // moved queued: no second admit
    expect(res.metrics.steals).toBe(1);
    expect(res.metrics.misroutedWaitMs).toBe(8_000);
  });

  it('wait: j2 waits at s0 until j1 ends at 101 s', () => {
    const { of } = run(jobs, { routing: 'best-fit-by-summary', rebalance: { mode: 'wait', waitLimitMs: 0, bounceCostMs: 0, maxScan: 64 } });
    expect(of('start', 'j2').map((r) => [r.t, (r as { node: string }).node])).toEqual([[101_000, 'a']]);
    expect(of('bounce')).toHaveLength(0);
  });

  it('least-loaded counts its own routings between reports: j2 goes to s1 at once', () => {
    // j2: s0 (0 + 1000 routed)/1000 = 1 > s1 0 → s1
    const { of } = run(jobs, {});
    expect(of('start', 'j2').map((r) => [r.t, (r as { node: string }).node])).toEqual([[2000, 'b']]);
  });
});

describe('shard failure and recovery', () => {
  it('a down shard is routed around; its queued job is bounced back at once; its running job runs on', () => {
    // j1 1 s → s0 (tie), j2 2 s → s1 (s0 load 1), starts on b; j3 3 s → s0 (tie 1 = 1), j4 3.5 s → s1
    // (s0 2 > s1 1), queued behind j2. s1 goes down at 4 s: j4 is bounced (shard-down) and re-routed at
    // 5 s to s0, the only shard up. j2 still finishes at 52 s. s1 is back at 104 s.
    const jobs = [1000, 2000, 3000, 3500].map((t, i) => job(`j${i + 1}`).at(t).runs(50_000).build());
    const { of, log } = run(jobs, { failures: [{ shard: 's1', at: 4000, forMs: 100_000 }] });
    expect(strip(of('shard-down'))).toEqual([{ t: 4000, ev: 'shard-down', shard: 's1' }]);
    expect(strip(of('bounce'))).toEqual([{ t: 4000, ev: 'bounce', job: 'j4', shard: 's1', reason: 'shard-down' }]);
    expect(strip(of('route', 'j4'))).toEqual([
      { t: 3500, ev: 'route', job: 'j4', shard: 's1', n: 1 },
      { t: 5000, ev: 'route', job: 'j4', shard: 's0', n: 2 },
    ]);
    expect(of('finish', 'j2').map((r) => r.t)).toEqual([52_000]);
    // nothing starts on b while s1 is down
    expect(log.filter((r) => r.ev === 'start' && r.node === 'b' && r.t >= 4000 && r.t < 104_000)).toHaveLength(0);
    // s0 runs j1, j3, j4 one after another: 1 s → 51 s → 101 s → 151 s
    expect(of('start').filter((r) => (r as { node: string }).node === 'a').map((r) => [('job' in r && r.job), r.t])).toEqual([
      ['j1', 1000],
      ['j3', 51_000],
      ['j4', 101_000],
    ]);
  });

  it('onShardDown wait: the queued job stays and starts when the shard is back', () => {
    const jobs = [1000, 2000, 3000, 3500].map((t, i) => job(`j${i + 1}`).at(t).runs(50_000).build());
    const { of } = run(jobs, { onShardDown: 'wait', rebalance: { mode: 'wait', waitLimitMs: 0, bounceCostMs: 0, maxScan: 64 }, failures: [{ shard: 's1', at: 4000, forMs: 100_000 }] });
    expect(strip(of('shard-up'))).toEqual([{ t: 104_000, ev: 'shard-up', shard: 's1' }]);
    // j2 ended at 52 s and b was free, but s1's scheduler was down: j4 starts at 104 s
    expect(of('start', 'j4').map((r) => [r.t, (r as { node: string }).node])).toEqual([[104_000, 'b']]);
  });

  it('steal takes nothing from a down shard: its queue is out of reach until it is back', () => {
    // As above, j2 is misrouted to s0 behind j1; s0's scheduler is down 3 s → 103 s (onShardDown wait).
    // The idle s1 may not take j2 at the 10 s report; j1 runs on to 101 s; s0 is back at 103 s and starts j2.
    const jobs = [job('j1').at(1000).runs(100_000).build(), job('j2').at(2000).runs(100_000).build()];
    const { of } = run(jobs, { routing: 'best-fit-by-summary', onShardDown: 'wait', rebalance: { mode: 'steal', waitLimitMs: 0, bounceCostMs: 0, maxScan: 64 }, failures: [{ shard: 's0', at: 3000, forMs: 100_000 }] });
    expect(of('steal')).toHaveLength(0);
    expect(of('finish', 'j1').map((r) => r.t)).toEqual([101_000]);
    expect(of('start', 'j2').map((r) => [r.t, (r as { node: string }).node])).toEqual([[103_000, 'a']]);
  });

  it('jobs arriving while every shard that fits them is down wait at the master until one is back', () => {
    // Only b has 2 GPUs: a 2-GPU job fits s1 alone; s1 is down 0.5 s → 20.5 s.
    const nodes = [node('a', 1), node('b', 2)];
    const jobs = [job('big').gpus(2).at(1000).runs(10_000).build()];
    const { of } = run(jobs, { failures: [{ shard: 's1', at: 500, forMs: 20_000 }] }, nodes);
    expect(strip(of('route'))).toEqual([{ t: 20_500, ev: 'route', job: 'big', shard: 's1', n: 1 }]);
    expect(of('start').map((r) => r.t)).toEqual([20_500]);
  });

  it('a job no shard could ever run is rejected by the master (never-fits)', () => {
    const { of, res } = run([job('huge').gpus(4).at(0).build()], {});
    expect(strip(of('reject'))).toEqual([{ t: 0, ev: 'reject', job: 'huge', reason: 'never-fits' }]);
    expect(res.metrics.rejected).toBe(1);
  });
});

describe('a permanent node loss in a shard', () => {
  const twoGpus = (id: string, t: number) => job(id).gpus(2).at(t).runs(100_000).build();

  it('gives back the queued jobs that shard can no longer run: bounced (capacity-lost) and routed to a shard that can', () => {
    // s0 = a (2 GPUs) + c (1 GPU), s1 = b (2 GPUs): 5 GPUs, s0 ends once it holds ≥ 2.5.
    // j1 0 s → s0 (tie), runs on a; j2 1 s → s1 (s0 load 2000/3000 > 0), runs on b; j3 2 s → s0
    // (0.67 < s1's 1), waits. a is lost for good at 5 s: j1 is requeued; neither 2-GPU job can ever
    // run on s0 (c has 1 GPU), so both go back to the master and reach s1 1 s later (the bounce cost).
    const nodes = [node('a', 2), node('c', 1), node('b', 2)];
    const jobs = [twoGpus('j1', 0), twoGpus('j2', 1000), twoGpus('j3', 2000)];
    const { of, res } = run(jobs, {}, nodes, { events: [{ node: 0, at: 5000 }] });
    expect(strip(of('bounce')).sort((x, y) => x.job.localeCompare(y.job))).toEqual([
      { t: 5000, ev: 'bounce', job: 'j1', shard: 's0', reason: 'capacity-lost' },
      { t: 5000, ev: 'bounce', job: 'j3', shard: 's0', reason: 'capacity-lost' },
    ]);
    expect(strip(of('route', 'j3'))).toEqual([
      { t: 2000, ev: 'route', job: 'j3', shard: 's0', n: 1 },
      { t: 6000, ev: 'route', job: 'j3', shard: 's1', n: 2 },
    ]);
    expect(of('reject')).toHaveLength(0);
    expect(of('finish').every((r) => (r as { state: string }).state === 'succeeded')).toBe(true);
    // j2 holds b until 101 s; then j1 (first in submit order) and j3 run there one after another.
    expect(of('start', 'j1').map((r) => [r.t, (r as { node: string }).node])).toEqual([[0, 'a'], [101_000, 'b']]);
    expect(of('start', 'j3').map((r) => [r.t, (r as { node: string }).node])).toEqual([[201_000, 'b']]);
    expect(res.metrics.bounces).toBe(2);
  });

  it('rejects at once (never-fits, a finish record) a queued job that no shard can run any more, as the global scheduler does', () => {
    // s0 = a (2 GPUs), s1 = b + c (1 GPU each): only s0 could ever run a 2-GPU job.
    const nodes = [node('a', 2), node('b', 1), node('c', 1)];
    const { of } = run([twoGpus('j1', 0), twoGpus('j3', 1000)], {}, nodes, { events: [{ node: 0, at: 5000 }] });
    expect(of('bounce')).toHaveLength(0);
    expect(strip(of('finish')).sort((x, y) => x.job.localeCompare(y.job))).toEqual([
      { t: 5000, ev: 'finish', job: 'j1', state: 'rejected', reason: 'never-fits' },
      { t: 5000, ev: 'finish', job: 'j3', state: 'rejected', reason: 'never-fits' },
    ]);
  });
});
