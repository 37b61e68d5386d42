import { describe, expect, it } from 'vitest';
import '../policies/index.ts';
import type { NodeSpec } from '../src/cluster/types.ts';
import type { JobSpec } from '../src/jobs/job.ts';
import { LiveDriver } from '../src/live/live-driver.ts';
import { LiveExecutor } from '../src/live/live-executor.ts';
import { workerScript } from '../src/live/worker-entry.ts';
import type { LogRecord } from '../src/log/records.ts';
import { RunWriter } from '../src/output/run-writer.ts';
import type { FailureSpec } from '../src/scheduler/failures.ts';
import { placementPolicyFactory, queuePolicyFactory } from '../src/scheduler/registry.ts';
import { eventually, testExecutorOptions } from './live-helpers.ts';

const nodes: NodeSpec[] = ['n0', 'n1'].map((id) => ({ id, cpu: 8000, memory: 16384, gpus: [{ model: 'virtual', capacity: 1000 }] }));

/** A 1-GPU job whose worker runs a shell that runs `sleep` (a process tree of three). */
const shJob = (id: string, sec: number): JobSpec => ({
  id,
  tenant: 't',
  submit: 0,
  duration: sec * 1000,
  priority: 0,
  cpu: 1000,
  memory: 256,
  gpus: 1,
  milli: 1000,
  work: { kind: 'command', argv: ['/bin/sh', '-c', `sleep ${sec}; true`] },
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function runLive(jobs: JobSpec[], failures: FailureSpec, onNodeLoss: 'requeue' | 'fail') {
  const script = await workerScript();
  const log = new RunWriter(undefined, { keepLines: true });
  const d = new LiveDriver({
    run: 'node-loss',
    seed: 1,
    nodes,
    queue: queuePolicyFactory('fifo')({}),
    placement: placementPolicyFactory('first-fit')({}),
    log,
    timeScale: 1,
    coreExtras: { onNodeLoss },
    failures,
    executor: (emit) =>
      new LiveExecutor(testExecutorOptions(emit, script)),
  });
  d.begin();
  d.replay(jobs);
  // The first attempt's processes (worker, shell, sleep) once they are all up, before n0 fails (1 s in: ample for a cold worker start).
  const pids = await eventually(() => d.executor.jobPids('j0'), (p) => p.length >= 3, 2000);
  return { d, log, pids };
}

describe('live mode: node loss', () => {
  it('requeue: the job on the failed node is killed (its whole process tree) and restarts on the other node', async () => {
    // j0 (1 GPU, 1.5 s) starts on n0 (first-fit); n0 fails at 1000 ms for 10 s; j0 is killed,
    // requeued and restarts on n1 at once; it succeeds there ≈ 2.5 s in. The run is idle before
    // n0 comes back (failures do not hold a live run open).
    const { d, log, pids } = await runLive([shJob('j0', 1.5)], { events: [{ node: 0, at: 1000, downMs: 10_000 }] }, 'requeue');
    expect(pids.length).toBeGreaterThanOrEqual(3);
    expect(await eventually(() => pids.filter(alive), (p) => p.length === 0, 3000)).toEqual([]);
    await d.idle();
    await d.close();
    expect(d.executor.strays()).toEqual([]);
    log.close();
    const recs = log.lines!.map((l) => JSON.parse(l) as LogRecord);
    const seq = recs.filter((r) => r.ev !== 'arrival' && r.ev !== 'admit' && r.ev !== 'run' && r.ev !== 'end').map((r) => `${r.ev}${r.ev === 'start' ? `@${r.node}` : ''}`);
    expect(seq).toEqual(['start@n0', 'node-down', 'node-loss', 'requeue', 'start@n1', 'finish']);
    expect(recs.find((r) => r.ev === 'node-down')).toMatchObject({ node: 'n0', jobs: ['j0'] });
    expect(recs.find((r) => r.ev === 'finish')).toMatchObject({ job: 'j0', state: 'succeeded' });
    expect(d.executor.measures.map((m) => [m.attempt, m.outcome, m.reason])).toEqual([
      [1, 'stopped', 'node-loss'],
      [2, 'succeeded', ''],
    ]);
    expect(log.deriver.metrics().failures).toMatchObject({ nodeDowns: 1, jobsHit: 1, jobsFailed: 0 });
  }, 15_000);

  it('fail: the job on the failed node is killed and fails with reason node-loss; the other job is untouched', async () => {
    // j0 (30 s) on n0, j1 (1 s) on n1; n0 fails for good at 1000 ms: j0 is killed and fails.
    const { d, log, pids } = await runLive([shJob('j0', 30), shJob('j1', 1)], { events: [{ node: 0, at: 1000 }] }, 'fail');
    expect(await eventually(() => pids.filter(alive), (p) => p.length === 0, 3000)).toEqual([]);
    await d.idle();
    await d.close();
    expect(d.executor.strays()).toEqual([]);
    log.close();
    const finish = (job: string) => log.lines!.map((l) => JSON.parse(l) as LogRecord).find((r) => r.ev === 'finish' && r.job === job);
    expect(finish('j0')).toMatchObject({ state: 'failed', reason: 'node-loss' });
    expect(finish('j1')).toMatchObject({ state: 'succeeded' });
    expect(d.executor.measures.find((m) => m.jobId === 'j0')).toMatchObject({ outcome: 'stopped', reason: 'node-loss' });
  }, 15_000);
});
