import fc from 'fast-check';
import type { PlacementPolicy, QueuePolicy } from '../scheduler/policy.ts';
import { placementPolicyFactory, placementPolicyNames, queuePolicyFactory, queuePolicyNames, type PolicyParams } from '../scheduler/registry.ts';
import { describeScenario, type GeneratedScenario } from './arbitraries.ts';
import { causeOf, causeRank } from './causes.ts';
import { guardPlacement, guardQueue, limits, type CallLimits } from './guarded.ts';
import { PROPERTIES, type Subject } from './properties.ts';
import type { Claims, PropertyDef } from './subject.ts';

export interface PropertyResult {
  readonly property: string;
  readonly description: string;
  readonly status: 'pass' | 'fail' | 'n/a';
  readonly runs: number;
  /** Shrunk counterexample, printed (generated scenarios print as readable scenarios). */
  readonly counterexample?: string;
  /** The shrunk counterexample itself: the property's arguments. */
  readonly counterexampleValue?: readonly unknown[];
  readonly error?: string;
  /** Plain-language root cause (causes.ts): failures with the same cause are reported together. */
  readonly cause?: string;
  /** Jobs in the counterexample scenario (shortest first when grouped). */
  readonly size?: number;
  /** Seed and path to replay the failure with fast-check. */
  readonly replay?: { seed: number; path: string };
  /** Wall time of the property, ms. */
  readonly ms?: number;
}

export interface KitOptions {
  /** Generated cases per property (default: GPULAB_CONFORMANCE_RUNS or 50). */
  readonly numRuns?: number;
  /** fast-check seed (default DEFAULT_SEED): the same seed generates the same cases. */
  readonly seed?: number;
  /** Only these properties. */
  readonly only?: readonly string[];
  /** Wall-clock budget of one policy call, ms (default 1000): a slower call fails the case. */
  readonly callBudgetMs?: number;
  /** Stop generating (and shrinking) a property after this long, ms (default: none). */
  readonly timeLimitMs?: number;
  /** Called before each property (the isolating worker reports progress with it). */
  readonly onProperty?: (name: string) => void;
}

/** The seed every check uses unless told otherwise: results are reproducible run to run. */
export const DEFAULT_SEED = 20250615;

/**
 * Generated cases per property: GPULAB_CONFORMANCE_RUNS when set, else `fallback`. A value that is
 * not a positive integer is an error naming the variable (it used to fall back without a word).
 */
export function defaultRuns(fallback = 50, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env['GPULAB_CONFORMANCE_RUNS'];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`GPULAB_CONFORMANCE_RUNS: expected a positive integer, got '${raw}'`);
  return n;
}

/**
 * Parameter sets checked besides a registered policy's defaults, where options change what it
 * does (preemption, time-driven queues). Names not registered are ignored. Each set goes through
 * the policy's params schema, as a scenario's `params:` would.
 */
export const PARAM_VARIANTS: Readonly<Record<string, readonly PolicyParams[]>> = {
  priority: [{ preempt: true }],
  las: [{ thresholdsGpuSec: [1, 10] }],
};

/**
 * Claims of shipped policies that their own `claims` field (typed by `QueuePolicy`) cannot state
 * yet: priority orders by class, and preempts strictly lower classes only. With `preempt: true`
 * it does not keep priorityOrder: the core tries the jobs victims were named for first, whatever
 * their class, and with head-of-line blocking a plan counts the higher-class jobs that fit
 * directly as started while the blocked pass leaves them queued, so a lower class starts ahead of
 * them (kit finding, pinned in test/conformance-kit.test.ts).
 */
export function shippedClaims(name: string, params: PolicyParams): Claims | undefined {
  if (name === 'priority') return params.preempt === true ? { preemptsOnlyLower: true } : { priorityOrder: true, preemptsOnlyLower: true };
  return undefined;
}

/**
 * A placement policy is checked with fifo queueing; a queue policy with first-fit placement. The
 * policy is called through the kit's guard (read-only views in the purity checks, timed calls);
 * `fresh` builds a new instance (its factory) for the state-across-calls check.
 */
