import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { ServiceConfigSchema } from '../src/service/config.ts';
import { startService, tempState, testConfig, workers } from './service-helpers.ts';

const dir = tempState();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The executor's `start` log lines: job id → warm. */
const starts = (logs: string[]) =>
  Object.fromEntries(
    logs
      .map((l) => JSON.parse(l) as { msg: string; job?: string; warm?: boolean })
      .filter((l) => l.msg === 'start' && l.job !== undefined)
      .map((l) => [l.job, l.warm]),
  );

describe('service: warm workers for batch jobs (sandbox.warmPool)', () => {
  it('defaults to none; a size past 64 is refused naming the field', () => {
    expect(testConfig(dir).sandbox.warmPool).toEqual({ tensor: 0, plain: 0 });
    const r = ServiceConfigSchema.safeParse({ stateDir: dir, sandbox: { warmPool: { tensor: 65 } } });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.'))).toContain('sandbox.warmPool.tensor');
  });

  it('refuses at start-up a pool that is too big once its tensor workers are counted per GPU, naming the field', async () => {
    // 9 tensor workers for each of 8 GPUs is 72 processes (each would hold a GPU context).
    const cfg = testConfig(dir, {
      cluster: { nodes: [{ prefix: 'gpu-', count: 1, cpu: 16000, memory: 65536, gpus: [{ count: 8, model: 'A100' }] }] },
      sandbox: { mode: 'none', timeoutSec: 20, graceMs: 200, minMemoryMiB: 64, backends: ['cpu'], warmPool: { tensor: 9, plain: 1 } },
    });
    await expect(startService(cfg, true)).rejects.toThrow('sandbox.warmPool: 9 tensor per GPU × 8 GPUs + 1 plain = 73 warm workers, more than 64');
    expect(workers(dir)).toEqual([]);
  }, 60_000);

  it('starts the pool with the service, so the first tensor job starts warm; the pool is refilled; close leaves no worker', async () => {
    const cfg = testConfig(dir, { sandbox: { mode: 'none', timeoutSec: 20, graceMs: 200, minMemoryMiB: 64, backends: ['cpu'], warmPool: { tensor: 1 } } });
    const s = await startService(cfg, true);
    try {
      const post = async () => (await s.app.inject({ method: 'POST', url: '/v1/jobs', payload: { tenant: 'team-a', work: { kind: 'matmul', n: 16, gflop: 0.0001 } } })).json().id as string;
      const end = async (id: string) => {
        for (let i = 0; i < 500; i++) {
          const j = (await s.app.inject(`/v1/jobs/${id}`)).json();
          if (!['queued', 'running'].includes(j.state)) return j.state as string;
          await new Promise((r) => setTimeout(r, 20));
        }
        throw new Error(`job ${id} did not end`);
      };
      const a = await post();
      expect(await end(a)).toBe('succeeded');
      // a's start refilled the pool; once that worker is ready (the /metrics gauge), b takes it.
      const warm = async () => {
        const text = (await s.app.inject('/metrics')).body;
        return [/^gpulab_warm_workers\{state="ready"\} (\d+)$/m, /^gpulab_warm_workers\{state="starting"\} (\d+)$/m].map((re) => Number(re.exec(text)?.[1]));
      };
      for (let i = 0; i < 500 && (await warm())[0] !== 1; i++) await new Promise((r) => setTimeout(r, 20));
      expect(await warm()).toEqual([1, 0]);
      const b = await post();
      expect(await end(b)).toBe('succeeded');
      expect(starts(s.logs)).toEqual({ [a]: true, [b]: true });
    } finally {
      await s.close();
    }
    expect(workers(dir)).toEqual([]);
  }, 60_000);
});
