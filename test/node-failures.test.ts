import { describe, expect, it } from 'vitest';
import '../policies/index.ts';
import type { NodeSpec } from '../src/cluster/types.ts';
import type { JobSpec } from '../src/jobs/job.ts';
import { jobsCsv, timelineCsv } from '../src/output/csv.ts';
import type { LogRecord } from '../src/log/records.ts';
import { RunWriter } from '../src/output/run-writer.ts';
import type { FailureSpec } from '../src/scheduler/failures.ts';
import { placementPolicyFactory, queuePolicyFactory } from '../src/scheduler/registry.ts';
import { simulate, type SimInput } from '../src/sim/simulate.ts';
import { RunModel } from '../viz/src/run-model.ts';
import { loadScenario, parseScenario, ScenarioError } from '../src/scenario/load.ts';
import { failureSpec, runScenario } from '../src/scenario/run.ts';
import { job, node } from './helpers/builders.ts';

const s = 1000;
const jobOf = (r: LogRecord) => ('job' in r ? r.job : undefined);

function run(
  jobs: JobSpec[],
  failures: FailureSpec | undefined,
  scheduler: SimInput['scheduler'] = {},
  nodes: NodeSpec[] = [node('n0', 2), node('n1', 2)],
  placement = 'first-fit',
  seed = 1,
) {
  const log = new RunWriter(undefined, { keepLines: true });
  const res = simulate({
    run: 'nf',
    seed,
    nodes,
    jobs,
    queue: queuePolicyFactory('fifo')({}),
    placement: placementPolicyFactory(placement)({}),
    log,
    scheduler,
    failures,
  });
  log.close();
  const recs = log.lines!.map((l) => JSON.parse(l) as LogRecord);
  const times = Object.fromEntries([...res.core.jobs.values()].map((j) => [j.id, [j.state, j.start / s, j.end / s]]));
  return { res, recs, log, times };
}

// Two nodes × 2 whole GPUs; fifo + first-fit. All jobs 1 GPU unless noted (times in s):
//   A: submit 0, runs 100     B: submit 0, runs 60     C: submit 0, runs 40
//   D: submit 30, runs 10, 2 GPUs
// n0 fails at t=20 for 30 s (down 20..50).
const jobs: JobSpec[] = [
  job('A').runs(100 * s).build(),
  job('B').runs(60 * s).build(),
  job('C').runs(40 * s).build(),
  job('D').at(30 * s).runs(10 * s).gpus(2).build(),
];
const outage: FailureSpec = { events: [{ node: 0, at: 20 * s, downMs: 30 * s }] };