export function subjectFor(policy: QueuePolicy | PlacementPolicy, fresh?: () => QueuePolicy | PlacementPolicy, extraClaims?: Claims): Subject {
  const g = (p: QueuePolicy | PlacementPolicy) => ('place' in p ? guardPlacement(p) : guardQueue(p));
  const f = fresh ? () => g(fresh()) : undefined;
  const extra = extraClaims ? { extraClaims } : {};
  if ('place' in policy) return { focus: 'placement', placement: guardPlacement(policy), queue: queuePolicyFactory('fifo')({}), ...(f ? { fresh: f } : {}), ...extra };
  return { focus: 'queue', queue: guardQueue(policy), placement: placementPolicyFactory('first-fit')({}), ...(f ? { fresh: f } : {}), ...extra };
}

export interface NamedSubject {
  readonly kind: 'queue' | 'placement';
  /** Name, with params when not the defaults: `priority {"preempt":true}`. */
  readonly label: string;
  readonly name: string;
  readonly params: PolicyParams;
  readonly subject: Subject;
}

function label(name: string, params: object): string {
  return Object.keys(params).length === 0 ? name : `${name} ${JSON.stringify(params)}`;
}

/** A registered policy as a subject, built by its factory (so a fresh instance can be made). */
export function registeredSubject(kind: 'queue' | 'placement', name: string, params: PolicyParams = {}): NamedSubject {
  const make = () => (kind === 'queue' ? queuePolicyFactory(name)(params) : placementPolicyFactory(name)(params));
  return { kind, name, params, label: label(name, params), subject: subjectFor(make(), make, kind === 'queue' ? shippedClaims(name, params) : undefined) };
}

/** Every registered policy with its defaults and each PARAM_VARIANTS set (what `--all` checks). */
export function registeredSubjects(): NamedSubject[] {
  const out: NamedSubject[] = [];
  for (const n of queuePolicyNames()) for (const p of [{}, ...(PARAM_VARIANTS[n] ?? [])]) out.push(registeredSubject('queue', n, p));
  for (const n of placementPolicyNames()) for (const p of [{}, ...(PARAM_VARIANTS[n] ?? [])]) out.push(registeredSubject('placement', n, p));
  return out;
}

function isScenario(v: unknown): v is GeneratedScenario {
  return v !== null && typeof v === 'object' && Array.isArray((v as GeneratedScenario).jobs) && Array.isArray((v as GeneratedScenario).nodes);
}

/**
 * Removes jobs that the failure does not need (fast-check shrinks each generated number; a
 * realistic scenario's jobs come from a seeded stream, so this pass drops them one chunk at a
 * time while the property still fails with the same cause). Bounded by `budgetMs`.
 */
function dropIrrelevantJobs(p: PropertyDef, s: Subject, sc: GeneratedScenario, cause: string, budgetMs: number): GeneratedScenario {
  const end = performance.now() + budgetMs;
  const prop = p.property(s);
  const fails = (c: GeneratedScenario) => {
    const out = prop.run([c] as never) as { error?: unknown } | null;
    if (out === null || !('error' in out)) return false;
    const e = out.error as Error | undefined;
    return causeOf(e ? `${e.name}: ${e.message}` : String(e)) === cause;
  };
  const without = (c: GeneratedScenario, drop: ReadonlySet<string>): GeneratedScenario => ({
    ...c,
    jobs: c.jobs.filter((j) => !drop.has(j.id)),
    ...(c.cancels ? { cancels: c.cancels.filter((x) => !drop.has(x.job)) } : {}),
  });
  let cur = sc;
  for (let chunk = Math.ceil(cur.jobs.length / 2); chunk >= 1 && performance.now() < end; chunk = chunk === 1 ? 0 : Math.ceil(chunk / 2)) {
    for (let i = 0; i < cur.jobs.length && performance.now() < end; ) {
      const drop = new Set(cur.jobs.slice(i, i + chunk).map((j) => j.id));
      const next = without(cur, drop);
      if (next.jobs.length > 0 && fails(next)) cur = next;
      else i += chunk;
    }
  }
  return cur;
}

const MAX_PRINTED_LINES = 60;

