import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { Cluster } from '../cluster/cluster.ts';
import { fits } from '../cluster/fit.ts';
import type { Demand, NodeSpec } from '../cluster/types.ts';
import { stream } from '../engine/rng.ts';
import type { JobSpec } from '../jobs/job.ts';
import { isTerminal, type JobState } from '../jobs/lifecycle.ts';
import type { LogRecord } from '../output/records.ts';
import { RunWriter } from '../output/run-writer.ts';
import type { PlacementPolicy, QueuePolicy } from '../scheduler/policy.ts';
import { simulate, type SimResult } from '../sim/simulate.ts';
import { backloggedArb, placementCaseArb, scenarioArb, type GeneratedScenario } from './arbitraries.ts';
import { spyPlacement, spyQueue } from './spy.ts';

/** Policy calls re-checked for purity per generated scenario. */
const PURITY_CALLS = 25;

/** What the kit checks: a queue policy and a placement policy run together. */
export interface Subject {
  readonly queue: QueuePolicy;
  readonly placement: PlacementPolicy;
  /** Which of the two is under test (decides which properties apply). */
  readonly focus: 'queue' | 'placement';
}

export interface PropertyDef {
  readonly name: string;
  readonly description: string;
  /** Whether the property applies to this subject (e.g. only policies that claim it). */
  applies(s: Subject): boolean;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each property has its own argument tuple
  property(s: Subject): fc.IProperty<any>;
}

export class Violation extends Error {
  override name = 'Violation';
}

function check(cond: boolean, msg: () => string): void {
  if (!cond) throw new Violation(msg());
}

interface SimRun {
  lines: string[];
  recs: LogRecord[];
  res: SimResult;
}

/** Runs one generated scenario to completion, keeping every log line. */
export function runSim(s: Subject, sc: GeneratedScenario, until?: number): SimRun {
  const log = new RunWriter(undefined, { keepLines: true });
  const res = simulate({
    run: 'conformance',
    seed: sc.seed,
    nodes: sc.nodes,
    jobs: sc.jobs,
    queue: s.queue,
    placement: s.placement,
    log,
    headOfLine: sc.headOfLine,
    maxQueue: sc.maxQueue,
    cancels: sc.cancels,
    until,
  });
  log.close();
  const lines = log.lines!;
  return { lines, recs: lines.map((l) => JSON.parse(l) as LogRecord), res };
}

/**
 * Replays an event log through a fresh Cluster (which throws on any over-commit or unmatched
 * release) and calls `atInstantEnd` with the state after each instant's last record.
 */
function replay(
  nodes: readonly NodeSpec[],
  recs: readonly LogRecord[],
  atInstantEnd?: (cluster: Cluster, queued: ReadonlyMap<string, Demand>, t: number) => void,
): Cluster {
  const cluster = new Cluster(nodes);
  const index = new Map(nodes.map((n, i) => [n.id, i]));
  const demands = new Map<string, Demand>();
  const queued = new Map<string, Demand>();
  for (let i = 0; i < recs.length; i++) {
    const r = recs[i];
    switch (r.ev) {
      case 'arrival':
        demands.set(r.job, { cpu: r.cpu, memory: r.mem, gpus: r.gpus, milli: r.milli, models: r.models });
        break;
      case 'admit':
        queued.set(r.job, demands.get(r.job)!);
        break;
      case 'start': {
        const node = index.get(r.node);
        check(node !== undefined, () => `start of ${r.job} on unknown node ${r.node}`);
        cluster.allocate(r.job, demands.get(r.job)!, { node: node!, gpus: r.gpus.map((g) => ({ gpu: g, milli: r.milli })) });
        queued.delete(r.job);
        break;
      }
      case 'finish':
        if (cluster.allocationOf(r.job)) cluster.release(r.job);
        queued.delete(r.job);
        break;
    }
    const next = recs[i + 1];
    if (atInstantEnd && r.ev !== 'run' && (next === undefined || next.t !== r.t)) atInstantEnd(cluster, queued, r.t);
  }
  return cluster;
}

const scenario = scenarioArb;

