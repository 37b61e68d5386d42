import { z } from 'zod';

/**
 * The event log: one record per line of `events.jsonl`, the single source of truth for every
 * other output of a run (jobs.csv, timeline.csv, metrics, the visualization). Simulated and live
 * runs write the same records. `t` is integer ms.
 *
 * This module is the bottom of the dependency graph (zod only), so the simulator, the CLI and the
 * browser viewer all read and check records with the one schema below. Arrays are `readonly` in
 * the inferred type so that producers can pass their own read-only data (node specs, job models)
 * without copying; objects are stripped of unknown keys when parsed (an older reader tolerates a
 * newer writer's extra fields).
 */

const int = z.number().int();
const ms = int.nonnegative();
/** A duration or an amount (ms, milli-GPU, milli-CPU, MiB): finite, never negative. */
const amount = z.number().nonnegative();
const id = z.string().min(1);

/** The job lifecycle's states (src/jobs/lifecycle.ts `JobState`; a test checks they agree). */
export const JOB_STATES = ['pending', 'queued', 'running', 'preempted', 'succeeded', 'failed', 'cancelled', 'rejected', 'timed-out'] as const;

/** A GPU of a node spec, as in src/cluster/types.ts `GpuSpec` (a test checks they agree). */
export const GpuSpecSchema = z.object({
  model: z.string(),
  /** Capacity in milli-GPU; 1000 for a whole GPU. */
  capacity: amount,
  /** MIG-partitioned. */
  mig: z.boolean().optional(),
});

/** A node of the run record, as in src/cluster/types.ts `NodeSpec` (a test checks they agree). */
export const NodeSpecSchema = z.object({
  id,
  /** Milli-CPU. */
  cpu: amount,
  /** MiB. */
  memory: amount,
  gpus: z.array(GpuSpecSchema).readonly(),
  labels: z.record(z.string(), z.string()).optional(),
});

const gpuIndices = z.array(int.nonnegative()).readonly();

/**
 * A run scheduled by a hierarchy (master and shards): the routing policy's name and each shard's
 * nodes (node ids of the run record). Absent for a run with one global scheduler.
 */
export const HierarchySchema = z.object({
  routing: z.string(),
  shards: z.array(z.object({ id, nodes: z.array(id).readonly() })).readonly(),
});

