import { join, resolve } from 'node:path';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { JsonLogger } from '../live/json-log.ts';
import { detectSandbox, layerNames } from '../live/sandbox.ts';
import { Quotas, tenantQuotas } from '../quota/quotas.ts';
import type { CreateSessionRequest, ExecRequest, ExecResult } from '../sessions/api-schema.ts';
import { recoverSessions } from '../sessions/recover.ts';
import type { EndReason, SessionRecord } from '../sessions/session-lifecycle.ts';
import { SESSION_ERROR_STATUS, SessionManager } from '../sessions/session-manager.ts';
import { AGENT_SCRIPT } from '../sessions/session-worker.ts';
import type { ServiceConfig } from './config.ts';
import type { JobService } from './job-service.ts';
import type { SubmitResult } from './service-results.ts';
import { childEnv, socketPath } from './child-jobs.ts';
import { holdRequest, holdSpec } from './session-hold-request.ts';
import { SessionStore } from './session-store.ts';
import { sandboxLimits } from './start-up.ts';

/** A refusal of a session call: HTTP status, error code, message. */
export interface SessionRefusal {
  readonly kind: 'refused';
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly field?: string;
  readonly retryAfterSec?: number;
}
export type SessionCreateResult = { readonly kind: 'created'; readonly session: SessionRecord } | { readonly kind: 'submit'; readonly result: SubmitResult } | SessionRefusal;
export type SessionExecResult = { readonly kind: 'ok'; readonly result: ExecResult } | SessionRefusal;

const refused = (status: number, code: string, message: string, extra: { field?: string; retryAfterSec?: number } = {}): SessionRefusal => ({ kind: 'refused', status, code, message, ...extra });

/**
 * Sessions in the service (issue 14): the session engine (src/sessions) wired to the job service.
 * A create first takes a hold — a job of kind `session` that the core admits, places with the
 * configured placement policy and counts against the tenant's quota (session-holds.ts) — then
 * builds (or takes from the warm pool) the session's worker on the node the core chose. The
 * session's end completes the hold; a stop of the hold by the core (job cancel, kill switch) ends
 * the session. Every record change is in the state store's `sessions` table before the API
 * answers; a start after a crash ends the sessions left open with reason `service-restart`.
 */
export class SessionService {
  private manager: SessionManager | undefined;
  private readonly store: SessionStore;
  private readonly byJob = new Map<string, string>();
  private phase: 'starting' | 'ready' | 'closed' = 'starting';
  private readonly creates: Counter<'start'>;
  private readonly execSeconds: Histogram;
  /** What the start-up recovery ended (service-restart). */
  recovered: readonly SessionRecord[] = [];