export const PROPERTIES: readonly PropertyDef[] = [
  {
    name: 'no-overcommit',
    description: 'CPU, memory and milli-GPU are never over-committed; releases match allocations exactly',
    applies: () => true,
    property: (s) =>
      fc.property(scenario, (sc) => {
        const { recs } = runSim(s, sc);
        const c = replay(sc.nodes, recs); // throws AllocationError on any violation
        check(c.allocationCount === 0, () => `${c.allocationCount} allocations never released`);
        check(c.gpuAllocated === 0 && c.cpuAllocated === 0 && c.memoryAllocated === 0, () => 'counters not back to zero');
      }),
  },
  {
    name: 'terminal-once',
    description: 'every job ends in exactly one terminal state; none is lost, none runs twice at once',
    applies: () => true,
    property: (s) =>
      fc.property(scenario, (sc) => {
        const { recs, res } = runSim(s, sc);
        const ends = new Map<string, number>();
        const running = new Set<string>();
        for (const r of recs) {
          if (r.ev === 'start') {
            check(!running.has(r.job), () => `job ${r.job} started while already running`);
            running.add(r.job);
          }
          if (r.ev === 'finish' || r.ev === 'reject') {
            running.delete(r.job);
            ends.set(r.job, (ends.get(r.job) ?? 0) + 1);
          }
        }
        for (const j of sc.jobs) {
          check(ends.get(j.id) === 1, () => `job ${j.id} has ${ends.get(j.id) ?? 0} terminal records`);
          const state = res.core.jobs.get(j.id)?.state;
          check(state !== undefined && isTerminal(state), () => `job ${j.id} ended in non-terminal state ${state}`);
        }
        check(res.core.jobs.size === sc.jobs.length, () => `${sc.jobs.length} submitted, ${res.core.jobs.size} known`);
      }),
  },
  {
    name: 'time-monotone',
    description: 'simulated time never goes backwards; no job starts before it is submitted',
    applies: () => true,
    property: (s) =>
      fc.property(scenario, (sc) => {
        const { recs } = runSim(s, sc);
        const submit = new Map<string, number>();
        for (let i = 1; i < recs.length; i++) {
          check(recs[i].t >= recs[i - 1].t, () => `record ${i} at t=${recs[i].t} after t=${recs[i - 1].t}`);
          const r = recs[i];
          if (r.ev === 'arrival') submit.set(r.job, r.t);
          if (r.ev === 'start') check(r.t >= submit.get(r.job)!, () => `job ${r.job} started before submit`);
        }
      }),
  },
  {
    name: 'decisions-logged',
    description: 'every decision the core applied appears in the log, as applied',
    applies: () => true,
    property: (s) =>
      fc.property(scenario, (sc) => {
        const { recs, res } = runSim(s, sc);
        const starts = new Map<string, Extract<LogRecord, { ev: 'start' }>[]>();
        const final = new Map<string, JobState>();
        const admission = new Map<string, string[]>();
        for (const r of recs) {
          if (r.ev === 'start') starts.set(r.job, [...(starts.get(r.job) ?? []), r]);
          if (r.ev === 'finish') final.set(r.job, r.state);
          if (r.ev === 'reject') final.set(r.job, 'rejected');
          if (r.ev === 'admit' || r.ev === 'reject') admission.set(r.job, [...(admission.get(r.job) ?? []), r.ev]);
        }
        for (const j of res.core.jobs.values()) {
          const adm = admission.get(j.id) ?? [];
          check(adm.length === 1, () => `job ${j.id}: admission decisions logged: [${adm.join(', ')}], expected exactly one`);
          const st = starts.get(j.id) ?? [];
          check(st.length === j.attempt, () => `job ${j.id}: ${j.attempt} starts applied, ${st.length} logged`);
          check(final.get(j.id) === j.state, () => `job ${j.id}: state ${j.state}, log says ${final.get(j.id)}`);
          if (j.placement) {
            const last = st.at(-1)!;
            check(
              last.node === sc.nodes[j.placement.node].id && isDeepStrictEqual(last.gpus, j.placement.gpus.map((g) => g.gpu)),
              () => `job ${j.id}: logged placement differs from applied placement`,
            );
          }
        }
      }),
  },
  {
    name: 'deterministic',
    description: 'the same scenario and seed give a byte-identical event log',
    applies: () => true,
    property: (s) =>
      fc.property(scenario, (sc) => {
        const a = runSim(s, sc).lines;
        const b = runSim(s, sc).lines;
        check(isDeepStrictEqual(a, b), () => `logs differ at line ${a.findIndex((l, i) => l !== b[i])}`);
      }),
  },
  {
    name: 'pure-placement',
    description: 'placement is a pure function: same answer twice on the same frozen view, and it cannot mutate it',
    applies: (s) => s.focus === 'placement',
    property: (s) =>
      fc.property(scenario, (sc) => {
        // Re-ask the policy about the exact (frozen) views the core showed it during a run.
        const spy = spyPlacement(s.placement, PURITY_CALLS);
        runSim({ ...s, placement: spy.policy }, sc);
        const rng = () => stream(sc.seed, `placement/${s.placement.name}`);
        for (const c of spy.calls) {
          const a = s.placement.place(c.job, c.cluster, { now: c.now, rng: rng() });
          const b = s.placement.place(c.job, c.cluster, { now: c.now, rng: rng() });
          check(isDeepStrictEqual(a, b), () => `t=${c.now}: two calls for job ${c.job.id} disagree: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
        }
      }),
  },
  {
    name: 'placement-valid',
    description: 'placements respect capacity, GPU count, milli and model; unfit means no node fits',
    applies: (s) => s.focus === 'placement',
    property: (s) =>
      fc.property(placementCaseArb, ({ nodes, jobs, seed }) => {
        // Fill a cluster job by job with the policy itself, checking every answer.
        const cluster = new Cluster(nodes);
        const rng = stream(seed, 'conformance');
        for (const j of jobs) {
          const out = s.placement.place(j as never, cluster, { now: 0, rng });
          if (out.kind === 'placed') {
            cluster.allocate(j.id, j, out.placement); // throws on any invalid grant
          } else {
            const n = cluster.nodes.find((nd) => fits(nd, j));
            check(n === undefined, () => `job ${j.id} declared unfit but fits on ${n!.id}`);
          }
        }
      }),
  },
  {
    name: 'pure-queue',
    description: 'queue ordering is a pure function of a frozen view and returns queued jobs only, once each',
    applies: (s) => s.focus === 'queue',
    property: (s) =>
      fc.property(scenario, (sc) => {
        // Re-ask the policy about the exact (frozen) views the core showed it during a run.
        const spy = spyQueue(s.queue, PURITY_CALLS);
        runSim({ ...s, queue: spy.policy }, sc);
        const rng = () => stream(sc.seed, `queue/${s.queue.name}`);
        for (const c of spy.calls) {
          const a = s.queue.order(c.view, { now: c.now, rng: rng() }).map((j) => j.id);
          const b = s.queue.order(c.view, { now: c.now, rng: rng() }).map((j) => j.id);
          check(isDeepStrictEqual(a, b), () => `t=${c.now}: two calls disagree: ${a.join(',')} vs ${b.join(',')}`);
          const queued = new Set(c.view.queue.map((j) => j.id));
          check(new Set(a).size === a.length, () => `t=${c.now}: order repeats a job: ${a.join(',')}`);
          check(a.every((id) => queued.has(id)), () => `t=${c.now}: order returns a job that is not queued: ${a.join(',')}`);
        }
      }),
  },
  {
    name: 'work-conserving',
    description: 'with headOfLine skip, no queued job that fits on some node waits at the end of an instant',
    applies: (s) => s.queue.claims?.workConserving === true,
    property: (s) =>
      fc.property(scenario, (sc) => {
        const { recs } = runSim(s, { ...sc, headOfLine: 'skip' });
        replay(sc.nodes, recs, (cluster, queued, t) => {
          for (const [id, d] of queued) {
            const n = cluster.nodes.find((nd) => fits(nd, d));
            check(n === undefined, () => `t=${t}: queued job ${id} fits on idle capacity of ${n!.id}`);
          }
        });
      }),
  },
  {
    name: 'fair-share',
    description: 'backlogged equal-weight tenants receive GPU time within 1 job-duration·GPU of equal shares',
    applies: (s) => s.queue.claims?.fairShare === true,
    property: (s) =>
      fc.property(backloggedArb, (b) => {
        const jobs: JobSpec[] = [];
        // Tenant t0 submits first, then t1 …: FIFO would serve them one after the other.
        for (let t = 0; t < b.tenants; t++) {
          for (let i = 0; i < b.jobsPerTenant; i++) {
            jobs.push({ id: `t${t}-${i}`, tenant: `t${t}`, submit: 0, duration: b.duration, cpu: 0, memory: 0, gpus: 1, milli: 1000, priority: 0, estimate: b.duration });
          }
        }
        const nodes = [{ id: 'n0', cpu: 1000, memory: 1024, gpus: Array.from({ length: b.gpus }, () => ({ model: 'A100', capacity: 1000 })) }];
        // Stop while every tenant is still backlogged: half of the total work's makespan.
        const until = Math.floor((b.tenants * b.jobsPerTenant * b.duration) / b.gpus / 2);
        const { res } = runSim(s, { nodes, jobs, seed: b.seed, headOfLine: 'skip' }, until);
        const got = res.core.schedulerView.tenants.map((t) => t.attainedGpu);
        const mean = got.reduce((x, y) => x + y, 0) / got.length;
        // Tolerance: one job's GPU time per GPU of the node (granularity of whole jobs).
        const tol = b.duration * 1000 * b.gpus;
        check(got.every((g) => Math.abs(g - mean) <= tol), () => `attained GPU·ms ${got.join(', ')} (mean ${mean}, tolerance ${tol})`);
      }),
  },
];
