import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import '../policies/index.ts';
import { WarmState } from '../src/context/warm-state.ts';
import { warmPoolPolicyFactory } from '../src/context/warm-pool-registry.ts';
import type { JobSpec } from '../src/jobs/job.ts';
import { parseLogRecord, type LogRecord } from '../src/log/records.ts';
import { RunWriter } from '../src/output/run-writer.ts';
import { placementPolicyFactory, queuePolicyFactory } from '../src/scheduler/registry.ts';
import { simulate } from '../src/sim/simulate.ts';
import { job, node } from './helpers/builders.ts';
import { serviceRecords, startCounts, startSessionService } from './helpers/session-service.ts';
import { tempState } from './service-helpers.ts';

// A live run and its simulated twin (issue 14): the same sequence of session creates and ends
// against a real service whose template's warm pool is driven by a warm-pool policy, and as jobs
// of that context in the simulator under the same policy (placement affinity, one node). Both
// count cold and warm starts from their event logs' start records.
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Step = { create: string } | { end: string } | { wait: number } | 'refilled';
type Policy = { policy: string; params: Record<string, unknown> };

/** Runs `steps` against a service; returns its event log's records. Steps are ≥ 40 ms apart so no two releases share a millisecond. */
async function live(warmPool: Policy, steps: readonly Step[], setup: string[] = []): Promise<LogRecord[]> {
  const dir = tempState();
  dirs.push(dir);
  const s = await startSessionService(dir, { templates: [{ name: 'sh', runtime: 'shell', resources: { cpuMilli: 100, memoryMiB: 64 }, setup, warmPool }] });
  const ids = new Map<string, string>();
  try {
    for (const step of steps) {
      if (step === 'refilled') await s.sessions.poolsFull();
      else if ('wait' in step) await sleep(step.wait);
      else if ('create' in step) {
        const r = await s.post('/v1/sessions', { tenant: 'team-a', template: 'sh' });
        expect(r.statusCode).toBe(201);
        ids.set(step.create, r.json().id);
      } else expect((await s.del(ids.get(step.end)!)).statusCode).toBe(200);
      await sleep(40);
    }
  } finally {
    await s.close();
  }
  return serviceRecords(dir, s.svc.epoch);
}

/** The twin: each live hold becomes a job of context `sh` arriving at its start, running its live lifetime. */
function twin(records: readonly LogRecord[], warmPool: Policy): LogRecord[] {
  const starts = records.filter((r) => r.ev === 'start');
  const t0 = starts[0].t;
  const jobs: JobSpec[] = starts.map((st) => {
    const fin = records.find((r) => r.ev === 'finish' && r.job === st.job)!;
    return { ...job(st.job).at(st.t - t0).runs(fin.t - st.t).build(), context: 'sh' };
  });
  const log = new RunWriter(undefined, { keepLines: true });
  // Cold 1 ms, warm 0: the twin's starts pay (almost) nothing, so its jobs end when the live sessions did.
  const warm = new WarmState({ coldMs: 1, warmMs: 0 }, warmPoolPolicyFactory(warmPool.policy)(warmPool.params));
  simulate({ run: 'twin', seed: 1, nodes: [node('n0', 8)], jobs, queue: queuePolicyFactory('fifo')({}), placement: placementPolicyFactory('affinity')({}), log, scheduler: { contexts: warm }, keepEndedJobs: true });
  log.close();
  return log.lines!.flatMap((l) => {
    const o = parseLogRecord(l, 'events.jsonl');
    return o.kind === 'record' ? [o.record] : [];
  });
}

describe('live warm pools and their simulated twin', () => {
  it('fixed keep 1: both count 2 cold and 2 warm starts, in the same order', async () => {
    const policy = { policy: 'fixed', params: { perContext: 1 } };
    // a cold; its end keeps one; b takes it (warm), c finds none (cold); c then b end: the pool
    // holds one (b's, the newer); d takes it (warm).
    const steps: Step[] = [{ create: 'a' }, { end: 'a' }, 'refilled', { create: 'b' }, { create: 'c' }, { end: 'c' }, { end: 'b' }, 'refilled', { create: 'd' }, { end: 'd' }];
    const rec = await live(policy, steps);
    const sim = twin(rec, policy);
    const order = (rs: LogRecord[]) => rs.flatMap((r) => (r.ev === 'start' ? [r.warm] : []));
    expect(startCounts(rec)).toEqual({ cold: 2, warm: 2 });
    expect(startCounts(sim)).toEqual(startCounts(rec));
    expect(order(sim)).toEqual(order(rec));
    expect(order(rec)).toEqual([false, true, false, true]);
  });

  it('idle-timeout 2 s: a create just after the refill is warm, one 2.5 s after a release is cold, live and simulated', async () => {
    // (2 s leaves room for the refill's build on a loaded machine: b must come before a's worker expires.)
    const policy = { policy: 'idle-timeout', params: { idleSec: 2 } };
    const steps: Step[] = [{ create: 'a' }, { end: 'a' }, 'refilled', { create: 'b' }, { end: 'b' }, { wait: 2500 }, { create: 'c' }, { end: 'c' }];
    const rec = await live(policy, steps);
    const sim = twin(rec, policy);
    expect(startCounts(rec)).toEqual({ cold: 2, warm: 1 });
    expect(startCounts(sim)).toEqual(startCounts(rec));
  });

  it('where they part: a create during the background refill is cold live, warm in the simulator', async () => {
    const policy = { policy: 'fixed', params: { perContext: 1 } };
    // The template's setup takes 0.5 s, so the worker kept after a's end is still being built
    // when b arrives 40 ms later: live, b builds its own (cold); the simulator's instance is warm at once.
    const rec = await live(policy, [{ create: 'a' }, { end: 'a' }, { create: 'b' }, { end: 'b' }], ['sleep 0.5']);
    const sim = twin(rec, policy);
    expect(startCounts(sim)).toEqual({ cold: 1, warm: 1 });
    expect(startCounts(rec)).toEqual({ cold: 2, warm: 0 });
  });
});