describe('node loss, requeue (default), no checkpointing', () => {
  const { res, recs, log, times } = run(jobs, outage);

  it('requeues the lost jobs with all their work and restarts them elsewhere, then on the repaired node', () => {
    // t=0:  A → n0/0, B → n0/1, C → n1/0.
    // t=20: n0 down: A and B lost after 20 s each; no checkpoint → all 20 s lost, 100 and 60 left.
    //       Pass: A → n1/1 (ends 20 + 100 = 120); B fits nowhere (n0 down, n1 full).
    // t=30: D (2 GPUs) arrives: unfit.
    // t=40: C ends. Queue order B, D: B → n1/0 (ends 40 + 60 = 100); D still unfit.
    // t=50: n0 up → pass: D → n0 GPUs 0,1 (ends 50 + 10 = 60).
    expect(times).toEqual({
      A: ['succeeded', 20, 120],
      B: ['succeeded', 40, 100],
      C: ['succeeded', 0, 40],
      D: ['succeeded', 50, 60],
    });
    const a = res.core.jobs.get('A')!;
    expect([a.attempt, a.nodeLosses, a.preemptions, a.lostWork / s, a.executed / s]).toEqual([2, 1, 0, 20, 120]);
    // Σ run time over attempts = 20 + 100 = duration 100 + lost 20
    expect(a.executed).toBe(a.duration + a.lostWork);
    const d = recs.find((r) => r.ev === 'start' && r.job === 'D');
    expect(d).toMatchObject({ t: 50 * s, node: 'n0', gpus: [0, 1] });
  });

  it('logs node-down with the jobs it hit, node-loss and requeue per job, then node-up', () => {
    const failureRecs = recs.filter((r) => ['node-down', 'node-loss', 'requeue', 'node-up'].includes(r.ev));
    expect(failureRecs).toEqual([
      { t: 20 * s, ev: 'node-down', node: 'n0', jobs: ['A', 'B'] },
      { t: 20 * s, ev: 'node-loss', job: 'A', node: 'n0', lost: 20 * s, left: 100 * s },
      { t: 20 * s, ev: 'requeue', job: 'A' },
      { t: 20 * s, ev: 'node-loss', job: 'B', node: 'n0', lost: 20 * s, left: 60 * s },
      { t: 20 * s, ev: 'requeue', job: 'B' },
      { t: 50 * s, ev: 'node-up', node: 'n0' },
    ]);
    // no start lands on n0 while it is down
    expect(recs.filter((r) => r.ev === 'start' && r.node === 'n0' && r.t >= 20 * s && r.t < 50 * s)).toEqual([]);
  });

  it('the Deriver accounts node losses, lost GPU time and the capacity that is up', () => {
    const m = log.deriver.metrics();
    // lost: A 20 s × 1 GPU + B 20 s × 1 GPU = 40 GPU·s.
    // up: 4 GPUs over 0..120 minus 2 GPUs over 20..50 = 480 − 60 = 420 GPU·s → 420 / 480 = 87.5 %.
    expect(m.failures).toEqual({ nodeDowns: 1, jobsHit: 2, jobsFailed: 0, lostGpuMs: 40_000, gpuUpPct: 87.5 });
    // allocated GPU·s: 0..20 3 GPUs = 60; 20..40 2 = 40; 40..50 2 = 20; 50..60 4 = 40; 60..100 2 = 80;
    // 100..120 1 = 20 → 260 / 480 = 54.17 %.
    expect(m.meanGpuAllocPct).toBeCloseTo(54.17, 2);
    expect(m.completed).toBe(4);
    const csv = jobsCsv(log.deriver.jobs.values()).split('\n');
    expect(csv[0].endsWith(',preemptions,lost_ms,node_losses')).toBe(true);
    // start_ms is the first start; asked for 1 GPU × 1000 milli; the last attempt ran on n1 (GPU 1)
    expect(csv[1]).toBe('A,t,0,0,120000,succeeded,1,1000,n1,1,1000,2,,0,20000,1');
    const tl = timelineCsv(log.deriver.timeline, log.deriver.gpuCapacity).split('\n');
    expect(tl[0]).toBe('t_ms,gpu_alloc_milli,gpu_alloc_pct,queued,running,gpu_up_milli,share_pct_t');
    // t=20: A restarted on n1 beside C (2 GPUs held), B queued, 2 of 4 GPUs up; t=50: n0 back
    expect(tl.find((l) => l.startsWith('20000,'))).toBe('20000,2000,50,1,2,2000,50');
    expect(tl.find((l) => l.startsWith('50000,'))).toBe('50000,4000,100,0,3,4000,100');
  });

  it('runs of the same failures are byte-identical', () => {
    expect(run(jobs, outage).log.lines).toEqual(log.lines);
  });
});

