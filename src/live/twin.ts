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
  /** The same without the start latency (decision → worker running): backend init, reporting. */
  readonly runOverheadMs: number;
}

/** Σflop / Σcompute time and mean overhead, per kind, over succeeded attempts. Pure. */
export function measuredRates(measures: readonly JobMeasure[]): Map<WorkSpec['kind'], KindRate> {
  const acc = new Map<WorkSpec['kind'], { n: number; flop: number; compute: number; overhead: number; runOverhead: number }>();
  for (const m of measures) {
    if (m.outcome !== 'succeeded') continue;
    const a = acc.get(m.kind) ?? { n: 0, flop: 0, compute: 0, overhead: 0, runOverhead: 0 };
    a.n++;
    a.flop += m.flop;
    a.compute += m.computeMs;
    a.overhead += Math.max(0, m.runMs - m.computeMs);
    a.runOverhead += Math.max(0, m.runMs - m.computeMs - Math.max(0, m.submitToRunningMs));
    acc.set(m.kind, a);
  }
  const out = new Map<WorkSpec['kind'], KindRate>();
  for (const [kind, a] of acc) {
    out.set(kind, { kind, jobs: a.n, flopPerSec: a.compute > 0 ? a.flop / (a.compute / 1000) : 0, overheadMs: a.overhead / a.n, runOverheadMs: a.runOverhead / a.n });
  }
  return out;
}

/**
 * A tensor job's shape: its kind and the sizes of one step (not how many steps). Jobs of one shape
 * run at one rate; jobs of one kind need not (on the H100 a 2048² matMul ran at 1.6–2.3 TFLOP/s, a
 * 4096² one at 3.6–3.9 in the same run), so the twin keys rates by shape first. Pure.
 */
export function workShape(w: WorkSpec): string {
  switch (w.kind) {
    case 'matmul':
      return `matmul n=${w.n}`;
    case 'conv':
      return `conv batch=${w.batch} size=${w.size} channels=${w.channels} layers=${w.layers}`;
    case 'train':
      return `train batch=${w.batch} features=${w.features} hidden=${w.hidden}`;
    default:
      return w.kind;
  }
}

/** Rates per kind, and per shape where the job's work is known (`workOf` by job id). */
export interface Rates {
  readonly byKind: ReadonlyMap<WorkSpec['kind'], KindRate>;
  readonly byShape: ReadonlyMap<string, KindRate>;
}

/** `measuredRates` per kind, and the same figures over each shape's attempts. Pure. */
export function measuredShapeRates(measures: readonly JobMeasure[], workOf: (jobId: string) => WorkSpec | undefined): Rates {
  const groups = new Map<string, JobMeasure[]>();
  for (const m of measures) {
    const w = workOf(m.jobId);
    if (!w) continue;
    const key = workShape(w);
    const g = groups.get(key) ?? [];
    g.push(m);
    groups.set(key, g);
  }
  const byShape = new Map<string, KindRate>();
  for (const [key, g] of groups) {
    const r = measuredRates(g).values().next();
    if (!r.done) byShape.set(key, r.value);
  }
  return { byKind: measuredRates(measures), byShape };
}

/**
 * Predicted wall ms of a job from the measured rates: overhead + FLOP / rate for tensor work
 * (its shape's rate, else its kind's), overhead + ms for sleeps; the job's own measured time for
 * commands (no model) or when its kind has no rate. With `startMs`, the job's own start latency
 * (decision → running: a cold worker's start-up or a warm one's hand-over, which differ by 50×
 * on the GPU box), the overhead is that plus the rest of the mean overhead, not the mean of both.
 */
export function predictWallMs(work: WorkSpec, rates: Rates, measured: number | undefined, startMs?: number): number {
  const r = rates.byShape.get(workShape(work)) ?? rates.byKind.get(work.kind);
  const overhead = r ? (startMs !== undefined && startMs >= 0 ? startMs + r.runOverheadMs : r.overheadMs) : 0;
  if (r && workerKindOf(work) === 'tensor' && r.flopPerSec > 0) return overhead + (workFlop(work as Parameters<typeof workFlop>[0]) / r.flopPerSec) * 1000;
  if (r && work.kind === 'sleep') return overhead + work.ms;
  return measured ?? 0;
}

export interface TwinResult {
  readonly metrics: RunMetrics;
  readonly lines: readonly string[];
  /** The rates the durations came from. */
  readonly rates: Rates;
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
  /** Rates per kind only, as before shapes (to compare the two models). */
  byKindOnly?: boolean;
}): TwinResult {
  const workById = new Map(input.jobs.map((j) => [j.id, input.workOf(j)]));
  const rates: Rates = input.byKindOnly ? { byKind: measuredRates(input.measures), byShape: new Map() } : measuredShapeRates(input.measures, (id) => workById.get(id));
  const last = new Map<string, JobMeasure>();
  for (const m of input.measures) last.set(m.jobId, m);
  const jobs = input.jobs.map((j) => {
    const m = last.get(j.id);
    const wall = predictWallMs(workById.get(j.id)!, rates, m?.runMs, input.byKindOnly ? undefined : m?.submitToRunningMs);
    return { ...j, duration: Math.max(1, Math.round(wall * input.timeScale)) };
  });
  const w = new RunWriter(undefined, { keepLines: true });
  simulate({ run: `${input.run}/twin`, seed: input.seed, nodes: input.nodes, jobs, queue: input.queue, placement: input.placement, log: w, tenants: input.tenants, headOfLine: input.headOfLine, maxQueue: input.maxQueue, scheduler: input.scheduler, failures: input.failures });
  w.close();
  return { metrics: w.deriver.metrics(), lines: w.lines ?? [], rates };
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
