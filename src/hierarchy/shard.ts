import { Cluster } from '../cluster/cluster.ts';
import type { NodeSpec } from '../cluster/types.ts';
import type { Engine } from '../engine/engine.ts';
import type { RngStreams } from '../engine/rng.ts';
import type { JobView } from '../jobs/job.ts';
import type { Clock } from '../scheduler/clock.ts';
import type { SchedulerCore } from '../scheduler/core.ts';
import { PRIORITY } from '../scheduler/events.ts';
import type { Executor } from '../scheduler/executor.ts';
import { buildCore, type WireInput } from '../wiring/wire-core.ts';
import type { HierarchyEvent } from './events.ts';
import type { ShardSpec } from './partition.ts';
import { shardStatics, summarize, type MutableSummary, type ShardStatics } from './summary.ts';

/** A shard's clock: the engine's time; its wake-ups are events addressed to this shard. */
class ShardClock implements Clock {
  constructor(
    private readonly engine: Engine<HierarchyEvent>,
    private readonly shard: number,
  ) {}
  now(): number {
    return this.engine.now;
  }
  wakeAt(time: number): void {
    this.engine.schedule(time, { kind: 'wake', shard: this.shard }, PRIORITY.wake);
  }
}

/** A shard's simulated executor: a job completes after its remaining run time (as the global simulator's). */
class ShardExecutor implements Executor {
  constructor(
    private readonly engine: Engine<HierarchyEvent>,
    private readonly shard: number,
  ) {}
  start(job: JobView): void {
    const e = this.engine;
    e.schedule(e.now + job.remaining, { kind: 'completion', jobId: job.id, attempt: job.attempt, outcome: 'succeeded', shard: this.shard }, PRIORITY.completion);
  }
  stop(): void {
    // Nothing runs: the pending completion becomes stale (its attempt no longer matches).
  }
}

/**
 * One shard of a hierarchy: a scheduler core of its own over a cluster of its nodes (node
 * indices local to the shard; node ids as in the run), with the run's policies (a fresh instance
 * per shard) and settings. Shard 0 draws from the run's streams (`queue/<name>` …), shard k > 0
 * from `queue/<name>/<shard id>` …, so a one-shard hierarchy makes the global scheduler's draws.
 * It also integrates its allocated milli-GPU over time for its utilisation.
 */
export class Shard {
  readonly id: string;
  readonly index: number;
  /** Run-wide indices of its nodes, ascending. */
  readonly nodes: readonly number[];
  readonly cluster: Cluster;
  readonly core: SchedulerCore;
  readonly statics: ShardStatics;
  /** Failures in effect (overlapping ones nest): the scheduler is up when 0. */
  downDepth = 0;
  /** Routing decisions that sent a job here. */
  routed = 0;
  /** Allocated milli-GPU × ms so far (up to `lastT`). */
  allocMilliMs = 0;
  private lastT = 0;
  private lastAlloc = 0;

  constructor(spec: ShardSpec, index: number, nodes: readonly NodeSpec[], wire: Omit<WireInput, 'nodes' | 'run' | 'mode' | 'seed' | 'failures' | 'clock' | 'executor'>, rng: RngStreams, engine: Engine<HierarchyEvent>) {
    this.id = spec.id;
    this.index = index;
    this.nodes = spec.nodes;
    this.cluster = new Cluster(spec.nodes.map((i) => nodes[i]));
    this.core = buildCore({ ...wire, clock: new ShardClock(engine, index), executor: new ShardExecutor(engine, index) }, this.cluster, rng, index === 0 ? '' : `/${spec.id}`);
    this.statics = shardStatics(this.cluster);
  }

  get up(): boolean {
    return this.downDepth === 0;
  }

  /** Call before anything that may change the allocation at `now` (a completion, a node loss, a pass). */
  touch(now: number): void {
    this.allocMilliMs += this.lastAlloc * (now - this.lastT);
    this.lastT = now;
  }

  /** Call after it: the allocation holds from now until the next `touch`. */
  settle(): void {
    this.lastAlloc = this.cluster.gpuAllocated;
  }

  /** The shard's report now (queue length and demand read from its core: O(queue) for the demand). */
  summary(now: number): MutableSummary {
    let queuedMilli = 0;
    const q = this.core.queued;
    for (const j of q) queuedMilli += j.gpus * j.milli;
    return summarize(this.id, this.index, this.cluster, this.statics, { queued: q.length, queuedMilli, running: this.core.runningCount }, this.up, now);
  }
}