describe('node loss, requeue, with periodic checkpoints', () => {
  it('keeps progress up to the last checkpoint and charges the restore', () => {
    // Checkpoint every 15 s, restore 2 s. t=20: A and B ran 20 s, keep ⌊20/15⌋·15 = 15 s, lose 5.
    // A: 100 − 15 + 2 = 87 left; restarts on n1/1 at 20 → ends 107.
    // B: 60 − 15 + 2 = 47 left; starts on n1/0 at 40 (C ended) → ends 87. D as before: 50..60.
    const { res, recs, log, times } = run(jobs, outage, { preemption: { restoreMs: 2 * s, checkpointIntervalMs: 15 * s } });
    expect(times).toEqual({
      A: ['succeeded', 20, 107],
      B: ['succeeded', 40, 87],
      C: ['succeeded', 0, 40],
      D: ['succeeded', 50, 60],
    });
    expect(recs.filter((r) => r.ev === 'node-loss')).toEqual([
      { t: 20 * s, ev: 'node-loss', job: 'A', node: 'n0', lost: 5 * s, left: 87 * s },
      { t: 20 * s, ev: 'node-loss', job: 'B', node: 'n0', lost: 5 * s, left: 47 * s },
    ]);
    const a = res.core.jobs.get('A')!;
    // Σ run time = 20 + 87 = 107 = duration 100 + lost 5 + restore 2 (paid in the last attempt)
    expect(a.executed).toBe(a.duration + a.lostWork + a.setup);
    // lost: 5 s × 1 GPU × 2 jobs = 10 GPU·s
    expect(log.deriver.metrics().failures).toMatchObject({ jobsHit: 2, lostGpuMs: 10_000 });
  });
});

describe('node loss, requeue with maxNodeLosses', () => {
  // One node (2 GPUs), A: 1 GPU, 100 s. n0 goes down at 20, 40 and 60 s, 10 s each time.
  const flaky: FailureSpec = { events: [20, 40, 60].map((t) => ({ node: 0, at: t * s, downMs: 10 * s })) };
  const one = [job('A').runs(100 * s).build()];
  const endOf = (scheduler: SimInput['scheduler']) => run(one, flaky, scheduler, [node('n0', 2)]);

  it('without a limit the job restarts after each loss (30, 50, 70 s) and ends at 170 s', () => {
    expect(endOf({}).times).toEqual({ A: ['succeeded', 70, 170] });
  });

  it('the N-th loss fails the job (reason node-loss): N = 2 at 40 s, N = 3 at 60 s', () => {
    const two = endOf({ maxNodeLosses: 2 });
    expect(two.times).toEqual({ A: ['failed', 30, 40] });
    expect(two.recs.filter((r) => jobOf(r) === 'A' && ['node-loss', 'requeue', 'finish'].includes(r.ev)).map((r) => [r.t / s, r.ev])).toEqual([
      [20, 'node-loss'],
      [20, 'requeue'],
      [40, 'node-loss'],
      [40, 'finish'],
    ]);
    expect(two.recs.find((r) => r.ev === 'finish')).toMatchObject({ state: 'failed', reason: 'node-loss' });
    expect(endOf({ maxNodeLosses: 3 }).times).toEqual({ A: ['failed', 50, 60] });
  });

  it('is read from scheduler.maxNodeLosses (a positive integer)', () => {
    expect(parseScenario(SCENARIO.replace('policies:', 'scheduler: { maxNodeLosses: 3 }\npolicies:'), 'f.yaml').scheduler.maxNodeLosses).toBe(3);
    expect(problems(SCENARIO.replace('policies:', 'scheduler: { maxNodeLosses: 0 }\npolicies:')).some((x) => /^scheduler\.maxNodeLosses: /.test(x))).toBe(true);
  });
});

describe('node loss, fail', () => {
  const { recs, log, times } = run(jobs, outage, { onNodeLoss: 'fail' });

  it('fails the lost jobs with reason node-loss; the down node takes nothing until it is up', () => {
    // t=20: n0 down: A and B fail (each lost its whole 20 s attempt).
    // t=30: D (2 GPUs) arrives: n0 is down (first-fit would pick it), n1 has one free GPU: waits.
    // t=40: C ends: D → n1 GPUs 0,1 (ends 50). t=50: n0 up; nothing queued.
    expect(times).toEqual({
      A: ['failed', 0, 20],
      B: ['failed', 0, 20],
      C: ['succeeded', 0, 40],
      D: ['succeeded', 40, 50],
    });
    expect(recs.filter((r) => jobOf(r) === 'A' && ['node-loss', 'requeue', 'finish'].includes(r.ev))).toEqual([
      { t: 20 * s, ev: 'node-loss', job: 'A', node: 'n0', lost: 20 * s },
      { t: 20 * s, ev: 'finish', job: 'A', state: 'failed', reason: 'node-loss' },
    ]);
    expect(recs.find((r) => r.ev === 'start' && r.job === 'D')).toMatchObject({ node: 'n1', gpus: [0, 1] });
  });

  it('the Deriver counts the failed jobs and the lost GPU time', () => {
    const m = log.deriver.metrics();
    // lost: 20 s × 1 GPU × 2 = 40 GPU·s; up: 4 GPUs over 0..50 minus 2 over 20..50 = 200 − 60 = 140 → 70 %.
    expect(m.failures).toEqual({ nodeDowns: 1, jobsHit: 2, jobsFailed: 2, lostGpuMs: 40_000, gpuUpPct: 70 });
    expect([m.completed, m.failed]).toEqual([2, 2]);
    expect(log.deriver.jobs.get('A')).toMatchObject({ state: 'failed', reason: 'node-loss', nodeLosses: 1, lostMs: 20 * s });
  });
});

