import type { Rng } from '../engine/rng.ts';
import { transition } from '../jobs/lifecycle.ts';
import { newJob, type Job, type JobSpec, type JobView } from '../jobs/job.ts';
import type { EventLog } from '../log/records.ts';
import { arrivalRecord } from '../scheduler/records.ts';
import { IdSet } from '../scheduler/id-set.ts';
import type { HierarchyEvent } from './events.ts';
import { HPRIORITY } from './events.ts';
import { EverFits } from './ever-fits.ts';
import { fitsTrue, overdue, stealCandidates } from './rebalance.ts';
import type { RoutingPolicy } from './routing-policy.ts';
import type { Shard } from './shard.ts';
import { demandMilli, fitsNow, type MutableSummary } from './summary.ts';

/** The master's settings, in core units (ms). */
export interface MasterSettings {
  readonly summaryIntervalMs: number;
  readonly routingLatencyMs: number;
  readonly rebalance: { readonly mode: 'wait' | 'bounce' | 'steal'; readonly waitLimitMs: number; readonly bounceCostMs: number; readonly maxScan: number };
  readonly onShardDown: 'bounce' | 'wait';
}

/** What the master counted (src/hierarchy/metrics.ts turns it into the run's hierarchy metrics). */
export interface MasterCounts {
  routes: number;
  bounces: number;
  steals: number;
  /** Arrivals no shard could ever run (rejected by the master, reason never-fits). */
  rejected: number;
  shardDowns: number;
  /**
   * Time lost to misrouting (ms, summed over jobs): time queued at a shard the job then left by a
   * bounce or a steal, plus each bounce's cost.
   */
  misroutedWaitMs: number;
}

/**
 * The master of a hierarchy: writes each arrival's record, routes the job with the routing policy
 * over the shards' summaries (refreshed by `tick`, stale in between), hands it to its shard after
 * the routing latency, and at each tick rebalances (bounce or steal, `MasterSettings.rebalance`).
 * Shard failures: the master routes around a down shard at once and, with `onShardDown: bounce`,
 * takes its queued jobs back. Jobs that no up shard can take wait at the master (`held`) until
 * a shard comes back. All mutation of shards goes through their cores' `enter` and `withdraw`.
 */
export class Master {
  readonly counts: MasterCounts = { routes: 0, bounces: 0, steals: 0, rejected: 0, shardDowns: 0, misroutedWaitMs: 0 };
  summaries: MutableSummary[];
  /** Shards that got work since the last flush (their cores may be dirty). */
  readonly hot = new Set<number>();
  private readonly ever: EverFits;
  private readonly seen = new IdSet();
  private readonly routings = new Map<string, number>();
  private held: { job: Job; n: number }[] = [];
  private readonly cands: MutableSummary[] = [];
  private tickArmed = false;
  /** Jobs at the master or in transit (routed or bounced, not yet in a shard's queue). */
  inTransit = 0;

  constructor(
    private readonly shards: readonly Shard[],
    private readonly policy: RoutingPolicy,
    private readonly rng: Rng,
    private readonly log: EventLog,
    private readonly s: MasterSettings,
    private readonly schedule: (time: number, ev: HierarchyEvent, priority: number) => void,
    private readonly now: () => number,
    /** Whether any job is still to arrive. */
    private readonly arrivalsLeft: () => boolean,
  ) {
    this.ever = new EverFits(shards);
    this.summaries = shards.map((sh) => sh.summary(0));
    for (const sh of shards) sh.core.giveBack = (j) => this.takeBack(j, sh.index);
  }

  get heldCount(): number {
    return this.held.length;
  }

  /** A job is submitted: its arrival record, then routing (or a never-fits rejection). */
  arrive(spec: JobSpec): void {
    if (this.seen.has(spec.id)) throw new Error(`duplicate job id ${spec.id}`);
    this.seen.add(spec.id);
    const now = this.now();
    const j = newJob(spec);
    this.log.append(arrivalRecord(j, now));
    this.resume();
    this.route(j, 1, -1);
  }

