import type { Placement } from '../cluster/types.ts';
import type { JobView } from '../jobs/job.ts';
import type { ContextHooks, StartOverhead } from '../scheduler/core-options.ts';
import type { WarmView } from '../scheduler/policy.ts';
import type { WarmPoolPolicy, WarmPoolView } from './warm-pool-policy.ts';

/** Start overheads (ms) of a context: where it is warm, and elsewhere. */
export interface StartCosts {
  readonly warmMs: number;
  readonly coldMs: number;
}

/** A scenario's `contexts:` section in core units (ms). */
export interface ContextSettings extends StartCosts {
  /** Per-context overrides of the defaults. */
  readonly perContext?: ReadonlyMap<string, StartCosts>;
}

/** What a run with contexts reports (src/context/metrics.ts prints it). */
export interface ContextMetrics {
  readonly coldStarts: number;
  readonly warmStarts: number;
  /** Start overhead paid by cold starts, seconds (run time that made no progress). */
  readonly coldStartSec: number;
  /** Start overhead paid by warm starts, seconds. */
  readonly warmStartSec: number;
  /** Σ over idle warm instances of (GPU share × idle time), GPU·s: what the warm pool held unused. */
  readonly idleGpuSec: number;
}

interface Idle {
  readonly node: number;
  readonly since: number;
  /** ms; Infinity: until evicted or the run ends. */
  readonly expires: number;
  readonly milli: number;
}

interface Pool {
  /** Idle instances in release order (so `since` ascends): the front is the longest idle. */
  idle: Idle[];
  busy: number;
}

/**
 * The warm state of job contexts, owned by the engine (the core calls these hooks; nothing else
 * mutates it). Modelled per node: a context is warm on a node once a job of it ran there (image,
 * weights in the node's cache), whichever of the node's GPUs the next job gets — placement keeps
 * choosing GPUs as it does, and a node is what placement policies compare. Each job of a context
 * holds one instance while it runs; when it stops (ends, is preempted or lost) its instance goes
 * idle and the warm-pool policy says how many idle instances of the context to keep and until
 * when (a job stopped before its start overhead was over leaves nothing warm). A start on a node with an idle instance takes it (the most recently released) and pays
 * `warmMs`; any other start pays `coldMs`. Idle instances do not hold cluster resources (the
 * cluster is not asked): their GPU share × idle time is reported as the pool's idle GPU·s, the
 * price a pool that pins GPU memory would pay. Expiry is lazy: an instance past its TTL is simply
 * not warm any more (no event), and its idle time is counted up to its expiry.
 */
export class WarmState implements ContextHooks, WarmView {
  private readonly pools = new Map<string, Pool>();
  private readonly running = new Map<string, { readonly node: number; readonly context: string; readonly milli: number; readonly readyAt: number }>();
  private readonly arrivalTimes = new Map<string, number[]>();
  private cold = 0;
  private warmN = 0;
  private coldMs = 0;
  private warmMs = 0;
  /** milli-GPU·ms of idle instances already gone (reused, expired, evicted, lost). */
  private idleMilliMs = 0;

  constructor(
    private readonly settings: ContextSettings,
    private readonly policy: WarmPoolPolicy,
  ) {}

  get warm(): WarmView {
    return this;
  }

  // ---- WarmView (read-only) ----

  idle(node: number, context: string, now: number): number {
    const p = this.pools.get(context);
    let n = 0;
    if (p) for (const i of p.idle) if (i.node === node && i.expires > now) n++;
    return n;
  }

  warmNodes(context: string, now: number): readonly number[] {
    const p = this.pools.get(context);
    if (!p) return [];
    const out = new Set<number>();
    for (const i of p.idle) if (i.expires > now) out.add(i.node);
    return [...out].sort((a, b) => a - b);
  }

  busy(context: string): number {
    return this.pools.get(context)?.busy ?? 0;
  }

  // ---- ContextHooks (called by the core) ----

