import { describe, expect, it } from 'vitest';
import '../policies/index.ts';
import { Cluster } from '../src/cluster/cluster.ts';
import { deepFreeze } from '../src/conformance/snapshot.ts';
import { newJob, type JobSpec } from '../src/jobs/job.ts';
import { RunWriter } from '../src/output/run-writer.ts';
import { Quotas } from '../src/quota/quotas.ts';
import { PolicyError, PolicyGuard } from '../src/scheduler/policy-guard.ts';
import type { AdmissionPolicy, PlacementPolicy, PreemptionPolicy, QueuePolicy, SchedulerView } from '../src/scheduler/policy.ts';
import type { ClusterView } from '../src/cluster/types.ts';
import { releaseUntilFits, scratchCluster } from '../src/scheduler/preempt-kit.ts';
import { placementPolicyFactory, queuePolicyFactory } from '../src/scheduler/registry.ts';
import { simulate, type SimInput } from '../src/sim/simulate.ts';
import { WallClock } from '../src/live/wall-clock.ts';
import { job, node } from './helpers/builders.ts';

const s = 1000;

function run(jobs: JobSpec[], extra: Partial<SimInput> = {}) {
  const log = new RunWriter(undefined, { keepLines: true });
  const res = simulate({
    run: 'x',
    seed: 1,
    nodes: [node('n0', 2)],
    jobs,
    queue: queuePolicyFactory('fifo')({}),
    placement: placementPolicyFactory('first-fit')({}),
    log,
    ...extra,
  });
  log.close();
  const recs = log.lines!.map((l) => JSON.parse(l) as { ev: string; job?: string; reason?: string; t: number; state?: string });
  return { res, recs };
}

describe('admission extension point', () => {
  // A user policy: tenant b may have at most one job queued or running; its arrivals beyond
  // that are rejected ('b-limit'), and a queued job of tenant a waits while b runs anything.
  const limitB: AdmissionPolicy = {
    name: 'limit-b',
    onArrival: (j, view) => {
      const b = view.tenants.find((t) => t.name === 'b');
      return j.tenant === 'b' && b !== undefined && b.queued + b.running >= 1 ? { kind: 'reject', reason: 'b-limit' } : { kind: 'admit' };
    },
    mayStart: (j, view) => j.tenant !== 'a' || (view.tenants.find((t) => t.name === 'b')?.running ?? 0) === 0,
  };

  it('rejects arrivals with the policy reason and holds starts back, after the built-in checks', () => {
    // 2 GPUs. t=0 b1 (1 GPU, 10 s) starts; t=1 b2 is rejected (b already has one);
    // t=2 a1 is admitted but waits while b1 runs (mayStart false) → starts at t=10 when b1 ends.
    // t=3 a-huge (4 GPUs) is rejected never-fits first: the built-in chain runs before user policies.
    const { recs, res } = run(
      [
        job('b1').tenant('b').runs(10 * s).build(),
        job('b2').tenant('b').at(1 * s).build(),
        job('a1').tenant('a').at(2 * s).build(),
        job('a-huge').tenant('a').gpus(4).at(3 * s).build(),
      ],
      { scheduler: { admission: [limitB] } },
    );
    expect(recs.filter((r) => r.ev === 'reject').map((r) => [r.job, r.reason])).toEqual([
      ['b2', 'b-limit'],
      ['a-huge', 'never-fits'],
    ]);
    expect(res.core.jobs.get('a1')!.start).toBe(10 * s);
  });

  it('a job its quota could never admit is rejected over-quota; others wait for quota', () => {
    // tenant q: nominal 1 GPU, borrowing limit 0 → a 2-GPU job can never be admitted.
    const quotas = new Quotas([{ tenant: 'q', nominal: 1000, borrowingLimit: 0 }]);
    const { recs, res } = run([job('q2').tenant('q').gpus(2).build(), job('q1').tenant('q').runs(5 * s).build(), job('q1b').tenant('q').build()], {
      scheduler: { quotas },
    });
    expect(recs.find((r) => r.ev === 'reject')).toMatchObject({ job: 'q2', reason: 'over-quota' });
    // q1 holds the tenant's whole quota for 5 s; q1b waits though a GPU is free.
    expect(res.core.jobs.get('q1b')!.start).toBe(5 * s);
  });

  it('a policy returning a malformed outcome is a PolicyError naming the policy, job and time', () => {
    const bad = { name: 'bad', onArrival: () => ({ kind: 'maybe' }) } as unknown as AdmissionPolicy;
    expect(() => run([job('j1').at(2500).build()], { scheduler: { admission: [bad] } })).toThrow(
      /admission policy 'bad' returned \{"kind":"maybe"\} from onArrival\(job j1\) at t=2\.500 s/,
    );
  });
});

