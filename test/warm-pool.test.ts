import { afterAll, describe, expect, it } from 'vitest';
import type { Placement } from '../src/cluster/types.ts';
import type { JobOutput } from '../src/live/live-executor.ts';
import type { WorkSpec } from '../src/live/work-spec.ts';
import { mostGpus, poolKey, WarmPool, warmPins, warmPoolTooBig } from '../src/live/warm-pool.ts';
import { ServiceMetrics } from '../src/service/metrics.ts';
import type { Worker } from '../src/live/worker-process.ts';
import { harness, liveJob, type Completion } from './live-helpers.ts';

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

describe('warm pool keys and start-up pinnings', () => {
  it('keys tensor workers by their GPU pinning and plain ones by kind alone', () => {
    expect(poolKey('tensor', { CUDA_VISIBLE_DEVICES: '1', GPULAB_GPU_MILLI: '500' })).toBe('tensor|1');
    expect(poolKey('tensor', {})).toBe('tensor|');
    expect(poolKey('plain', { CUDA_VISIBLE_DEVICES: '1' })).toBe(poolKey('plain', {}));
  });

  it('pins the start-up tensor pool to each GPU index of the largest node; plain and GPU-less pools are unpinned', () => {
    const nodes = [{ gpus: [1, 2] }, { gpus: [1, 2, 3] }, { gpus: [] }];
    expect(mostGpus(nodes)).toBe(3);
    expect(warmPins('tensor', mostGpus(nodes))).toEqual([{ CUDA_VISIBLE_DEVICES: '0' }, { CUDA_VISIBLE_DEVICES: '1' }, { CUDA_VISIBLE_DEVICES: '2' }]);
    expect(warmPins('tensor', 0)).toEqual([{}]);
    expect(warmPins('plain', 3)).toEqual([{}]);
  });

  it('counts the start-up pool per GPU against the bound, naming the field', () => {
    expect(warmPoolTooBig({ tensor: 8, plain: 0 }, 8, 'f')).toBeUndefined(); // 64: at the bound
    expect(warmPoolTooBig({ tensor: 8, plain: 1 }, 8, 'f')).toBe('f: 8 tensor per GPU × 8 GPUs + 1 plain = 65 warm workers, more than 64');
    expect(warmPoolTooBig({ tensor: 64 }, 0, 'f')).toBeUndefined(); // no GPUs: one unpinned pool
    expect(warmPoolTooBig({ tensor: 60, plain: 5 }, 0, 'f')).toBe('f: 60 tensor per GPU × 1 GPU + 5 plain = 65 warm workers, more than 64');
    expect(warmPoolTooBig({ tensor: 33, plain: 0 }, 2, 'live.warmPool')).toMatch(/^live\.warmPool: 33 tensor per GPU × 2 GPUs \+ 0 plain = 66/);
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

// Real worker processes: the start-up pool of a box with GPUs serves a one-GPU job on each GPU warm.
describe('live executor: the start-up pool on nodes with GPUs', () => {
  let h: Awaited<ReturnType<typeof harness>>;
  const outputs = new Map<string, JobOutput>();
  afterAll(async () => {
    await h.x.shutdown();
  });

  it('has tensor workers pinned to each GPU and plain ones that take the job\'s pinning', async () => {
    h = await harness({ warmPool: { tensor: 1, plain: 1 }, warmGpus: 2, onOutput: (o) => outputs.set(o.jobId, o) });
    await h.x.warmUp();
    // Two pinned tensor workers (GPUs 0 and 1) and one plain one, all ready.
    expect(h.x.warmWorkers).toEqual({ ready: 3, starting: 0, evicted: 0 });
    const on = (gpu: number) => ({ node: 0, gpus: [{ gpu, milli: 1000 }] });
    const start = (id: string, work: WorkSpec, placement: Placement): Promise<Completion> => {
      const j = liveJob(id, work);
      h.x.start(j, placement);
      return h.completion(id);
    };
    const tensor: WorkSpec = { kind: 'matmul', n: 16, gflop: 0.0001 };
    const show: WorkSpec = { kind: 'command', argv: [process.execPath, '-e', 'console.log("pin=" + (process.env.CUDA_VISIBLE_DEVICES ?? "none"))'] };
    const done = await Promise.all([start('on-1', tensor, on(1)), start('no-gpu', tensor, { node: 0, gpus: [] }), start('cmd-on-0', show, on(0))]);
    expect(done.map((c) => c.outcome)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    const m = Object.fromEntries(h.x.measures.map((x) => [x.jobId, { warm: x.warm, gpuEnv: x.gpuEnv }]));
    // The tensor job on GPU 1 took GPU 1's worker; a job without a GPU has no pool at start-up.
    expect(m).toEqual({ 'on-1': { warm: true, gpuEnv: '1' }, 'no-gpu': { warm: false, gpuEnv: '' }, 'cmd-on-0': { warm: true, gpuEnv: '0' } });
    // The unpinned plain worker ran its command pinned to the job's GPU.
    expect(outputs.get('cmd-on-0')!.stdout.text).toContain('pin=0');
  }, 60_000);
});

describe('warm pool eviction', () => {
  it('evicts the oldest worker of the least recently used pool outside the kept keys, never the one it makes room for', () => {
    const p = new WarmPool();
    const [a, b, c] = [fake('a', true), fake('b', true), fake('c', true)];
    p.add('tensor|0', a); // a start-up pool
    p.add('tensor|0,1', b);
    p.add('tensor|', c);
    const keep = new Set(['tensor|0']);
    expect(p.sizeOutside(keep)).toBe(2);
    p.take('tensor|0,1'); // used (and emptied) after 'tensor|' was filled
    p.add('tensor|0,1', b);
    expect((p.evict(keep, 'tensor|9') as Worker & { name: string }).name).toBe('c');
    expect(p.evict(keep, 'tensor|0,1')).toBeUndefined(); // only the pool it makes room for holds one
    expect(p.sizeOutside(keep)).toBe(1);
    expect(p.size).toBe(2);
  });
});

// Real worker processes: pools of pinnings the start-up pool does not fill (a multi-GPU job's, a
// job without a GPU on a GPU box) stay within `extraWarm` workers in all.
describe('live executor: pools beyond the start-up pool', () => {
  let h: Awaited<ReturnType<typeof harness>>;
  afterAll(async () => {
    await h.x.shutdown();
    expect(h.x.strays()).toEqual([]);
  });

  it('keeps one other pinning warm on a one-GPU box, stopping the least recently used one', async () => {
    h = await harness({ warmPool: { tensor: 1 }, warmGpus: 1 });
    await h.x.warmUp();
    expect(h.x.extraWarm).toBe(1);
    expect(h.x.warmCount).toBe(1); // GPU 0's
    const tensor: WorkSpec = { kind: 'matmul', n: 16, gflop: 0.0001 };
    const run = async (id: string, gpus: number[]) => {
      h.x.start(liveJob(id, tensor), { node: 0, gpus: gpus.map((gpu) => ({ gpu, milli: 1000 })) });
      expect((await h.completion(id)).outcome).toBe('succeeded');
      await h.x.poolReady();
    };
    await run('pair-1', [0, 1]); // cold; its pool ('0,1') gets a worker
    expect(h.x.warmCount).toBe(2);
    await run('none-1', []); // cold; '0,1' is evicted to make room for the unpinned pool
    expect(h.x.warmCount).toBe(2);
    await run('pair-2', [0, 1]); // cold again; the unpinned pool is evicted in turn
    await run('pair-3', [0, 1]); // warm: its pool was kept
    await run('gpu0', [0]); // warm: the start-up pool is never evicted
    expect(h.x.warmCount).toBe(2);
    const warm = Object.fromEntries(h.x.measures.map((m) => [m.jobId, m.warm]));
    expect(warm).toEqual({ 'pair-1': false, 'none-1': false, 'pair-2': false, 'pair-3': true, gpu0: true });
    expect(h.x.warmWorkers.evicted).toBe(2); // '0,1' for none-1, then the unpinned one for pair-2
  }, 60_000);
});

describe('service metrics: warm evictions', () => {
  it('gpulab_warm_evictions_total follows the executor’s count, scrape by scrape', async () => {
    let w = { ready: 1, starting: 0, evicted: 0 };
    const m = new ServiceMetrics(() => undefined, () => w);
    const count = async () => Number(/^gpulab_warm_evictions_total (\d+)$/m.exec(await m.registry.metrics())?.[1]);
    expect(await count()).toBe(0);
    w = { ...w, evicted: 3 };
    expect(await count()).toBe(3);
    expect(await count()).toBe(3);
    w = { ...w, evicted: 5 };
    expect(await count()).toBe(5);
  });
});
