import { createServer, type Server } from 'node:net';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobTmpDirs } from '../src/live/sandbox.ts';
import { workerScript } from '../src/live/worker-entry.ts';
import { eventually, harness, isolationUnavailable, layers, liveJob, NO_GPU } from './live-helpers.ts';

// Lifecycle: runs wherever child processes can be started (sandbox layers as available).
describe('live executor: job lifecycle', () => {
  let h: Awaited<ReturnType<typeof harness>>;
  const progress: { job: string; done: number; total: number; flop: number }[] = [];
  beforeAll(async () => {
    h = await harness({ warmPool: { tensor: 1 }, onProgress: (job, done, total, flop) => progress.push({ job, done, total, flop }) });
    await h.x.warmUp();
  });
  afterAll(async () => {
    await h.x.shutdown();
    expect(h.x.strays()).toEqual([]);
  });

  it('runs a matmul job to success, reporting progress, FLOP, backend and device', async () => {
    // n = 64: one product is 2·64³ = 524,288 FLOP; 0.01 GFLOP needs ceil(1e7 / 524,288) = 20 steps,
    // so 20 · 524,288 = 10,485,760 FLOP in all.
    const c = await h.run(liveJob('mm', { kind: 'matmul', n: 64, gflop: 0.01 }));
    expect(c).toEqual({ kind: 'completion', jobId: 'mm', attempt: 1, outcome: 'succeeded' });
    const m = h.x.measures.find((x) => x.jobId === 'mm')!;
    expect(m.flop).toBe(10_485_760);
    expect(m.backend).toBe('wasm');
    expect(m.device).toMatch(/wasm/);
    expect(m.flopPerSec).toBeGreaterThan(0);
    expect(m.warm).toBe(true);
    const last = progress.filter((p) => p.job === 'mm').at(-1)!;
    expect(last).toEqual({ job: 'mm', done: 20, total: 20, flop: 10_485_760 });
  });

  it('trains the small model for its steps and runs the conv stack', async () => {
    const [t, c] = await Promise.all([
      h.run(liveJob('train', { kind: 'train', batch: 8, features: 4, hidden: 8, steps: 5 })),
      h.run(liveJob('conv', { kind: 'conv', batch: 1, size: 8, channels: 2, layers: 2, steps: 3 })),
    ]);
    expect([t.outcome, c.outcome]).toEqual(['succeeded', 'succeeded']);
    // conv: 2 layers · 2 · 1·8·8·2·2 · 9 = 9,216 FLOP per step, 3 steps = 27,648
    expect(h.x.measures.find((x) => x.jobId === 'conv')!.flop).toBe(27_648);
  });

  it('reports a failing exit code as failed with the code as reason', async () => {
    const c = await h.run(liveJob('fail', { kind: 'command', argv: ['/bin/sh', '-c', 'exit 3'] }));
    expect(c.outcome).toBe('failed');
    expect(c.reason).toBe('command exited with code 3');
  });

  it('reports a crashing job (killed by a signal) as failed', async () => {
    const c = await h.run(liveJob('segv', { kind: 'command', argv: ['/bin/sh', '-c', 'kill -SEGV $$'] }));
    expect(c).toMatchObject({ outcome: 'failed', reason: 'command killed by SIGSEGV' });
  });

  it('reports a worker that dies without a result as crashed', async () => {
    const j = liveJob('crash', { kind: 'sleep', ms: 10_000 });
    h.x.start(j, NO_GPU);
    await new Promise((r) => setTimeout(r, 400));
    const m = h.x.measures.length;
    // The worker is the node process among the job's processes (the others are sh/unshare wrappers).
    const worker = h.x.jobPids('crash').filter((p) => readFileSync(`/proc/${p}/cmdline`, 'latin1').startsWith(process.execPath));
    expect(worker.length).toBe(1);
    process.kill(worker[0], 'SIGKILL');
    const c = await h.completion('crash');
    expect(c.outcome).toBe('failed');
    expect(c.reason).toMatch(/^worker crashed \((signal SIGKILL|exit code \d+)\)/);
    expect(h.x.measures.length).toBe(m + 1);
  });

  it('times out a job past its limit (timed-out, with the limit as reason)', async () => {
    const t0 = performance.now();
    const c = await h.run(liveJob('slow', { kind: 'sleep', ms: 20_000, timeoutSec: 0.5 }));
    expect(c).toEqual({ kind: 'completion', jobId: 'slow', attempt: 1, outcome: 'timed-out', reason: 'timeout after 0.5 s' });
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('cancels a running job: no completion is emitted and its processes are gone', async () => {
    const j = liveJob('cancel-me', { kind: 'command', argv: ['/bin/sh', '-c', 'sleep 30'] });
    h.x.start(j, NO_GPU);
    await new Promise((r) => setTimeout(r, 500));
    h.x.stop(j, 'cancel');
    const m = await eventually(() => h.x.measures.find((x) => x.jobId === 'cancel-me'), (v) => v !== undefined, 5000);
    expect(m).toMatchObject({ outcome: 'stopped', reason: 'cancel' });
    expect(h.seen.has('cancel-me')).toBe(false);
  });
});

const skip = isolationUnavailable();
// Hostile jobs: need the kernel layers (root, cgroups, namespaces); skipped with the reason otherwise.
describe.skipIf(skip !== undefined)(`live executor: hostile jobs are contained${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let h: Awaited<ReturnType<typeof harness>>;
  const hostDir = join(process.cwd(), '.cache', `live-test-${process.pid}`);
  const node = process.execPath;
  beforeAll(async () => {
    mkdirSync(hostDir, { recursive: true });
    h = await harness({ outputLimitBytes: 64 * 1024, graceMs: 300 });
  });
  afterAll(async () => {
    await h.x.shutdown();
    expect(h.x.strays()).toEqual([]);
    rmSync(hostDir, { recursive: true, force: true });
  });
  const noStrays = async () => expect(await eventually(() => h.x.strays(), (s) => s.length === 0)).toEqual([]);

  it('fork bomb: capped by pids.max, ended at its timeout, nothing left', async () => {
    let peak = 0;
    const probe = setInterval(() => (peak = Math.max(peak, h.x.strays().length)), 50);
    const c = await h.run(liveJob('forkbomb', { kind: 'command', argv: ['/bin/sh', '-c', 'f(){ f | f & }; f; sleep 30'], timeoutSec: 1.5 }));
    clearInterval(probe);
    expect(c.outcome).toBe('timed-out');
    // pids.max = 32 in the job's cgroup; the wrapper chain (sh, unshare) may sit outside the limit's count
    expect(peak).toBeLessThanOrEqual(32 + 2);
    expect(peak).toBeGreaterThan(3);
    await noStrays();
  });

  it('memory bomb: killed by the cgroup memory limit, reported as out of memory', async () => {
    const bomb = 'const a=[];for(;;){const b=Buffer.alloc(8<<20);b.fill(1);a.push(b)}';
    const c = await h.run(liveJob('membomb', { kind: 'command', argv: [node, '-e', bomb], timeoutSec: 20 }, { memory: 256 }));
    expect(c.outcome).toBe('failed');
    expect(c.reason).toBe('out of memory (cgroup limit 256 MiB)');
    await noStrays();
  });

  it('CPU spinner past its timeout: timed-out', async () => {
    const c = await h.run(liveJob('spin', { kind: 'command', argv: [node, '-e', 'for(;;){}'], timeoutSec: 1 }));
    expect(c).toMatchObject({ outcome: 'timed-out', reason: 'timeout after 1 s' });
    await noStrays();
  });

  it('a job ignoring SIGTERM is SIGKILLed after the grace period', async () => {
    const t0 = performance.now();
    // The timeout leaves ample time for the shell to install its trap even on a loaded machine.
    const c = await h.run(liveJob('stubborn', { kind: 'command', argv: ['/bin/sh', '-c', 'trap "" TERM; while :; do :; done'], timeoutSec: 1.5 }));
    const took = performance.now() - t0;
    expect(c.outcome).toBe('timed-out');
    // timeout 1500 ms + grace 300 ms: SIGTERM alone cannot end it, so not before 1800 ms
    expect(took).toBeGreaterThanOrEqual(1800);
    await noStrays();
  });

  describe('network', () => {
    let server: Server;
    let connections = 0;
    let port = 0;
    beforeAll(async () => {
      server = createServer((s) => {
        connections++;
        s.destroy();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as { port: number }).port;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('a job opening a network connection gets no network (host loopback and outside)', async () => {
      const js = `const n=require('net');let left=2;const d=(e)=>{process.stderr.write(String(e&&e.code)+'\\n');if(--left===0)process.exit(e?7:0)};n.connect(${port},'127.0.0.1').on('connect',()=>process.exit(0)).on('error',d);n.connect(80,'1.1.1.1').on('connect',()=>process.exit(0)).on('error',d)`;
      const c = await h.run(liveJob('net', { kind: 'command', argv: [node, '-e', js], timeoutSec: 10 }));
      expect(c).toMatchObject({ outcome: 'failed', reason: 'command exited with code 7' });
      expect(connections).toBe(0);
      await noStrays();
    });
  });

  it('a job writing outside its directory cannot (host files untouched), inside it can', async () => {
    const outside = join(hostDir, 'escape.txt');
    const tmpName = `/tmp/gpulab-escape-${process.pid}`;
    // exit 9: could not write its own dir; 4: wrote the host dir; 0: contained
    const sh = `echo x > ./mine.txt || exit 9; echo x > "${outside}" 2>/dev/null && exit 4; echo x > "${tmpName}"; echo x > /etc/gpulab-escape 2>/dev/null && exit 5; exit 0`;
    const c = await h.run(liveJob('writer', { kind: 'command', argv: ['/bin/sh', '-c', sh] }));
    expect(c.outcome).toBe('succeeded');
    expect(existsSync(outside)).toBe(false);
    // /tmp is private (a fresh tmpfs); without the read-only root layer, only when neither the
    // node binary nor the worker live under /tmp — else the fallback keeps the host /tmp (reported).
    const tmpIsPrivate = jobTmpDirs(layers(), [process.execPath, await workerScript()]).includes('/tmp');
    expect(existsSync(tmpName)).toBe(!tmpIsPrivate);
    rmSync(tmpName, { force: true });
    expect(existsSync('/etc/gpulab-escape')).toBe(false);
    await noStrays();
  });

  it('stdout flood: stopped at the output limit, executor responsive', async () => {
    const c = await h.run(liveJob('flood', { kind: 'command', argv: ['/bin/sh', '-c', 'while :; do echo floodfloodfloodfloodfloodfloodflood; done'], timeoutSec: 20 }));
    expect(c).toMatchObject({ outcome: 'failed', reason: 'output limit exceeded (65536 bytes)' });
    await noStrays();
  });

  it('after all of that the executor still runs jobs', async () => {
    const c = await h.run(liveJob('after', { kind: 'command', argv: ['/bin/sh', '-c', 'exit 0'] }));
    expect(c.outcome).toBe('succeeded');
  });
});

// The fallback path (no root, no cgroups): plain child processes in their own process group.
describe('live executor without sandbox layers', () => {
  it('still runs, times out and cleans up jobs through the process group', async () => {
    const { detectSandbox } = await import('../src/live/sandbox.ts');
    const h = await harness({ layers: detectSandbox('none') });
    const ok = await h.run(liveJob('plain-ok', { kind: 'command', argv: ['/bin/sh', '-c', 'exit 0'] }));
    expect(ok.outcome).toBe('succeeded');
    // a child that ignores SIGTERM, started in the background of the job's shell
    const c = await h.run(liveJob('plain-slow', { kind: 'command', argv: ['/bin/sh', '-c', '(trap "" TERM; sleep 30) & sleep 30'], timeoutSec: 0.5 }));
    expect(c.outcome).toBe('timed-out');
    expect(await eventually(() => h.x.strays(), (s) => s.length === 0)).toEqual([]);
    await h.x.shutdown();
  });
});