  /**
   * Routes `j` (its `n`th routing) to a shard that is up and could ever run it, avoiding shard
   * `avoid` when another will do; with none up, the job waits at the master; with none able ever
   * to run it, it is rejected (`never-fits`).
   */
  route(j: Job, n: number, avoid: number): void {
    const now = this.now();
    const ever = this.ever.of(j);
    // One scratch list for every routing (policies are pure: they keep nothing they are given).
    const cands = this.cands;
    cands.length = 0;
    let any = false;
    for (const sh of this.shards) {
      if (!ever[sh.index]) continue;
      any = true;
      if (sh.up) cands.push(this.summaries[sh.index]);
    }
    if (!any) return this.reject(j, now);
    if (cands.length === 0) {
      this.held.push({ job: j, n });
      this.inTransit++;
      return;
    }
    const list = avoid >= 0 && cands.length > 1 ? cands.filter((c) => c.index !== avoid) : cands;
    const id = this.policy.route(j, list, { now, rng: this.rng });
    const chosen = list.find((c) => c.id === id);
    if (!chosen) {
      throw new Error(`routing policy '${this.policy.name}' broke its contract in route at t=${now}ms for job ${j.id}: returned ${JSON.stringify(id)}, not one of the candidate shards (${list.map((c) => c.id).join(', ')})`);
    }
    chosen.routedJobs++;
    chosen.routedMilli += demandMilli(j);
    this.shards[chosen.index].routed++;
    this.counts.routes++;
    if (this.s.routingLatencyMs === 0) this.enter(j, chosen.index, n);
    else {
      this.inTransit++;
      this.schedule(now + this.s.routingLatencyMs, { kind: 'enter', shard: chosen.index, job: j, n }, HPRIORITY.enter);
    }
  }

  /** A routed job reaches shard `k`: the route record, then the shard's queue (a down shard bounces it, `onShardDown: bounce`). */
  enter(j: Job, k: number, n: number, fromTransit = false): void {
    if (fromTransit) this.inTransit--;
    const sh = this.shards[k];
    this.log.append({ t: this.now(), ev: 'route', job: j.id, shard: sh.id, n });
    if (!sh.up && this.s.onShardDown === 'bounce') return this.bounce(j, k, 'shard-down');
    this.hot.add(k);
    sh.core.enter(j);
  }

  /**
   * Shard `k` lost nodes for good and can no longer ever run queued job `j` (withdrawn): it is
   * bounced (reason `capacity-lost`) to be routed to a shard that can, or, when no shard can ever
   * run it, rejected at once (`never-fits`, as the global scheduler does).
   */
  private takeBack(j: Job, k: number): void {
    this.ever.forget();
    if (this.ever.of(j).includes(1)) this.bounce(j, k, 'capacity-lost');
    else this.reject(j, this.now());
  }

  /** A bounced job is back at the master: route it again. */
  reroute(j: Job, avoid: number): void {
    this.inTransit--;
    const n = (this.routings.get(j.id) ?? 1) + 1;
    this.routings.set(j.id, n);
    this.route(j, n, avoid);
  }

  /** Shard `k` gives `j` (already withdrawn, or never entered) back to the master, which re-routes it after the bounce cost. */
  private bounce(j: Job, k: number, reason: string): void {
    const now = this.now();
    this.log.append({ t: now, ev: 'bounce', job: j.id, shard: this.shards[k].id, reason });
    this.counts.bounces++;
    this.counts.misroutedWaitMs += (j.state === 'queued' ? now - j.queuedAt : 0) + this.s.rebalance.bounceCostMs;
    this.inTransit++;
    this.schedule(now + this.s.rebalance.bounceCostMs, { kind: 'reroute', job: j, avoid: k }, HPRIORITY.reroute);
  }

  private reject(j: Job, now: number): void {
    this.counts.rejected++;
    const wasQueued = j.state === 'queued';
    j.state = transition(j.state, 'reject', j.id);
    j.end = now;
    j.reason = 'never-fits';
    // A job admitted before (a bounced one whose nodes were since lost for good) ends with a finish record.
    this.log.append(wasQueued ? { t: now, ev: 'finish', job: j.id, state: j.state, reason: 'never-fits' } : { t: now, ev: 'reject', job: j.id, reason: 'never-fits' });
  }

  /** A node of some shard was lost for good: the static fit check must be redone. */
  capacityLost(): void {
    this.ever.forget();
  }

  shardDown(k: number): void {
    const sh = this.shards[k];
    if (sh.downDepth++ > 0) return;
    const now = this.now();
    this.counts.shardDowns++;
    this.summaries[k].up = false;
    this.log.append({ t: now, ev: 'shard-down', shard: sh.id });
    if (this.s.onShardDown === 'bounce') this.evacuate(k);
  }

  shardUp(k: number): void {
    const sh = this.shards[k];
    if (--sh.downDepth > 0) return;
    this.summaries[k].up = true;
    this.log.append({ t: this.now(), ev: 'shard-up', shard: sh.id });
    sh.core.handle({ kind: 'wake' });
    this.hot.add(k);
    const held = this.held;
    this.held = [];
    this.inTransit -= held.length;
    for (const h of held) this.route(h.job, h.n, -1);
  }

