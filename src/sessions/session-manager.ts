import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { dirname, isAbsolute } from 'node:path';
import type { SandboxLayers } from '../live/sandbox.ts';
import type { CreateSessionRequest, ExecRequest, ExecResult } from './api-schema.ts';
import { transition, type EndReason, type SessionPersistence, type SessionRecord } from './session-lifecycle.ts';
import { SessionWorker, type WorkerOptions } from './session-worker.ts';
import type { KeepDecision } from '../context/warm-pool-policy.ts';
import { PolicyPool } from './policy-pool.ts';
import { poolPolicy, pythonAvailable, type Template } from './template.ts';
import { WarmPool } from './warm-pool.ts';

/** Why a session call was refused; `SESSION_ERROR_STATUS` maps each kind to its HTTP status. */
export type SessionErrorKind = 'not-found' | 'ended' | 'busy' | 'unknown-template' | 'worker-failed' | 'unsupported-language' | 'worker-lost' | 'closed';
export interface SessionError {
  readonly kind: SessionErrorKind;
  readonly message: string;
}
export const SESSION_ERROR_STATUS: Readonly<Record<SessionErrorKind, number>> = {
  'not-found': 404,
  ended: 410,
  busy: 409,
  'unknown-template': 400,
  'unsupported-language': 400,
  'worker-failed': 503,
  'worker-lost': 502,
  closed: 503,
};

export type CreateOutcome = { readonly kind: 'created'; readonly session: SessionRecord } | SessionError;
export type ExecOutcome = { readonly kind: 'ok'; readonly result: ExecResult } | SessionError;
export type EndOutcome = { readonly kind: 'ended'; readonly session: SessionRecord } | SessionError;

/** Every bound is a named setting with a default (seconds, bytes). */
export interface SessionManagerOptions {
  /** Absolute directory for the workers' working directories; the manager owns all of it. */
  readonly root: string;
  readonly layers: SandboxLayers;
  readonly templates: readonly Template[];
  /** The node name reported in session records. */
  readonly node?: string;
  readonly persistence?: SessionPersistence;
  /** Processes at most per session (cgroup pids.max); default 128. */
  readonly pidsMax?: number;
  /** Bound on a template's setup commands together; default 120 s. */
  readonly setupTimeoutSec?: number;
  /** Bytes kept per stream of one exec's output; default 64 KiB. */
  readonly outputCapBytes?: number;
  readonly defaultIdleTimeoutSec?: number;
  readonly defaultMaxLifetimeSec?: number;
  /** An exec's timeout when the request names none; default 30 s. */
  readonly defaultExecTimeoutSec?: number;
  /** Upper bound on any exec's timeout; default 600 s. */
  readonly maxExecTimeoutSec?: number;
  /** Worker builds under way at most per warm pool; default 4. */
  readonly poolParallelBuilds?: number;
  /** Ended sessions kept in memory for `get`/`list` (oldest dropped first); default 1000. */
  readonly maxEndedKept?: number;
  /** Wall clock, ms since the epoch (records' times). */
  readonly now?: () => number;
  /** Variables a session's execs see, from its record (e.g. the service's child-job token). */
  readonly sessionEnv?: (r: SessionRecord) => Readonly<Record<string, string>>;
}

interface Entry {
  record: SessionRecord;
  readonly worker: SessionWorker;
  idle?: NodeJS.Timeout;
  lifetime?: NodeJS.Timeout;
  ending?: Promise<SessionRecord>;
}

/**
 * Sessions on one machine: each holds one sandboxed worker (its own process tree, cgroup and
 * working directory) built from a template, taken from the template's warm pool when one is
 * waiting. Runs one exec at a time per session; ends a session on delete, idle timeout or max
 * lifetime and reclaims its worker. Every record change goes to `persistence`. Placement and
 * quotas are the caller's: the manager runs what it is asked to.
 * Call `recoverSessions` on the same root before `start` after a crash.
 */
export class SessionManager {
  private readonly sessions = new Map<string, Entry>();
  private readonly templates = new Map<string, Template>();
  private readonly pools = new Map<string, WarmPool | PolicyPool>();
  /** The latest measured worker build (setup included) per template, ms. */
  private readonly buildMs = new Map<string, number>();
  private readonly wo: WorkerOptions;
  private readonly now: () => number;
  private closed = false;
  /** Creates served from a warm pool and built on demand. */
  readonly counts = { warm: 0, cold: 0 };