  startOverhead(job: JobView, placement: Placement, now: number): StartOverhead | undefined {
    const context = job.context;
    if (context === undefined) return undefined;
    const pool = this.pool(context);
    this.purge(pool, now);
    const node = placement.node;
    let at = -1;
    for (let k = pool.idle.length - 1; k >= 0; k--) {
      if (pool.idle[k].node === node) {
        at = k;
        break;
      }
    }
    const warm = at >= 0;
    if (warm) {
      const i = pool.idle[at];
      pool.idle.splice(at, 1);
      this.idleMilliMs += i.milli * (now - i.since);
    }
    const costs = this.settings.perContext?.get(context) ?? this.settings;
    const ms = warm ? costs.warmMs : costs.coldMs;
    pool.busy++;
    this.running.set(job.id, { node, context, milli: job.gpus * job.milli, readyAt: now + ms });
    if (warm) {
      this.warmN++;
      this.warmMs += ms;
    } else {
      this.cold++;
      this.coldMs += ms;
    }
    return { ms, record: { context, warm, overhead: ms } };
  }

  stopped(job: JobView, now: number): void {
    const r = this.running.get(job.id);
    if (!r) return;
    this.running.delete(job.id);
    const pool = this.pool(r.context);
    pool.busy--;
    this.purge(pool, now);
    // Stopped before its start overhead was over: the context never became warm there.
    if (now < r.readyAt) return;
    const d = this.policy.afterRelease({ context: r.context, tenant: job.tenant, node: r.node, milliGpu: r.milli }, this.poolView(now));
    if (!Number.isInteger(d.keep) || d.keep < 0 || (d.ttlMs !== undefined && !(d.ttlMs >= 0))) {
      throw new Error(`warm-pool policy '${this.policy.name}' returned ${JSON.stringify(d)} for context ${r.context} (want { keep: integer >= 0, ttlMs?: ms >= 0 })`);
    }
    if (d.keep > 0 && d.ttlMs !== 0) pool.idle.push({ node: r.node, since: now, expires: d.ttlMs === undefined ? Infinity : now + d.ttlMs, milli: r.milli });
    // Over the bound: the longest idle go first.
    while (pool.idle.length > d.keep) {
      const i = pool.idle.shift()!;
      this.idleMilliMs += i.milli * (now - i.since);
    }
  }

  arrived(job: JobView, now: number): void {
    if (job.context === undefined) return;
    push(this.arrivalTimes, job.context, now);
    push(this.arrivalTimes, tenantKey(job.tenant, job.context), now);
  }

  nodeDown(node: number, now: number): void {
    for (const pool of this.pools.values()) {
      this.purge(pool, now);
      pool.idle = pool.idle.filter((i) => {
        if (i.node !== node) return true;
        this.idleMilliMs += i.milli * (now - i.since);
        return false;
      });
    }
  }

  /** The run's figures with idle instances counted up to `end` (ms). Pure. */
  metrics(end: number): ContextMetrics {
    let open = 0;
    for (const p of this.pools.values()) for (const i of p.idle) open += i.milli * (Math.min(end, i.expires) - i.since);
    return {
      coldStarts: this.cold,
      warmStarts: this.warmN,
      coldStartSec: this.coldMs / 1000,
      warmStartSec: this.warmMs / 1000,
      idleGpuSec: (this.idleMilliMs + open) / 1e6,
    };
  }

  private pool(context: string): Pool {
    let p = this.pools.get(context);
    if (!p) {
      p = { idle: [], busy: 0 };
      this.pools.set(context, p);
    }
    return p;
  }

  /** Drops instances expired by `now`, counting their idle time up to their expiry. */
  private purge(pool: Pool, now: number): void {
    if (!pool.idle.some((i) => i.expires <= now)) return;
    pool.idle = pool.idle.filter((i) => {
      if (i.expires > now) return true;
      this.idleMilliMs += i.milli * (i.expires - i.since);
      return false;
    });
  }

  private poolView(now: number): WarmPoolView {
    const self = this;
    return {
      now,
      idle: (context) => self.pools.get(context)?.idle.filter((i) => i.expires > now).length ?? 0,
      arrivals: (context, since) => countSince(self.arrivalTimes.get(context), since),
      tenantArrivals: (tenant, context, since) => countSince(self.arrivalTimes.get(tenantKey(tenant, context)), since),
    };
  }
}

function tenantKey(tenant: string, context: string): string {
  return `${tenant}\u0000${context}`;
}

function push(m: Map<string, number[]>, key: string, t: number): void {
  const a = m.get(key);
  if (a) a.push(t);
  else m.set(key, [t]);
}

/** Entries of the ascending `times` at or after `since` (binary search). */
function countSince(times: readonly number[] | undefined, since: number): number {
  if (!times) return 0;
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid] < since) lo = mid + 1;
    else hi = mid;
  }
  return times.length - lo;
}
