import type { NodeSpec } from '../cluster/types.ts';
import type { JobSpec } from '../jobs/job.ts';
import type { EventLog } from '../log/records.ts';
import type { SchedulerCore, TenantConfig } from '../scheduler/core.ts';
import { PRIORITY, type SchedEvent } from '../scheduler/events.ts';
import type { FailureProcess, FailureSpec, TimedFailure } from '../scheduler/failures.ts';
import type { PolicyGuard } from '../scheduler/policy-guard.ts';
import type { PlacementPolicy, QueuePolicy } from '../scheduler/policy.ts';
import { wireCore, type SchedulerSettings } from '../wiring/wire-core.ts';
import type { LiveExecutor } from './live-executor.ts';
import { z } from 'zod';
import type { JsonLogger } from './json-log.ts';
import { ManifestVerifier } from './manifest-signing.ts';
import { SubmissionRegistry } from './submission-registry.ts';
import { WorkSpecSchema } from './work-spec.ts';
import { WallClock } from './wall-clock.ts';
import { after, type LongTimer } from './long-timer.ts';

export interface LiveDriverInput {
  readonly run: string;
  readonly seed: number;
  readonly nodes: readonly NodeSpec[];
  readonly queue: QueuePolicy;
  readonly placement: PlacementPolicy;
  readonly log: EventLog;
  readonly timeScale: number;
  /** Builds the executor once the driver's event sink exists. */
  readonly executor: (emit: (ev: SchedEvent) => void) => LiveExecutor;
  readonly tenants?: readonly TenantConfig[];
  readonly headOfLine?: 'skip' | 'block';
  readonly maxQueue?: number;
  /** The core's other scheduling settings, passed through unchanged (same as in simulation). */
  readonly coreExtras?: Omit<SchedulerSettings, 'headOfLine' | 'maxQueue'>;
  /** Checks and times policy calls (default: a plain guard). */
  readonly guard?: PolicyGuard;
  /**
   * Node failures (scenario ms, scaled to wall time like arrivals; random ones from the same
   * streams as in simulation). A node-down stops the jobs on it through the executor, which kills
   * their process trees; the core requeues or fails them (`coreExtras.onNodeLoss`).
   */
  readonly failures?: FailureSpec;
  /** Trusted ed25519 public keys (keyId → SPKI PEM): when set, `submit` takes signed manifests only. */
  readonly trustedKeys?: Readonly<Record<string, string>>;
  readonly logger?: JsonLogger;
}

/** The job a submission (or a signed manifest) describes; validated before admission. */
export const SubmittedJobSchema = z.strictObject({
  tenant: z.string().min(1),
  cpu: z.number().int().nonnegative(),
  memory: z.number().int().nonnegative(),
  gpus: z.number().int().nonnegative().default(0),
  milli: z.number().int().min(0).max(1000).default(1000),
  /** Nominal run time, scenario ms (what estimate-based policies and the simulator see). */
  duration: z.number().int().positive(),
  priority: z.number().int().default(0),
  work: WorkSpecSchema,
});
export type SubmittedJob = z.input<typeof SubmittedJobSchema>;

export type SubmitOutcome =
  | { readonly kind: 'accepted'; readonly jobId: string; readonly duplicate: boolean }
  | { readonly kind: 'refused'; readonly reason: string };

/**
 * Live mode's driver: the same `SchedulerCore` and policies as the simulator, fed by real time.
 * Events (arrivals from timers or `submit`, completions from the executor, cancels, wakes) are
 * queued and handled in batches — each batch in PRIORITY order, as the engine orders an instant —
 * followed by one `core.schedule()`. Nothing here reaches into the core beyond `handle`/`schedule`.
 */
export class LiveDriver {
  readonly core: SchedulerCore;
  readonly clock: WallClock;
  readonly executor: LiveExecutor;
  private pending: SchedEvent[] = [];
  private flushing = false;
  private outstanding = 0;
  private handled = 0;
  private readonly timers = new Set<LongTimer>();
  private readonly submissions = new SubmissionRegistry();
  private readonly verifier: ManifestVerifier | undefined;
  private idleWaiters: (() => void)[] = [];
  private submitSeq = 0;
  private readonly failures: FailureProcess | undefined;
  private readonly beginLog: () => void;

  constructor(private readonly input: LiveDriverInput) {
    this.verifier = input.trustedKeys ? new ManifestVerifier(input.trustedKeys) : undefined;
    this.clock = new WallClock(input.timeScale, () => this.enqueue({ kind: 'wake' }));
    this.executor = input.executor((ev) => this.enqueue(ev));
    const wired = wireCore({
      run: input.run,
      mode: 'live',
      seed: input.seed,
      nodes: input.nodes,
      queue: input.queue,
      placement: input.placement,
      log: input.log,
      clock: this.clock,
      executor: this.executor,
      tenants: input.tenants,
      scheduler: { ...input.coreExtras, headOfLine: input.headOfLine, maxQueue: input.maxQueue },
      failures: input.failures,
      guard: input.guard,
    });
    this.core = wired.core;
    this.failures = wired.failures;
    this.beginLog = () => wired.begin();
  }