describe('node loss: gangs, overlapping and permanent outages', () => {
  it('a gang spanning nodes is lost when any of its nodes goes down', () => {
    // G: 4 GPUs over n0 (2) + n1 (2), 100 s, from t=0. n1 down 10..20: G lost after 10 s.
    // G cannot fit while n1 is down; restarts at 20 on both nodes → ends 120.
    const { recs, times } = run([job('G').gpus(4).runs(100 * s).build()], { events: [{ node: 1, at: 10 * s, downMs: 10 * s }] }, { gang: { spanNodes: true } });
    expect(times).toEqual({ G: ['succeeded', 20, 120] });
    expect(recs.find((r) => r.ev === 'node-down')).toEqual({ t: 10 * s, ev: 'node-down', node: 'n1', jobs: ['G'] });
    expect(recs.filter((r) => r.ev === 'start').map((r) => r.t / s)).toEqual([0, 20]);
  });

  it('overlapping outages of one node nest: it is up when the last one ends', () => {
    // n0 down 10..30 and 20..40 → down 10..40, one node-down and one node-up record.
    // A (n0, 100 s) lost at 10 → restarts on n1 at 10 (ends 110). B (2 GPUs, submit 15): n1 has one
    // free GPU, n0 down → waits until 40, ends 40 + 5 = 45.
    const { recs, times } = run(
      [job('A').runs(100 * s).build(), job('B').at(15 * s).gpus(2).runs(5 * s).build()],
      { events: [{ node: 0, at: 10 * s, downMs: 20 * s }, { node: 0, at: 20 * s, downMs: 20 * s }] },
    );
    expect(times).toEqual({ A: ['succeeded', 10, 110], B: ['succeeded', 40, 45] });
    expect(recs.filter((r) => r.ev === 'node-down' || r.ev === 'node-up').map((r) => [r.ev, r.t / s])).toEqual([
      ['node-down', 10],
      ['node-up', 40],
    ]);
  });

  it('a node lost for good: queued jobs that fit on no other node end rejected (never-fits)', () => {
    // n0 has H100s, n1 A100s. H (H100, 50 s) on n0 from 0; n0 lost for good at 10: H is requeued,
    // then fits no remaining node → finish rejected, reason never-fits. A later H100 arrival is rejected.
    const nodes = [node('n0', 2, 'H100'), node('n1', 2, 'A100')];
    const { recs, times, log } = run(
      [job('H').models('H100').runs(50 * s).build(), job('X').runs(5 * s).build(), job('H2').at(20 * s).models('H100').build()],
      { events: [{ node: 0, at: 10 * s }] },
      {},
      nodes,
    );
    // (H2 never started: start −1 ms)
    expect(times).toEqual({ H: ['rejected', 0, 10], X: ['succeeded', 0, 5], H2: ['rejected', -1 / s, 20] });
    expect(recs.filter((r) => jobOf(r) === 'H').map((r) => r.ev)).toEqual(['arrival', 'admit', 'start', 'node-loss', 'requeue', 'finish']);
    expect(recs.find((r) => r.ev === 'finish' && r.job === 'H')).toMatchObject({ state: 'rejected', reason: 'never-fits' });
    expect(recs.find((r) => r.ev === 'reject' && r.job === 'H2')).toMatchObject({ reason: 'never-fits' });
    expect(recs.some((r) => r.ev === 'node-up')).toBe(false);
    expect(log.deriver.metrics()).toMatchObject({ rejected: 2, unfinished: 0 });
  });

  it('a failure after the last job has ended is not simulated', () => {
    const { recs, res } = run([job('A').runs(10 * s).build()], { events: [{ node: 0, at: 50 * s, downMs: 5 * s }] });
    expect(recs.some((r) => r.ev === 'node-down')).toBe(false);
    expect(res.end).toBe(10 * s);
  });
});