describe('preemption extension point', () => {
  // A user policy: a queued job of tenant 'vip' that does not fit evicts the most recently
  // started job of any other tenant, one at a time.
  const vip: PreemptionPolicy = {
    name: 'vip-evicts',
    victims: (view, order) => {
      const w = order.find((j) => j.tenant === 'vip');
      if (!w) return [];
      const cands = view.running.filter((r) => r.tenant !== 'vip').sort((a, b) => b.start - a.start);
      const plan = releaseUntilFits(scratchCluster(view), w, cands, false);
      return plan ? plan.chosen.map((r) => ({ job: r, reason: `for ${w.id}`, for: w.id })) : [];
    },
  };

  it('victims are preempted, logged with the reason, and the beneficiary starts at once', () => {
    // 2 GPUs busy with x1 (t=0) and x2 (t=1); vip (1 GPU) arrives at t=2 and evicts x2, the later start.
    const { recs, res } = run(
      [job('x1').tenant('x').runs(100 * s).build(), job('x2').tenant('x').at(1 * s).runs(100 * s).build(), job('v').tenant('vip').at(2 * s).runs(5 * s).build()],
      { scheduler: { preemptors: [vip] } },
    );
    expect(recs.find((r) => r.ev === 'preempt')).toMatchObject({ job: 'x2', reason: 'for v', t: 2 * s });
    expect(res.core.jobs.get('v')!.start).toBe(2 * s);
    expect(res.core.jobs.get('x2')!.preemptions).toBe(1);
  });

  it('naming one victim twice in one call breaks the contract', () => {
    const twice: PreemptionPolicy = { name: 'twice', victims: (view) => (view.running.length > 0 ? [view.running[0], view.running[0]].map((j) => ({ job: j, reason: 'r' })) : []) };
    expect(() => run([job('x1').runs(100 * s).gpus(2).build(), job('x2').at(1 * s).build()], { scheduler: { preemptors: [twice] } })).toThrow(
      /preemption policy 'twice' named job x1 twice in one victims\(\) call at t=1\.000 s/,
    );
  });
});

