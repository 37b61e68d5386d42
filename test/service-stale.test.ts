import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { childPids } from '../src/live/proc-scan.ts';
import { Deriver } from '../src/output/derive.ts';
import { RunModel } from '../viz/src/run-model.ts';
import { startService, tempState, testConfig, workers } from './service-helpers.ts';

const dir = tempState();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('stale workers: no heartbeat over the IPC channel for N intervals → reaped, the job handled by the recovery rule', () => {
  it('a hung (SIGSTOPped) worker is killed; its job is requeued as a new attempt that succeeds, and at maxAttempts it fails; a busy one that beats runs on', async () => {
    // 50 ms beats, stale after 6 silent intervals (300 ms); two runs at most per job.
    const cfg = testConfig(dir, {
      sandbox: { mode: 'none', timeoutSec: 20, graceMs: 200, minMemoryMiB: 64, backends: ['cpu'], heartbeatMs: 50, staleAfterBeats: 6 },
      recovery: { maxAttempts: 2 },
    });
    const s = await startService(cfg, true);
    try {
      const post = (body: object) => s.app.inject({ method: 'POST', url: '/v1/jobs', payload: body });
      const job = async (id: string) => (await s.app.inject(`/v1/jobs/${id}`)).json();
      const runs = async (id: string) => (await s.app.inject(`/v1/jobs/${id}/runs`)).json().runs as { attempt: number; outcome: string | null; reason: string | null }[];
      const root = join(dir, 'work');
      // The worker running `/bin/sleep <secs>` (a command job has a child once it runs, so it has said ready).
      const workerOfSleep = (secs: string) =>
        workers(root).find((p) =>
          childPids(p).some((c) => {
            try {
              return readFileSync(`/proc/${c}/cmdline`, 'latin1') === `/bin/sleep\0${secs}\0`;
            } catch {
              return false;
            }
          }),
        );
      /** SIGSTOPs the worker of the job's current attempt (found by its sleep) once it runs; returns its pid. */
      const hang = async (secs: string) => {
        let pid: number | undefined;
        for (let i = 0; i < 300 && (pid = workerOfSleep(secs)) === undefined; i++) await pause(20);
        expect(pid).toBeDefined();
        process.kill(pid!, 'SIGSTOP');
        return pid!;
      };
      const until = async (id: string, done: (j: { state: string; attempts: number }) => boolean) => {
        let j = await job(id);
        for (let i = 0; i < 400 && !done(j); i++) {
          await pause(20);
          j = await job(id);
        }
        return j;
      };

      // 1. Lost once, then run again: a new run record, the second attempt succeeds.
      const retried = (await post({ tenant: 'team-a', command: ['/bin/sleep', '1'] })).json().id;
      const busy = (await post({ tenant: 'team-a', work: { kind: 'sleep', ms: 800 } })).json().id;
      const first = await hang('1');
      const second = await until(retried, (j) => j.attempts >= 2 && j.state === 'running');
      expect(second.state).toBe('running');
      expect(workerOfSleep('1')).not.toBe(first);
      const end = await until(retried, (j) => !['queued', 'running'].includes(j.state));
      expect(end).toMatchObject({ state: 'succeeded', attempts: 2 });
      const r = await runs(retried);
      expect(r.map((x) => x.outcome)).toEqual(['lost', 'succeeded']);
      expect(r[0].reason).toMatch(/^stale worker: no heartbeat for \d+ ms$/);
      expect(r.map((x) => x.attempt)).toEqual([1, 2]);
      expect((await until(busy, (j) => j.state !== 'running' && j.state !== 'queued')).state).toBe('succeeded');

      // The event log says why the job was requeued, and how much run time the lost attempt cost.
      const text = readFileSync(s.svc.eventsFile, 'utf8');
      const events = text.trim().split('\n').map((l) => JSON.parse(l));
      const requeue = events.find((e) => e.ev === 'requeue' && e.job === retried);
      expect(requeue.reason).toMatch(/^stale worker/);
      expect(requeue.lost).toBeGreaterThan(0);
      // The CLI's deriver and the viewer both end the lost attempt there: nothing stays running.
      const d = new Deriver();
      for (const e of events) d.add(e);
      d.finish();
      expect(d.jobs.get(retried)).toMatchObject({ state: 'succeeded', attempts: 2, lostMs: requeue.lost });
      expect(d.timeline.at(-1)).toMatchObject({ running: 0, gpuAllocated: 0 });
      const m = new RunModel();
      m.addText(text);
      expect(m.problems.size).toBe(0);
      expect(m.series.running).toEqual(d.timeline.map((r) => r.running));

      // 2. Lost on every attempt: requeued once, failed at maxAttempts (2) with the stale worker's reason.
      const doomed = (await post({ tenant: 'team-a', command: ['/bin/sleep', '2'] })).json().id;
      await hang('2');
      await until(doomed, (j) => j.attempts >= 2 && j.state === 'running');
      await hang('2');
      const failed = await until(doomed, (j) => !['queued', 'running'].includes(j.state));
      expect(failed.state).toBe('failed');
      expect(failed.attempts).toBe(2);
      expect(failed.reason).toMatch(/^stale worker: no heartbeat for \d+ ms$/);
      expect((await runs(doomed)).map((x) => x.outcome)).toEqual(['lost', 'failed']);

      expect((await s.app.inject('/metrics')).body).toContain('gpulab_executor_restarts{reason="stale-worker"} 3');
      for (let i = 0; i < 100 && workers(root).length > 0; i++) await pause(20);
      expect(workers(root)).toEqual([]);
    } finally {
      await s.close();
    }
  }, 30_000);
});