  constructor(private readonly o: SessionManagerOptions) {
    if (!isAbsolute(o.root)) throw new Error(`sessions root must be an absolute path, not '${o.root}'`);
    mkdirSync(o.root, { recursive: true });
    // Workers run as another uid: they must be able to reach their own directory below the root.
    chmodSync(o.root, 0o711);
    // (No template: no worker will ever need it.)
    if (o.layers.unprivilegedUid && o.templates.length > 0) {
      for (let d = dirname(o.root); ; d = dirname(d)) {
        if ((statSync(d).mode & 0o001) === 0) throw new Error(`sessions root ${o.root}: ${d} is not searchable by other users (chmod o+x), so session workers (uid nobody) cannot reach their working directories`);
        if (d === dirname(d)) break;
      }
    }
    this.now = o.now ?? Date.now;
    this.wo = { root: o.root, layers: o.layers, pidsMax: o.pidsMax ?? 128, setupTimeoutMs: (o.setupTimeoutSec ?? 120) * 1000 };
    for (const t of o.templates) {
      this.templates.set(t.name, t);
      if (poolPolicy(t)) this.pools.set(t.name, new PolicyPool(t, this.wo, this.now));
      else if (t.warmPool && 'size' in t.warmPool && t.warmPool.size > 0) this.pools.set(t.name, new WarmPool(t, this.wo, o.poolParallelBuilds ?? 4));
    }
  }

  /** Starts filling the warm pools (in the background). */
  start(): void {
    for (const p of this.pools.values()) if (p instanceof WarmPool) p.fill();
  }

