import { afterAll, describe, expect, it } from 'vitest';
import { WarmPool } from '../src/live/warm-pool.ts';
import type { Worker } from '../src/live/worker-process.ts';
import { harness, liveJob } from './live-helpers.ts';

/** A stand-in with the fields the pool reads (exit state, readiness). */
const fake = (name: string, ready: boolean, exited = false) => ({ name, lastHeard: ready ? 1 : -1, exitCode: exited ? 0 : null, exitSignal: null }) as unknown as Worker & { name: string };

describe('warm pool', () => {
  it('hands out the oldest ready worker first, then the oldest still starting; never an exited one', () => {
    const p = new WarmPool();
    const [a, b, c, d] = [fake('a', false), fake('b', true), fake('c', true, true), fake('d', true)];
    for (const w of [a, b, c, d]) p.add('tensor|', w);
    const names = () => (p.take('tensor|') as (Worker & { name: string }) | undefined)?.name;
    expect([names(), names(), names(), names()]).toEqual(['b', 'd', 'a', undefined]);
    expect(p.take('other|')).toBeUndefined();
  });
});

// Real worker processes (wasm backend): a start on a pooled worker that is still initialising is
// labelled cold; once it is ready, warm.
describe('live executor: the warm label', () => {
  let h: Awaited<ReturnType<typeof harness>>;
  afterAll(async () => {
    await h.x.shutdown();
  });

  it('is warm only when the pooled worker was ready', async () => {
    h = await harness({ warmPool: { tensor: 1 } });
    const job = (id: string) => liveJob(id, { kind: 'matmul', n: 16, gflop: 0.0001 });
    // a: nothing pooled yet (cold); its start refills the pool with a worker that is starting now,
    // and b takes that one at once, before it can have said ready.
    const [ca, cb] = await Promise.all([h.run(job('a')), h.run(job('b'))]);
    expect([ca.outcome, cb.outcome]).toEqual(['succeeded', 'succeeded']);
    await h.x.poolReady();
    expect(h.x.warmCount).toBeGreaterThan(0);
    expect((await h.run(job('c'))).outcome).toBe('succeeded');
    const warm = Object.fromEntries(h.x.measures.map((m) => [m.jobId, m.warm]));
    expect(warm).toEqual({ a: false, b: false, c: true });
  }, 60_000);
});
