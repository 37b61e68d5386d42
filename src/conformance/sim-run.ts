import type { ClusterView } from '../cluster/types.ts';
import type { JobView } from '../jobs/job.ts';
import { parseLogRecord, type LogRecord } from '../log/records.ts';
import { RunWriter } from '../output/run-writer.ts';
import { Quotas } from '../quota/quotas.ts';
import { simulate, type SimInput, type SimResult } from '../sim/simulate.ts';
import { warmPoolPolicyFactory, warmPoolPolicyParams } from '../context/warm-pool-registry.ts';
import { WarmState } from '../context/warm-state.ts';
import type { PlacementOutcome, PlacementPolicy, PolicyContext } from '../scheduler/policy.ts';
import { checkParams } from '../scheduler/registry.ts';
import type { GeneratedContexts, GeneratedScenario, SchedulerOptions } from './arbitraries.ts';
import { guardPlacement, guardQueue, limits } from './guarded.ts';
import type { Subject } from './subject.ts';

let caseHook: ((sc: GeneratedScenario) => void) | undefined;

/** Called with every scenario about to be simulated (the isolating worker reports the case in progress). */
export function setCaseHook(hook: ((sc: GeneratedScenario) => void) | undefined): void {
  caseHook = hook;
}

export interface SimRun {
  /** The event log, line by line, exactly as written. */
  readonly lines: readonly string[];
  readonly recs: readonly LogRecord[];
  /** sha256 of the log bytes (RunWriter's digest). */
  readonly digest: string;
  readonly res: SimResult;
  /** Each `wait` answer of the placement policy: job id → [asked at, until] (ms), in call order. */
  readonly waits: ReadonlyMap<string, readonly (readonly [number, number])[]>;
}

/** Whether the placement asked `job` at or before `t` to wait past `t` (see `SimRun.waits`). */
export function waitingAt(run: SimRun, job: string, t: number): boolean {
  return run.waits.get(job)?.some(([at, until]) => at <= t && until > t) ?? false;
}

/**
 * Runs one generated scenario with `simulate` to completion (or `until`), keeping every log line.
 * Pass `log` to watch the writer while the run goes (e.g. its record count at a policy call).
 */
export function runSim(
  s: Subject,
  sc: GeneratedScenario,
  until?: number,
  log: RunWriter = new RunWriter(undefined, { keepLines: true }),
): SimRun {
  caseHook?.(sc);
  limits.currentCase = sc;
  const waits = new Map<string, [number, number][]>();
  const res = simulate({
    run: 'conformance',
    seed: sc.seed,
    nodes: sc.nodes,
    jobs: sc.jobs,
    // Every kit run calls the policies through read-only views, timed (guarded.ts).
    queue: guardQueue(s.queue),
    placement: recordingWaits(guardPlacement(s.placement), waits),
    log,
    ...(sc.tenants ? { tenants: sc.tenants } : {}),
    headOfLine: sc.headOfLine,
    maxQueue: sc.maxQueue,
    cancels: sc.cancels,
    ...(sc.scheduler || sc.failures || sc.contexts
      ? { scheduler: { ...(sc.scheduler ? coreOptions(sc.scheduler) : {}), ...(sc.failures ? { onNodeLoss: sc.failures.onNodeLoss } : {}), ...(sc.contexts ? { contexts: warmState(sc.contexts) } : {}) } }
      : {}),
    ...(sc.failures ? { failures: { events: sc.failures.events, ...(sc.failures.random ? { random: sc.failures.random } : {}) } } : {}),
    until,
  });
  const digest = log.close();
  const lines = log.lines!;
  return { lines, recs: logRecords(lines), digest, res, waits };
}

/** A kit run's log lines read back through the log's schema (every run also checks what the producers write). */
export function logRecords(lines: readonly string[]): LogRecord[] {
  return lines.map((l, i): LogRecord => {
    const o = parseLogRecord(l, `conformance events.jsonl:${i + 1}`);
    if (o.kind === 'blank') throw new Error(`conformance events.jsonl:${i + 1}: blank line`);
    return o.record;
  });
}

/** `p`, with every `wait` answer recorded in `waits`; inherits from `p` (name, claims stay visible). */
function recordingWaits(p: PlacementPolicy, waits: Map<string, [number, number][]>): PlacementPolicy {
  const g = Object.create(p) as PlacementPolicy;
  Object.defineProperty(g, 'place', {
    value: (job: JobView, cluster: ClusterView, ctx: PolicyContext): PlacementOutcome => {
      const out = p.place(job, cluster, ctx);
      if (out.kind === 'wait') {
        const list = waits.get(job.id) ?? [];
        list.push([ctx.now, out.until]);
        waits.set(job.id, list);
      }
      return out;
    },
  });
  return g;
}

/** A fresh warm state for one run (the warm-pool policy through its params schema, as a scenario's). */
function warmState(c: GeneratedContexts): WarmState {
  const r = checkParams(warmPoolPolicyParams(c.pool.policy), c.pool.params, 'contexts.pool.params');
  if (!r.ok) throw new Error(r.problems.join('; '));
  return new WarmState({ warmMs: c.warmMs, coldMs: c.coldMs }, warmPoolPolicyFactory(c.pool.policy)(c.pool.params as Record<string, unknown>));
}

function coreOptions(o: SchedulerOptions): NonNullable<SimInput['scheduler']> {
  const { quotas, ...rest } = o;
  return { ...rest, ...(quotas ? { quotas: new Quotas(quotas) } : {}) };
}
