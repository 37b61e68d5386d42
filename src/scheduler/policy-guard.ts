import type { ClusterView } from '../cluster/types.ts';
import type { JobView } from '../jobs/job.ts';
import type {
  AdmissionOutcome,
  AdmissionPolicy,
  PlacementOutcome,
  PlacementPolicy,
  PolicyContext,
  LazyOrder,
  PreemptionPolicy,
  QueuePolicy,
  SchedulerView,
  TenantView,
  Victim,
} from './policy.ts';
import type { Share, Usage } from './fair-walk.ts';

/**
 * A policy broke its contract: it threw, returned something of the wrong shape, or ran past its
 * time budget. The message names the policy, the call, the job (when there is one) and the
 * simulated time, e.g. `placement policy 'spread' threw in place(job j7) at t=120.000 s: boom`.
 */
export class PolicyError extends Error {
  override name = 'PolicyError';
}

/** Shared-memory record of the policy call in progress, read by the watchdog thread (watchdog.ts). */
export interface CallRecorder {
  enter(kind: string, policy: string, method: string, job: string, now: number): void;
  exit(): void;
}

export interface GuardOptions {
  /**
   * Wall-clock budget (ms) of one policy call that returns: a call that takes longer is reported
   * through `onSlow` (once per policy and method) and the run goes on. Timing every call costs
   * two clock reads, so it is opt-in: unset, calls are not timed here (the CLIs' watchdog thread
   * reports slow calls instead, at no cost to this thread).
   */
  readonly slowMs?: number;
  readonly onSlow?: (message: string) => void;
  /** Set by a CLI that runs the watchdog thread: calls are recorded where it can see them. */
  readonly recorder?: CallRecorder;
}

/** Simulated time (integer ms) as people read it in errors. */
export function fmtTime(ms: number): string {
  return `t=${(ms / 1000).toFixed(3)} s`;
}

function describe(v: unknown): string {
  if (v === undefined) return 'undefined';
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 120 ? `${s.slice(0, 117)}...` : s;
  } catch {
    return Object.prototype.toString.call(v);
  }
}

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object';
}

/** The shape of a placement a policy hands the core (`{ node, gpus }`); the cluster checks the grants. */
function isPlacement(v: unknown): boolean {
  return isObj(v) && Number.isInteger(v.node) && Array.isArray(v.gpus);
}

const wallNow = (): number => performance.timeOrigin + performance.now();

/**
 * Every call the scheduler core makes into a policy goes through here: the call is timed,
 * recorded for the watchdog, its exceptions are wrapped with where and when they happened, and
 * its result is checked against the extension point's contract before the core uses it.
 */
export class PolicyGuard {
  private readonly slowMs: number | undefined;
  private readonly slowSeen = new Set<string>();

  constructor(private readonly o: GuardOptions = {}) {
    this.slowMs = o.slowMs;
  }

  order(p: QueuePolicy, view: SchedulerView, ctx: PolicyContext): readonly JobView[] {
    const out = this.call('queue', p.name, 'order', '', ctx.now, () => p.order(view, ctx));
    if (!Array.isArray(out)) this.bad('queue', p.name, 'order', '', ctx.now, out, 'an array of queued jobs');
    // The queue itself (FIFO) is a valid order: checked only when the policy built its own.
    if (out !== view.queue) this.checkOrder(p.name, view.queue, out, ctx.now);
    return out;
  }

  /**
   * A queue policy's `lazyOrder`, checked as the pass reads it: each step is a call (timed,
   * watched, its exception named), and each job must be queued and come once — the order
   * contract over what is read, O(read) instead of O(queue).
   */
  lazyOrder(p: QueuePolicy, view: SchedulerView, ctx: PolicyContext): Generator<JobView> {
    return this.lazySteps(p, this.lazySource(p, view, ctx), ctx);
  }

  /** A queue policy's `lazyOrder` call itself (timed, watched, its exception named): the iterable it returns, not yet read. */
  lazySource(p: QueuePolicy, view: SchedulerView, ctx: PolicyContext): Iterable<JobView> {
    return this.call('queue', p.name, 'lazyOrder', '', ctx.now, () => p.lazyOrder!(view, ctx));
  }

  /** A fair-share order's `share` (`SchedulerView.queuedFairly`), called by the core's walk of that order: timed and named as `lazyOrder`. */
  lazyShare(p: QueuePolicy, share: Share, t: TenantView, u: Usage, now: number): number {
    return this.call('queue', p.name, 'lazyOrder', '', now, () => share(t, u));
  }

