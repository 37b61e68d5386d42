import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import '../../policies/index.ts';
import type { JobSpec, JobView as CoreJob } from '../jobs/job.ts';
import type { JsonLogger } from '../live/json-log.ts';
import { LiveDriver } from '../live/live-driver.ts';
import { LiveExecutor } from '../live/live-executor.ts';
import { detectSandbox, layerNames, privateTmpDirs } from '../live/sandbox.ts';
import type { WorkSpec } from '../live/work-spec.ts';
import { workerScript } from '../live/worker-entry.ts';
import type { LogRecord } from '../log/records.ts';
import { Quotas, tenantQuotas } from '../quota/quotas.ts';
import { expandNodeGroups } from '../scenario/cluster.ts';
import { policiesFor } from '../scenario/prepare.ts';
import type { JobRequest, JobView } from './api-schema.ts';
import { Attestor, canonicalJson, type AttestationCode, type AttestationReport } from './attestation.ts';
import type { ServiceConfig } from './config.ts';
import { ServiceMetrics } from './metrics.ts';
import { reapLeftovers, type ReapReport } from './reaper.ts';
import { ServiceAdmission } from './service-admission.ts';
import { SqliteStateStore, TERMINAL, type ApiState, type StateStore, type StoredJob, type StoreOp } from './state-store.ts';

/**
 * The job service: the domain behind the HTTP API. Each API call is one method here; each method
 * turns into events for the live driver's `SchedulerCore` (the same core the simulator drives)
 * or reads the store. State changes come only from the core's event log: the sink below maps each
 * record to store operations, commits them in one transaction per instant, and only then settles
 * the callers waiting on them — so every answer the API gives is on disk first.
 */

export type SubmitResult =
  | { readonly kind: 'created'; readonly job: JobView }
  | { readonly kind: 'duplicate'; readonly job: JobView }
  | { readonly kind: 'conflict'; readonly jobId: string }
  | { readonly kind: 'unknown-tenant'; readonly tenant: string }
  | { readonly kind: 'invalid'; readonly field: string; readonly message: string }
  | { readonly kind: 'attestation'; readonly status: 400 | 401 | 403; readonly code: AttestationCode; readonly message: string }
  | { readonly kind: 'backpressure'; readonly reason: 'queue-full' | 'rate-limited'; readonly retryAfterSec: number }
  | { readonly kind: 'paused'; readonly reason: string }
  | { readonly kind: 'unavailable'; readonly why: 'recovering' | 'draining' };

export type CancelResult =
  | { readonly kind: 'ok'; readonly job: JobView }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'finished'; readonly state: ApiState }
  | { readonly kind: 'unavailable'; readonly why: 'recovering' | 'draining' };

export interface JobServiceOptions {
  readonly config: ServiceConfig;
  /** Attestation off: only with `--dev`. */
  readonly dev: boolean;
  readonly logger: JsonLogger;
  /** Wall clock, ms since the epoch (the API's times, manifest expiry). Injected for tests. */
  readonly now?: () => number;
}

interface Pending {
  readonly job: StoredJob;
  readonly nonce?: { keyId: string; nonce: string };
  readonly resolve: (r: SubmitResult) => void;
}

/** A stored job as the API shows it. Pure. */
export function jobView(j: StoredJob): JobView {
  const iso = (ms: number | null) => (ms === null ? undefined : new Date(ms).toISOString());
  return {
    id: j.id,
    tenant: j.tenant,
    state: j.state,
    attempts: j.attempts,
    submittedAt: iso(j.submittedAt)!,
    ...(j.startedAt !== null ? { startedAt: iso(j.startedAt) } : {}),
    ...(j.endedAt !== null ? { endedAt: iso(j.endedAt) } : {}),
    ...(j.node !== null ? { node: j.node } : {}),
    ...(j.gpus !== null ? { gpus: [...j.gpus] } : {}),
    ...(j.reason !== null ? { reason: j.reason } : {}),
    ...(j.exitCode !== undefined && j.exitCode !== null ? { exitCode: j.exitCode } : {}),
    ...(j.attestation !== null ? { attestation: { ...j.attestation } } : {}),
  };
}

const BACKPRESSURE = new Set(['queue-full', 'paused']);

