import { Engine } from '../engine/engine.ts';
import { RngStreams } from '../engine/rng.ts';
import type { HierarchyEvent } from '../hierarchy/events.ts';
import { HPRIORITY } from '../hierarchy/events.ts';
import { Master, type MasterSettings } from '../hierarchy/master.ts';
import { hierarchyMetrics, type HierarchyMetrics } from '../hierarchy/metrics.ts';
import { partition, type PartitionSpec } from '../hierarchy/partition.ts';
import type { RoutingPolicy } from '../hierarchy/routing-policy.ts';
import { Shard } from '../hierarchy/shard.ts';
import { RunWriter } from '../output/run-writer.ts';
import { PRIORITY } from '../scheduler/events.ts';
import { FailureProcess, hasFailures, type TimedFailure } from '../scheduler/failures.ts';
import type { PlacementPolicy, QueuePolicy } from '../scheduler/policy.ts';
import type { SimInput } from './simulate.ts';

/** A hierarchy in core units (ms); see the scenario's `hierarchy:` (src/scenario/hierarchy-schema.ts). */
export interface HierarchySettings extends MasterSettings {
  readonly partition: PartitionSpec;
  readonly routing: RoutingPolicy;
  /** Shard scheduler failures: shard `shard` (an id) down from `at` for `forMs`. */
  readonly failures: readonly { readonly shard: string; readonly at: number; readonly forMs: number }[];
}

export interface HierarchyInput extends Omit<SimInput, 'cancels' | 'queue' | 'placement'> {
  /** Fresh queue and placement policy objects; called once per shard (no state is shared between shards). */
  readonly policies: () => { readonly queue: QueuePolicy; readonly placement: PlacementPolicy };
  readonly hierarchy: HierarchySettings;
}

export interface HierarchyResult {
  readonly events: number;
  readonly end: number;
  readonly shards: readonly Shard[];
  readonly metrics: HierarchyMetrics;
}

/**
 * Runs one simulation with a scheduler hierarchy (README "Scheduler hierarchy"): one engine, one
 * clock, one event log; a master (src/hierarchy/master.ts) routes each arrival to one of N shard
 * cores, each over its partition of the nodes with its own instances of the run's policies. A
 * flush runs the pass of every shard that got work in the instant, in shard order. Node failures
 * are the run's (node indices run-wide), handled by the node's shard. Summary ticks and failures
 * are background events: the run ends when nothing runs and nothing else is pending (as
 * `simulate`). Deterministic: the same input gives the same log.
 */
