import type { Cluster } from '../cluster/cluster.ts';
import type { NodeSpec } from '../cluster/types.ts';
import { Engine } from '../engine/engine.ts';
import type { JobSpec } from '../jobs/job.ts';
import type { EventLog } from '../log/records.ts';
import { RunWriter } from '../output/run-writer.ts';
import type { Clock } from '../scheduler/clock.ts';
import type { SchedulerCore, TenantConfig } from '../scheduler/core.ts';
import { PRIORITY, type SchedEvent } from '../scheduler/events.ts';
import type { Executor } from '../scheduler/executor.ts';
import type { FailureSpec, TimedFailure } from '../scheduler/failures.ts';
import type { PolicyGuard } from '../scheduler/policy-guard.ts';
import type { PlacementPolicy, QueuePolicy } from '../scheduler/policy.ts';
import { wireCore, type SchedulerSettings } from '../wiring/wire-core.ts';

export interface SimInput {
  readonly run: string;
  readonly seed: number;
  readonly nodes: readonly NodeSpec[];
  /** Jobs in non-decreasing submit order (pulled lazily, one arrival in the heap at a time). */
  readonly jobs: Iterable<JobSpec>;
  readonly queue: QueuePolicy;
  readonly placement: PlacementPolicy;
  readonly log: EventLog;
  readonly tenants?: readonly TenantConfig[];
  readonly headOfLine?: 'skip' | 'block';
  readonly maxQueue?: number;
  /** Further scheduler settings: backfill, gangs, preemption cost, quotas, MIG, ticks, extra admission/preemption policies. */
  readonly scheduler?: Omit<SchedulerSettings, 'headOfLine' | 'maxQueue'>;
  /** Checks and times policy calls (default: a plain guard, no watchdog thread). */
  readonly guard?: PolicyGuard;
  /** Stop the simulation at this time (ms); jobs still queued or running stay unfinished. */
  readonly until?: number;
  /**
   * Cancellations to inject: job `job` is cancelled at `at` ms, which must be after its submit
   * (a cancel at the submit instant would be handled before the arrival). Cancelling a job that
   * has already ended is a no-op.
   */
  readonly cancels?: readonly { readonly at: number; readonly job: string }[];
  /**
   * Node failures (node indices, ms); random ones draw from the streams `failures/<node id>`.
   * Failures are background events: the run ends once nothing runs and only node failures are
   * pending (a failure after the last job ended is not simulated). What a lost job does:
   * `scheduler.onNodeLoss`.
   */
  readonly failures?: FailureSpec;
  /**
   * Keep ended jobs in `core.jobs` (the scheduler core's `forgetEnded` reversed). Default: true,
   * except when `log` is a RunWriter writing a directory: its files are then the record of every
   * job, and the core holds only the jobs in flight (a 1M-job run's memory depends on it).
   */
  readonly keepEndedJobs?: boolean;
  /** Called about once a second of wall time with the engine's time and the events handled so far. */
  readonly onProgress?: (now: number, handled: number) => void;
  /** Wall-clock ms between `onProgress` calls (default 1000). */
  readonly progressMs?: number;
}

export interface SimResult {
  readonly events: number;
  readonly end: number;
  readonly core: SchedulerCore;
  readonly cluster: Cluster;
}

class SimClock implements Clock {
  constructor(private readonly engine: Engine<SchedEvent>) {}
  now(): number {
    return this.engine.now;
  }
  wakeAt(time: number): void {
    this.engine.schedule(time, { kind: 'wake' }, PRIORITY.wake);
  }
}

/** Simulated executor: a job completes after its remaining run time on its placement. */
class SimExecutor implements Executor {
  constructor(private readonly engine: Engine<SchedEvent>) {}
  start(job: Parameters<Executor['start']>[0]): void {
    const e = this.engine;
    e.schedule(
      e.now + job.remaining,
      { kind: 'completion', jobId: job.id, attempt: job.attempt, outcome: 'succeeded' },
      PRIORITY.completion,
    );
  }
  stop(): void {
    // Nothing runs: the pending completion becomes stale (its attempt no longer matches).
  }
}

/** Runs one simulation to completion (or `until`) and logs every event and decision. */
export function simulate(input: SimInput): SimResult {
  const jobs = input.jobs[Symbol.iterator]();
  let lastSubmit = -Infinity;
  let core!: SchedulerCore;
  // Progress by wall time: the clock is read every 256 events, a call made once `progressMs` has passed.
  const progressMs = input.progressMs ?? 1000;
  let nextNote = performance.now() + progressMs;
  /** Node-down and node-up events scheduled and not yet handled (background events, see `keepGoing`). */
  let pendingDowns = 0;
  let pendingUps = 0;
  const scheduleFailure = (f: TimedFailure) => {
    if (f.ev.kind === 'node-down') pendingDowns++;
    else pendingUps++;
    engine.schedule(f.at, f.ev, PRIORITY[f.ev.kind]);
  };

  const pullArrival = () => {
    const next = jobs.next();
    if (next.done) return;
    const j = next.value;
    if (j.submit < lastSubmit) {
      throw new Error(`jobs must arrive in submit order: job ${j.id} at ${j.submit} after ${lastSubmit}`);
    }
    lastSubmit = j.submit;
    engine.schedule(j.submit, { kind: 'arrival', job: j }, PRIORITY.arrival);
  };

  const engine: Engine<SchedEvent> = new Engine<SchedEvent>(
    (ev) => {
      if (ev.kind === 'node-down') pendingDowns--;
      else if (ev.kind === 'node-up') pendingUps--;
      core.handle(ev);
      if (ev.kind === 'arrival') pullArrival();
      else if (failures && (ev.kind === 'node-down' || ev.kind === 'node-up')) for (const f of failures.next(ev, engine.now)) scheduleFailure(f);
      if (input.onProgress && (engine.handled & 255) === 0 && performance.now() >= nextNote) {
        nextNote = performance.now() + progressMs;
        input.onProgress(engine.now, engine.handled);
      }
    },
    () => core.schedule(),
  );
  const wired = wireCore({
    run: input.run,
    mode: 'sim',
    seed: input.seed,
    nodes: input.nodes,
    queue: input.queue,
    placement: input.placement,
    log: input.log,
    clock: new SimClock(engine),
    executor: new SimExecutor(engine),
    tenants: input.tenants,
    scheduler: {
      ...input.scheduler,
      headOfLine: input.headOfLine,
      maxQueue: input.maxQueue,
      forgetEnded: !(input.keepEndedJobs ?? !(input.log instanceof RunWriter && input.log.writesFiles)),
    },
    failures: input.failures,
    guard: input.guard,
  });
  core = wired.core;
  const failures = wired.failures;
  wired.begin();
  pullArrival();
  for (const c of input.cancels ?? []) engine.schedule(c.at, { kind: 'cancel', jobId: c.job }, PRIORITY.cancel);
  if (failures) for (const f of failures.initial()) scheduleFailure(f);
  engine.run({
    ...(input.until === undefined ? {} : { until: input.until }),
    // Failures alone keep nothing going: the run goes on while other events are pending, a job
    // runs, or a job waits and a node is still to come back.
    ...(failures
      ? { keepGoing: () => engine.pending > pendingDowns + pendingUps || core.runningCount > 0 || (pendingUps > 0 && core.queued.length > 0) }
      : {}),
  });
  input.log.append({ t: engine.now, ev: 'end', events: engine.handled });
  return { events: engine.handled, end: engine.now, core, cluster: wired.cluster };
}