export const LogRecordSchema = z.discriminatedUnion('ev', [
  z.object({
    t: ms,
    ev: z.literal('run'),
    run: z.string(),
    mode: z.enum(['sim', 'live']),
    seed: int,
    queue: z.string(),
    placement: z.string(),
    nodes: z.array(NodeSpecSchema).readonly(),
    hierarchy: HierarchySchema.optional(),
  }),
  z.object({
    t: ms,
    ev: z.literal('arrival'),
    job: id,
    tenant: z.string(),
    cpu: amount,
    mem: amount,
    gpus: int.nonnegative(),
    milli: amount,
    models: z.array(z.string()).readonly().optional(),
    prio: z.number(),
    dur: amount,
    /** Requested MIG profile, when any. */
    mig: z.string().optional(),
    /** The job's context (template or model id), when any. */
    context: z.string().optional(),
    /** A child job: the job (or session) that submitted it, and its depth (the parent's + 1). Absent for top-level jobs. */
    parent: id.optional(),
    depth: int.positive().optional(),
  }),
  z.object({ t: ms, ev: z.literal('admit'), job: id }),
  z.object({ t: ms, ev: z.literal('reject'), job: id, reason: z.string() }),
  z.object({
    t: ms,
    ev: z.literal('start'),
    job: id,
    node: id,
    gpus: gpuIndices,
    milli: amount,
    attempt: int.positive(),
    /** A gang spanning nodes: the parts beyond `node`/`gpus`. */
    parts: z.array(z.object({ node: id, gpus: gpuIndices })).readonly().optional(),
    /** The MIG instance granted (profile, start slot); `milli` is then its slots × 125. */
    mig: z.object({ profile: z.string(), start: int.nonnegative() }).optional(),
    /** Runs with contexts: the job's context, whether it was warm on this node, and the start overhead (ms) paid before progress. */
    context: z.string().optional(),
    warm: z.boolean().optional(),
    overhead: amount.optional(),
  }),
  /** A running job was preempted: `lost` ms of run time gave no kept progress; `left` ms to run on restart. */
  z.object({ t: ms, ev: z.literal('preempt'), job: id, reason: z.string(), lost: amount, left: amount }),
  /**
   * A preempted job is back in the queue. With `reason`, its running attempt was lost (a live
   * worker reaped as stale) and no preempt or node-loss record stopped it: this record does, with
   * `lost` ms of run time that gave no kept progress and `left` ms to run on restart.
   */
  z.object({ t: ms, ev: z.literal('requeue'), job: id, reason: z.string().optional(), lost: amount.optional(), left: amount.optional() }),
  z.object({ t: ms, ev: z.literal('finish'), job: id, state: z.enum(JOB_STATES), reason: z.string().optional() }),
  z.object({ t: ms, ev: z.literal('cancel'), job: id }),
  /** A node failed; `jobs`: the running jobs with any part on it, each then logged as `node-loss`. */
  z.object({ t: ms, ev: z.literal('node-down'), node: id, jobs: z.array(id).readonly() }),
  /**
   * A running job was stopped because `node` went down: `lost` ms of run time gave no kept
   * progress. Followed by `requeue` (then `left` ms to run on restart) or by a `finish` with state
   * failed and reason node-loss (no `left`; the whole attempt is lost).
   */
  z.object({ t: ms, ev: z.literal('node-loss'), job: id, node: id, lost: amount, left: amount.optional() }),
  /** A failed node is back and takes placements again. */
  z.object({ t: ms, ev: z.literal('node-up'), node: id }),
  /** The master routed a queued job to `shard`; `n` counts the job's routings (1 the first, 2.. after bounces). */
  z.object({ t: ms, ev: z.literal('route'), job: id, shard: id, n: int.positive() }),
  /** `shard` sent a job it was routed back to the master (it did not fit there: `reason`); a `route` follows. */
  z.object({ t: ms, ev: z.literal('bounce'), job: id, shard: id, reason: z.string() }),
  /** Shard `to` took a job waiting in shard `from`'s queue. */
  z.object({ t: ms, ev: z.literal('steal'), job: id, from: id, to: id }),
  /** A shard's scheduler went down: its nodes keep their running jobs, nothing new starts there. */
  z.object({ t: ms, ev: z.literal('shard-down'), shard: id }),
  /** A failed shard's scheduler is back. */
  z.object({ t: ms, ev: z.literal('shard-up'), shard: id }),
  z.object({ t: ms, ev: z.literal('end'), events: int.nonnegative() }),
]);

export type LogRecord = z.infer<typeof LogRecordSchema>;
export type LogEvent = LogRecord['ev'];
export type LogNodeSpec = z.infer<typeof NodeSpecSchema>;
export type LogHierarchy = z.infer<typeof HierarchySchema>;

/** Every record type, in the order of the schema. */
export const LOG_EVENTS: readonly LogEvent[] = LogRecordSchema.options.map((o) => o.shape.ev.value);
const KNOWN: ReadonlySet<string> = new Set(LOG_EVENTS);

/** Where the scheduler core writes its records. */
export interface EventLog {
  append(record: LogRecord): void;
}

/**
 * What one line (or one already-parsed JSON value) of a log is. Never thrown; readers decide:
 * the CLI stops at the first bad line (`parseLogRecord`), the viewer counts and keeps it.
 */
