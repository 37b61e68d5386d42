import type { NodeSpec } from '../cluster/types.ts';
import type { JobSpec } from '../jobs/job.ts';
import type { RunMetrics } from '../output/derive.ts';
import { RunWriter } from '../output/run-writer.ts';
import type { TenantConfig } from '../scheduler/core.ts';
import type { SchedulerSettings } from '../wiring/wire-core.ts';
import type { FailureSpec } from '../scheduler/failures.ts';
import type { PlacementPolicy, QueuePolicy } from '../scheduler/policy.ts';
import { simulate } from '../sim/simulate.ts';
import type { JobMeasure } from './live-executor.ts';
import { workerKindOf, type WorkSpec } from './work-spec.ts';
import { workFlop } from './workloads/tensor-jobs.ts';

/** Work rate per job kind, measured in a live run. */
export interface KindRate {
  readonly kind: WorkSpec['kind'];
  readonly jobs: number;
  /** FLOP per wall second of compute (tensor kinds), 0 otherwise. */
  readonly flopPerSec: number;
  /** Mean wall ms per job outside the work itself (start-up, backend init, reporting). */
  readonly overheadMs: number;
}

/** Σflop / Σcompute time and mean overhead, per kind, over succeeded attempts. Pure. */
export function measuredRates(measures: readonly JobMeasure[]): Map<WorkSpec['kind'], KindRate> {
  const acc = new Map<WorkSpec['kind'], { n: number; flop: number; compute: number; overhead: number }>();
  for (const m of measures) {
    if (m.outcome !== 'succeeded') continue;
    const a = acc.get(m.kind) ?? { n: 0, flop: 0, compute: 0, overhead: 0 };
    a.n++;
    a.flop += m.flop;
    a.compute += m.computeMs;
    a.overhead += Math.max(0, m.runMs - m.computeMs);
    acc.set(m.kind, a);
  }
  const out = new Map<WorkSpec['kind'], KindRate>();
  for (const [kind, a] of acc) {
    out.set(kind, { kind, jobs: a.n, flopPerSec: a.compute > 0 ? a.flop / (a.compute / 1000) : 0, overheadMs: a.overhead / a.n });
  }
  return out;
}

/**
 * Predicted wall ms of a job from the measured rates: overhead + FLOP / rate for tensor work,
 * overhead + ms for sleeps; the job's own measured time for commands (no model) or when its kind
 * has no rate.
 */
export function predictWallMs(work: WorkSpec, rates: ReadonlyMap<WorkSpec['kind'], KindRate>, measured: number | undefined): number {
  const r = rates.get(work.kind);
  if (r && workerKindOf(work) === 'tensor' && r.flopPerSec > 0) return r.overheadMs + (workFlop(work as Parameters<typeof workFlop>[0]) / r.flopPerSec) * 1000;
  if (r && work.kind === 'sleep') return r.overheadMs + work.ms;
  return measured ?? 0;
}

export interface TwinResult {
  readonly metrics: RunMetrics;
  readonly lines: readonly string[];
}

/** Simulates the same jobs and policies with predicted durations (scenario ms = wall ms × timeScale). */
export function simulateTwin(input: {
  run: string;
  seed: number;
  nodes: readonly NodeSpec[];
  jobs: readonly JobSpec[];
  workOf: (j: JobSpec) => WorkSpec;
  measures: readonly JobMeasure[];
  timeScale: number;
  queue: QueuePolicy;
  placement: PlacementPolicy;
  tenants?: readonly TenantConfig[];
  headOfLine?: 'skip' | 'block';
  maxQueue?: number;
  scheduler?: Omit<SchedulerSettings, 'headOfLine' | 'maxQueue'>;
  /** The live run's node failures (the twin sees the same outages). */
  failures?: FailureSpec;
}): TwinResult {
  const rates = measuredRates(input.measures);
  const last = new Map<string, JobMeasure>();
  for (const m of input.measures) last.set(m.jobId, m);
  const jobs = input.jobs.map((j) => {
    const wall = predictWallMs(input.workOf(j), rates, last.get(j.id)?.runMs);
    return { ...j, duration: Math.max(1, Math.round(wall * input.timeScale)) };
  });
  const w = new RunWriter(undefined, { keepLines: true });
  simulate({ run: `${input.run}/twin`, seed: input.seed, nodes: input.nodes, jobs, queue: input.queue, placement: input.placement, log: w, tenants: input.tenants, headOfLine: input.headOfLine, maxQueue: input.maxQueue, scheduler: input.scheduler, failures: input.failures });
  w.close();
  return { metrics: w.deriver.metrics(), lines: w.lines ?? [] };
}

/** The order of scheduling decisions in a log: `start <job>` / `finish <job> <state>` lines. */
export function decisionOrder(lines: readonly string[]): string[] {
  const out: string[] = [];
  for (const l of lines) {
    const r = JSON.parse(l) as { ev: string; job?: string; state?: string };
    if (r.ev === 'start') out.push(`start ${r.job}`);
    else if (r.ev === 'finish') out.push(`finish ${r.job} ${r.state}`);
    else if (r.ev === 'reject') out.push(`reject ${r.job}`);
  }
  return out;
}
