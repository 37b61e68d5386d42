import { parseLogRecord, type LogRecord } from '../log/records.ts';
import { RunWriter } from '../output/run-writer.ts';
import { Quotas } from '../quota/quotas.ts';
import { simulate, type SimInput, type SimResult } from '../sim/simulate.ts';
import type { GeneratedScenario, SchedulerOptions } from './arbitraries.ts';
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
  const res = simulate({
    run: 'conformance',
    seed: sc.seed,
    nodes: sc.nodes,
    jobs: sc.jobs,
    // Every kit run calls the policies through read-only views, timed (guarded.ts).
    queue: guardQueue(s.queue),
    placement: guardPlacement(s.placement),
    log,
    ...(sc.tenants ? { tenants: sc.tenants } : {}),
    headOfLine: sc.headOfLine,
    maxQueue: sc.maxQueue,
    cancels: sc.cancels,
    ...(sc.scheduler || sc.failures ? { scheduler: { ...(sc.scheduler ? coreOptions(sc.scheduler) : {}), ...(sc.failures ? { onNodeLoss: sc.failures.onNodeLoss } : {}) } } : {}),
    ...(sc.failures ? { failures: { events: sc.failures.events, ...(sc.failures.random ? { random: sc.failures.random } : {}) } } : {}),
    until,
  });
  const digest = log.close();
  const lines = log.lines!;
  // Read back through the log's schema: every property run also checks what the producers write.
  const recs = lines.map((l, i): LogRecord => {
    const o = parseLogRecord(l, `conformance events.jsonl:${i + 1}`);
    if (o.kind === 'blank') throw new Error(`conformance events.jsonl:${i + 1}: blank line`);
    return o.record;
  });
  return { lines, recs, digest, res };
}

function coreOptions(o: SchedulerOptions): NonNullable<SimInput['scheduler']> {
  const { quotas, ...rest } = o;
  return { ...rest, ...(quotas ? { quotas: new Quotas(quotas) } : {}) };
}