export class JobService {
  readonly store: StateStore;
  readonly metrics: ServiceMetrics;
  readonly epoch: number;
  readonly eventsFile: string;
  private readonly cfg: ServiceConfig;
  private readonly log: JsonLogger;
  private readonly now: () => number;
  private driver!: LiveDriver;
  private readonly admission: ServiceAdmission;
  private readonly attestor: Attestor | undefined;
  private readonly eventsFd: number;
  private ops: StoreOp[] = [];
  private lines: string[] = [];
  private settle: (() => void)[] = [];
  private flushQueued = false;
  private readonly pending = new Map<string, Pending>();
  private readonly inflightKeys = new Map<string, Promise<SubmitResult>>();
  private readonly inflightNonces = new Set<string>();
  private readonly finishWaiters = new Map<string, (() => void)[]>();
  private readonly killReasons = new Map<string, string>();
  /** Jobs the core knows in this epoch (cancel of any other id would be a contract error). */
  private readonly known = new Set<string>();
  private seq: number;
  private phase: 'recovering' | 'ready' | 'draining' | 'closed' = 'recovering';
  private recovering: Promise<void> | undefined;
  private readonly subscribers = new Set<(line: string) => void>();
  recovery: { readonly requeued: number; readonly failed: number; readonly queued: number; readonly reaped: ReapReport } | undefined;

  private constructor(o: JobServiceOptions) {
    this.cfg = o.config;
    this.log = o.logger;
    this.now = o.now ?? Date.now;
    const dir = resolve(o.config.stateDir);
    this.store = new SqliteStateStore(dir);
    this.epoch = this.store.beginEpoch();
    this.seq = this.store.maxSeq();
    const runDir = join(dir, 'runs', `epoch-${this.epoch}`);
    mkdirSync(runDir, { recursive: true });
    this.eventsFile = join(runDir, 'events.jsonl');
    this.eventsFd = openSync(this.eventsFile, 'a');
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
    this.metrics = new ServiceMetrics(() => this.driver?.core);
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
    const workRoot = join(resolve(c.stateDir), 'work');
    const reaped = await reapLeftovers(workRoot);
    const jobRoot = join(workRoot, `epoch-${this.epoch}`);
    const nodes = expandNodeGroups(c.cluster.nodes);
    const quotas = tenantQuotas(c.tenants);
    const script = await workerScript();
    const layers = detectSandbox(c.sandbox.mode, { node: process.execPath, script });
    this.log.info('isolation', { layers: layerNames(layers, privateTmpDirs([process.execPath, script])), ...(layers.cgroupUnavailable ? { cgroupUnavailable: layers.cgroupUnavailable } : {}) });
    this.driver = new LiveDriver({
      run: `serve/epoch-${this.epoch}`,
      seed: 1,
      nodes,
      ...policiesFor(c.policy, []),
      log: { append: (r) => this.onRecord(r) },
      timeScale: 1,
      tenants: c.tenants.map((t) => ({ name: t.name, weight: t.weight })),
      headOfLine: 'skip',
      coreExtras: { ...(quotas.length > 0 ? { quotas: new Quotas(quotas) } : {}), admission: [this.admission.policy] },
      logger: this.log,
      executor: (emit) =>
        new LiveExecutor({
          emit,
          layers,
          workerScript: script,
          workFor: (j: CoreJob) => j.work as WorkSpec,
          defaultTimeoutMs: c.sandbox.timeoutSec * 1000,
          graceMs: c.sandbox.graceMs,
          outputLimitBytes: c.sandbox.outputLimitBytes,
          outputCaptureBytes: c.sandbox.outputCaptureBytes,
          keepMeasures: false,
          heartbeatMs: c.sandbox.heartbeatMs,
          staleAfterBeats: c.sandbox.staleAfterBeats,
          onStale: () => this.metrics.executorRestart('stale-worker'),
          onOutput: (out) => this.push({ op: 'output', jobId: out.jobId, epoch: this.epoch, epochAttempt: out.attempt, exitCode: out.exitCode, stdout: out.stdout, stderr: out.stderr }),
          pidsMax: c.sandbox.pidsMax,
          minMemoryMiB: c.sandbox.minMemoryMiB,
          backends: c.sandbox.backends,
          jobRoot,
          logger: this.log,
        }),
    });
    this.driver.begin();
    const paused = this.store.meta('paused');
    if (paused !== undefined) this.admission.paused = paused;

    // Recovery, by one rule: a job found running was stopped with its process; it is queued again
    // as a new attempt while it has had fewer than `recovery.maxAttempts` runs, else it fails
    // (`crashed`). Queued jobs queue again in submission order; finished jobs are left alone.
    const at = this.now();
    const unfinished = this.store.unfinished();
    const ops: StoreOp[] = [];
    let requeued = 0;
    let failed = 0;
    for (const j of unfinished) {
      if (j.state !== 'running') continue;
      ops.push({ op: 'end-run', jobId: j.id, outcome: 'crashed', reason: 'service stopped while the job ran', at });
      if (j.attempts < c.recovery.maxAttempts) {
        ops.push({ op: 'set-state', id: j.id, state: 'queued', reason: `requeued after a service stop (attempt ${j.attempts} lost)`, at });
        requeued++;
      } else {
        ops.push({ op: 'set-state', id: j.id, state: 'failed', reason: 'crashed', at });
        failed++;
      }
    }
    this.store.apply(ops);
    const queued = this.store.unfinished();
    for (const j of queued) {
      this.admission.exempt(j.id);
      this.known.add(j.id);
      this.driver.arrive(this.specOf(j.id, j.request as JobRequest));
    }
    await this.settled();
    this.recovery = { requeued, failed, queued: queued.length, reaped };
    this.metrics.recovered(requeued, failed, queued.length - requeued);
    this.log.info('recovered', { epoch: this.epoch, queued: queued.length, requeued, failed, reapedPids: reaped.killed.length, reapedCgroups: reaped.cgroups.length, reapedDirs: reaped.dirs.length });
    this.phase = 'ready';
  }

