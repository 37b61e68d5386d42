import { describe, expect, it } from 'vitest';
import '../policies/index.ts';
import type { NodeSpec } from '../src/cluster/types.ts';
import type { JobSpec } from '../src/jobs/job.ts';
import { LiveDriver } from '../src/live/live-driver.ts';
import { LiveExecutor } from '../src/live/live-executor.ts';
import { generateSigningKey, signManifest } from '../src/live/manifest-signing.ts';
import { decisionOrder } from '../src/live/twin.ts';
import { workerScript } from '../src/live/worker-entry.ts';
import { RunWriter } from '../src/output/run-writer.ts';
import { placementPolicyFactory, queuePolicyFactory } from '../src/scheduler/registry.ts';
import { simulate } from '../src/sim/simulate.ts';
import { testExecutorOptions } from './live-helpers.ts';

const node = (gpus: number): NodeSpec => ({ id: 'n0', cpu: 8000, memory: 16384, gpus: Array.from({ length: gpus }, () => ({ model: 'virtual', capacity: 1000 })) });

async function driver(nodes: NodeSpec[], over: Partial<ConstructorParameters<typeof LiveDriver>[0]> = {}) {
  const script = await workerScript();
  const log = new RunWriter(undefined, { keepLines: true });
  const d = new LiveDriver({
    run: 'test',
    seed: 1,
    nodes,
    queue: queuePolicyFactory('fifo')({}),
    placement: placementPolicyFactory('first-fit')({}),
    log,
    timeScale: 1,
    executor: (emit) =>
      new LiveExecutor(testExecutorOptions(emit, script, { warmPool: { plain: 3 } })),
    ...over,
  });
  await d.executor.warmUp();
  return { d, log };
}

const sleepJob = (id: string, submit: number, gpus: number, ms: number): JobSpec => ({
  id,
  tenant: 't',
  submit,
  duration: ms,
  priority: 0,
  cpu: 1000,
  memory: 256,
  gpus,
  milli: 1000,
  work: { kind: 'sleep', ms },
});