  /** Reads `source` (what `lazySource` returned) with `lazyOrder`'s checks on each step. */
  *lazySteps(p: QueuePolicy, source: Iterable<JobView>, ctx: PolicyContext): Generator<JobView> {
    const it = this.call('queue', p.name, 'lazyOrder', '', ctx.now, () => source[Symbol.iterator]());
    const seen = new Set<string>();
    for (;;) {
      const step = this.call('queue', p.name, 'lazyOrder', '', ctx.now, () => it.next());
      if (step.done) return;
      const j = step.value;
      const id = isObj(j) ? j.id : undefined;
      if (typeof id !== 'string' || j.state !== 'queued' || seen.has(id)) {
        const what = typeof id !== 'string' ? `returned ${describe(j)}, which is not a queued job,` : seen.has(id) ? `returned job ${id} twice,` : `returned job ${id}, which is ${typeof j.state === 'string' ? j.state : 'not queued'},`;
        throw new PolicyError(`${this.contract('queue', p.name, 'lazyOrder', '', ctx.now, what).message} (order contract: each queued job at most once)`);
      }
      seen.add(id);
      yield j;
    }
  }

  /**
   * The order contract, in full (the core's pass may stop early): a subset of the queue, each job
   * at most once. One map over the queue, O(queue) — no more than building the order costs.
   */
  private checkOrder(name: string, queue: readonly JobView[], out: readonly JobView[], now: number): void {
    const seen = new Map<string, boolean>();
    for (const j of queue) seen.set(j.id, false);
    for (const j of out) {
      const id = isObj(j) ? j.id : undefined;
      const was = typeof id === 'string' ? seen.get(id) : undefined;
      if (was === false) {
        seen.set(id!, true);
        continue;
      }
      const [what, rule] =
        was === true
          ? [`returned job ${id} twice,`, 'each queued job at most once']
          : typeof id === 'string'
            ? [`returned job ${id}, which is ${typeof j.state === 'string' && j.state !== 'queued' ? j.state : 'not queued'},`, 'a subset of the queue']
            : [`returned ${describe(j)}, which is not a queued job,`, 'a subset of the queue'];
      throw new PolicyError(`${this.contract('queue', name, 'order', '', now, what).message} (order contract: ${rule})`);
    }
  }

  place(p: PlacementPolicy, job: JobView, cluster: ClusterView, ctx: PolicyContext): PlacementOutcome {
    // `call` inlined: the hottest policy call makes no closure.
    const rec = this.o.recorder;
    rec?.enter('placement', p.name, 'place', job.id, ctx.now);
    const t0 = this.slowMs === undefined ? 0 : wallNow();
    let out: PlacementOutcome;
    try {
      out = p.place(job, cluster, ctx);
    } catch (e) {
      rec?.exit();
      throw this.threw(e, 'placement', p.name, 'place', job.id, ctx.now);
    }
    rec?.exit();
    if (this.slowMs !== undefined) this.timed(t0, 'placement', p.name, 'place', job.id, ctx.now);
    if (isObj(out)) {
      if (out.kind === 'unfit' && typeof out.reason === 'string') return out;
      if (out.kind === 'placed' && isPlacement(out.placement)) return out;
      if (out.kind === 'wait' && Number.isInteger(out.until) && out.until > ctx.now && typeof out.reason === 'string') return out;
    }
    return this.bad('placement', p.name, 'place', job.id, ctx.now, out, "{ kind: 'placed', placement: { node, gpus } }, { kind: 'unfit', reason } or { kind: 'wait', until > now, reason }");
  }

  victims(kind: string, name: string, fn: () => readonly Victim[], now: number): readonly Victim[] {
    const out = this.call(kind, name, 'victims', '', now, fn);
    if (!Array.isArray(out) || !out.every((v) => isObj(v) && isObj(v.job) && typeof v.job.id === 'string' && typeof v.reason === 'string')) {
      this.bad(kind, name, 'victims', '', now, out, 'an array of { job, reason, for?, nominated? }');
    }
    const seen = new Set<string>();
    for (const v of out) {
      if (seen.has(v.job.id)) throw new PolicyError(`${kind} policy '${name}' named job ${v.job.id} twice in one victims() call at ${fmtTime(now)} (each victim once)`);
      seen.add(v.job.id);
      if (v.nominated !== undefined && !isPlacement(v.nominated)) {
        throw new PolicyError(`${kind} policy '${name}' nominated ${describe(v.nominated)} for job ${v.for}, which is not a placement ({ node, gpus }), in victims() at ${fmtTime(now)}`);
      }
    }
    return out;
  }