export function simulateHierarchy(input: HierarchyInput): HierarchyResult {
  const h = input.hierarchy;
  const specs = partition(input.nodes, h.partition);
  const rng = new RngStreams(input.seed);
  const jobs = input.jobs[Symbol.iterator]();
  let lastSubmit = -Infinity;
  let pendingBackground = 0;
  let pendingUps = 0;
  let firstArrival = -1;
  const forgetEnded = !(input.keepEndedJobs ?? !(input.log instanceof RunWriter && input.log.writesFiles));
  const scheduler = { ...input.scheduler, headOfLine: input.headOfLine, maxQueue: input.maxQueue, forgetEnded };
  const progressMs = input.progressMs ?? 1000;
  let nextNote = performance.now() + progressMs;

  const engine: Engine<HierarchyEvent> = new Engine<HierarchyEvent>(
    (ev) => {
      const now = engine.now;
      switch (ev.kind) {
        case 'arrival':
          if (firstArrival < 0) firstArrival = now;
          master.arrive(ev.job);
          pullArrival();
          break;
        case 'completion':
        case 'wake': {
          const sh = shards[ev.shard];
          sh.touch(now);
          sh.core.handle(ev);
          sh.settle();
          master.hot.add(ev.shard);
          break;
        }
        case 'node-down':
        case 'node-up': {
          pendingBackground--;
          if (ev.kind === 'node-up') pendingUps--;
          const k = shardOf[ev.node];
          const sh = shards[k];
          sh.touch(now);
          sh.core.handle({ ...ev, node: localOf[ev.node] });
          sh.settle();
          master.hot.add(k);
          if (ev.kind === 'node-down') {
            if (ev.permanent) master.capacityLost();
            master.resume(); // its jobs may be back in a queue
          }
          for (const f of failures!.next(ev, now)) scheduleFailure(f);
          break;
        }
        case 'cancel':
          throw new Error('cancellations are not supported by a hierarchical run');
        case 'enter':
          master.enter(ev.job, ev.shard, ev.n, true);
          break;
        case 'reroute':
          master.reroute(ev.job, ev.avoid);
          break;
        case 'tick':
          pendingBackground--;
          master.tick();
          break;
        case 'shard-down':
          pendingBackground--;
          master.shardDown(ev.shard);
          break;
        case 'shard-up':
          pendingBackground--;
          pendingUps--;
          master.shardUp(ev.shard);
          break;
      }
      if (input.onProgress && (engine.handled & 255) === 0 && performance.now() >= nextNote) {
        nextNote = performance.now() + progressMs;
        input.onProgress(now, engine.handled);
      }
    },
    () => {
      const now = engine.now;
      const hot = master.hot;
      if (hot.size === 0) return;
      // Shard order, whatever order they got work in.
      if (hot.size === 1) {
        for (const k of hot) pass(k, now);
      } else for (const k of [...hot].sort((a, b) => a - b)) pass(k, now);
      hot.clear();
    },
  );
  /** A shard's scheduling pass (none while its scheduler is down: its core stays dirty until it is back). */
  const pass = (k: number, now: number) => {
    const sh = shards[k];
    if (!sh.up) return;
    sh.touch(now);
    sh.core.schedule();
    sh.settle();
  };
  const anyRunning = () => {
    for (const sh of shards) if (sh.core.runningCount > 0) return true;
    return false;
  };
  const schedule = (time: number, ev: HierarchyEvent, priority: number) => {
    if (ev.kind === 'tick' || ev.kind === 'shard-down' || ev.kind === 'shard-up') pendingBackground++;
    if (ev.kind === 'shard-up') pendingUps++;
    engine.schedule(time, ev, priority);
  };
  const scheduleFailure = (f: TimedFailure) => {
    pendingBackground++;
    if (f.ev.kind === 'node-up') pendingUps++;
    engine.schedule(f.at, f.ev, PRIORITY[f.ev.kind]);
  };
  let arrivalsDone = false;
  const pullArrival = () => {
    const next = jobs.next();
    if (next.done) {
      arrivalsDone = true;
      return;
    }
    const j = next.value;
    if (j.submit < lastSubmit) throw new Error(`jobs must arrive in submit order: job ${j.id} at ${j.submit} after ${lastSubmit}`);
    lastSubmit = j.submit;
    engine.schedule(j.submit, { kind: 'arrival', job: j }, PRIORITY.arrival);
  };

  const wire = { ...input.policies(), log: input.log, tenants: input.tenants, scheduler, guard: input.guard };
  const shards = specs.map((spec, k) => new Shard(spec, k, input.nodes, k === 0 ? wire : { ...wire, ...input.policies() }, rng, engine));
  const shardOf = new Int32Array(input.nodes.length);
  const localOf = new Int32Array(input.nodes.length);
  for (const sh of shards) sh.nodes.forEach((node, local) => ((shardOf[node] = sh.index), (localOf[node] = local)));
  const byId = new Map(shards.map((sh) => [sh.id, sh.index]));
  const master = new Master(shards, h.routing, rng.get(`routing/${h.routing.name}`), input.log, h, schedule, () => engine.now, () => !arrivalsDone);
  const failures = hasFailures(input.failures) ? new FailureProcess(input.failures!, input.nodes, rng) : undefined;

  input.log.append({
    t: 0,
    ev: 'run',
    run: input.run,
    mode: 'sim',
    seed: input.seed,
    queue: wire.queue.name,
    placement: wire.placement.name,
    nodes: input.nodes,
    hierarchy: { routing: h.routing.name, shards: shards.map((sh) => ({ id: sh.id, nodes: sh.nodes.map((i) => input.nodes[i].id) })) },
  });
  pullArrival();
  if (failures) for (const f of failures.initial()) scheduleFailure(f);
  for (const f of h.failures) {
    const k = byId.get(f.shard);
    if (k === undefined) throw new Error(`hierarchy failure names unknown shard '${f.shard}' (shards: ${shards.map((s) => s.id).join(', ')})`);
    schedule(f.at, { kind: 'shard-down', shard: k }, HPRIORITY['shard-down']);
    schedule(f.at + f.forMs, { kind: 'shard-up', shard: k }, HPRIORITY['shard-up']);
  }
  engine.run({
    ...(input.until === undefined ? {} : { until: input.until }),
    // Ticks and failures alone keep nothing going: the run goes on while other events are
    // pending, a job runs, or a job waits and a node or shard is still to come back.
    keepGoing: () => engine.pending > pendingBackground || anyRunning() || (pendingUps > 0 && master.waiting()),
  });
  input.log.append({ t: engine.now, ev: 'end', events: engine.handled });
  for (const sh of shards) sh.touch(engine.now);
  return {
    events: engine.handled,
    end: engine.now,
    shards,
    metrics: hierarchyMetrics(
      { routing: h.routing.name, rebalance: h.rebalance.mode, counts: master.counts, spanMs: firstArrival < 0 ? 0 : engine.now - firstArrival },
      shards.map((sh) => ({ id: sh.id, gpus: sh.statics.gpus, capacityMilli: sh.cluster.gpuCapacity, routed: sh.routed, allocMilliMs: sh.allocMilliMs })),
    ),
  };
}