describe('policy guard', () => {
  const fifo = queuePolicyFactory('fifo')({});

  it('a placement policy that throws is reported with the policy, job and simulated time', () => {
    const boom: PlacementPolicy = { name: 'boom', place: () => { throw new Error('exploded'); } };
    expect(() => run([job('j1').at(1500).build()], { placement: boom })).toThrow(/placement policy 'boom' threw in place\(job j1\) at t=1\.500 s: exploded/);
    try {
      run([job('j1').build()], { placement: boom });
    } catch (e) {
      expect(e).toBeInstanceOf(PolicyError);
      expect((e as Error).cause).toBeInstanceOf(Error);
    }
  });

  it.each([
    ['42', 42],
    ['undefined', undefined],
    ['a placed outcome without a placement', { kind: 'placed' }],
  ])('a placement policy returning %s is an error, not an idle cluster', (_label, value) => {
    const odd = { name: 'odd', place: () => value } as unknown as PlacementPolicy;
    expect(() => run([job('j1').build()], { placement: odd })).toThrow(/placement policy 'odd' returned .* from place\(job j1\) at t=0\.000 s; expected/);
  });

  it('a queue policy returning a non-array or a job that is not queued is named', () => {
    const q42 = { name: 'q42', order: () => 42 } as unknown as QueuePolicy;
    expect(() => run([job('j1').build()], { queue: q42 })).toThrow(/queue policy 'q42' returned 42 from order\(\) at t=0\.000 s/);
    const stale: QueuePolicy = { name: 'stale', order: (v) => [...v.running, ...v.queue] };
    expect(() => run([job('j1').runs(10 * s).build(), job('j2').at(1 * s).gpus(2).build()], { queue: stale })).toThrow(
      /queue policy 'stale' returned job j1, which is running, in order\(\) at t=1\.000 s/,
    );
  });

  it('a placement that the cluster refuses is reported as the policy’s', () => {
    const wrong: PlacementPolicy = { name: 'wrong', place: () => ({ kind: 'placed', placement: { node: 7, gpus: [{ gpu: 0, milli: 1000 }] } }) };
    expect(() => run([job('j1').build()], { placement: wrong })).toThrow(/placement policy 'wrong' returned a placement the cluster refuses \(AllocationError: job j1: no node with index 7\) in place\(job j1\)/);
  });

  it('a placement spanning nodes is refused unless gang.spanNodes is on', () => {
    // Two 2-GPU nodes, a 2-GPU job that fits on one, placed by the policy across both.
    const spanning: PlacementPolicy = { name: 'spanning', place: () => ({ kind: 'placed', placement: { node: 0, gpus: [{ gpu: 0, milli: 1000 }], parts: [{ node: 1, gpus: [{ gpu: 0, milli: 1000 }] }] } }) };
    const nodes = [node('a', 2), node('b', 2)];
    expect(() => run([job('g').gpus(2).build()], { nodes, placement: spanning })).toThrow(/placement policy 'spanning' returned a placement spanning nodes while gang.spanNodes is off in place\(job g\)/);
    const { res } = run([job('g').gpus(2).build()], { nodes, placement: spanning, scheduler: { gang: { spanNodes: true } } });
    expect(res.core.jobs.get('g')!.state).toBe('succeeded');
  });

  it('a slow call is reported once per policy and method, and the run goes on', () => {
    const notes: string[] = [];
    const slowFifo: QueuePolicy = {
      name: 'slow',
      order: (v, ctx) => {
        const until = performance.now() + 3;
        while (performance.now() < until) {
          // burn 3 ms of wall time
        }
        return fifo.order(v, ctx);
      },
    };
    const { res } = run([job('j1').build(), job('j2').at(1 * s).build()], { queue: slowFifo, guard: new PolicyGuard({ slowMs: 1, onSlow: (m) => notes.push(m) }) });
    expect(res.core.jobs.get('j2')!.state).toBe('succeeded');
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/^queue policy 'slow' took \d+ ms in order\(\) at t=0\.000 s \(budget 1 ms; reported once\)$/);
  });
});

describe('scratch cluster', () => {
  it('is built from a frozen view alone; releasing and allocating on it leaves the view as it was', () => {
    // n0: 2 GPUs; r1 holds GPU 0 with 8 vCPU. From the frozen view: release r1 → 2 GPUs free.
    const c = new Cluster([node('n0', 2)]);
    const r1 = { ...newJob(job('r1').cpu(8000).build()), state: 'running' as const, placement: { node: 0, gpus: [{ gpu: 0, milli: 1000 }] } };
    c.allocate('r1', r1, r1.placement);
    const frozen = deepFreeze(JSON.parse(JSON.stringify({ nodes: c.nodes, gpuCapacity: c.gpuCapacity, gpuAllocated: c.gpuAllocated, cpuCapacity: c.cpuCapacity, cpuAllocated: c.cpuAllocated, memoryCapacity: c.memoryCapacity, memoryAllocated: c.memoryAllocated, models: c.models })));
    const view: SchedulerView = deepFreeze({ now: 0, cluster: frozen as ClusterView, queue: [], running: [r1], tenants: [] });
    const scratch = scratchCluster(view);
    scratch.release('r1');
    expect(scratch.nodes[0].gpuFree).toBe(2000);
    expect(scratch.nodes[0].cpuFree).toBe(64000);
    scratch.allocate('w', job('w').gpus(2).build(), { node: 0, gpus: [{ gpu: 0, milli: 1000 }, { gpu: 1, milli: 1000 }] });
    expect(frozen.nodes[0].gpuFree).toBe(1000);
    expect(frozen.nodes[0].cpuFree).toBe(56000);
    expect(c.nodes[0].gpuFree).toBe(1000);
  });
});

describe('wall clock', () => {
  it('frozen for one instant: now() holds while real time passes, and moves on after thaw', async () => {
    const clock = new WallClock(1000, () => {});
    clock.start();
    clock.freeze();
    const t = clock.now();
    await new Promise((r) => setTimeout(r, 15));
    expect(clock.now()).toBe(t);
    clock.thaw();
    // 15 ms of wall time × scale 1000 = at least 15,000 ms of scenario time later.
    expect(clock.now()).toBeGreaterThanOrEqual(t + 14_000);
    clock.dispose();
  });
});