  /** Every queued job of down shard `k` goes back to the master. */
  private evacuate(k: number): void {
    const core = this.shards[k].core;
    for (const j of [...core.queued]) this.bounce(core.withdraw(j.id), k, 'shard-down');
  }

  /**
   * Restarts the summary ticks if they stopped (see `tick`): the reports are refreshed as of the
   * last multiple of the interval (the state now: nothing that reads them happened since they
   * stopped). Called at each arrival and after a node failure (which may requeue jobs).
   */
  resume(): void {
    if (this.tickArmed) return;
    const now = this.now();
    this.summaries = this.shards.map((sh) => sh.summary(Math.floor(now / this.s.summaryIntervalMs) * this.s.summaryIntervalMs));
    this.armTick(now);
  }

  /** Schedules the next summary tick, at the next multiple of the interval, unless one is pending. */
  private armTick(now: number): void {
    if (this.tickArmed) return;
    this.tickArmed = true;
    const iv = this.s.summaryIntervalMs;
    this.schedule((Math.floor(now / iv) + 1) * iv, { kind: 'tick' }, HPRIORITY.tick);
  }

  /** Whether any job is queued at a shard or held at the master (O(shards); reads queue lengths). */
  waiting(): boolean {
    return this.held.length > 0 || this.inTransit > 0 || this.shards.some((sh) => sh.core.queued.length > 0);
  }

  /** The summary tick: fresh reports from every shard, then the rebalancer; re-armed while jobs are to arrive or wait. */
  tick(): void {
    const now = this.now();
    this.tickArmed = false;
    this.summaries = this.shards.map((sh) => sh.summary(now));
    if (this.s.onShardDown === 'bounce') for (const sh of this.shards) if (!sh.up && sh.core.queued.length > 0) this.evacuate(sh.index);
    const mode = this.s.rebalance.mode;
    if (mode === 'bounce') this.bounceOverdue(now);
    else if (mode === 'steal') this.steal();
    // Reports are read by routing (jobs still to arrive) and by the rebalancer (jobs waiting): with
    // neither, the ticks stop (a run's tail of long jobs would otherwise cost a report per shard
    // per interval); `resume` restarts them.
    const needed = this.arrivalsLeft() || this.inTransit > 0 || this.held.length > 0 || this.shards.some((sh) => sh.core.queued.length > 0);
    if (needed) this.armTick(now);
  }

  /** Jobs that waited past the limit where another up shard's summary shows room for them go back to the master. */
  private bounceOverdue(now: number): void {
    const r = this.s.rebalance;
    for (const sh of this.shards) {
      if (!sh.up) continue;
      for (const j of overdue(sh.core.queued, now, r.waitLimitMs, r.maxScan)) {
        const ever = this.ever.of(j);
        const elsewhere = this.summaries.some((s) => s.index !== sh.index && ever[s.index] && s.up && fitsNow(s, j));
        if (elsewhere) this.bounce(sh.core.withdraw(j.id), sh.index, 'wait-limit');
      }
    }
  }

  /** Each up shard with an empty queue and free GPUs takes the oldest queued jobs of other up shards that fit it now, within its free milli-GPU. */
  private steal(): void {
    const now = this.now();
    // A down shard's queue is out of reach (its scheduler is down): nothing is taken from it.
    const queues = this.shards.map((sh) => (sh.up ? sh.core.queued : []));
    const taken = new Set<JobView>();
    for (const thief of this.shards) {
      if (!thief.up || queues[thief.index].length > 0) continue;
      let budget = thief.cluster.gpuCapacity - thief.cluster.gpuAllocated;
      if (budget <= 0) continue;
      for (const { job, from } of stealCandidates(queues, thief.index, this.s.rebalance.maxScan)) {
        if (taken.has(job) || !this.ever.of(job)[thief.index] || demandMilli(job) > budget || !fitsTrue(thief.cluster, job)) continue;
        taken.add(job);
        budget -= demandMilli(job);
        const victim = this.shards[from];
        this.counts.steals++;
        this.counts.misroutedWaitMs += now - job.queuedAt;
        const moved = victim.core.withdraw(job.id);
        this.log.append({ t: now, ev: 'steal', job: job.id, from: victim.id, to: thief.id });
        thief.core.enter(moved);
        this.hot.add(thief.index);
        if (budget <= 0) break;
      }
    }
  }
}