  constructor(
    private readonly svc: JobService,
    private readonly cfg: ServiceConfig,
    private readonly log: JsonLogger,
  ) {
    this.store = new SessionStore(resolve(cfg.stateDir));
    const r = svc.metrics.registry;
    const open = () => this.manager?.list().filter((s) => s.state !== 'ended').length ?? 0;
    new Gauge({
      name: 'gpulab_sessions_open',
      help: 'Sessions open (ready or busy)',
      registers: [r],
      collect() {
        this.set(open());
      },
    });
    const pools = () => this.manager?.poolStats() ?? [];
    new Gauge({
      name: 'gpulab_session_pool_available',
      help: 'Warm session workers waiting, per template',
      labelNames: ['template'],
      registers: [r],
      collect() {
        this.reset();
        for (const p of pools()) this.set({ template: p.template }, p.available);
      },
    });
    this.creates = new Counter({ name: 'gpulab_session_creates_total', help: 'Sessions created, by start (warm: from the pool; cold: worker built for it)', labelNames: ['start'], registers: [r] });
    this.creates.inc({ start: 'warm' }, 0);
    this.creates.inc({ start: 'cold' }, 0);
    this.execSeconds = new Histogram({ name: 'gpulab_session_exec_seconds', help: 'Round trip of each session exec in the service, seconds', buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30], registers: [r] });
    svc.holds.onStop = (jobId, reason) => {
      const id = this.byJob.get(jobId);
      if (id) void this.manager?.end(id, reason === 'shutdown' ? 'shutdown' : 'cancelled');
    };
  }

  get ready(): boolean {
    return this.phase === 'ready';
  }

  /** After the job service recovered: ends what a crash left open, reaps its workers, fills the warm pools. */
  async start(): Promise<void> {
    const c = this.cfg;
    const root = join(resolve(c.stateDir), 'sessions');
    const layers = detectSandbox(c.sandbox.mode, { node: process.execPath, script: AGENT_SCRIPT }, sandboxLimits(c));
    const report = await recoverSessions({ root, layers, stored: this.store.open(), now: Date.now() });
    for (const r of report.ended) this.store.save(r);
    this.recovered = report.ended;
    this.log.info('sessions recovered', { ended: report.ended.length, killed: report.killed.length, cgroups: report.cgroups.length, dirs: report.dirs.length, problems: report.problems });
    const s = c.sessions;
    this.manager = new SessionManager({
      root,
      layers,
      templates: c.templates,
      persistence: { save: (r) => this.saved(r) },
      pidsMax: c.sandbox.pidsMax,
      setupTimeoutSec: s.setupTimeoutSec,
      outputCapBytes: s.outputCapBytes,
      defaultIdleTimeoutSec: s.defaultIdleTimeoutSec,
      defaultMaxLifetimeSec: s.defaultMaxLifetimeSec,
      defaultExecTimeoutSec: s.defaultExecTimeoutSec,
      maxExecTimeoutSec: s.maxExecTimeoutSec,
      // Child jobs: each session's execs get its token and the API socket (child-jobs.ts).
      sessionEnv: (r) => childEnv(this.svc.tokens, socketPath(c), r.id, r.tenant),
    });
    this.svc.holds.contexts.bind(this.manager, c.templates);
    this.svc.sessionState = (id) => (id.startsWith('ses_') ? this.get(id)?.state : undefined);
    this.manager.start();
    this.log.info('sessions ready', { templates: c.templates.map((t) => t.name), isolation: layerNames(layers, []) });
    this.phase = 'ready';
  }

  /** Each warm pool: its template, size (slots held), workers ready, workers recycled unused. */
  poolStats(): ReturnType<SessionManager['poolStats']> {
    return this.manager?.poolStats() ?? [];
  }

  /** Resolves when every warm pool is full (tests, benchmarks). */
  poolsFull(): Promise<void> {
    return this.manager?.poolsFull() ?? Promise.resolve();
  }

  /** The manager's persistence: the record stored; an ended session's hold released (committed) before the manager answers. */
  private async saved(r: SessionRecord): Promise<void> {
    // An exec's busy/ready changes need no fsync (session-store.ts); a create and an end do.
    const known = r.jobId !== undefined && this.byJob.has(r.jobId);
    this.store.save(r, r.state === 'ended' || !known);
    if (r.jobId === undefined) return;
    if (r.state !== 'ended') {
      this.byJob.set(r.jobId, r.id);
      return;
    }
    this.byJob.delete(r.jobId);
    await this.svc.releaseHold(r.jobId, `session ${r.endReason ?? 'ended'}`);
    // Its child jobs end with it, as a cancelled job's do.
    await this.svc.cancelChildren(r.id);
  }

  private notReady(): SessionRefusal {
    return refused(503, this.phase === 'closed' ? 'draining' : 'recovering', this.phase === 'closed' ? 'the service is shutting down' : 'sessions are starting; try again shortly', { retryAfterSec: 1 });
  }

  /** `raw`: the body as sent (a signed manifest's jobHash covers it when attestation is on). */
  async create(req: CreateSessionRequest, raw: Readonly<Record<string, unknown>>): Promise<SessionCreateResult> {
    const m = this.manager;
    if (!m || this.phase !== 'ready') return this.notReady();
    const t = this.cfg.templates.find((x) => x.name === req.template);
    if (!t) return refused(400, 'unknown-template', `unknown template '${req.template}' (known: ${this.cfg.templates.map((x) => x.name).join(', ') || 'none'})`, { field: 'template' });
    const lifetime = req.maxLifetimeSec ?? this.cfg.sessions.defaultMaxLifetimeSec;
    const jr = holdRequest(req, t);
    const h = await this.svc.hold(jr, raw, (id) => holdSpec(id, jr, lifetime));
    if (h.kind !== 'created') return { kind: 'submit', result: h };
    const jobId = h.job.id;
    if (h.job.state === 'rejected') return refused(403, `session-${h.job.reason ?? 'rejected'}`, `template '${t.name}' can never be placed for tenant '${req.tenant}': ${h.job.reason} (hold job ${jobId})`);
    const node = this.svc.holds.node(jobId);
    if (node === undefined) {
      // Not placed at once: a session does not wait in the queue. Withdraw the hold and say why.
      const quota = this.quotaBlocks(req.tenant, jr.gpus * jr.milli);
      await this.svc.cancel(jobId);
      return quota
        ? refused(429, 'session-quota-exceeded', `tenant '${req.tenant}': ${quota}; end a session or wait for jobs to finish`, { retryAfterSec: 5 })
        : refused(429, 'session-no-capacity', `no node has room for template '${t.name}' (cpu ${t.resources.cpuMilli}m, ${t.resources.memoryMiB} MiB, gpu ${t.resources.gpuMilli ?? 0}m) now`, { retryAfterSec: 5 });
    }
    // Warm or cold was decided when the core started the hold (session-warm-starts.ts), when a template names a warm-pool policy.
    const worker = this.svc.holds.contexts.claim(jobId);
    const out = await m.create(req, { node, jobId, ...(worker !== undefined ? { worker } : {}) });
    if (out.kind !== 'created') {
      if (this.svc.holds.node(jobId) !== undefined) this.svc.holds.contexts.noInstance(jobId);
      await this.svc.releaseHold(jobId, `session create failed: ${out.kind}`);
      return refused(SESSION_ERROR_STATUS[out.kind], out.kind, out.message);
    }
    this.creates.inc({ start: out.session.cold ? 'cold' : 'warm' });
    // The core stopped the hold while the worker was being built (kill switch, cancel).
    if (this.svc.holds.node(jobId) === undefined) await m.end(out.session.id, 'cancelled');
    return { kind: 'created', session: m.get(out.session.id) ?? out.session };
  }

  /** Why the tenant's quota keeps `demand` milli-GPU more from starting now, if it does. */
  private quotaBlocks(tenant: string, demand: number): string | undefined {
    if (demand === 0) return undefined;
    const q = tenantQuotas(this.cfg.tenants);
    if (q.length === 0) return undefined;
    const use = new Map<string, number>();
    for (const j of this.svc.core.jobs.values()) if (j.state === 'running') use.set(j.tenant, (use.get(j.tenant) ?? 0) + j.gpus * j.milli);
    const o = new Quotas(q).admit(tenant, demand, (t) => use.get(t) ?? 0);
    return o.kind === 'over' ? `GPU quota reached (${o.reason}, milli-GPU)` : undefined;
  }

  async exec(id: string, req: ExecRequest): Promise<SessionExecResult> {
    const m = this.manager;
    if (!m || this.phase !== 'ready') return this.notReady();
    if (!m.get(id)) return this.store.get(id) ? refused(410, 'ended', `session '${id}' ended (${this.store.get(id)!.endReason})`) : refused(404, 'not-found', `no session '${id}'`, { field: 'id' });
    const t0 = performance.now();
    const r = await m.exec(id, req);
    if (r.kind !== 'ok') return refused(SESSION_ERROR_STATUS[r.kind], r.kind, r.message);
    this.execSeconds.observe((performance.now() - t0) / 1000);
    return r;
  }

  get(id: string): SessionRecord | undefined {
    return this.manager?.get(id) ?? this.store.get(id);
  }

  /** The newest sessions (of `tenant`), oldest first, at most `limit`. */
  list(tenant: string | undefined, limit: number): SessionRecord[] {
    return this.store.list(tenant, limit);
  }

  async end(id: string, reason: EndReason = 'deleted'): Promise<{ kind: 'ended'; session: SessionRecord } | SessionRefusal> {
    const m = this.manager;
    if (!m || this.phase !== 'ready') return this.notReady();
    const r = await m.end(id, reason);
    if ('session' in r) return { kind: 'ended', session: r.session };
    const stored = this.store.get(id);
    return stored ? { kind: 'ended', session: stored } : refused(404, 'not-found', `no session '${id}'`, { field: 'id' });
  }

  /** Ends every session (`shutdown`), releasing their holds, and empties the warm pools. Before the job service's close. */
  async close(): Promise<void> {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    await this.manager?.close();
    this.store.close();
  }
}