  /**
   * A whole replay: warms the executor's pool, begins, replays `jobs` and waits until idle. On an
   * error it closes the driver (every worker process and timer ends, so the error can end the
   * process) and rethrows. The caller closes the driver after a run that succeeded.
   */
  async runToIdle(jobs: readonly JobSpec[]): Promise<void> {
    try {
      await this.executor.warmUp();
      this.begin();
      this.replay(jobs);
      await this.idle();
    } catch (e) {
      await this.close().catch(() => {});
      throw e;
    }
  }

  /** Writes the run record and starts scenario time at 0. */
  begin(): void {
    this.clock.start();
    this.beginLog();
    for (const f of this.failures?.initial() ?? []) this.failAt(f);
  }

  /**
   * A node failure or repair at its scenario time. Not counted as outstanding work: `idle()` does
   * not wait for failures, and `close()` drops those still to come.
   */
  private failAt(f: TimedFailure): void {
    const h = after(this.clock.delayTo(f.at), () => {
      this.timers.delete(h);
      this.enqueue(f.ev);
    });
    this.timers.add(h);
  }

  /** Replays `jobs` at their submit times (scenario ms, scaled to wall time). */
  replay(jobs: readonly JobSpec[]): void {
    for (const j of jobs) {
      this.outstanding++;
      const h = after(this.clock.delayTo(j.submit), () => {
        this.timers.delete(h);
        this.outstanding--;
        this.enqueue({ kind: 'arrival', job: { ...j, submit: this.clock.now() } });
      });
      this.timers.add(h);
    }
  }

  /**
   * Submits a job now. Idempotent per `submissionId`: a repeat with the same payload returns the
   * job first created for it; the same id with another payload is refused. With trusted keys
   * configured, the job must come as a signed manifest (manifest-signing.ts) from one of them.
   * A refused submission never reaches the core (and so is not in the event log).
   */
  submit(req: { submissionId: string; job?: SubmittedJob; signed?: unknown }): SubmitOutcome {
    let raw: unknown;
    if (this.verifier) {
      if (req.signed === undefined) return this.refuse(req.submissionId, 'unsigned: a signed manifest is required');
      const v = this.verifier.check(req.signed);
      if (v.kind !== 'valid') return this.refuse(req.submissionId, `${v.reason}: ${v.detail}`);
      raw = v.manifest;
    } else {
      if (req.job === undefined) return this.refuse(req.submissionId, 'no job in the request');
      raw = req.job;
    }
    const p = SubmittedJobSchema.safeParse(raw);
    if (!p.success) return this.refuse(req.submissionId, `invalid job: ${p.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
    const r = this.submissions.submit(req.submissionId, p.data, () => `s${++this.submitSeq}`);
    if (r.kind === 'conflict') return this.refuse(req.submissionId, r.reason);
    if (r.kind === 'duplicate') return { kind: 'accepted', jobId: r.jobId, duplicate: true };
    const j = p.data;
    this.enqueue({ kind: 'arrival', job: { ...j, milli: j.gpus === 0 ? 0 : j.milli, id: r.jobId, submit: this.clock.now() } });
    return { kind: 'accepted', jobId: r.jobId, duplicate: false };
  }

  /**
   * The arrival of `job` now, under the id its caller gave it (the service keeps ids and
   * idempotency in its own store). No checks: the caller validated the job.
   */
  arrive(job: Omit<JobSpec, 'submit'>): void {
    this.enqueue({ kind: 'arrival', job: { ...job, submit: this.clock.now() } });
  }

  /** Asks for a scheduling pass now (e.g. after admission was resumed). */
  wake(): void {
    this.enqueue({ kind: 'wake' });
  }

  cancel(jobId: string): void {
    this.enqueue({ kind: 'cancel', jobId });
  }

  /** Resolves once every replayed arrival has come and nothing is queued or running. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  get eventsHandled(): number {
    return this.handled;
  }

  /** Stops timers and the executor (every job process ends); writes the end record. */
  async close(): Promise<void> {
    for (const h of this.timers) h.clear();
    this.timers.clear();
    this.clock.dispose();
    await this.executor.shutdown();
    this.input.log.append({ t: this.clock.now(), ev: 'end', events: this.handled });
  }

  private refuse(submissionId: string, reason: string): SubmitOutcome {
    this.input.logger?.warn('submission refused', { submissionId, reason });
    return { kind: 'refused', reason };
  }

  private isIdle(): boolean {
    return this.outstanding === 0 && this.pending.length === 0 && this.core.idle;
  }

  private enqueue(ev: SchedEvent): void {
    this.pending.push(ev);
    if (!this.flushing) {
      this.flushing = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushing = false;
    const batch = this.pending;
    this.pending = [];
    // Stable sort: completions free resources before arrivals ask for them, as in the simulator.
    batch.sort((a, b) => PRIORITY[a.kind] - PRIORITY[b.kind]);
    // One instant: every event of the batch and the pass after them see the same time, as the
    // engine's instant does in simulation.
    this.clock.freeze();
    try {
      this.handleBatch(batch);
    } finally {
      this.clock.thaw();
    }
    if (this.isIdle()) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const r of w) r();
    }
  }

  private handleBatch(batch: readonly SchedEvent[]): void {
    for (const ev of batch) {
      this.core.handle(ev);
      this.handled++;
      if (this.failures && (ev.kind === 'node-down' || ev.kind === 'node-up')) for (const f of this.failures.next(ev, this.clock.now())) this.failAt(f);
    }
    this.core.schedule();
  }
}
