import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { detectCgroups } from '../src/live/cgroups.ts';
import { gpuEnvFor, type JobMeasure } from '../src/live/live-executor.ts';
import { PROTOCOL_VERSION, ParentMessageSchema, WorkerMessageSchema } from '../src/live/protocol.ts';
import { wrapCommand, type SandboxLayers } from '../src/live/sandbox.ts';
import { measuredRates, measuredShapeRates, predictWallMs } from '../src/live/twin.ts';
import { WallClock } from '../src/live/wall-clock.ts';
import { WorkSpecSchema, type WorkSpec } from '../src/live/work-spec.ts';
import { stepFlop, totalSteps, workFlop } from '../src/live/workloads/tensor-jobs.ts';
import { parseScenario, ScenarioError } from '../src/scenario/load.ts';

describe('IPC protocol', () => {
  it('accepts a versioned run message and rejects another version or an unknown type', () => {
    const run = { v: PROTOCOL_VERSION, type: 'run', jobId: 'j', attempt: 1, work: { kind: 'sleep', ms: 5 }, env: {} };
    expect(ParentMessageSchema.safeParse(run).success).toBe(true);
    expect(ParentMessageSchema.safeParse({ ...run, v: 2 }).success).toBe(false);
    expect(WorkerMessageSchema.safeParse({ v: 1, type: 'hello' }).success).toBe(false);
    expect(WorkerMessageSchema.safeParse({ v: 1, type: 'progress', jobId: 'j', done: 1, total: 0, flop: 0 }).success).toBe(false);
  });
});

describe('tensor work sizes', () => {
  it.each([
    // matmul n=128: 2·128³ = 4,194,304 FLOP/step; 0.1 GFLOP → ceil(1e8 / 4,194,304) = ceil(23.84) = 24 steps
    [{ kind: 'matmul', n: 128, gflop: 0.1 }, 4_194_304, 24],
    // conv 2 layers, batch 2, 16×16, 8 channels: 2 layers · 2 · (2·16·16·8) outputs · (8·9) = 4 · 4096 · 72 = 1,179,648 FLOP/step
    [{ kind: 'conv', batch: 2, size: 16, channels: 8, layers: 2, steps: 10 }, 1_179_648, 10],
    // train b=32, f=32, h=64: 3 · 2·32·(32·64 + 64) = 3 · 2·32·2112 = 405,504 FLOP/step
    [{ kind: 'train', batch: 32, features: 32, hidden: 64, steps: 30 }, 405_504, 30],
  ] as const)('%o: %d FLOP per step, %d steps', (w, perStep, steps) => {
    const work = WorkSpecSchema.parse(w) as Parameters<typeof stepFlop>[0];
    expect(stepFlop(work)).toBe(perStep);
    expect(totalSteps(work)).toBe(steps);
    expect(workFlop(work)).toBe(perStep * steps);
  });
});

describe('scenario live fields', () => {
  const base = `name: t
cluster: { nodes: [{ prefix: n, cpu: 1000, memory: 1024, gpus: [{ count: 1, model: v }] }] }
policies: [{ queue: fifo, placement: first-fit }]
workload:
  kind: synthetic
  jobs: 2
  meanInterarrivalSec: 1
  duration: { dist: constant, sec: 1 }
  tenants: [{ name: a }]
  demands:
`;
  it('parses work on a demand and a live section with defaults', () => {
    const s = parseScenario(base + '    - { gpus: 1, cpu: 100, memory: 100, work: { kind: matmul, gflop: 1 } }\nlive: { timeScale: 10 }\n', 't.yaml');
    expect(s.workload.kind === 'synthetic' && s.workload.demands[0].work).toEqual({ kind: 'matmul', n: 256, gflop: 1 });
    expect(s.live).toMatchObject({ timeScale: 10, graceMs: 2000, sandbox: 'auto', warmPool: { tensor: 0, plain: 0 } });
  });
  it('names the file and field of a bad work spec', () => {
    const bad = base + '    - { gpus: 1, cpu: 100, memory: 100, work: { kind: matmul, gflop: -1 } }\n';
    expect(() => parseScenario(bad, 'bad.yaml')).toThrow(ScenarioError);
    expect(() => parseScenario(bad, 'bad.yaml')).toThrow(/bad\.yaml: invalid scenario[\s\S]*workload\.demands\.0\.work\.gflop/);
  });
});

