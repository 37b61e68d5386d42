import type { Placement } from '../cluster/types.ts';
import { warmPoolPolicyFactory } from '../context/warm-pool-registry.ts';
import type { WarmPoolPolicy, WarmPoolView } from '../context/warm-pool-policy.ts';
import type { JobView } from '../jobs/job.ts';
import type { ContextHooks, StartOverhead } from '../scheduler/core-options.ts';
import type { WarmView } from '../scheduler/policy.ts';
import type { SessionManager } from '../sessions/session-manager.ts';
import type { SessionWorker } from '../sessions/session-worker.ts';
import { poolPolicy, type Template } from '../sessions/template.ts';

/** Arrivals kept per template for the policies' `arrivals` view (the oldest go first). */
const MAX_ARRIVALS = 100_000;

/** Whether any template's pool is policy-driven (then the service's core gets these hooks). */
export function sessionContextsNeeded(templates: readonly Template[]): boolean {
  return templates.some((t) => poolPolicy(t) !== undefined);
}

/**
 * The service's context hooks (the core's `contexts`, src/scheduler/core-options.ts): the same
 * extension point the simulator's warm state fills, so a session's hold job writes the same start
 * record fields (`context` = the template, `warm`, `overhead`) and the template's warm-pool
 * policy is asked the same question after each release.
 *
 * - `startOverhead`, when the core starts a session's hold: takes a ready pooled worker (warm) or
 *   none (cold) and keeps it for that hold's create (`claim`), so the record and the session agree.
 *   Overhead: 0 for warm (the take is a hand-over); for cold the template's latest measured build
 *   (ms) — the record is written before this build, so it carries the previous one (0 at first).
 *   No run time is charged (`ms: 0`): a live hold's time is real.
 * - `stopped`, when the hold ends (its session ended, its worker already destroyed): the policy's
 *   `afterRelease` over a view of now (wall ms), the template's ready pooled workers and its
 *   recent arrivals; the pool applies the decision (src/sessions/policy-pool.ts).
 * Jobs that are not session holds get no overhead and are not counted.
 * The pool is the machine's, not a node's: `idle` says the same for every node and `warmNodes`
 * lists none, so placement is not steered by it.
 */
export class SessionWarmStarts implements ContextHooks {
  private manager: SessionManager | undefined;
  private readonly policies = new Map<string, WarmPoolPolicy>();
  private readonly reserved = new Map<string, SessionWorker | null>();
  private readonly arrivalsOf = new Map<string, { t: number; tenant: string }[]>();
  /** Holds whose session was never created (its worker failed to build): their release leaves nothing warm. */
  private readonly unused = new Set<string>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Binds the session manager (SessionService.start) and builds each template's policy. */
  bind(manager: SessionManager, templates: readonly Template[]): void {
    this.manager = manager;
    for (const t of templates) {
      const p = poolPolicy(t);
      if (p) this.policies.set(t.name, warmPoolPolicyFactory(p.policy)(p.params as Record<string, unknown>));
    }
  }

  /** The worker reserved for hold `jobId` when the core started it: a worker (warm), null (cold), undefined (none reserved). */
  claim(jobId: string): SessionWorker | null | undefined {
    const w = this.reserved.get(jobId);
    this.reserved.delete(jobId);
    return w;
  }

  /** Hold `jobId`'s session was not created: its release asks no policy (the simulator's "stopped before ready"). */
  noInstance(jobId: string): void {
    this.unused.add(jobId);
  }

  readonly warm: WarmView = {
    idle: (_node, context) => this.manager?.idle(context) ?? 0,
    warmNodes: () => [],
    busy: () => 0,
  };

  startOverhead(job: JobView, _placement: Placement, _now: number): StartOverhead | undefined {
    const template = templateOf(job);
    if (template === undefined || !this.manager) return undefined;
    const w = this.manager.reserve(template);
    this.reserved.set(job.id, w ?? null);
    return { ms: 0, record: { context: template, warm: w !== undefined, overhead: w ? 0 : this.manager.lastBuildMs(template) } };
  }

  stopped(job: JobView, _now: number): void {
    const template = templateOf(job);
    if (template === undefined || !this.manager) return;
    // A hold stopped before its create took the reserved worker: nothing will use it.
    const left = this.claim(job.id);
    if (left) void left.destroy();
    const policy = this.policies.get(template);
    if (this.unused.delete(job.id) || !policy) return;
    const d = policy.afterRelease({ context: template, tenant: job.tenant, node: 0, milliGpu: job.gpus * job.milli }, this.view());
    if (!Number.isInteger(d.keep) || d.keep < 0 || (d.ttlMs !== undefined && !(d.ttlMs >= 0))) {
      throw new Error(`warm-pool policy '${policy.name}' returned ${JSON.stringify(d)} for template ${template} (want { keep: integer >= 0, ttlMs?: ms >= 0 })`);
    }
    this.manager.released(template, d);
  }

  arrived(job: JobView, _now: number): void {
    const template = templateOf(job);
    if (template === undefined) return;
    let a = this.arrivalsOf.get(template);
    if (!a) this.arrivalsOf.set(template, (a = []));
    a.push({ t: this.now(), tenant: job.tenant });
    if (a.length > MAX_ARRIVALS) a.splice(0, a.length - MAX_ARRIVALS);
  }

  nodeDown(): void {
    // Pooled workers run on this machine, not on the core's nodes: a node lost keeps them.
  }

  private view(): WarmPoolView {
    const now = this.now();
    const count = (context: string, since: number, tenant?: string) => (this.arrivalsOf.get(context) ?? []).filter((a) => a.t >= since && (tenant === undefined || a.tenant === tenant)).length;
    return {
      now,
      idle: (context) => this.manager?.idle(context) ?? 0,
      arrivals: (context, since) => count(context, since),
      tenantArrivals: (tenant, context, since) => count(context, since, tenant),
    };
  }
}

/** The template a session hold job runs, or undefined for any other job. */
function templateOf(job: JobView): string | undefined {
  const w = job.work as { kind?: unknown; template?: unknown } | undefined;
  return w?.kind === 'session' && typeof w.template === 'string' ? w.template : undefined;
}
