import { describe, expect, it } from 'vitest';
import '../policies/index.ts';
import { drf } from '../policies/queue/drf.ts';
import { las } from '../policies/queue/las.ts';
import { priority } from '../policies/queue/priority.ts';
import { roundRobin } from '../policies/queue/round-robin.ts';
import { sjf } from '../policies/queue/sjf.ts';
import { queuedRemaining, srtf } from '../policies/queue/srtf.ts';
import { weightedFair } from '../policies/queue/weighted-fair.ts';
import { newJob, type Job, type JobView } from '../src/jobs/job.ts';
import { RngStreams } from '../src/engine/rng.ts';
import type { QueuePolicy, SchedulerView, TenantView } from '../src/scheduler/policy.ts';
import { job } from './helpers/builders.ts';

const ctx = { now: 0, rng: new RngStreams(1).get('q') };
const ids = (js: readonly JobView[]) => js.map((j) => j.id);
/** Orders through the QueuePolicy interface (the shipped objects narrow `order`'s parameters). */
const ord = (p: QueuePolicy, v: SchedulerView, c = ctx) => p.order(v, c);

function queued(b: ReturnType<typeof job>, extra: Partial<Job> = {}): Job {
  return { ...newJob(b.build()), state: 'queued', ...extra };
}

function tenant(name: string, gpu: number, cpu = 0, memory = 0, weight = 1, running = 0): TenantView {
  return { name, weight, gpuInUse: gpu, cpuInUse: cpu, memoryInUse: memory, running, queued: 0, attainedGpu: 0 };
}

function view(queue: Job[], tenants: TenantView[] = [], extra: Partial<SchedulerView> = {}): SchedulerView {
  const cluster = { nodes: [], gpuCapacity: 9000, gpuAllocated: 0, cpuCapacity: 18000, cpuAllocated: 0, memoryCapacity: 36000, memoryAllocated: 0, models: [] };
  return { now: 0, cluster, queue, running: [], tenants, ...extra };
}

describe('priority', () => {
  it('orders higher classes first, FIFO within a class', () => {
    // queue [a(0), b(5), c(0), d(5)] → b d a c
    const q = [queued(job('a')), queued(job('b').priority(5)), queued(job('c')), queued(job('d').priority(5))];
    expect(ids(ord(priority({}), view(q)))).toEqual(['b', 'd', 'a', 'c']);
  });
  it('names victims only with preempt: true', () => {
    expect(priority({}).victims).toBeUndefined();
    expect(typeof priority({ preempt: true }).victims).toBe('function');
  });
});

describe('sjf and srtf', () => {
  it('sjf orders by the estimate, falling back to the duration, ties by queue order', () => {
    // a: estimate 30 s; b: no estimate, duration 10 s; c: estimate 10 s → b c a
    const q = [
      queued(job('a').runs(50_000), { estimate: 30_000 }),
      queued(job('b').runs(10_000)),
      queued(job('c').runs(90_000), { estimate: 10_000 }),
    ];
    expect(ids(ord(sjf, view(q), ctx))).toEqual(['b', 'c', 'a']);
  });
  it('srtf scales the estimate by the work left and adds the restore time', () => {
    // duration 100 s, estimate 50 s, 40 s of work left plus 10 s restore:
    // 50 × (50 − 10) / 100 + 10 = 30 s
    const j = queued(job('x').runs(100_000), { estimate: 50_000, remaining: 50_000, setup: 10_000 });
    expect(queuedRemaining(j)).toBe(30_000);
    const fresh = queued(job('y').runs(20_000));
    expect(ids(ord(srtf, view([j, fresh]), ctx))).toEqual(['y', 'x']);
  });
});