describe('live driver', () => {
  it('a live run and its simulated twin make the same decisions in the same order', async () => {
    // One node, 2 GPUs, FIFO (skip) + first-fit. j0 (1 GPU, 1500 ms) at 0; j1 (2 GPUs) at 200 cannot
    // fit beside j0 and waits; j2 (1 GPU, 200 ms) at 400 fits and starts ahead of j1, ends ≈ 600;
    // j0 ends ≈ 1500, then j1 starts. Gaps of ≥ 200 ms dwarf start-up jitter.
    const jobs = [sleepJob('j0', 0, 1, 1500), sleepJob('j1', 200, 2, 200), sleepJob('j2', 400, 1, 200)];
    const { d, log } = await driver([node(2)]);
    d.begin();
    d.replay(jobs);
    await d.idle();
    await d.close();
    expect(d.executor.strays()).toEqual([]);
    log.close();
    const sim = new RunWriter(undefined, { keepLines: true });
    simulate({ run: 'test', seed: 1, nodes: [node(2)], jobs, queue: queuePolicyFactory('fifo')({}), placement: placementPolicyFactory('first-fit')({}), log: sim });
    sim.close();
    const live = decisionOrder(log.lines!);
    expect(live).toEqual(['start j0', 'start j2', 'finish j2 succeeded', 'finish j0 succeeded', 'start j1', 'finish j1 succeeded']);
    expect(live).toEqual(decisionOrder(sim.lines!));
    // Same log format: the same record kinds with the same keys, only the mode differs.
    const shape = (lines: readonly string[]) => lines.map((l) => { const r = JSON.parse(l); return `${r.ev}:${Object.keys(r).sort().join(',')}`; });
    expect(shape(log.lines!)).toEqual(shape(sim.lines!));
    expect(JSON.parse(log.lines![0]).mode).toBe('live');
  });

  it('cancels a running job through the core (finish cancelled, process gone)', async () => {
    const { d, log } = await driver([node(1)]);
    d.begin();
    d.replay([sleepJob('long', 0, 1, 30_000)]);
    await new Promise((r) => setTimeout(r, 400));
    d.cancel('long');
    await d.idle();
    await d.close();
    log.close();
    expect(d.core.jobs.get('long')!.state).toBe('cancelled');
    expect(d.executor.measures.map((m) => m.outcome)).toEqual(['stopped']);
    expect(d.executor.strays()).toEqual([]);
  });

  it('bounded queue: arrivals past maxQueue are rejected queue-full', async () => {
    // 1 GPU, maxQueue 1: a is admitted and started; then b waits (queue length 1 = max) and c,
    // arriving with 1 job queued, is rejected. (Arrivals of one batch are all handled before the
    // pass that starts a, so a is submitted first, on its own.)
    const { d, log } = await driver([node(1)], { maxQueue: 1 });
    d.begin();
    const job = { tenant: 't', cpu: 500, memory: 256, gpus: 1, duration: 300, work: { kind: 'sleep' as const, ms: 300 } };
    const ids = [d.submit({ submissionId: 'a', job })];
    await new Promise((r) => setTimeout(r, 50));
    expect(d.core.runningCount).toBe(1);
    ids.push(...['b', 'c'].map((s) => d.submit({ submissionId: s, job })));
    await d.idle();
    await d.close();
    log.close();
    expect(ids.map((r) => r.kind)).toEqual(['accepted', 'accepted', 'accepted']);
    const states = ids.map((r) => (r.kind === 'accepted' ? d.core.jobs.get(r.jobId)!.state : 'none'));
    expect(states).toEqual(['succeeded', 'succeeded', 'rejected']);
    expect(log.lines!.some((l) => l.includes('"reason":"queue-full"'))).toBe(true);
  });

  it('idempotent submission and signed manifests are checked before admission', async () => {
    const key = generateSigningKey('ci');
    const stranger = generateSigningKey('ci');
    const { d, log } = await driver([node(1)], { trustedKeys: { ci: key.publicKeyPem } });
    d.begin();
    const manifest = { tenant: 't', cpu: 500, memory: 256, gpus: 0, duration: 50, work: { kind: 'sleep', ms: 50 } };
    const signed = signManifest(manifest, key);
    const first = d.submit({ submissionId: 'sub-1', signed });
    const again = d.submit({ submissionId: 'sub-1', signed });
    expect(first).toEqual({ kind: 'accepted', jobId: 's1', duplicate: false });
    expect(again).toEqual({ kind: 'accepted', jobId: 's1', duplicate: true });
    expect(d.submit({ submissionId: 'sub-2', job: { ...manifest, work: { kind: 'sleep', ms: 50 } } })).toEqual({ kind: 'refused', reason: 'unsigned: a signed manifest is required' });
    const forged = { ...signed, manifest: { ...manifest, cpu: 4000 } };
    expect(d.submit({ submissionId: 'sub-3', signed: forged })).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/^bad-signature/) });
    expect(d.submit({ submissionId: 'sub-4', signed: signManifest(manifest, stranger) })).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/^bad-signature/) });
    const badJob = signManifest({ ...manifest, work: { kind: 'rm-rf' } }, key);
    expect(d.submit({ submissionId: 'sub-5', signed: badJob })).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/^invalid job: work/) });
    await d.idle();
    await d.close();
    log.close();
    expect([...d.core.jobs.keys()]).toEqual(['s1']);
    expect(d.core.jobs.get('s1')!.state).toBe('succeeded');
  });

  it('an error during a replay closes the driver: warm workers and timers end, the error reaches the caller', async () => {
    // The log refuses the run record (as a broken writer did in a GPU-box bundle, which then hung
    // with its warm workers alive until killed).
    const log = { append(r: { ev: string }) { if (r.ev === 'run') throw new TypeError('log refused the run record'); } };
    const script = await workerScript();
    const d = new LiveDriver({
      run: 'test', seed: 1, nodes: [node(1)], queue: queuePolicyFactory('fifo')({}), placement: placementPolicyFactory('first-fit')({}), log, timeScale: 1,
      executor: (emit) => new LiveExecutor(testExecutorOptions(emit, script, { warmPool: { plain: 2 } })),
    });
    await expect(d.runToIdle([sleepJob('a', 0, 1, 10)])).rejects.toThrow('log refused the run record');
    expect(d.executor.warmCount).toBe(0);
    expect(d.executor.strays()).toEqual([]);
  });
});