describe('random node failures', () => {
  const many = Array.from({ length: 40 }, (_, i) => job(`j${i}`).at(i * 5 * s).runs(60 * s).build());
  const random: FailureSpec = { random: { mtbfMs: 300 * s, mttrMs: 20 * s } };
  const downs = (recs: LogRecord[]) => recs.filter((r) => r.ev === 'node-down' || r.ev === 'node-up').map((r) => `${r.ev}@${r.t}:${(r as { node: string }).node}`);

  it('are drawn per node from the run seed: the same outages under two placement policies', () => {
    const a = run(many, random, {}, undefined, 'first-fit');
    const b = run(many, random, {}, undefined, 'best-fit');
    expect(downs(a.recs).length).toBeGreaterThan(2);
    // Outages up to the shorter run's end are identical (each node has its own stream).
    const end = Math.min(a.res.end, b.res.end);
    const upTo = (l: string[]) => l.filter((x) => Number(x.split('@')[1].split(':')[0]) <= end);
    expect(upTo(downs(a.recs))).toEqual(upTo(downs(b.recs)));
    expect(downs(run(many, random, {}, undefined, 'first-fit', 2).recs)).not.toEqual(downs(a.recs));
    expect([...a.res.core.jobs.values()].every((j) => j.state === 'succeeded')).toBe(true);
  });

  it('do not change the workload or any other stream: without failures the log is unchanged', () => {
    const plain = run(many, undefined);
    const none = run(many, { events: [] });
    expect(none.log.lines).toEqual(plain.log.lines);
  });
});

describe('the viewer', () => {
  it('folds node failures as the Deriver does (node-loss releases the job; node-down/up are known records)', () => {
    for (const onNodeLoss of ['requeue', 'fail'] as const) {
      const { log } = run(jobs, outage, { onNodeLoss });
      const m = new RunModel();
      m.addText(log.lines!.join(''));
      expect(m.problems.size).toBe(0);
      const d = log.deriver;
      for (const { row: j } of m.jobs) {
        const row = d.jobs.get(j.id)!;
        expect([j.start, j.end, j.state, j.node]).toEqual([row.start, row.end, row.state, row.node]);
      }
      expect(m.series.alloc).toEqual(d.timeline.map((p) => p.gpuAllocated));
      expect(m.series.running).toEqual(d.timeline.map((p) => p.running));
      expect(m.series.queued).toEqual(d.timeline.map((p) => p.queued));
    }
  });
});

const SCENARIO = `
name: nf
cluster:
  nodes:
    - { prefix: n, count: 2, cpu: 8000, memory: 16384, gpus: [{ count: 2, model: A100 }] }
workload:
  kind: synthetic
  jobs: 10
  meanInterarrivalSec: 5
  duration: { dist: exponential, meanSec: 60 }
  tenants: [{ name: a }]
  demands: [{ gpus: 1, cpu: 1000, memory: 1024 }]
policies:
  - { queue: fifo, placement: first-fit }
failures:
  events: [{ node: n0, atSec: 10, downSec: 30 }, { node: n1, atSec: 20 }]
  random: { mtbfHours: 2, mttrMinutes: 10 }
`;

