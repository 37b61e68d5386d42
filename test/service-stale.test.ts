import { readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { childPids, MARKER_ENV } from '../src/live/proc-scan.ts';
import { startService, tempState, testConfig } from './service-helpers.ts';

const dir = tempState();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Worker processes (marker variable) whose working directory is under `root`. */
function workers(root: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      if (readFileSync(`/proc/${e}/environ`, 'latin1').includes(`${MARKER_ENV}=`) && readlinkSync(`/proc/${e}/cwd`).startsWith(root)) out.push(Number(e));
    } catch {
      // gone
    }
  }
  return out;
}

describe('stale workers: no heartbeat over the IPC channel for N intervals → reaped, the job failed', () => {
  it('a hung (SIGSTOPped) worker is killed and its job ends failed; a busy one that beats runs on; gpulab_executor_restarts counts it', async () => {
    // 50 ms beats, stale after 6 silent intervals (300 ms).
    const cfg = testConfig(dir, { sandbox: { mode: 'none', timeoutSec: 20, graceMs: 200, minMemoryMiB: 64, backends: ['cpu'], heartbeatMs: 50, staleAfterBeats: 6 } });
    const s = await startService(cfg, true);
    try {
      const post = (body: object) => s.app.inject({ method: 'POST', url: '/v1/jobs', payload: body });
      // The hung job: a command, so its worker has a child once it runs (then it has said ready).
      const hung = (await post({ tenant: 'team-a', command: ['/bin/sleep', '10'] })).json().id;
      const busy = (await post({ tenant: 'team-a', work: { kind: 'sleep', ms: 800 } })).json().id;
      const job = async (id: string) => (await s.app.inject(`/v1/jobs/${id}`)).json();
      const root = join(dir, 'work');
      const workerOfSleep = () => workers(root).find((p) => childPids(p).some((c) => readFileSync(`/proc/${c}/cmdline`, 'latin1').startsWith('/bin/sleep')));
      let hungPid: number | undefined;
      for (let i = 0; i < 200 && (hungPid = workerOfSleep()) === undefined; i++) await new Promise((r) => setTimeout(r, 20));
      expect(hungPid).toBeDefined();
      process.kill(hungPid!, 'SIGSTOP');
      let end: { state: string; reason?: string } = { state: '' };
      for (let i = 0; i < 150 && ['queued', 'running', ''].includes(end.state); i++) {
        await new Promise((r) => setTimeout(r, 20));
        end = await job(hung);
      }
      expect(end.state).toBe('failed');
      expect(end.reason).toMatch(/^stale worker: no heartbeat for \d+ ms$/);
      for (let i = 0; i < 100 && (await job(busy)).state === 'running'; i++) await new Promise((r) => setTimeout(r, 20));
      expect((await job(busy)).state).toBe('succeeded');
      expect((await s.app.inject('/metrics')).body).toContain('gpulab_executor_restarts{reason="stale-worker"} 1');
      expect(workers(root)).toEqual([]);
    } finally {
      await s.close();
    }
  }, 15_000);
});