export type LogLine =
  | { kind: 'record'; record: LogRecord }
  | { kind: 'blank' }
  | { kind: 'not-json'; message: string }
  /** A JSON value that is not an object with a string `ev`. */
  | { kind: 'not-record' }
  | { kind: 'unknown-ev'; ev: string }
  /** A known type with a field that breaks the schema: `field` is the issue path, e.g. `gpus.1`. */
  | { kind: 'invalid'; ev: LogEvent; field: string; message: string };

/** Classifies a JSON value read from a log line. Pure. */
export function checkLogValue(v: unknown): Exclude<LogLine, { kind: 'blank' | 'not-json' }> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { kind: 'not-record' };
  const ev = (v as { ev?: unknown }).ev;
  if (typeof ev !== 'string') return { kind: 'not-record' };
  if (!KNOWN.has(ev)) return { kind: 'unknown-ev', ev };
  const fast = fastRecord(v);
  if (fast) return { kind: 'record', record: fast };
  const out = LogRecordSchema.safeParse(v);
  if (out.success) return { kind: 'record', record: out.data };
  const issue = out.error.issues[0];
  return { kind: 'invalid', ev: ev as LogEvent, field: issue.path.map(String).join('.') || '(record)', message: issue.message };
}

/*
 * The fast path: a hand-written check of `LogRecordSchema` for the well-formed records a reader
 * meets on almost every line, about 5x cheaper than zod's parse and without its copy. It accepts
 * a record only when zod would accept it unchanged (nothing to strip, no undefined values) and
 * then returns the value itself; anything else (a bad field, an unknown key, the run record, an
 * object not straight from JSON.parse) is left to zod, so every error is zod's. Kept equal to the
 * schema by a property test (test/log-records.test.ts) over generated valid and mutated records.
 */
type Check = (x: unknown) => boolean;
const isMs: Check = (x) => Number.isSafeInteger(x) && (x as number) >= 0;
const isAmount: Check = (x) => typeof x === 'number' && Number.isFinite(x) && x >= 0;
const isNum: Check = (x) => typeof x === 'number' && Number.isFinite(x);
const isStr: Check = (x) => typeof x === 'string';
const isBool: Check = (x) => typeof x === 'boolean';
const isId: Check = (x) => typeof x === 'string' && x.length >= 1;
const isAttempt: Check = (x) => Number.isSafeInteger(x) && (x as number) > 0;
const arrayOf =
  (item: Check): Check =>
  (x) => {
    if (!Array.isArray(x)) return false;
    for (let i = 0; i < x.length; i++) if (!item(x[i])) return false;
    return true;
  };
