import type { ClusterView } from '../cluster/types.ts';
import type { JobView } from '../jobs/job.ts';
import type { PlacementPolicy, PolicyContext, QueuePolicy, SchedulerView } from '../scheduler/policy.ts';
import { readOnly } from './readonly.ts';

/**
 * How the kit calls a policy under test: through read-only proxies of its views (readonly.ts),
 * timed against a per-call budget, and recorded where a hang watchdog can see it (isolate.ts).
 * `guardPolicy` wraps a policy object once; the wrapper inherits from the original, so its name,
 * claims and any other fields stay visible.
 */

/** A call past the per-call budget: what it was, and how big its input was. */
export class BudgetError extends Error {
  override name = 'BudgetError';
}

/** The call in progress, for the hang watchdog (isolate.ts writes it to shared memory). */
export interface KitRecorder {
  enter(policy: string, method: string, job: string, now: number, size: string): void;
  exit(): void;
}

export interface CallLimits {
  /** Wall-clock ms one call may take; a call that returns later fails the case (BudgetError). */
  budgetMs: number;
  recorder?: KitRecorder;
  /**
   * Whether calls get read-only proxies of their views. A proxy costs about 3× on a deep queue, so
   * the purity properties turn it on for their runs (`withReadOnlyViews`); the rest see the views.
   */
  readOnlyViews: boolean;
  /**
   * The first overrun of the property in progress. Once set, every further call fails at once
   * with it: shrinking a pathologically slow case would otherwise re-run the slow calls hundreds
   * of times. The kit reports this message and the case it happened in (kit.ts).
   */
  overrun?: { readonly message: string; readonly at?: unknown };
  /** The case being simulated (sim-run.ts sets it), kept with an overrun. */
  currentCase?: unknown;
}

/** Process-wide: the kit runs one subject at a time (per thread). */
export const limits: CallLimits = { budgetMs: 1000, readOnlyViews: false };

export function withReadOnlyViews<T>(fn: () => T): T {
  const was = limits.readOnlyViews;
  limits.readOnlyViews = true;
  try {
    return fn();
  } finally {
    limits.readOnlyViews = was;
  }
}

const ro = <T>(x: T, path: string): T => (limits.readOnlyViews ? readOnly(x, path) : x);

const GUARDED = Symbol('gpulab.conformance.guarded');

function sizeOfView(v: SchedulerView): string {
  return `${v.queue.length} queued, ${v.running.length} running, ${v.cluster.nodes.length} nodes`;
}

/**
 * Runs one policy call `fn` where the hang watchdog can see it and against the per-call budget
 * (a later return throws BudgetError naming the call); `size` describes its input.
 */
export function timed<T>(policy: string, method: string, job: string, now: number, size: () => string, fn: () => T): T {
  if (limits.overrun) throw new BudgetError(limits.overrun.message);
  const rec = limits.recorder;
  rec?.enter(policy, method, job, now, size());
  const t0 = performance.now();
  try {
    return fn();
  } finally {
    rec?.exit();
    const took = performance.now() - t0;
    if (took > limits.budgetMs) {
      const message = `${policy} took ${Math.round(took)} ms in ${method}(${job ? `job ${job}` : ''}) at t=${(now / 1000).toFixed(3)} s with ${size()} (per-call budget ${limits.budgetMs} ms)`;
      limits.overrun = { message, at: limits.currentCase };
      // eslint-disable-next-line no-unsafe-finally -- a budget overrun replaces the result on purpose
      throw new BudgetError(message);
    }
  }
}

export function guardQueue(p: QueuePolicy): QueuePolicy {
  if ((p as unknown as Record<symbol, unknown>)[GUARDED]) return p;
  const g = Object.create(p) as QueuePolicy & Record<symbol, unknown>;
  const label = `queue policy '${p.name}'`;
  Object.defineProperty(g, GUARDED, { value: true });
  Object.defineProperty(g, 'order', {
    value: (view: SchedulerView, ctx: PolicyContext) => timed(label, 'order', '', ctx.now, () => sizeOfView(view), () => p.order(ro(view, 'view'), ctx)),
  });
  if (p.lazyOrder) {
    const lazy = p.lazyOrder.bind(p);
    // Each step is a timed call, over read-only views, as the pass reads it.
    Object.defineProperty(g, 'lazyOrder', {
      value: function* (view: SchedulerView, ctx: PolicyContext): Generator<JobView> {
        const it = timed(label, 'lazyOrder', '', ctx.now, () => sizeOfView(view), () => lazy(ro(view, 'view'), ctx)[Symbol.iterator]());
        for (;;) {
          const step = timed(label, 'lazyOrder', '', ctx.now, () => sizeOfView(view), () => it.next());
          if (step.done) return;
          yield step.value;
        }
      },
    });
  }
  if (p.victims) {
    const victims = p.victims.bind(p);
    Object.defineProperty(g, 'victims', {
      value: (view: SchedulerView, ctx: PolicyContext) => timed(label, 'victims', '', ctx.now, () => sizeOfView(view), () => victims(ro(view, 'view'), ctx)),
    });
  }
  return g;
}

export function guardPlacement(p: PlacementPolicy): PlacementPolicy {
  if ((p as unknown as Record<symbol, unknown>)[GUARDED]) return p;
  const g = Object.create(p) as PlacementPolicy & Record<symbol, unknown>;
  const label = `placement policy '${p.name}'`;
  Object.defineProperty(g, GUARDED, { value: true });
  Object.defineProperty(g, 'place', {
    value: (job: JobView, cluster: ClusterView, ctx: PolicyContext) =>
      timed(label, 'place', job.id, ctx.now, () => `${cluster.nodes.length} nodes`, () => p.place(ro(job, 'job'), ro(cluster, 'cluster'), ctx)),
  });
  return g;
}
