import { Cluster } from '../cluster/cluster.ts';
import type { NodeSpec } from '../cluster/types.ts';
import { Engine } from '../engine/engine.ts';
import { RngStreams } from '../engine/rng.ts';
import type { JobSpec } from '../jobs/job.ts';
import type { EventLog } from '../output/records.ts';
import type { Clock } from '../scheduler/clock.ts';
import { SchedulerCore, type CoreOptions, type TenantConfig } from '../scheduler/core.ts';
import { PRIORITY, type SchedEvent } from '../scheduler/events.ts';
import type { Executor } from '../scheduler/executor.ts';
import { FailureProcess, hasFailures, type FailureSpec, type TimedFailure } from '../scheduler/failures.ts';
import type { PlacementPolicy, QueuePolicy } from '../scheduler/policy.ts';

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
  /** Further scheduler-core options: backfill, gangs, preemption cost, quotas, MIG, ticks. */
  readonly scheduler?: Pick<CoreOptions, 'backfill' | 'gang' | 'preemption' | 'quotas' | 'migReconfigMs' | 'tickMs' | 'onNodeLoss'>;
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
  /** Called every `progressEvery` events with the engine's time (stderr progress). */
  readonly onProgress?: (now: number, handled: number) => void;
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
  const rng = new RngStreams(input.seed);
  const cluster = new Cluster(input.nodes);
  const jobs = input.jobs[Symbol.iterator]();
  let lastSubmit = -Infinity;
  let core!: SchedulerCore;
  const progressEvery = 1 << 16;
  const failures = hasFailures(input.failures) ? new FailureProcess(input.failures, input.nodes, rng) : undefined;
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
      if (input.onProgress && (engine.handled & (progressEvery - 1)) === 0) input.onProgress(engine.now, engine.handled);
    },
    () => core.schedule(),
  );
  const clock = new SimClock(engine);
  core = new SchedulerCore({
    cluster,
    queue: input.queue,
    placement: input.placement,
    clock,
    executor: new SimExecutor(engine),
    log: input.log,
    rng: { queue: rng.get(`queue/${input.queue.name}`), placement: rng.get(`placement/${input.placement.name}`) },
    tenants: input.tenants,
    headOfLine: input.headOfLine,
    maxQueue: input.maxQueue,
    ...input.scheduler,
  });

  input.log.append({
    t: 0,
    ev: 'run',
    run: input.run,
    mode: 'sim',
    seed: input.seed,
    queue: input.queue.name,
    placement: input.placement.name,
    nodes: input.nodes,
  });
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
  return { events: engine.handled, end: engine.now, core, cluster };
}