  preemption(p: PreemptionPolicy, view: SchedulerView, order: readonly JobView[], ctx: PolicyContext): readonly Victim[] {
    return this.victims('preemption', p.name, () => p.victims(view, order, ctx), ctx.now);
  }

  /** A preemption policy's `victimsLazily` over `order` (read as it goes; a `lazyOrder`'s steps are checked as the pass's are). */
  preemptionLazily(p: PreemptionPolicy, view: SchedulerView, order: LazyOrder, ctx: PolicyContext): readonly Victim[] {
    return this.victims('preemption', p.name, () => p.victimsLazily!(view, order, ctx), ctx.now);
  }

  onArrival(p: AdmissionPolicy, job: JobView, view: SchedulerView, ctx: PolicyContext): AdmissionOutcome {
    // `call` inlined, as in place(): called for every arrival, it makes no closure.
    const rec = this.o.recorder;
    rec?.enter('admission', p.name, 'onArrival', job.id, ctx.now);
    const t0 = this.slowMs === undefined ? 0 : wallNow();
    let out: AdmissionOutcome;
    try {
      out = p.onArrival!(job, view, ctx);
    } catch (e) {
      rec?.exit();
      throw this.threw(e, 'admission', p.name, 'onArrival', job.id, ctx.now);
    }
    rec?.exit();
    if (this.slowMs !== undefined) this.timed(t0, 'admission', p.name, 'onArrival', job.id, ctx.now);
    if (isObj(out) && (out.kind === 'admit' || (out.kind === 'reject' && typeof out.reason === 'string' && out.reason !== ''))) return out;
    return this.bad('admission', p.name, 'onArrival', job.id, ctx.now, out, "{ kind: 'admit' } or { kind: 'reject', reason }");
  }

  mayStart(p: AdmissionPolicy, job: JobView, view: SchedulerView, ctx: PolicyContext): boolean {
    const out = this.call('admission', p.name, 'mayStart', job.id, ctx.now, () => p.mayStart!(job, view, ctx));
    if (typeof out !== 'boolean') this.bad('admission', p.name, 'mayStart', job.id, ctx.now, out, 'true or false');
    return out;
  }

  /** A contract error found after the call (e.g. a job in the order that is not queued). */
  contract(kind: string, name: string, method: string, job: string, now: number, what: string): PolicyError {
    return new PolicyError(`${kind} policy '${name}' ${what} in ${method}(${job ? `job ${job}` : ''}) at ${fmtTime(now)}`);
  }

  private call<T>(kind: string, name: string, method: string, job: string, now: number, fn: () => T): T {
    const rec = this.o.recorder;
    rec?.enter(kind, name, method, job, now);
    const t0 = this.slowMs === undefined ? 0 : wallNow();
    let out: T;
    try {
      out = fn();
    } catch (e) {
      rec?.exit();
      throw this.threw(e, kind, name, method, job, now);
    }
    rec?.exit();
    if (this.slowMs !== undefined) this.timed(t0, kind, name, method, job, now);
    return out;
  }

  /** The error to throw for exception `e` from a policy call (a PolicyError passes through). */
  private threw(e: unknown, kind: string, name: string, method: string, job: string, now: number): Error {
    if (e instanceof PolicyError) return e;
    const msg = e instanceof Error ? e.message : String(e);
    return new PolicyError(`${kind} policy '${name}' threw in ${method}(${job ? `job ${job}` : ''}) at ${fmtTime(now)}: ${msg}`, { cause: e });
  }

  /** Reports a call that began at wall time `t0` if it took longer than `slowMs` (once per policy and method). */
  private timed(t0: number, kind: string, name: string, method: string, job: string, now: number): void {
    const took = wallNow() - t0;
    if (took > this.slowMs!) {
      const key = `${kind}/${name}/${method}`;
      if (!this.slowSeen.has(key)) {
        this.slowSeen.add(key);
        this.o.onSlow?.(`${kind} policy '${name}' took ${Math.round(took)} ms in ${method}(${job ? `job ${job}` : ''}) at ${fmtTime(now)} (budget ${this.slowMs} ms; reported once)`);
      }
    }
  }

  private bad(kind: string, name: string, method: string, job: string, now: number, got: unknown, expected: string): never {
    throw new PolicyError(`${kind} policy '${name}' returned ${describe(got)} from ${method}(${job ? `job ${job}` : ''}) at ${fmtTime(now)}; expected ${expected}`);
  }
}