/** A long scenario printed in part (the reproduce command regenerates it whole). */
function capLines(text: string): string {
  const lines = text.split('\n');
  return lines.length <= MAX_PRINTED_LINES ? text : [...lines.slice(0, MAX_PRINTED_LINES), `  … ${lines.length - MAX_PRINTED_LINES} more lines`].join('\n');
}

/** Runs every applicable property against `subject`, returning one result per property. */
export function checkSubject(subject: Subject, opts: KitOptions = {}): PropertyResult[] {
  const numRuns = opts.numRuns ?? defaultRuns();
  const seed = opts.seed ?? DEFAULT_SEED;
  const budgetBefore = limits.budgetMs;
  limits.budgetMs = opts.callBudgetMs ?? budgetBefore;
  try {
    return PROPERTIES.filter((p) => !opts.only || opts.only.includes(p.name)).map((p) => {
      if (!p.applies(subject)) return { property: p.name, description: p.description, status: 'n/a', runs: 0 };
      opts.onProperty?.(p.name);
      limits.overrun = undefined;
      const t0 = performance.now();
      const details = fc.check(p.property(subject), {
        numRuns,
        seed,
        ...(opts.timeLimitMs ? { interruptAfterTimeLimit: opts.timeLimitMs, markInterruptAsFailure: false } : {}),
      });
      if (!details.failed) return { property: p.name, description: p.description, status: 'pass', runs: details.numRuns, ms: performance.now() - t0 };
      const err = details.errorInstance as Error | undefined;
      let error = err ? `${err.name}: ${err.message}` : String(details.errorInstance);
      let value: readonly unknown[] | undefined = details.counterexample ?? undefined;
      const overrun = limits.overrun as CallLimits['overrun']; // set by the calls fc.check made
      limits.overrun = undefined;
      if (overrun) {
        // A slow call: the case it happened in, not a shrunk one (see CallLimits.overrun).
        error = `BudgetError: ${overrun.message}`;
        value = isScenario(overrun.at) ? [overrun.at] : value;
      }
      const cause = causeOf(error);
      // Not for the fair-share family: its premise (every tenant backlogged) needs every job.
      if (!overrun && value && value.length === 1 && isScenario(value[0]) && value[0].family !== 'fair-share' && value[0].jobs.length > 2) {
        const smaller = dropIrrelevantJobs(p, subject, value[0], cause, 3000);
        if (smaller !== value[0]) {
          // The message of the smaller case (its job ids and times), as printed with it.
          const out = p.property(subject).run([smaller] as never) as { error?: unknown } | null;
          const e = out && 'error' in out ? (out.error as Error | undefined) : undefined;
          if (e) error = `${e.name}: ${e.message}`;
          value = [smaller];
        }
      }
      const sc = value?.find(isScenario);
      return {
        property: p.name,
        description: p.description,
        status: 'fail',
        runs: details.numRuns,
        counterexample: value ? value.map((v: unknown) => (isScenario(v) ? capLines(describeScenario(v)) : fc.stringify(v))).join('\n') : undefined,
        counterexampleValue: value,
        error,
        cause,
        ...(sc ? { size: sc.jobs.length } : {}),
        replay: { seed: details.seed, path: details.counterexamplePath ?? '' },
        ms: performance.now() - t0,
      };
    });
  } finally {
    limits.budgetMs = budgetBefore;
  }
}

/**
 * One block per distinct root cause: the properties that found it, the smallest counterexample
 * first; blocks ordered from the most fundamental cause (causes.ts) to its usual consequences.
 */
export interface FailureGroup {
  readonly cause: string;
  readonly properties: readonly string[];
  /** The failure with the smallest counterexample (fewest jobs). */
  readonly first: PropertyResult;
}

export function groupFailures(results: readonly PropertyResult[]): FailureGroup[] {
  const by = new Map<string, PropertyResult[]>();
  for (const r of results) if (r.status === 'fail') by.set(r.cause!, [...(by.get(r.cause!) ?? []), r]);
  return [...by]
    .map(([cause, rs]) => {
      const sorted = [...rs].sort((a, b) => (a.size ?? 0) - (b.size ?? 0));
      return { cause, properties: rs.map((r) => r.property), first: sorted[0] };
    })
    .sort((a, b) => causeRank(a.cause) - causeRank(b.cause));
}