/** A plain object (as JSON.parse makes) with every required key, no key outside the two lists, each value valid. */
const objectOf = (required: Record<string, Check>, optional: Record<string, Check> = {}): Check => {
  const all = new Map<string, Check>([...Object.entries(required), ...Object.entries(optional)]);
  const isRequired = new Set(Object.keys(required));
  return (x) => {
    if (typeof x !== 'object' || x === null || Object.getPrototypeOf(x) !== Object.prototype) return false;
    let req = 0;
    for (const k in x) {
      const check = all.get(k);
      const val = (x as Record<string, unknown>)[k];
      if (check === undefined || val === undefined || !check(val)) return false;
      if (isRequired.has(k)) req++;
    }
    return req === isRequired.size;
  };
};
const isGpus = arrayOf(isMs);
const FAST: Partial<Record<LogEvent, Check>> = {
  arrival: objectOf({ t: isMs, ev: isStr, job: isId, tenant: isStr, cpu: isAmount, mem: isAmount, gpus: isMs, milli: isAmount, prio: isNum, dur: isAmount }, { models: arrayOf(isStr), mig: isStr, context: isStr, parent: isId, depth: isAttempt }),
  admit: objectOf({ t: isMs, ev: isStr, job: isId }),
  reject: objectOf({ t: isMs, ev: isStr, job: isId, reason: isStr }),
  start: objectOf(
    { t: isMs, ev: isStr, job: isId, node: isId, gpus: isGpus, milli: isAmount, attempt: isAttempt },
    { parts: arrayOf(objectOf({ node: isId, gpus: isGpus })), mig: objectOf({ profile: isStr, start: isMs }), context: isStr, warm: isBool, overhead: isAmount },
  ),
  preempt: objectOf({ t: isMs, ev: isStr, job: isId, reason: isStr, lost: isAmount, left: isAmount }),
  requeue: objectOf({ t: isMs, ev: isStr, job: isId }, { reason: isStr, lost: isAmount, left: isAmount }),
  finish: objectOf({ t: isMs, ev: isStr, job: isId, state: (x) => (JOB_STATES as readonly unknown[]).includes(x) }, { reason: isStr }),
  cancel: objectOf({ t: isMs, ev: isStr, job: isId }),
  'node-down': objectOf({ t: isMs, ev: isStr, node: isId, jobs: arrayOf(isId) }),
  'node-loss': objectOf({ t: isMs, ev: isStr, job: isId, node: isId, lost: isAmount }, { left: isAmount }),
  'node-up': objectOf({ t: isMs, ev: isStr, node: isId }),
  route: objectOf({ t: isMs, ev: isStr, job: isId, shard: isId, n: isAttempt }),
  bounce: objectOf({ t: isMs, ev: isStr, job: isId, shard: isId, reason: isStr }),
  steal: objectOf({ t: isMs, ev: isStr, job: isId, from: isId, to: isId }),
  'shard-down': objectOf({ t: isMs, ev: isStr, shard: isId }),
  'shard-up': objectOf({ t: isMs, ev: isStr, shard: isId }),
  end: objectOf({ t: isMs, ev: isStr, events: isMs }),
};

/**
 * `v` itself when it is a record that `LogRecordSchema` accepts as it stands (see above);
 * undefined when zod must decide. Pure.
 */
export function fastRecord(v: unknown): LogRecord | undefined {
  const ev = typeof v === 'object' && v !== null ? (v as { ev?: unknown }).ev : undefined;
  const check = typeof ev === 'string' && Object.hasOwn(FAST, ev) ? FAST[ev as LogEvent] : undefined;
  return check && check(v) ? (v as LogRecord) : undefined;
}

/** Classifies one line of text (JSON parse, then `checkLogValue`). Pure; never throws. */
export function checkLogLine(line: string): LogLine {
  if (line.trim() === '') return { kind: 'blank' };
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    return { kind: 'not-json', message: (e as Error).message };
  }
  return checkLogValue(v);
}

/** A line of an event log that is not a valid record; `where` is `file:line`. */
export class LogRecordError extends Error {
  override name = 'LogRecordError';
  constructor(
    readonly where: string,
    readonly outcome: Exclude<LogLine, { kind: 'record' | 'blank' }>,
  ) {
    super(`${where}: ${describe(outcome)}`);
  }
}

function describe(o: Exclude<LogLine, { kind: 'record' | 'blank' }>): string {
  switch (o.kind) {
    case 'not-json':
      return `not a JSON record: ${o.message}`;
    case 'not-record':
      return `not a log record (expected a JSON object with a string 'ev')`;
    case 'unknown-ev':
      return `unknown record type ev='${o.ev}' (expected one of ${LOG_EVENTS.join(', ')})`;
    case 'invalid':
      return `'${o.ev}' record, field '${o.field}': ${o.message}`;
  }
}

/**
 * Parses one line for a reader that trusts nothing it did not check: a record, or `blank` for
 * an empty line; anything else throws a `LogRecordError` naming `where` (file:line), the record
 * type and the field (zod issue path).
 */
export function parseLogRecord(line: string, where: string): { kind: 'record'; record: LogRecord } | { kind: 'blank' } {
  const o = checkLogLine(line);
  if (o.kind === 'record' || o.kind === 'blank') return o;
  throw new LogRecordError(where, o);
}
