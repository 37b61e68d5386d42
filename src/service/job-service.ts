import { chmodSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import '../../policies/index.ts';
import type { JsonLogger } from '../live/json-log.ts';
import type { LiveDriver } from '../live/live-driver.ts';
import type { JobRequest, JobView } from './api-schema.ts';
import { ATTESTATION_STATUS, Attestor, type AttestationReport } from './attestation.ts';
import type { ServiceConfig } from './config.ts';
import { EventProjection } from './event-projection.ts';
import { GroupCommit } from './group-commit.ts';
import { jobView } from './job-view.ts';
import { ModelStore } from './model-store.ts';
import { ServiceMetrics } from './metrics.ts';
import { outputOp } from './output-capture.ts';
import { OutputTail, type OutputFollower } from './output-tail.ts';
import { recoveryOps, type RecoveryReport } from './recovery.ts';
import { ServiceAdmission } from './service-admission.ts';
import { SessionHolds } from './session-holds.ts';
import type { CancelResult, SubmitResult, Unavailable } from './service-results.ts';
import { startDriver } from './start-up.ts';
import { SqliteStateStore, TERMINAL, type ApiState, type StateStore } from './state-store.ts';
import type { JobSpec } from '../jobs/job.ts';
import { childEnv, childParent, socketPath, type ParentState } from './child-jobs.ts';
import { ChildTokens } from './child-token.ts';
import { isSessionRequest, sessionRecoveryOps } from './session-hold-request.ts';
import { jobSpecOf, newStoredJob, requestFingerprint, timeoutRefusal, type Pending } from './submission.ts';

export { jobView } from './job-view.ts';
export type { CancelResult, SubmitResult } from './service-results.ts';

/**
 * The job service: the domain behind the HTTP API. Each API call is one method here; each method
 * turns into events for the live driver's `SchedulerCore` (the same core the simulator drives)
 * or reads the store. State changes come only from the core's event log: the projection maps each
 * record to store operations, the group commit writes them in one transaction per instant, and
 * only then settles the callers waiting on them — so every answer the API gives is on disk first.
 */

export interface JobServiceOptions {
  readonly config: ServiceConfig;
  /** Attestation off: only with `--dev`. */
  readonly dev: boolean;
  readonly logger: JsonLogger;
  /** Wall clock, ms since the epoch (the API's times, manifest expiry). Injected for tests. */
  readonly now?: () => number;
}

export class JobService {
  readonly store: StateStore;
  readonly metrics: ServiceMetrics;
  readonly epoch: number;
  readonly eventsFile: string;
  /** Session jobs: the resources sessions hold in the core (session-holds.ts). */
  readonly holds = new SessionHolds();
  /** Child-job tokens (child-jobs.ts). */
  readonly tokens: ChildTokens;
  private readonly cfg: ServiceConfig;
  private readonly log: JsonLogger;
  private readonly now: () => number;
  private driver!: LiveDriver;
  private readonly admission: ServiceAdmission;
  private readonly attestor: Attestor | undefined;
  private readonly commit: GroupCommit;
  private readonly projection: EventProjection;
  private readonly pending = new Map<string, Pending>();
  private readonly tail: OutputTail;
  private readonly models: ModelStore | undefined;
  private readonly inflightKeys = new Map<string, Promise<SubmitResult>>();
  private readonly inflightNonces = new Set<string>();
  private seq: number;
  private phase: 'recovering' | 'ready' | 'draining' | 'store-unavailable' | 'closed' = 'recovering';
  private recovering: Promise<void> | undefined;
  private driverClosed: Promise<void> | undefined;
  recovery: RecoveryReport | undefined;

  private constructor(o: JobServiceOptions) {
    this.cfg = o.config;
    this.log = o.logger;
    this.now = o.now ?? Date.now;
    this.models = o.config.models ? new ModelStore(resolve(o.config.models.dir)) : undefined;
    const dir = resolve(o.config.stateDir);
    this.store = new SqliteStateStore(dir);
    this.tokens = new ChildTokens(dir);
    this.epoch = this.store.beginEpoch();
    this.seq = this.store.maxSeq();
    const runDir = join(dir, 'runs', `epoch-${this.epoch}`);
    mkdirSync(runDir, { recursive: true });
    chmodSync(join(dir, 'runs'), 0o700); // the event logs name every job: owner-only, like the store
    this.eventsFile = join(runDir, 'events.jsonl');
    this.commit = new GroupCommit(this.store, this.eventsFile, this.log, (error) => this.storeRefused(error));
    const c = o.config;
    this.admission = new ServiceAdmission({
      maxQueue: c.admission.maxQueue,
      queueFullRetryAfterSec: c.admission.queueFullRetryAfterSec,
      rateLimits: new Map(c.tenants.filter((t) => t.rateLimit).map((t) => [t.name, t.rateLimit!])),
    });
    const required = c.attestation.required && !o.dev;
    this.attestor = required
      ? new Attestor(
          c.tenants.map((t) => ({ tenant: t.name, keys: t.keys })),
          { maxAgeMs: c.attestation.maxAgeSec * 1000, maxSkewMs: c.attestation.maxSkewSec * 1000 },
        )
      : undefined;
    this.tail = new OutputTail(c.admission.maxEventStreams);
    this.metrics = new ServiceMetrics(
      () => this.driver?.core,
      () => this.driver?.executor.warmWorkers,
    );
    this.projection = new EventProjection({
      epoch: this.epoch,
      now: this.now,
      commit: this.commit,
      pending: this.pending,
      metrics: this.metrics,
      coreJob: (id) => this.driver.core.jobs.get(id),
      pausedReason: () => this.admission.paused,
      queueFullRetryAfterSec: c.admission.queueFullRetryAfterSec,
      onFinished: (id) => this.tail.ended(id),
    });
  }

  /** Opens the store, reaps what an earlier process left, recovers, and starts scheduling. */
  static async open(o: JobServiceOptions): Promise<JobService> {
    const s = JobService.create(o);
    await s.recover();
    return s;
  }

  /**
   * Opens the store and starts a new epoch, but neither reaps nor recovers yet: the service is
   * `recovering` (an HTTP edge can listen already and answer 503) until `recover()` resolves.
   */
  static create(o: JobServiceOptions): JobService {
    return new JobService(o);
  }

  /** Reaps, recovers and starts scheduling; the service is ready when it resolves. Once only. */
  recover(): Promise<void> {
    this.recovering ??= this.start();
    return this.recovering;
  }

  /**
   * The store refused a commit: the core has moved past what the store holds, so nothing more is
   * promised. Every waiting caller is answered 503 `store-unavailable` (those of the refused commit
   * by the group commit itself), later requests too; running jobs are stopped (the store still
   * shows what it last committed, and the next start applies the recovery rule to it).
   */
  private storeRefused(error: string): void {
    if (this.phase === 'closed') return;
    const wasRecovering = this.phase === 'recovering';
    this.phase = 'store-unavailable';
    for (const p of this.pending.values()) p.resolve({ kind: 'unavailable', why: 'store-unavailable' });
    this.pending.clear();
    this.tail.endAll();
    this.log.error('state store unavailable: admission stopped, running jobs stopped; restart the service', { error });
    if (!wasRecovering) void this.closeDriver().catch((e: unknown) => this.log.error('stopping jobs after a store failure', { error: (e as Error).message }));
  }

  get ready(): boolean {
    return this.phase === 'ready';
  }

  get state(): string {
    return this.phase;
  }

  get pausedReason(): string | undefined {
    return this.admission.paused;
  }

  private async start(): Promise<void> {
    const c = this.cfg;
    const { driver, reaped } = await startDriver(c, this.epoch, this.admission, this.log, {
      onRecord: (r) => this.projection.onRecord(r),
      onStale: () => this.metrics.executorRestart('stale-worker'),
      // The recovery rule's limit: runs so far (this one included) below maxAttempts.
      retryLost: (id) => (this.store.job(id)?.attempts ?? c.recovery.maxAttempts) < c.recovery.maxAttempts,
      onOutput: (out) => this.commit.push(outputOp(this.epoch, out)),
      onChunk: (id, stream, chunk) => this.tail.chunk(id, stream, chunk),
      holds: this.holds,
    });
    this.driver = driver;
    await driver.executor.warmUp(); // the configured warm workers (sandbox.warmPool), ready
    this.driver.begin();
    const paused = this.store.meta('paused');
    if (paused !== undefined) this.admission.paused = paused;

    // Recovery (see recoveryOps): running jobs requeued or failed, then every unfinished job queued again.
    const at = this.now();
    // Session jobs are not requeued: their sessions ended with the process (service-restart).
    const unfinished = this.store.unfinished();
    const { ops, requeued, failed } = recoveryOps(unfinished.filter((j) => !isSessionRequest(j.request)), c.recovery.maxAttempts, at);
    this.store.apply([...sessionRecoveryOps(unfinished, at), ...ops]);
    const queued = this.store.unfinished();
    for (const j of queued) {
      this.admission.exempt(j.id);
      this.projection.known.add(j.id);
      this.driver.arrive(jobSpecOf(j.id, j.request as JobRequest, c.sandbox.timeoutSec, this.childEnv(j.id, j.tenant), j.parentId ? { id: j.parentId, depth: j.depth ?? 1 } : undefined));
    }
    await this.commit.settled();
    this.recovery = { requeued, failed, queued: queued.length, reaped };
    this.metrics.recovered(requeued, failed, queued.length - requeued);
    this.log.info('recovered', { epoch: this.epoch, queued: queued.length, requeued, failed, reapedPids: reaped.killed.length, reapedCgroups: reaped.cgroups.length, reapedDirs: reaped.dirs.length });
    this.phase = 'ready';
  }

  /**
   * `raw`: the body as the client sent it (before defaults), which the manifest's jobHash covers;
   * the parsed request when absent.
   */
  async submit(req: JobRequest, raw: Readonly<Record<string, unknown>> = req): Promise<SubmitResult> {
    if (this.phase !== 'ready') return { kind: 'unavailable', why: this.unavailableWhy() };
    if (!this.cfg.tenants.some((t) => t.name === req.tenant)) return { kind: 'unknown-tenant', tenant: req.tenant };
    const invalid = timeoutRefusal(req, this.cfg.sandbox.maxTimeoutSec);
    if (invalid) return invalid;
    const fingerprint = requestFingerprint(req);
    if (req.idempotencyKey === undefined) return this.submitNew(req, raw, fingerprint);
    const key = `${req.tenant}\u0000${req.idempotencyKey}`;
    const inflight = this.inflightKeys.get(key);
    if (inflight) {
      const r = await inflight;
      if (r.kind !== 'created') return r.kind === 'duplicate' ? r : this.submit(req, raw);
      const j = this.store.job(r.job.id)!;
      return j.fingerprint === fingerprint ? { kind: 'duplicate', job: jobView(j) } : { kind: 'conflict', jobId: j.id };
    }
    const seen = this.store.jobByKey(req.tenant, req.idempotencyKey);
    if (seen) return seen.fingerprint === fingerprint ? { kind: 'duplicate', job: jobView(seen) } : { kind: 'conflict', jobId: seen.id };
    const p = this.submitNew(req, raw, fingerprint);
    this.inflightKeys.set(key, p);
    try {
      return await p;
    } finally {
      this.inflightKeys.delete(key);
    }
  }

  /**
   * A session's hold on resources (session-service.ts): attested (with `raw`, the create body, as
   * a job's request is), rate-limited, admitted, and placed by the core like any job; `spec` is
   * the core job of kind `session`. Answers as `submit` does; `created` with state `running`
   * when the core placed it at once (the holds then name its node).
   */
  hold(req: JobRequest, raw: Readonly<Record<string, unknown>>, spec: (id: string) => Omit<JobSpec, 'submit'>): Promise<SubmitResult> {
    if (this.phase !== 'ready') return Promise.resolve({ kind: 'unavailable', why: this.unavailableWhy() });
    if (!this.cfg.tenants.some((t) => t.name === req.tenant)) return Promise.resolve({ kind: 'unknown-tenant', tenant: req.tenant });
    return this.submitNew(req, raw, requestFingerprint(req), spec);
  }

  /**
   * Completes a session's hold (its session ended): resolves once the job's finish is committed
   * (its resources are free by then), false when it was not running or the commit did not come
   * within `admission.decisionTimeoutMs`.
   */
  releaseHold(jobId: string, reason: string): Promise<boolean> {
    if ((this.phase !== 'ready' && this.phase !== 'draining') || this.holds.node(jobId) === undefined) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), this.cfg.admission.decisionTimeoutMs).unref();
      this.projection.whenFinished(jobId, (ok) => (clearTimeout(t), resolve(ok)));
      this.holds.release(jobId, reason);
    });
  }

  /** A session's state for the child-token check (set by the session service); undefined: no such session. */
  sessionState: (id: string) => string | undefined = () => undefined;

  private parentState(id: string): ParentState | undefined {
    const s = this.sessionState(id);
    if (s !== undefined) return { id, running: s !== 'ended', state: s, depth: 0 };
    const j = this.store.job(id);
    return j && { id, running: j.state === 'running', state: j.state, depth: j.depth ?? 0 };
  }

  private childEnv(id: string, tenant: string): Record<string, string> {
    return childEnv(this.tokens, socketPath(this.cfg), id, tenant);
  }

  /** A child job, submitted with its parent's token (child-jobs.ts): the token stands for the manifest. */
  async submitChild(req: JobRequest, raw: Readonly<Record<string, unknown>>, token: string | undefined): Promise<SubmitResult> {
    if (this.phase !== 'ready') return { kind: 'unavailable', why: this.unavailableWhy() };
    const p = childParent(token, req.tenant, this.tokens, (id) => this.parentState(id), this.cfg.children.maxDepth);
    if (p.kind !== 'ok') {
      this.metrics.admission('refused', p.code);
      return p;
    }
    const invalid = timeoutRefusal(req, this.cfg.sandbox.maxTimeoutSec);
    if (invalid) return invalid;
    const at = this.now();
    const report: AttestationReport = { verdict: 'off', tenant: req.tenant, jobHash: '', detail: `child of ${p.id} (token)`, checkedAt: new Date(at).toISOString() };
    return this.admit(req, requestFingerprint(req), at, report, undefined, undefined, { id: p.id, depth: p.depth });
  }

  /** The scheduler core (read-only use: quota usage of running jobs). */
  get core() {
    return this.driver.core;
  }

  private async submitNew(req: JobRequest, raw: Readonly<Record<string, unknown>>, fingerprint: string, spec?: (id: string) => Omit<JobSpec, 'submit'>): Promise<SubmitResult> {
    const at = this.now();
    let report: AttestationReport;
    let nonce: Pending['nonce'];
    let expected: Readonly<Record<string, string>> | undefined;
    if (this.attestor) {
      const a = this.attestor.check(raw, at, (k, n) => this.inflightNonces.has(`${k}\u0000${n}`) || this.store.nonceUsed(k, n));
      if (a.kind === 'refused') {
        this.metrics.admission('refused', a.code);
        this.log.warn('attestation refused', { tenant: req.tenant, code: a.code, detail: a.report.detail });
        this.commit.push({ op: 'attestation', jobId: null, report: { ...a.report }, at });
        return { kind: 'attestation', status: a.status, code: a.code, message: a.report.detail ?? a.code };
      }
      report = a.report;
      nonce = { keyId: a.keyId, nonce: a.nonce };
      expected = a.modelHashes;
    } else {
      report = { verdict: 'off', tenant: req.tenant, jobHash: '', checkedAt: new Date(at).toISOString() };
    }
    const nk = nonce && `${nonce.keyId}\u0000${nonce.nonce}`;
    if (nk) this.inflightNonces.add(nk);
    try {
      if ((req.models?.length ?? 0) > 0 || Object.keys(expected ?? {}).length > 0) {
        const m = await this.checkModels(req, expected, report, at);
        if (m.kind === 'refused') return m.result;
        report = m.report;
        if (this.phase !== 'ready') return { kind: 'unavailable', why: this.unavailableWhy() };
      }
      return await this.admit(req, fingerprint, at, report, nonce, spec);
    } finally {
      if (nk) this.inflightNonces.delete(nk);
    }
  }

  /** The model store's check of the job's models (model-store.ts); a refusal is recorded as an attestation report. */
  private async checkModels(req: JobRequest, expected: Readonly<Record<string, string>> | undefined, report: AttestationReport, at: number): Promise<{ kind: 'ok'; report: AttestationReport } | { kind: 'refused'; result: SubmitResult }> {
    const c = this.models
      ? await this.models.check(req.models ?? [], expected, this.attestor !== undefined)
      : ({ kind: 'refused', code: 'models-unsupported', field: req.models?.length ? 'models' : 'manifest.payload.modelHashes', detail: 'this service has no model store (config models.dir)', hashes: {} } as const);
    if (c.kind === 'ok') return { kind: 'ok', report: { ...report, models: c.hashes } };
    const refused: AttestationReport = { ...report, verdict: 'refused', code: c.code, detail: c.detail, models: c.hashes };
    this.metrics.admission('refused', c.code);
    this.log.warn('model check refused', { tenant: req.tenant, code: c.code, field: c.field, detail: c.detail });
    this.commit.push({ op: 'attestation', jobId: null, report: { ...refused }, at });
    return { kind: 'refused', result: { kind: 'attestation', status: ATTESTATION_STATUS[c.code], code: c.code, message: c.detail, field: c.field } };
  }

  private async admit(req: JobRequest, fingerprint: string, at: number, report: AttestationReport, nonce: Pending['nonce'], spec?: (id: string) => Omit<JobSpec, 'submit'>, parent?: { id: string; depth: number }): Promise<SubmitResult> {
    const g = this.admission.gate(req.tenant, this.driver.core.queued.length + this.pending.size, this.driver.clock.now());
    if (g.kind === 'refuse') {
      this.metrics.admission('refused', g.reason);
      if (g.reason === 'paused') return { kind: 'paused', reason: this.admission.paused ?? '' };
      return { kind: 'backpressure', reason: g.reason, retryAfterSec: g.retryAfterSec };
    }
    const id = `j${++this.seq}`;
    const job = newStoredJob(id, this.seq, req, fingerprint, at, report, parent);
    const out = new Promise<SubmitResult>((resolve) => this.pending.set(id, { job, ...(nonce ? { nonce } : {}), resolve }));
    this.driver.arrive(spec ? spec(id) : jobSpecOf(id, req, this.cfg.sandbox.timeoutSec, this.childEnv(id, req.tenant), parent));
    return out;
  }

  /** Stops the driver (and every job process) once, whoever asks first. */
  private closeDriver(): Promise<void> {
    this.driverClosed ??= this.driver.close();
    return this.driverClosed;
  }

  private unavailableWhy(): Unavailable {
    return this.phase === 'recovering' ? 'recovering' : this.phase === 'store-unavailable' ? 'store-unavailable' : 'draining';
  }

  job(id: string): JobView | undefined {
    const j = this.store.job(id);
    if (!j) return undefined;
    const children = this.store.children(id);
    return { ...jobView(j), ...(children.length > 0 ? { children } : {}) };
  }

  runs(id: string) {
    return this.store.runs(id);
  }

  /** The captured output of the job's latest finished run (or run `attempt`). */
  output(id: string, attempt?: number) {
    return this.store.output(id, attempt);
  }

  /** What the running job has printed so far (bounded as stored output is); undefined unless it runs now. */
  liveOutput(id: string) {
    return this.phase === 'ready' || this.phase === 'draining' ? this.driver.executor.liveOutput(id) : undefined;
  }

  /**
   * Follows job `id`'s output as it is printed until the job ends (`f.end`, after its finish is
   * committed, or when the service stops). Undefined when `admission.maxEventStreams` follow already.
   */
  followOutput(id: string, f: OutputFollower): (() => void) | undefined {
    return this.tail.follow(id, f);
  }

  list(q: { tenant?: string; state?: ApiState; after?: number; limit: number }): { jobs: JobView[]; next?: number } {
    const limit = Math.min(q.limit, this.cfg.admission.maxPageSize);
    const rows = this.store.list({ ...q, limit });
    return { jobs: rows.map(jobView), ...(rows.length === limit ? { next: rows[rows.length - 1].seq } : {}) };
  }

  async cancel(id: string): Promise<CancelResult> {
    const j = this.store.job(id);
    if (!j) return { kind: 'not-found' };
    if (TERMINAL.has(j.state)) return { kind: 'finished', state: j.state };
    if (this.phase !== 'ready' || !this.projection.known.has(id)) return { kind: 'unavailable', why: this.unavailableWhy() };
    const committed = await new Promise<boolean>((r) => {
      this.projection.whenFinished(id, r);
      this.driver.cancel(id);
    });
    if (!committed) return { kind: 'unavailable', why: 'store-unavailable' };
    await this.cancelChildren(id);
    return { kind: 'ok', job: this.job(id)! };
  }

  /** Cancels the unfinished descendants of job or session `id` (its whole tree below it). */
  async cancelChildren(id: string): Promise<void> {
    await Promise.all(
      this.store.children(id).map(async (c) => {
        const r = await this.cancel(c);
        if (r.kind === 'finished') await this.cancelChildren(c);
      }),
    );
  }

  /** The kill switch: admission paused (kept across restarts) and every running job cancelled, with `reason`. */
  async killAll(reason: string): Promise<{ kind: 'ok'; stopped: string[] } | { kind: 'unavailable'; why: Unavailable }> {
    if (this.phase !== 'ready') return { kind: 'unavailable', why: this.unavailableWhy() };
    this.admission.paused = reason;
    this.commit.push({ op: 'meta', key: 'paused', value: reason });
    const running = [...this.driver.core.jobs.values()].filter((j) => j.state === 'running').map((j) => j.id);
    this.log.warn('kill-all', { reason, jobs: running.length });
    for (const id of running) this.projection.killReasons.set(id, `kill-all: ${reason}`);
    await Promise.all(running.map((id) => this.cancel(id)));
    if (!(await this.commit.settled())) return { kind: 'unavailable', why: 'store-unavailable' };
    return { kind: 'ok', stopped: running };
  }

  /** Resumes admission; false when the store did not commit it (admission then stays as it was). */
  async resume(): Promise<{ kind: 'ok' } | { kind: 'unavailable'; why: Unavailable }> {
    if (this.phase !== 'ready') return { kind: 'unavailable', why: this.unavailableWhy() };
    this.admission.paused = undefined;
    this.commit.push({ op: 'meta', key: 'paused', value: null });
    this.log.info('resumed', {});
    this.driver.wake();
    if (!(await this.commit.settled())) return { kind: 'unavailable', why: 'store-unavailable' };
    return { kind: 'ok' };
  }

  /** Live event stream: each committed record's JSON line. Returns the unsubscribe function. */
  subscribe(f: (line: string) => void): (() => void) | undefined {
    return this.commit.subscribe(f, this.cfg.admission.maxEventStreams);
  }

  /**
   * Stops admitting, lets running jobs finish for up to `graceMs`, then stops the rest (their
   * processes are killed; the store keeps them `running`, so the next start applies the recovery
   * rule to them and records it).
   */
  async close(graceMs = this.cfg.drainGraceSec * 1000): Promise<void> {
    if (this.phase === 'closed') return;
    // A stop during recovery: let recovery finish first (it holds the store and starts the driver).
    if (this.phase === 'recovering') await this.recover().catch(() => undefined);
    if (this.state === 'closed') return;
    this.phase = 'draining';
    const until = performance.now() + graceMs;
    while (this.driver.core.runningCount > 0 && performance.now() < until) await new Promise((r) => setTimeout(r, 50));
    const left = this.driver.core.runningCount;
    this.log.info('draining done', { stillRunning: left });
    await this.closeDriver();
    this.commit.flush();
    this.phase = 'closed';
    this.tail.endAll();
    this.commit.close();
    this.store.close();
  }
}