  /** Resolves when every warm pool is full. */
  async poolsFull(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => (p instanceof WarmPool ? p.full() : p.settled())));
  }

  /**
   * Takes a ready worker of `template` from its pool for a create about to happen (the service
   * decides warm or cold when the core starts the session's hold, and passes the worker on to
   * `create`); undefined when none waits. The caller owns the worker: create with it or destroy it.
   */
  reserve(template: string): SessionWorker | undefined {
    return this.pools.get(template)?.take();
  }

  /** A session of `template` ended: its policy-driven pool applies the policy's decision. */
  released(template: string, d: KeepDecision): void {
    const p = this.pools.get(template);
    if (p instanceof PolicyPool) p.released(d);
  }

  /** Workers of `template` ready in its pool now. */
  idle(template: string): number {
    return this.pools.get(template)?.available ?? 0;
  }

  /** The latest measured build of a worker of `template` (ms; 0 before the first). */
  lastBuildMs(template: string): number {
    return this.buildMs.get(template) ?? 0;
  }

  poolStats(): { template: string; size: number; available: number; recycled: number; lastError?: string }[] {
    return [...this.pools.values()].map((p) => ({ template: p.template.name, size: p.size, available: p.available, recycled: p.recycled, ...(p.lastError ? { lastError: p.lastError } : {}) }));
  }

  /** `placement`: where the caller placed the session (its node, and the job that holds its resources). */
  /**
   * `placement`: where the caller placed the session (its node, and the job that holds its
   * resources); `worker`: one the caller reserved (`reserve`), or null to build one (a cold start
   * decided by the caller); absent: taken from the pool when one waits.
   */
  async create(req: CreateSessionRequest, placement?: { readonly node: string; readonly jobId?: string; readonly worker?: SessionWorker | null }): Promise<CreateOutcome> {
    const given = placement?.worker;
    if (this.closed) {
      if (given) await given.destroy();
      return { kind: 'closed', message: 'the session manager is shut down' };
    }
    const t = this.templates.get(req.template);
    if (!t) {
      if (given) await given.destroy();
      return { kind: 'unknown-template', message: `unknown template '${req.template}' (known: ${[...this.templates.keys()].join(', ') || 'none'})` };
    }
    let worker = given === undefined ? this.pools.get(t.name)?.take() : (given ?? undefined);
    const cold = worker === undefined;
    if (!worker) {
      const r = await SessionWorker.start(t, this.wo);
      if (r.kind === 'failed') return { kind: 'worker-failed', message: `template '${t.name}': ${r.message}` };
      worker = r.worker;
      this.buildMs.set(t.name, worker.startMs);
    }
    if (this.closed) {
      await worker.destroy();
      return { kind: 'closed', message: 'the session manager shut down during the create' };
    }
    this.counts[cold ? 'cold' : 'warm']++;
    const now = this.now();
    const e: Entry = {
      worker,
      record: {
        id: `ses_${randomBytes(8).toString('hex')}`,
        tenant: req.tenant,
        template: t.name,
        node: placement?.node ?? this.o.node ?? 'local',
        ...(placement?.jobId !== undefined ? { jobId: placement.jobId } : {}),
        state: 'ready',
        cold,
        createdAt: now,
        lastActiveAt: now,
        idleTimeoutSec: req.idleTimeoutSec ?? this.o.defaultIdleTimeoutSec ?? 300,
        maxLifetimeSec: req.maxLifetimeSec ?? this.o.defaultMaxLifetimeSec ?? 3600,
        execs: 0,
        workerId: worker.id,
        workerStartMs: worker.startMs,
      },
    };
    this.sessions.set(e.record.id, e);
    if (this.o.sessionEnv) worker.setEnv(this.o.sessionEnv(e.record));
    worker.onLost = () => void this.endEntry(e, 'worker-lost');
    e.lifetime = setTimeout(() => void this.endEntry(e, 'max-lifetime'), e.record.maxLifetimeSec * 1000).unref();
    this.armIdle(e);
    try {
      await this.o.persistence?.save(e.record);
    } catch (err) {
      // Not stored, so not answered: the session must not run on unseen.
      await this.endEntry(e, 'shutdown').catch(() => undefined);
      this.sessions.delete(e.record.id);
      throw err;
    }
    return { kind: 'created', session: e.record };
  }

  /** Runs one exec; a second one while the first runs is refused (`busy`). */
  async exec(id: string, req: ExecRequest): Promise<ExecOutcome> {
    const e = this.sessions.get(id);
    if (!e) return { kind: 'not-found', message: `no session '${id}'` };
    if (e.record.state === 'ended') return { kind: 'ended', message: `session '${id}' ended (${e.record.endReason})` };
    if (e.record.state === 'busy') return { kind: 'busy', message: `session '${id}' is running an exec; one at a time` };
    if (req.language === 'python') {
      const py = pythonAvailable();
      if (!py.ok) return { kind: 'unsupported-language', message: py.reason };
    }
    if (e.idle) clearTimeout(e.idle);
    this.update(e, { state: transition(e.record.state, 'exec') });
    try {
      await this.o.persistence?.save(e.record);
    } catch (err) {
      if (!e.ending) {
        this.update(e, { state: transition(e.record.state, 'exec-done') });
        this.armIdle(e);
      }
      throw err;
    }
    const maxSec = this.o.maxExecTimeoutSec ?? 600;
    const timeoutMs = Math.round(Math.min(req.timeoutSec ?? this.o.defaultExecTimeoutSec ?? 30, maxSec) * 1000);
    const r = await e.worker.exec(req, timeoutMs, this.o.outputCapBytes ?? 64 * 1024);
    if (r.kind === 'lost' || e.ending) {
      const ended = await this.endEntry(e, 'worker-lost');
      if (ended.endReason === 'worker-lost') return { kind: 'worker-lost', message: `session '${id}': ${r.kind === 'lost' ? r.message : 'worker lost'}` };
      return { kind: 'ended', message: `session '${id}' ended (${ended.endReason}) during the exec` };
    }
    this.update(e, { state: transition(e.record.state, 'exec-done'), execs: e.record.execs + 1, lastActiveAt: this.now() });
    this.armIdle(e);
    await this.o.persistence?.save(e.record);
    return { kind: 'ok', result: r.result };
  }

  get(id: string): SessionRecord | undefined {
    return this.sessions.get(id)?.record;
  }

  /** Sessions (ended ones still kept included), oldest first, ties by id. */
  list(filter: { tenant?: string } = {}): SessionRecord[] {
    return [...this.sessions.values()]
      .map((e) => e.record)
      .filter((r) => filter.tenant === undefined || r.tenant === filter.tenant)
      .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Ends a session and reclaims its worker; resolves after the reclaim. Idempotent. */
  async end(id: string, reason: EndReason = 'deleted'): Promise<EndOutcome> {
    const e = this.sessions.get(id);
    if (!e) return { kind: 'not-found', message: `no session '${id}'` };
    return { kind: 'ended', session: await this.endEntry(e, reason) };
  }

  /** Ends every session (`shutdown`) and empties the warm pools. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.sessions.values()].map((e) => this.endEntry(e, 'shutdown')));
    await Promise.all([...this.pools.values()].map((p) => p.close()));
  }

  private update(e: Entry, change: Partial<SessionRecord>): void {
    e.record = { ...e.record, ...change };
  }

  private armIdle(e: Entry): void {
    if (e.idle) clearTimeout(e.idle);
    e.idle = setTimeout(() => void this.endEntry(e, 'idle-timeout'), e.record.idleTimeoutSec * 1000).unref();
  }

  private endEntry(e: Entry, reason: EndReason): Promise<SessionRecord> {
    e.ending ??= (async () => {
      if (e.idle) clearTimeout(e.idle);
      if (e.lifetime) clearTimeout(e.lifetime);
      this.update(e, { state: transition(e.record.state, 'end'), endedAt: this.now(), endReason: reason });
      const left = await e.worker.destroy();
      if (left.length > 0) this.update(e, { leftovers: left });
      await this.o.persistence?.save(e.record);
      this.pruneEnded();
      return e.record;
    })();
    return e.ending;
  }

  private pruneEnded(): void {
    const max = this.o.maxEndedKept ?? 1000;
    const ended = [...this.sessions.values()].filter((e) => e.record.state === 'ended');
    if (ended.length <= max) return;
    ended.sort((a, b) => (a.record.endedAt ?? 0) - (b.record.endedAt ?? 0));
    for (const e of ended.slice(0, ended.length - max)) this.sessions.delete(e.record.id);
  }
}