describe('wall clock', () => {
  it('runs scenario time timeScale× faster than wall time and never goes back', async () => {
    const c = new WallClock(10, () => {});
    c.start();
    await new Promise((r) => setTimeout(r, 50));
    const t = c.now();
    // 50 ms wall · 10 = 500 scenario ms; a timer may fire up to 1 ms early: ≥ 49 · 10 = 490
    expect(t).toBeGreaterThanOrEqual(490);
    expect(c.now()).toBeGreaterThanOrEqual(t);
    expect(c.delayTo(t + 1000)).toBeLessThanOrEqual(100); // 1000 scenario ms = 100 wall ms
  });
  it('wakes at the requested scenario time', async () => {
    let woke = -1;
    const c = new WallClock(5, () => (woke = c.now()));
    c.start();
    c.wakeAt(200); // 200 / 5 = 40 ms wall
    await new Promise((r) => setTimeout(r, 120));
    expect(woke).toBeGreaterThanOrEqual(200);
  });
});

describe('GPU pinning and sandbox wrapping', () => {
  it('pins a job to its node-local GPUs and shares', () => {
    expect(gpuEnvFor({ node: 0, gpus: [{ gpu: 1, milli: 500 }, { gpu: 3, milli: 500 }] })).toEqual({ CUDA_VISIBLE_DEVICES: '1,3', GPULAB_GPU_MILLI: '500,500' });
    expect(gpuEnvFor({ node: 0, gpus: [] })).toEqual({});
  });
  it('wraps the worker in the active layers, outermost first', () => {
    const all: SandboxLayers = { cgroup: { version: 'v2', root: '/x', controllers: ['memory'] }, netns: true, pidns: true, privateTmp: true, unprivilegedUid: true, prlimit: false };
    const c = wrapCommand(all, ['node', 'w.mjs'], { pidsMax: 8, memoryBytes: 1 });
    const argv = c.args.slice(3);
    expect(argv.slice(0, 6)).toEqual(['unshare', '--net', '--pid', '--fork', '--mount-proc', '--kill-child']);
    const i = argv.indexOf('setpriv');
    expect(argv.slice(i)).toEqual(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--no-new-privs', '--', 'node', 'w.mjs']);
    expect(i).toBeGreaterThan(6); // inside the namespaces: unshare runs first
    const none: SandboxLayers = { cgroup: undefined, netns: false, pidns: false, privateTmp: false, unprivilegedUid: false, prlimit: true };
    expect(wrapCommand(none, ['node', 'w.mjs'], { pidsMax: 8, memoryBytes: 1024 }).args.slice(3)).toEqual(['prlimit', '--nproc=8', '--data=1024', '--', 'node', 'w.mjs']);
  });
  it('detects the cgroup hierarchy this machine mounts', () => {
    const r = detectCgroups();
    if (process.getuid?.() !== 0) expect(r).toEqual({ kind: 'none', reason: 'not root' });
    else if (existsSync('/sys/fs/cgroup/cgroup.controllers')) expect(r.kind === 'ok' && r.support.version).toBe('v2');
    else if (existsSync('/sys/fs/cgroup/memory/cgroup.procs')) expect(r.kind === 'ok' && r.support.version).toBe('v1');
    else expect(r.kind).toBe('none');
  });
});

describe('twin: durations from measured rates', () => {
  const m = (over: Partial<JobMeasure>): JobMeasure => ({ jobId: 'x', tenant: 't', attempt: 1, kind: 'matmul', warm: false, submitToRunningMs: 0, runMs: 0, computeMs: 0, flop: 0, flopPerSec: 0, backend: 'wasm', device: 'd', outcome: 'succeeded', reason: '', gpuEnv: '', outputBytes: 0, exitCode: 0, ...over });
  it('predicts overhead + FLOP / rate', () => {
    // two matmul jobs: 2e9 FLOP in 1000 ms and 1e9 in 1000 ms → 3e9 / 2 s = 1.5e9 FLOP/s;
    // overheads (runMs − computeMs) 200 and 400 → mean 300 ms
    const rates = measuredRates([m({ flop: 2e9, computeMs: 1000, runMs: 1200 }), m({ flop: 1e9, computeMs: 1000, runMs: 1400 }), m({ outcome: 'failed', flop: 9e9, computeMs: 1 })]);
    // runOverheadMs leaves out the start latency (0 here)
    expect(rates.get('matmul')).toEqual({ kind: 'matmul', jobs: 2, flopPerSec: 1.5e9, overheadMs: 300, runOverheadMs: 300 });
    // n = 1000: 2e9 FLOP/step, 3 GFLOP → 2 steps = 4e9 FLOP → 300 + 4e9 / 1.5e9 · 1000 = 300 + 2666.67 ms
    expect(predictWallMs({ kind: 'matmul', n: 1000, gflop: 3 }, { byKind: rates, byShape: new Map() }, undefined)).toBeCloseTo(2966.667, 2);
    // commands have no model: their own measured time
    expect(predictWallMs({ kind: 'command', argv: ['x'] }, { byKind: rates, byShape: new Map() }, 777)).toBe(777);
  });

  it('keys rates by shape before kind, and takes a job\'s own start latency apart from the run overhead', () => {
    // matMul n=2 (16 FLOP/step) at 1e9 FLOP in 1000 ms; n=4 (128 FLOP/step) at 4e9 FLOP in 1000 ms.
    // Start latencies 500 and 100 ms inside runs of 1300 and 1200 ms: run overheads 300 − 500 → 0
    // (clamped) and 200 − 100 = 100.
    const measures = [m({ jobId: 'a', flop: 1e9, computeMs: 1000, runMs: 1300, submitToRunningMs: 500 }), m({ jobId: 'b', flop: 4e9, computeMs: 1000, runMs: 1200, submitToRunningMs: 100 })];
    const work: Record<string, WorkSpec> = { a: { kind: 'matmul', n: 2, gflop: 1 }, b: { kind: 'matmul', n: 4, gflop: 4 } };
    const rates = measuredShapeRates(measures, (id) => work[id]);
    expect(rates.byShape.get('matmul n=4')).toEqual({ kind: 'matmul', jobs: 1, flopPerSec: 4e9, overheadMs: 200, runOverheadMs: 100 });
    // per kind: 5e9 FLOP / 2 s = 2.5e9 FLOP/s; mean overhead (300 + 200) / 2 = 250
    expect(rates.byKind.get('matmul')).toMatchObject({ flopPerSec: 2.5e9, overheadMs: 250, runOverheadMs: 50 });
    // 8 GFLOP of n=4: 8e9 / 4e9 s = 2000 ms + 200 mean overhead; with a 30 ms start: 30 + 100 + 2000
    expect(predictWallMs({ kind: 'matmul', n: 4, gflop: 8 }, rates, undefined)).toBeCloseTo(2200, 6);
    expect(predictWallMs({ kind: 'matmul', n: 4, gflop: 8 }, rates, undefined, 30)).toBeCloseTo(2130, 6);
    // a shape never measured falls back to its kind: n=10 (2000 FLOP/step), 1 GFLOP → 1e9 / 2.5e9 s = 400 ms + 250
    expect(predictWallMs({ kind: 'matmul', n: 10, gflop: 1 }, rates, undefined)).toBeCloseTo(650, 6);
  });
});
