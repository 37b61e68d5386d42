import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import '../policies/index.ts';
import { coverage } from '../src/conformance/coverage.ts';
import { checkSubject, DEFAULT_SEED, groupFailures, subjectFor } from '../src/conformance/kit.ts';
import { readOnly, takeViewWrites, ViewWriteError } from '../src/conformance/readonly.ts';
import { fairShareArb, scenarioArb } from '../src/conformance/regimes.ts';
import { PROPERTIES, runSim } from '../src/conformance/properties.ts';
import { frozenView } from '../src/conformance/snapshot.ts';
import { placeOn } from '../src/cluster/fit.ts';
import type { PlacementPolicy, QueuePolicy } from '../src/scheduler/policy.ts';
import { placementPolicyFactory, queuePolicyFactory } from '../src/scheduler/registry.ts';
import type { JobSpec } from '../src/jobs/job.ts';
import { alwaysNodeZero } from './fixtures/broken-policy.ts';
import { sortsInPlace } from './fixtures/broken-queue-policy.ts';

describe('the kit catches broken policies', () => {
  it('a placement policy that over-commits fails no-overcommit and placement-valid, shrunk to one node and one job', () => {
    const results = checkSubject(subjectFor(alwaysNodeZero), { numRuns: 50, seed: 1, only: ['no-overcommit', 'placement-valid'] });
    expect(results.map((r) => r.status)).toEqual(['fail', 'fail']);
    for (const r of results) expect(r.error).toMatch(/AllocationError/);
    // placement-valid places job by job, so one job that does not fit node 0 is enough.
    const cex = results[1].counterexample!;
    expect(cex).toMatch(/^scenario seed=/);
    expect(cex.match(/^ {2}j\d+ /gm)).toHaveLength(1);
    expect(cex).toMatch(/nodes: n0 [^;]*$/m); // a single node
  });

  it('a queue policy that mutates its view fails pure-queue: the read-only view names the write', () => {
    const [r] = checkSubject(subjectFor(sortsInPlace), { numRuns: 50, seed: 1, only: ['pure-queue'] });
    expect(r.status).toBe('fail');
    expect(r.error).toMatch(/the policy wrote to its read-only view: set element \[\d+\] on the array view\.queue/);
    expect(r.cause).toBe('the policy wrote to the view it was given');
    expect(r.counterexample).toMatch(/^scenario seed=/);
  });

  it('an order that lists a job twice is a PolicyError from the core naming the policy and the rule', () => {
    const twice = { name: 'twice', order: (v) => [...v.queue, ...v.queue] } satisfies QueuePolicy;
    const nodes = [{ id: 'n0', cpu: 4000, memory: 8192, gpus: [{ model: 'A100', capacity: 1000 }] }];
    const jobs = [0, 1].map((i) => ({ id: `j${i}`, tenant: 'a', submit: 0, duration: 1000, cpu: 0, memory: 0, gpus: 1, milli: 1000, priority: 0 }));
    expect(() => runSim(subjectFor(twice), { nodes, jobs, seed: 0, headOfLine: 'skip' })).toThrow(
      /queue policy 'twice' returned job j0 twice, in order\(\) at t=0\.000 s \(order contract: each queued job at most once\)/,
    );
  });

  it('writes through a read-only view throw even from sloppy-mode code, and are recorded if swallowed', () => {
    takeViewWrites();
    const view = readOnly({ queue: [{ id: 'j0', tenant: 'a', priority: 0 }], cluster: { nodes: [{ id: 'n0', gpus: [], gpuFree: 0 }] } });
    // new Function bodies are sloppy-mode code: a write to a frozen object would be ignored there
    const sloppy = new Function('v', 'try { v.cluster.nodes[0].gpuFree = 5; } catch (e) { return e.name; } return "ignored";');
    expect(sloppy(view)).toBe('ViewWriteError');
    expect(() => (view.queue[0] as { priority: number }).priority++).toThrow(/set 'priority' on job j0/);
    expect(() => delete (view as { queue?: unknown }).queue).toThrow(/deleted 'queue'/);
    expect(() => Object.freeze(view.cluster)).toThrow(/froze or sealed it/);
    expect(takeViewWrites().count).toBe(4);
    // reads are untouched, identities stable
    expect(view.queue[0]).toBe(view.queue[0]);
    expect(view.queue.map((j) => j.id)).toEqual(['j0']);
  });

  it('a policy whose order depends on a module-level cache keyed by job id fails no-hidden-state', () => {
    const cache = new Map<string, number>();
    const cached = {
      name: 'cached',
      order: (v) => {
        for (const j of v.queue) if (!cache.has(j.id)) cache.set(j.id, j.duration);
        return [...v.queue].sort((a, b) => cache.get(a.id)! - cache.get(b.id)!);
      },
    } satisfies QueuePolicy;
    const [r] = checkSubject(subjectFor(cached), { numRuns: 30, only: ['no-hidden-state'] });
    expect(r.status).toBe('fail');
    expect(r.error).toMatch(/keeps state across calls outside the policy object \(module-level/);
  });

  it('a placement policy that remembers a node per job context outside itself fails no-hidden-state (scenarios carry contexts)', () => {
    // Sends a job where the last job of its context went, from a module-level map: the answer then
    // depends on runs the policy saw before, which only shows with jobs that have contexts.
    const lastNode = new Map<string, number>();
    const sticky = {
      name: 'sticky-context',
      place(job, cluster) {
        const prefer = job.context === undefined ? undefined : lastNode.get(job.context);
        const order = prefer === undefined ? cluster.nodes : [cluster.nodes[prefer], ...cluster.nodes.filter((n) => n.index !== prefer)];
        for (const n of order) {
          const p = placeOn(n, job);
          if (!p) continue;
          if (job.context !== undefined) lastNode.set(job.context, n.index);
          return { kind: 'placed', placement: p };
        }
        return { kind: 'unfit', reason: 'no node fits' };
      },
    } satisfies PlacementPolicy;
    const [r] = checkSubject(subjectFor(sticky), { numRuns: 60, only: ['no-hidden-state'] });
    expect(r.status).toBe('fail');
    expect(r.counterexample).toMatch(/contexts: warm=/);
    expect(r.counterexample).toMatch(/ ctx=m\d/);
  });

  it('a closure counter is placed in the instance when a factory is known', () => {
    const make = (): QueuePolicy => {
      let calls = 0;
      return { name: 'counter', order: (v) => (calls++ % 2 === 0 ? v.queue : [...v.queue].reverse()) };
    };
    const [r] = checkSubject(subjectFor(make(), make), { numRuns: 30, only: ['no-hidden-state'] });
    expect(r.status).toBe('fail');
    expect(r.error).toMatch(/keeps state across calls in the policy object/);
  });

  it('a call past the per-call budget fails with the call, its input size and the case', () => {
    const slow = {
      name: 'slow',
      order: (v) => {
        const until = performance.now() + 30;
        while (performance.now() < until) {
          // burn 30 ms of wall time
        }
        return v.queue;
      },
    } satisfies QueuePolicy;
    const [r] = checkSubject(subjectFor(slow), { numRuns: 5, only: ['terminal-once'], callBudgetMs: 10 });
    expect(r.cause).toBe('a policy call ran past its time budget');
    expect(r.error).toMatch(/queue policy 'slow' took \d+ ms in order\(\) at t=\d+\.\d{3} s with \d+ queued, \d+ running, \d+ nodes \(per-call budget 10 ms\)/);
    expect(r.counterexample).toMatch(/^scenario seed=/);
  });

  it('failures are grouped by root cause, the most fundamental first', () => {
    const results = checkSubject(subjectFor(alwaysNodeZero), { numRuns: 20 });
    const groups = groupFailures(results);
    expect(groups.map((g) => g.cause)).toEqual(['a placement the cluster refuses (over-commit or invalid grant)']);
    expect(groups[0].properties.length).toBeGreaterThan(5);
  });

  it('the same seed checks the same cases: a failure is reproduced exactly', () => {
    const a = checkSubject(subjectFor(sortsInPlace), { numRuns: 30, only: ['pure-queue'] });
    const b = checkSubject(subjectFor(sortsInPlace), { numRuns: 30, only: ['pure-queue'] });
    expect(b[0].counterexample).toBe(a[0].counterexample);
    expect(b[0].replay).toEqual(a[0].replay);
    expect(a[0].replay!.seed).toBe(DEFAULT_SEED);
  });

  it('a queue policy that drops jobs fails work conservation if it claims it', () => {
    const lazy = { name: 'lazy', order: (v) => v.queue.slice(0, 1), claims: { workConserving: true } } satisfies QueuePolicy;
    const [r] = checkSubject(subjectFor(lazy), { numRuns: 100, seed: 1, only: ['work-conserving'] });
    expect(r.status).toBe('fail');
    expect(r.error).toMatch(/fits on idle capacity/);
  });

  it('an order that ignores dominant shares fails drf-dominant-shares', () => {
    // fifo's order under the name drf: tenant a's burst goes first although a already dominates
    const fifoAsDrf = { ...queuePolicyFactory('fifo')({}), name: 'drf' } satisfies QueuePolicy;
    const [r] = checkSubject(subjectFor(fifoAsDrf), { numRuns: 100, seed: 1, only: ['drf-dominant-shares'] });
    expect(r.status).toBe('fail');
    expect(r.error).toMatch(/dominant share/);
  });

  it('a placement policy that ignores whether a node is up fails placement-skips-down-nodes and no-run-on-down-node', () => {
    const ignoresDown = {
      name: 'ignores-down',
      place(job, cluster) {
        for (const node of cluster.nodes) {
          const p = placeOn({ ...node, up: true }, job, 'index');
          if (p) return { kind: 'placed', placement: p };
        }
        return { kind: 'unfit', reason: 'none' };
      },
    } satisfies PlacementPolicy;
    const results = checkSubject(subjectFor(ignoresDown), { numRuns: 200, seed: 1, only: ['placement-skips-down-nodes', 'no-run-on-down-node'] });
    expect(results.map((r) => r.status)).toEqual(['fail', 'fail']);
    const by = Object.fromEntries(results.map((r) => [r.property, r]));
    expect(by['placement-skips-down-nodes'].error).toMatch(/which is down/);
    // In a run the core's cluster refuses the grant.
    expect(by['no-run-on-down-node'].error).toMatch(/node n\d+ is down/);
    expect(by['no-run-on-down-node'].counterexample).toMatch(/failures: /);
  });

  it('checks work conservation only for policies that claim it', () => {
    const wc = PROPERTIES.find((p) => p.name === 'work-conserving')!;
    const noClaim = { name: 'reverse', order: (v) => [...v.queue].reverse() } satisfies QueuePolicy;
    expect(wc.applies(subjectFor(noClaim))).toBe(false);
    expect(wc.applies(subjectFor(queuePolicyFactory('fifo')({})))).toBe(true);
  });
});

describe('the scenario generator covers the edge cases', () => {
  // 300 samples from a fixed seed; each edge case has a generation weight of at least ~1/10 per
  // job (or per scenario), so each appears many times over.
  const samples = fc.sample(scenarioArb, { numRuns: 300, seed: 42 });
  const jobs = samples.flatMap((s) => s.jobs);
  it.each([
    ['zero-GPU jobs', () => jobs.some((j) => j.gpus === 0)],
    ['fractional GPUs', () => jobs.some((j) => j.gpus > 0 && j.milli < 1000)],
    ['multi-GPU fractional jobs', () => jobs.some((j) => j.gpus > 1 && j.milli < 1000)],
    ['jobs that never fit (16 GPUs, unknown model, 128 vCPU)', () =>
      jobs.some((j) => j.gpus === 16) && jobs.some((j) => j.models?.includes('B200')) && jobs.some((j) => j.cpu === 128000)],
    ['bursts: several jobs at one instant', () => samples.some((s) => s.jobs.filter((j) => j.submit === s.jobs[0].submit).length >= 3)],
    ['a cancellation at the instant of an arrival', () =>
      samples.some((s) => (s.cancels ?? []).some((c) => s.jobs.some((j) => j.submit === c.at)))],
    ['a bounded queue', () => samples.some((s) => s.maxQueue !== undefined)],
    ['CPU-only nodes', () => samples.some((s) => s.nodes.some((n) => n.gpus.length === 0))],
    ['both head-of-line modes', () => new Set(samples.map((s) => s.headOfLine)).size === 2],
    ['node failures: scheduled, for good, random; requeue and fail', () =>
      samples.some((s) => s.failures?.events.some((e) => e.downMs !== undefined)) &&
      samples.some((s) => s.failures?.events.some((e) => e.downMs === undefined)) &&
      samples.some((s) => s.failures?.random !== undefined) &&
      new Set(samples.flatMap((s) => (s.failures ? [s.failures.onNodeLoss] : []))).size === 2],
  ])('%s', (_, present) => {
    expect(present()).toBe(true);
  });

  it('every cancellation comes after its job is submitted', () => {
    for (const s of samples) {
      for (const c of s.cancels ?? []) expect(c.at).toBeGreaterThan(s.jobs.find((j) => j.id === c.job)!.submit);
    }
  });
});

describe('read-only snapshots of what a policy sees', () => {
  it('copy a live scheduler view deeply (getters included), make the copy read-only and leave the live state mutable', () => {
    const nodes = [{ id: 'n0', cpu: 4000, memory: 8192, gpus: [{ model: 'A100', capacity: 1000 }] }];
    const jobs = [
      { id: 'j0', tenant: 'a', submit: 0, duration: 5000, cpu: 0, memory: 0, gpus: 1, milli: 1000, priority: 0 },
      { id: 'j1', tenant: 'b', submit: 0, duration: 5000, cpu: 0, memory: 0, gpus: 1, milli: 1000, priority: 0 },
    ];
    const s = subjectFor(queuePolicyFactory('fifo')({}));
    // until 2000: j0 runs since 0 on the only GPU, j1 waits.
    const { res } = runSim(s, { nodes, jobs, seed: 1, headOfLine: 'skip' }, 2000);
    const live = res.core.schedulerView;
    const snap = frozenView(live);
    expect(snap.queue.map((j) => j.id)).toEqual(['j1']);
    expect(snap.running.map((j) => j.id)).toEqual(['j0']);
    // attainedGpu is a getter on the tenant class: 1000 milli × 2000 ms = 2,000,000
    expect(snap.tenants.map((t) => [t.name, t.attainedGpu])).toEqual([['a', 2_000_000], ['b', 0]]);
    expect(snap.cluster.nodes[0].gpus[0].free).toBe(0);
    expect(() => ((snap.cluster.nodes[0].gpus[0] as { free: number }).free = 1000)).toThrow(ViewWriteError);
    expect(() => ((snap.queue as unknown[]).length = 0)).toThrow(ViewWriteError);
    takeViewWrites();
    // the live state is untouched and still mutable
    expect(Object.isFrozen(live.cluster.nodes[0])).toBe(false);
    expect(Object.isFrozen(live.queue)).toBe(false);
    expect(snap.cluster.nodes[0]).not.toBe(live.cluster.nodes[0]);
    expect(JSON.stringify(Object.keys(snap.cluster))).not.toMatch(/allocations/);
  });
});

describe('scenario families and coverage', () => {
  const mix = fc.sample(scenarioArb, { numRuns: 200, seed: 42 });
  it('the mix has deep realistic cases: hundreds of jobs in one burst, many tenants with unequal weights and odd names', () => {
    const realistic = mix.filter((s) => s.family === 'realistic');
    expect(realistic.length).toBeGreaterThan(20);
    expect(realistic.some((s) => s.jobs.filter((j) => j.submit === s.jobs[0].submit).length >= 100)).toBe(true);
    expect(Math.max(...realistic.map((s) => s.tenants!.length))).toBeGreaterThanOrEqual(8);
    expect(realistic.some((s) => new Set(s.tenants!.map((t) => t.weight)).size > 2)).toBe(true);
    expect(realistic.some((s) => s.tenants!.some((t) => /[^\w]/.test(t.name)))).toBe(true);
  });

  it('a bounded queue is the exception (it rejected most jobs queue-full when it was the rule)', () => {
    const edge = mix.filter((s) => s.family === 'edge');
    expect(edge.filter((s) => s.maxQueue !== undefined).length / edge.length).toBeLessThan(0.3);
  });

  it('the coverage report sees deep queues, preemptions and spanning gangs', () => {
    const [m, fair, prio] = coverage(60, DEFAULT_SEED);
    expect(m.queueMax).toBeGreaterThanOrEqual(100);
    expect(m.deep).toBeGreaterThan(0);
    expect(m.preemptions).toBeGreaterThan(0);
    expect(m.spanningGangs).toBeGreaterThan(0);
    expect(m.queueFullPct).toBeLessThan(5);
    expect(fair.queueP50).toBeGreaterThanOrEqual(100);
    expect(fair.weighted).toBeGreaterThan(0);
    expect(prio.preemptions).toBeGreaterThan(0);
  }, 60_000);

  it('the mix has jobs with contexts under each shipped warm-pool policy, and they start both warm and cold', () => {
    const ctx = mix.filter((s) => s.family === 'contexts');
    expect(ctx.length).toBeGreaterThan(20);
    expect(new Set(ctx.map((s) => s.contexts!.pool.policy))).toEqual(new Set(['fixed', 'idle-timeout', 'demand-proportional']));
    expect(ctx.every((s) => s.jobs.some((j) => j.context !== undefined))).toBe(true);
    const [m] = coverage(60, DEFAULT_SEED);
    expect(m.warmStarts).toBeGreaterThan(0);
    expect(m.coldStarts).toBeGreaterThan(0);
  }, 60_000);

  it('affinity-wait asks jobs to wait in generated cases, each time at most waitSec ahead', () => {
    const s = subjectFor(placementPolicyFactory('affinity-wait')({ waitSec: 5 }));
    let waited = 0;
    for (const sc of fc.sample(scenarioArb, { numRuns: 200, seed: 3 }).filter((c) => c.family === 'contexts')) {
      for (const asks of runSim(s, sc).waits.values()) {
        waited++;
        // The deadline is the job's queue time + 5 s: after the time asked, within 5 s of it.
        for (const [at, until] of asks) expect([until > at, until - at <= 5000]).toEqual([true, true]);
      }
    }
    expect(waited).toBeGreaterThan(0);
  }, 60_000);

  it('fair-share cases separate policies: weights spread at least 3:1 unless all equal', () => {
    for (const c of fc.sample(fairShareArb, { numRuns: 30, seed: 7 })) {
      const w = c.tenants!.map((t) => t.weight);
      expect(Math.max(...w) === Math.min(...w) || Math.max(...w) >= 3 * Math.min(...w)).toBe(true);
    }
  });
});

// Shrunk counterexamples the kit found in shipped code, pinned (each was fixed in its own commit).
describe('kit findings stay fixed', () => {
  const job = (id: string, o: Partial<JobSpec> = {}): JobSpec => ({
    id, tenant: 'a', submit: 0, duration: 1000, cpu: 0, memory: 0, gpus: 1, milli: 1000, priority: 0, ...o,
  });

  it('a spanning gang whose memory share fits no node is rejected as never-fits, not queued forever', () => {
    // one node, 4 GPUs, 8192 MiB; the gang asks 16384 MiB: no placement, spanning or not, can hold it
    const nodes = [{ id: 'n0', cpu: 4000, memory: 8192, gpus: Array.from({ length: 4 }, () => ({ model: 'A100', capacity: 1000 })) }];
    const s = subjectFor(queuePolicyFactory('fifo')({}));
    const { res } = runSim(s, { nodes, jobs: [job('j0', { gpus: 4, memory: 16384 })], seed: 0, headOfLine: 'skip', scheduler: { gang: { spanNodes: true } } });
    expect(res.core.jobs.get('j0')).toMatchObject({ state: 'rejected', reason: 'never-fits' });
  });

  it('priority with preempt: a beneficiary of a lower class can start while higher classes wait behind a blocked head (why it does not claim priorityOrder)', () => {
    // n0: 8 GPUs, j0 (class 0, 2 GPUs) on it. At 1 s: j4 (10, 1 GPU), j9 (10, 8 GPUs), j5 (5, 2),
    // j2 and j10 (2, 1 each), j3 (1, 2). With head-of-line blocking the pass starts j4 and stops
    // at j9. The plan counts j5, j2 and j10 as started (they fit directly) and takes j0 for j3;
    // j9 finds no plan (j0 alone does not make 8 GPUs). The core tries j3 first and it starts,
    // where the plan put it; then the pass stops at j9 again, and j5, j2, j10 wait.
    const nodes = [{ id: 'n0', cpu: 128000, memory: 524288, gpus: Array.from({ length: 8 }, () => ({ model: 'A100', capacity: 1000 })) }];
    const jobs = [
      job('j0', { duration: 135000, gpus: 2, cpu: 1000, memory: 1024 }),
      job('j2', { submit: 1000, duration: 17000, priority: 2 }),
      job('j3', { submit: 1000, duration: 11000, gpus: 2, priority: 1 }),
      job('j4', { submit: 1000, duration: 9000, priority: 10 }),
      job('j5', { submit: 1000, duration: 149000, gpus: 2, priority: 5 }),
      job('j9', { submit: 1000, duration: 138000, gpus: 8, priority: 10 }),
      job('j10', { submit: 1000, duration: 13000, priority: 2 }),
    ];
    const { recs } = runSim(subjectFor(queuePolicyFactory('priority')({ preempt: true })), { nodes, jobs, seed: 0, headOfLine: 'block', scheduler: { preemption: { restoreMs: 0 } } }, 1001);
    const at1 = recs.flatMap((r) => ((r.ev === 'start' || r.ev === 'preempt') && r.t === 1000 ? [`${r.ev}:${r.job}`] : []));
    expect(at1).toEqual(['start:j4', 'preempt:j0', 'start:j3']);
  });

  it('a victim named by both priority preemption and quota reclaim is preempted once', () => {
    const nodes = [{ id: 'n0', cpu: 4000, memory: 8192, gpus: Array.from({ length: 4 }, () => ({ model: 'A100', capacity: 1000 })) }];
    const jobs = [job('j0', { tenant: 'c', submit: 1, duration: 2000 }), job('j1', { submit: 1001, gpus: 4, priority: 1 })];
    const s = subjectFor(queuePolicyFactory('priority')({ preempt: true }));
    const quotas = [{ tenant: 'c', cohort: 'x', nominal: 0 }, { tenant: 'a', cohort: 'x', nominal: 4000 }];
    const { recs } = runSim(s, { nodes, jobs, seed: 0, headOfLine: 'skip', scheduler: { quotas } });
    expect(recs.filter((r) => r.ev === 'preempt').map((r) => [r.t, 'job' in r ? r.job : ''])).toEqual([[1001, 'j0']]);
  });

  it('the study placement kernels give non-MIG jobs whole GPUs only and MIG jobs an instance', () => {
    const nodes = [
      { id: 'n0', cpu: 16000, memory: 65536, gpus: [{ model: 'A100-40GB', capacity: 1000, mig: true }] },
      { id: 'n1', cpu: 16000, memory: 65536, gpus: [{ model: 'A100', capacity: 1000 }] },
    ];
    const jobs = [job('j0', { milli: 500 }), job('j1', { milli: 125, mig: '1g.5gb' })];
    for (const name of ['worst-fit', 'fgd', 'gpu-packing']) {
      const { recs } = runSim(subjectFor(placementPolicyFactory(name)({})), { nodes, jobs, seed: 0, headOfLine: 'skip' });
      const starts = recs.filter((r) => r.ev === 'start').map((r) => ('node' in r ? [r.job, r.node] : []));
      expect(starts, name).toEqual([['j0', 'n1'], ['j1', 'n0']]);
    }
  });
});