function problems(text: string): string[] {
  try {
    parseScenario(text, 'f.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    expect((e as Error).message.startsWith('f.yaml: invalid scenario')).toBe(true);
    return [...(e as ScenarioError).problems];
  }
  throw new Error('expected a ScenarioError');
}

describe('scenario failures section', () => {
  it('parses events and random failures into ms and node indices; onNodeLoss defaults to requeue', () => {
    const scn = parseScenario(SCENARIO, 'f.yaml');
    expect(scn.scheduler.onNodeLoss).toBe('requeue');
    const nodes = [node('n0', 2), node('n1', 2)];
    // 2 h = 7 200 000 ms; 10 min = 600 000 ms; n1 has no downSec: down for good
    expect(failureSpec(scn, nodes, 'f.yaml')).toEqual({
      events: [{ node: 0, at: 10 * s, downMs: 30 * s }, { node: 1, at: 20 * s }],
      random: { mtbfMs: 7_200_000, mttrMs: 600_000 },
    });
    expect(parseScenario(SCENARIO.replace('policies:', 'scheduler: { onNodeLoss: fail }\npolicies:'), 'f.yaml').scheduler.onNodeLoss).toBe('fail');
  });

  it.each([
    ['an unknown node id', SCENARIO.replace('node: n0', 'node: gpu-7'), /^failures\.events\.0\.node: unknown node id 'gpu-7' \(nodes: n0, n1\)$/],
    ['a negative time', SCENARIO.replace('atSec: 10', 'atSec: -1'), /^failures\.events\.0\.atSec: /],
    ['a zero outage', SCENARIO.replace('downSec: 30', 'downSec: 0'), /^failures\.events\.0\.downSec: /],
    ['a missing MTTR', SCENARIO.replace(', mttrMinutes: 10', ''), /^failures\.random\.mttrMinutes: /],
    ['an unknown field', SCENARIO.replace('mtbfHours: 2', 'mtbfHours: 2, mtbf: 3'), /^failures\.random: .*mtbf/],
    ['an unknown onNodeLoss', SCENARIO.replace('policies:', 'scheduler: { onNodeLoss: retry }\npolicies:'), /^scheduler\.onNodeLoss: /],
  ])('rejects %s, naming the file and the field', (_what, text, pattern) => {
    const p = problems(text);
    expect(p.some((x) => pattern.test(x)), p.join('\n')).toBe(true);
  });

  it('checks node ids of a node CSV cluster when the nodes are loaded', () => {
    const scn = parseScenario(SCENARIO.replace(/cluster:\n  nodes:\n.*\n/, 'cluster: { nodesCsv: nodes.csv }\n'), 'f.yaml');
    expect(() => failureSpec(scn, [node('a', 1), node('b', 1)], 'f.yaml')).toThrow(ScenarioError);
    expect(() => failureSpec(scn, [node('a', 1), node('b', 1)], 'f.yaml')).toThrow(/f\.yaml: invalid scenario\n  - failures\.events\.0\.node: unknown node id 'n0' \(nodes: a, b\)/);
  });

  it('rejects failures in a static-fill scenario, naming the field', async () => {
    const scn = parseScenario(
      SCENARIO.replace(/workload:\n(  .*\n)+/, 'workload: { kind: static-fill, format: openb, path: pods.csv, tune: 1.3 }\n'),
      'f.yaml',
    );
    await expect(runScenario(scn, { file: 'f.yaml', dryRun: true })).rejects.toThrow(/f\.yaml: invalid scenario\n  - failures: not supported with workload\.kind static-fill/);
  });

  it('scenarios/node-failures.yaml: every policy of a seed sees the same outages; nothing is left unfinished', async () => {
    const file = 'scenarios/node-failures.yaml';
    const sum = await runScenario(loadScenario(file), { file, dryRun: true });
    for (const seed of [1, 2]) {
      const runs = sum.runs.filter((r) => r.seed === seed);
      expect(runs.length).toBe(2);
      expect(runs[0].metrics.failures!.nodeDowns).toBeGreaterThan(5);
      expect(runs[1].metrics.failures!.nodeDowns).toBe(runs[0].metrics.failures!.nodeDowns);
      for (const r of runs) expect([r.metrics.completed, r.metrics.unfinished]).toEqual([1500, 0]);
    }
  });
});