  /** Resolves once every event enqueued so far has been handled and committed. */
  private settled(): Promise<void> {
    return new Promise((r) => setImmediate(() => setImmediate(() => (this.flushQueued ? this.settle.push(r) : r()))));
  }

  /** The job the core runs for a request (`work` wins; a command runs as the `command` kind). */
  private specOf(id: string, r: JobRequest): Omit<JobSpec, 'submit'> {
    const base: WorkSpec = r.work ?? { kind: 'command', argv: r.command! };
    const timeoutSec = r.timeoutSec ?? base.timeoutSec ?? this.cfg.sandbox.timeoutSec;
    const work: WorkSpec = { ...base, timeoutSec };
    // Nominal run time (what estimate-based policies see): a sleep's length, else the timeout.
    const duration = work.kind === 'sleep' ? Math.max(1, work.ms) : timeoutSec * 1000;
    return { id, tenant: r.tenant, cpu: r.cpuMilli, memory: r.memoryMiB, gpus: r.gpus, milli: r.gpus === 0 ? 0 : r.milli, duration, priority: r.priority, work };
  }

  /**
   * `raw`: the body as the client sent it (before defaults), which the manifest's jobHash covers;
   * the parsed request when absent.
   */
  async submit(req: JobRequest, raw: Readonly<Record<string, unknown>> = req): Promise<SubmitResult> {
    if (this.phase !== 'ready') return { kind: 'unavailable', why: this.phase === 'recovering' ? 'recovering' : 'draining' };
    if (!this.cfg.tenants.some((t) => t.name === req.tenant)) return { kind: 'unknown-tenant', tenant: req.tenant };
    const max = this.cfg.sandbox.maxTimeoutSec;
    const t = req.timeoutSec ?? req.work?.timeoutSec;
    if (t !== undefined && t > max) return { kind: 'invalid', field: req.timeoutSec !== undefined ? 'timeoutSec' : 'work.timeoutSec', message: `at most ${max} s (sandbox.maxTimeoutSec)` };
    const { manifest: _m, ...body } = req;
    const fingerprint = createHash('sha256').update(canonicalJson(body)).digest('hex');
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

  private async submitNew(req: JobRequest, raw: Readonly<Record<string, unknown>>, fingerprint: string): Promise<SubmitResult> {
    const at = this.now();
    let report: AttestationReport;
    let nonce: Pending['nonce'];
    if (this.attestor) {
      const a = this.attestor.check(raw, at, (k, n) => this.inflightNonces.has(`${k}\u0000${n}`) || this.store.nonceUsed(k, n));
      if (a.kind === 'refused') {
        this.metrics.admission('refused', a.code);
        this.log.warn('attestation refused', { tenant: req.tenant, code: a.code, detail: a.report.detail });
        this.push({ op: 'attestation', jobId: null, report: { ...a.report }, at });
        return { kind: 'attestation', status: a.status, code: a.code, message: a.report.detail ?? a.code };
      }
      report = a.report;
      nonce = { keyId: a.keyId, nonce: a.nonce };
    } else {
      report = { verdict: 'off', tenant: req.tenant, jobHash: '', checkedAt: new Date(at).toISOString() };
    }
    const g = this.admission.gate(req.tenant, this.driver.core.queued.length + this.pending.size, this.driver.clock.now());
    if (g.kind === 'refuse') {
      this.metrics.admission('refused', g.reason);
      if (g.reason === 'paused') return { kind: 'paused', reason: this.admission.paused ?? '' };
      return { kind: 'backpressure', reason: g.reason, retryAfterSec: g.retryAfterSec };
    }
    const id = `j${++this.seq}`;
    const job: StoredJob = {
      id,
      seq: this.seq,
      tenant: req.tenant,
      idempotencyKey: req.idempotencyKey ?? null,
      fingerprint,
      request: { ...req, manifest: undefined },
      state: 'queued',
      reason: null,
      submittedAt: at,
      startedAt: null,
      endedAt: null,
      attempts: 0,
      node: null,
      gpus: null,
      attestation: { ...report },
    };
    const nk = nonce && `${nonce.keyId}\u0000${nonce.nonce}`;
    if (nk) this.inflightNonces.add(nk);
    const out = new Promise<SubmitResult>((resolve) => this.pending.set(id, { job, ...(nonce ? { nonce } : {}), resolve }));
    this.driver.arrive(this.specOf(id, req));
    try {
      return await out;
    } finally {
      if (nk) this.inflightNonces.delete(nk);
    }
  }

  job(id: string): JobView | undefined {
    const j = this.store.job(id);
    return j && jobView(j);
  }

  runs(id: string) {
    return this.store.runs(id);
  }

  /** The captured output of the job's latest finished run (or run `attempt`). */
  output(id: string, attempt?: number) {
    return this.store.output(id, attempt);
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
    if (this.phase !== 'ready' || !this.known.has(id)) return { kind: 'unavailable', why: this.phase === 'recovering' ? 'recovering' : 'draining' };
    await new Promise<void>((r) => {
      const w = this.finishWaiters.get(id) ?? [];
      w.push(r);
      this.finishWaiters.set(id, w);
      this.driver.cancel(id);
    });
    return { kind: 'ok', job: jobView(this.store.job(id)!) };
  }

  /** The kill switch: admission paused (kept across restarts) and every running job cancelled, with `reason`. */
  async killAll(reason: string): Promise<{ stopped: string[] }> {
    this.admission.paused = reason;
    this.push({ op: 'meta', key: 'paused', value: reason });
    const running = [...this.driver.core.jobs.values()].filter((j) => j.state === 'running').map((j) => j.id);
    this.log.warn('kill-all', { reason, jobs: running.length });
    for (const id of running) this.killReasons.set(id, `kill-all: ${reason}`);
    await Promise.all(running.map((id) => this.cancel(id)));
    await this.settled();
    return { stopped: running };
  }

  async resume(): Promise<void> {
    this.admission.paused = undefined;
    this.push({ op: 'meta', key: 'paused', value: null });
    this.log.info('resumed', {});
    this.driver.wake();
    await this.settled();
  }

  /** Live event stream: each committed record's JSON line. Returns the unsubscribe function. */
  subscribe(f: (line: string) => void): (() => void) | undefined {
    if (this.subscribers.size >= this.cfg.admission.maxEventStreams) return undefined;
    this.subscribers.add(f);
    return () => this.subscribers.delete(f);
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
    await this.driver.close();
    this.flush();
    this.phase = 'closed';
    this.subscribers.clear();
    closeSync(this.eventsFd);
    this.store.close();
  }

  private push(op: StoreOp): void {
    this.ops.push(op);
    this.queueFlush();
  }

  private queueFlush(): void {
    if (!this.flushQueued) {
      this.flushQueued = true;
      // The driver handles an instant synchronously: this runs after the whole instant.
      queueMicrotask(() => this.flush());
    }
  }

  /** The core's log sink: events.jsonl as it happens, store operations for the next commit. */
  private onRecord(r: LogRecord): void {
    const line = JSON.stringify(r);
    this.lines.push(line);
    this.ops.push({ op: 'event', epoch: this.epoch, record: r, line });
    const at = this.now();
    switch (r.ev) {
      case 'admit': {
        this.known.add(r.job);
        const p = this.pending.get(r.job);
        if (!p) break;
        this.pending.delete(r.job);
        this.ops.push({ op: 'insert-job', job: p.job });
        if (p.nonce) this.ops.push({ op: 'nonce', keyId: p.nonce.keyId, nonce: p.nonce.nonce, at });
        this.ops.push({ op: 'attestation', jobId: p.job.id, report: p.job.attestation!, at });
        this.metrics.admission('accepted', 'ok');
        this.settle.push(() => p.resolve({ kind: 'created', job: jobView(p.job) }));
        break;
      }
      case 'reject': {
        const p = this.pending.get(r.job);
        if (!p) {
          this.ops.push({ op: 'set-state', id: r.job, state: 'rejected', reason: r.reason, at });
          break;
        }
        this.pending.delete(r.job);
        this.metrics.admission('refused', r.reason);
        if (BACKPRESSURE.has(r.reason)) {
          const out: SubmitResult = r.reason === 'paused' ? { kind: 'paused', reason: this.admission.paused ?? '' } : { kind: 'backpressure', reason: 'queue-full', retryAfterSec: this.cfg.admission.queueFullRetryAfterSec };
          this.settle.push(() => p.resolve(out));
          break;
        }
        // A rejection for good (never-fits, over-quota): the job exists, and ended rejected.
        const job: StoredJob = { ...p.job, state: 'rejected', reason: r.reason, endedAt: at };
        this.ops.push({ op: 'insert-job', job });
        this.ops.push({ op: 'attestation', jobId: job.id, report: job.attestation!, at });
        this.settle.push(() => p.resolve({ kind: 'created', job: jobView(job) }));
        break;
      }
      case 'start': {
        this.ops.push({ op: 'start-run', jobId: r.job, epoch: this.epoch, node: r.node, gpus: r.gpus, at });
        const j = this.driver.core.jobs.get(r.job);
        if (j) this.metrics.waited((r.t - j.submit) / 1000);
        break;
      }
      case 'preempt':
        this.ops.push({ op: 'end-run', jobId: r.job, outcome: 'preempted', reason: r.reason, at });
        break;
      case 'node-loss':
        this.ops.push({ op: 'end-run', jobId: r.job, outcome: 'node-loss', at });
        break;
      case 'requeue':
        this.ops.push({ op: 'set-state', id: r.job, state: 'queued', at });
        break;
      case 'finish': {
        if (r.state === 'pending' || r.state === 'queued' || r.state === 'running' || r.state === 'preempted') break;
        const reason = this.killReasons.get(r.job) ?? r.reason ?? null;
        this.killReasons.delete(r.job);
        this.ops.push({ op: 'end-run', jobId: r.job, outcome: r.state, reason, at });
        this.ops.push({ op: 'set-state', id: r.job, state: r.state, reason, at });
        const j = this.driver.core.jobs.get(r.job);
        if (j && j.start >= 0) this.metrics.ran((r.t - j.start) / 1000);
        const w = this.finishWaiters.get(r.job);
        if (w) {
          this.finishWaiters.delete(r.job);
          this.settle.push(...w);
        }
        break;
      }
      default:
        break;
    }
    this.queueFlush();
  }

  /**
   * Group commit: everything the instant produced — with the driver batching the arrivals of one
   * event-loop turn, every submission of that turn — goes in one transaction (one fsync); then its
   * waiters are answered and its records streamed.
   */
  private flush(): void {
    this.flushQueued = false;
    const ops = this.ops;
    const lines = this.lines;
    const settle = this.settle;
    this.ops = [];
    this.lines = [];
    this.settle = [];
    // events.jsonl as it happens: the instant's records in one write.
    if (lines.length > 0) writeSync(this.eventsFd, lines.join('\n') + '\n');
    try {
      this.store.apply(ops);
    } catch (e) {
      // The store refused (disk full, I/O error): nothing of this instant is promised to anyone.
      this.log.error('store commit failed', { error: (e as Error).message });
      this.phase = 'draining';
      for (const p of this.pending.values()) p.resolve({ kind: 'unavailable', why: 'draining' });
      this.pending.clear();
      return;
    }
    for (const f of settle) f();
    for (const s of this.subscribers) for (const l of lines) s(l);
  }
}