describe('las (Tiresias 2D-LAS)', () => {
  const p = las({ thresholdsGpuSec: [100, 1000], starveFactor: 2 });
  it('orders by attained GPU-time queue, then submit time', () => {
    // a: 4 GPUs × 30 s = 120 GPU·s → queue 1; b: 1 GPU × 50 s = 50 → queue 0;
    // c: 8 × 200 = 1600 → queue 2; d: never ran → queue 0, submitted after b.
    const q = [
      queued(job('a').gpus(4).at(0), { executed: 30_000, queuedAt: 400_000 }),
      queued(job('b').at(10), { executed: 50_000, queuedAt: 400_000 }),
      queued(job('c').gpus(8).at(5), { executed: 200_000, queuedAt: 400_000 }),
      queued(job('d').at(20), { queuedAt: 400_000 }),
    ];
    expect(ids(ord(p, view(q, [], { now: 410_000 }), { ...ctx, now: 410_000 }))).toEqual(['b', 'd', 'a', 'c']);
  });
  it('promotes a job that waited starveFactor × its executed time to the top queue', () => {
    // c ran 200 s (queue 2) and has waited 400 s ≥ 2 × 200 s → promoted ahead of a (queue 1).
    const q = [
      queued(job('a').gpus(4).at(0), { executed: 30_000, queuedAt: 500_000 }),
      queued(job('c').gpus(8).at(5), { executed: 200_000, queuedAt: 100_000 }),
    ];
    expect(ids(ord(p, view(q, [], { now: 500_000 }), { ...ctx, now: 500_000 }))).toEqual(['c', 'a']);
  });
  it('rejects thresholds that are not increasing', () => {
    expect(() => las({ thresholdsGpuSec: [100, 50] })).toThrow(/increasing/);
  });
});

describe('round-robin', () => {
  it('takes one job per tenant per round, least-running tenant first', () => {
    // queue a1 a2 a3 b1 c1 c2, running A:0 B:2 C:1 → tenants A, C, B → a1 c1 b1 a2 c2 a3
    const q = [
      queued(job('a1').tenant('A')),
      queued(job('a2').tenant('A')),
      queued(job('a3').tenant('A')),
      queued(job('b1').tenant('B')),
      queued(job('c1').tenant('C')),
      queued(job('c2').tenant('C')),
    ];
    const ts = [tenant('A', 0, 0, 0, 1, 0), tenant('B', 0, 0, 0, 1, 2), tenant('C', 0, 0, 0, 1, 1)];
    expect(ids(ord(roundRobin, view(q, ts), ctx))).toEqual(['a1', 'c1', 'b1', 'a2', 'c2', 'a3']);
  });
});

describe('weighted-fair', () => {
  it('serves the tenant furthest below its weighted share, charging each pick', () => {
    // A uses 4000 milli, weight 2 → 2000; B uses 1000, weight 1 → 1000: B first.
    // After b1 (2 GPUs): B = 3000 > A = 2000 → a1; A = (4000 + 1000)/2 = 2500 < 3000 → a2; then b2.
    const q = [queued(job('a1').tenant('A')), queued(job('a2').tenant('A')), queued(job('b1').tenant('B').gpus(2)), queued(job('b2').tenant('B'))];
    const ts = [tenant('A', 4000, 0, 0, 2), tenant('B', 1000)];
    expect(ids(ord(weightedFair, view(q, ts), ctx))).toEqual(['b1', 'a1', 'a2', 'b2']);
  });
});

describe('drf', () => {
  it('orders by weighted dominant share over GPU, CPU and memory (3 tenants)', () => {
    // Cluster: 9 GPUs (9000 milli), 18 CPUs (18000 milli), 36 GiB (36000 MiB here).
    // A: 1 GPU, 4 CPU, 2 GiB  → max(1/9, 4/18, 2/36)  = max(0.111, 0.222, 0.056) = 0.222 (CPU)
    // B: 3 GPU, 1 CPU, 4 GiB  → max(3/9, 1/18, 4/36)  = 0.333 (GPU)
    // C: 1 GPU, 2 CPU, 18 GiB → max(1/9, 2/18, 18/36) = 0.5 (memory); weight 2 → 0.25
    // Order of heads: A (0.222), C (0.25), B (0.333).
    const q = [queued(job('b1').tenant('B')), queued(job('c1').tenant('C')), queued(job('a1').tenant('A').gpus(0))];
    const ts = [tenant('A', 1000, 4000, 2000), tenant('B', 3000, 1000, 4000), tenant('C', 1000, 2000, 18000, 2)];
    const first = ord(drf, view(q, ts), ctx);
    expect(ids(first)).toEqual(['a1', 'c1', 'b1']);
  });
  it('charges the picked job: a CPU-heavy pick raises that tenant above the others', () => {
    // A: 0.222 (CPU). Its queued job takes 6 more CPUs: (4 + 6)/18 = 0.556 > B 0.333 → then B.
    const q = [queued(job('a1').tenant('A').gpus(0).cpu(6000)), queued(job('a2').tenant('A').gpus(0)), queued(job('b1').tenant('B'))];
    const ts = [tenant('A', 1000, 4000, 2000), tenant('B', 3000, 1000, 4000)];
    expect(ids(ord(drf, view(q, ts), ctx))).toEqual(['a1', 'b1', 'a2']);
  });
});
