import type { NodeSpec } from '../cluster/types.ts';
import { exponential, type Rng, type RngStreams } from '../engine/rng.ts';
import type { SchedEvent } from './events.ts';

/** One scheduled outage: node `node` (index) goes down at `at` ms for `downMs` ms (absent: for good). */
export interface NodeOutage {
  readonly node: number;
  readonly at: number;
  readonly downMs?: number;
}

/** Node failures of one run (ms). Both parts may be given; overlapping outages of a node nest. */
export interface FailureSpec {
  readonly events?: readonly NodeOutage[];
  /**
   * Every node fails independently: up times are exponential with mean `mtbfMs`, repair times
   * exponential with mean `mttrMs` (an alternating renewal process per node).
   */
  readonly random?: { readonly mtbfMs: number; readonly mttrMs: number };
}

export type FailureEvent = Extract<SchedEvent, { kind: 'node-down' | 'node-up' }>;

export interface TimedFailure {
  readonly at: number;
  readonly ev: FailureEvent;
}

/** True when `spec` would produce any event. */
export function hasFailures(spec: FailureSpec | undefined): spec is FailureSpec {
  return spec !== undefined && ((spec.events?.length ?? 0) > 0 || spec.random !== undefined);
}

/**
 * The node-failure process, as plain timed events that a driver schedules (the simulator on its
 * engine, live mode on timers). Scheduled outages are known up front; random ones are drawn
 * lazily, one outage ahead per node, each node from its own stream `failures/<node id>` of the
 * run's seed, so a node's failure times do not depend on the policy, on other nodes or on how
 * long the run lasts, and no other stream changes. Times are integer ms; a drawn up or repair
 * time is at least 1 ms. Deterministic; the driver must hand back every event it handles, in
 * order, through `next`.
 */
export class FailureProcess {
  private readonly streams: Rng[];

  constructor(
    private readonly spec: FailureSpec,
    nodes: readonly NodeSpec[],
    rng: RngStreams,
  ) {
    this.streams = spec.random ? nodes.map((n) => rng.get(`failures/${n.id}`)) : [];
    for (const e of spec.events ?? []) {
      if (!Number.isInteger(e.at) || e.at < 0) throw new RangeError(`node outage at ${e.at}: time must be a non-negative integer ms`);
      if (e.downMs !== undefined && (!Number.isInteger(e.downMs) || e.downMs <= 0)) throw new RangeError(`node outage of ${e.downMs} ms: must be a positive integer`);
      if (!nodes[e.node]) throw new RangeError(`node outage on node index ${e.node}: no such node`);
    }
  }

  /** The events known at time 0: every scheduled outage (down, and up when it ends) and each node's first random failure. */
  initial(): TimedFailure[] {
    const out: TimedFailure[] = [];
    for (const e of this.spec.events ?? []) {
      out.push({ at: e.at, ev: { kind: 'node-down', node: e.node, ...(e.downMs === undefined ? { permanent: true } : {}) } });
      if (e.downMs !== undefined) out.push({ at: e.at + e.downMs, ev: { kind: 'node-up', node: e.node } });
    }
    this.streams.forEach((_, node) => out.push(this.nextFailure(node, 0)));
    return out;
  }

  /** What follows a handled event at `now`: a random failure's repair, or a repaired node's next random failure. */
  next(ev: FailureEvent, now: number): TimedFailure[] {
    const r = this.spec.random;
    if (!r || !ev.random) return [];
    if (ev.kind === 'node-down') {
      return [{ at: now + draw(this.streams[ev.node], r.mttrMs), ev: { kind: 'node-up', node: ev.node, random: true } }];
    }
    return [this.nextFailure(ev.node, now)];
  }

  private nextFailure(node: number, now: number): TimedFailure {
    return { at: now + draw(this.streams[node], this.spec.random!.mtbfMs), ev: { kind: 'node-down', node, random: true } };
  }
}

function draw(rng: Rng, mean: number): number {
  return Math.max(1, Math.round(exponential(rng, mean)));
}
