import Database from 'better-sqlite3';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The service's durable state: jobs (the request and where it stands), runs (one attempt each,
 * as in Armada: recovery, retries and node loss add runs, never rewrite the job), the event log,
 * attestation reports and used manifest nonces. An interface with one real implementation
 * (SQLite, WAL); every change goes through `apply`, one transaction, committed before the API
 * answers.
 */

/** A job's state as the API shows it (the core's `preempted` shows as `queued`: it is queued again). */
export const API_STATES = ['queued', 'running', 'succeeded', 'failed', 'timed-out', 'cancelled', 'rejected'] as const;
export type ApiState = (typeof API_STATES)[number];
export const TERMINAL: ReadonlySet<ApiState> = new Set(['succeeded', 'failed', 'timed-out', 'cancelled', 'rejected']);

export interface StoredJob {
  readonly id: string;
  /** Submission order over the store's life; recovery requeues in this order. */
  readonly seq: number;
  readonly tenant: string;
  readonly idempotencyKey: string | null;
  /** sha256 of the request's canonical JSON (an idempotency key reused with another body is a conflict). */
  readonly fingerprint: string;
  /** The validated request, as JSON. */
  readonly request: Readonly<Record<string, unknown>>;
  readonly state: ApiState;
  readonly reason: string | null;
  /** Wall-clock ms since the epoch. */
  readonly submittedAt: number;
  readonly startedAt: number | null;
  readonly endedAt: number | null;
  /** Runs so far. */
  readonly attempts: number;
  readonly node: string | null;
  readonly gpus: readonly number[] | null;
  readonly attestation: Readonly<Record<string, unknown>> | null;
  /** The exit code of the latest finished run's process (null: none yet, or a signal ended it). */
  readonly exitCode?: number | null;
  /** A child job: the job or session whose token submitted it, and its depth (the parent's + 1; top-level jobs 0). */
  readonly parentId?: string | null;
  readonly depth?: number;
}

export interface StoredRun {
  readonly jobId: string;
  readonly attempt: number;
  /** Which service start ran it. */
  readonly epoch: number;
  readonly node: string;
  readonly gpus: readonly number[];
  readonly startedAt: number;
  readonly endedAt: number | null;
  /** null while running; else the job's end state, or `preempted`, `node-loss`, `crashed`. */
  readonly outcome: string | null;
  readonly reason: string | null;
  readonly exitCode: number | null;
}

/** One stream of a run's output as stored (the executor's bounded capture). */
export interface StoredStream {
  readonly text: string;
  readonly bytes: number;
  readonly truncated: boolean;
}

export interface StoredOutput {
  readonly jobId: string;
  /** The run (attempt over the job's life) that wrote it. */
  readonly attempt: number;
  readonly exitCode: number | null;
  readonly stdout: StoredStream;
  readonly stderr: StoredStream;
}

export type StoreOp =
  | { readonly op: 'insert-job'; readonly job: StoredJob }
  | { readonly op: 'set-state'; readonly id: string; readonly state: ApiState; readonly reason?: string | null; readonly at: number }
  | { readonly op: 'start-run'; readonly jobId: string; readonly epoch: number; readonly node: string; readonly gpus: readonly number[]; readonly at: number }
  /** Ends the job's open run, if it has one. */
  | { readonly op: 'end-run'; readonly jobId: string; readonly outcome: string; readonly reason?: string | null; readonly at: number }
  /** `line`: the record's JSON when the caller has it already. */
  | { readonly op: 'event'; readonly epoch: number; readonly record: Readonly<Record<string, unknown>>; readonly line?: string }
  | { readonly op: 'nonce'; readonly keyId: string; readonly nonce: string; readonly at: number }
  | { readonly op: 'attestation'; readonly jobId: string | null; readonly report: Readonly<Record<string, unknown>>; readonly at: number }
  | { readonly op: 'meta'; readonly key: string; readonly value: string | null }
  /**
   * A finished run's output and exit code. The run is the `epochAttempt`-th the job started in
   * `epoch` (the executor counts attempts per service start; the store over the job's life).
   */
  | { readonly op: 'output'; readonly jobId: string; readonly epoch: number; readonly epochAttempt: number; readonly exitCode: number | null; readonly stdout: StoredStream; readonly stderr: StoredStream };

export interface ListQuery {
  readonly tenant?: string;
  readonly state?: ApiState;
  /** Jobs after this seq (the previous page's `next`). */
  readonly after?: number;
  readonly limit: number;
}

export interface StateStore {
  /** Starts a new service epoch (1, 2, …) and returns it. */
  beginEpoch(): number;
  maxSeq(): number;
  job(id: string): StoredJob | undefined;
  jobByKey(tenant: string, key: string): StoredJob | undefined;
  list(q: ListQuery): StoredJob[];
  /** Jobs queued or running, in submission order. */
  unfinished(): StoredJob[];
  /** The ids of the jobs whose parent is `id` (job or session), in submission order. */
  children(id: string): string[];
  runs(jobId: string): StoredRun[];
  /** The output of the job's latest run that has one (or of run `attempt`). */
  output(jobId: string, attempt?: number): StoredOutput | undefined;
  nonceUsed(keyId: string, nonce: string): boolean;
  meta(key: string): string | undefined;
  counts(): Record<ApiState, number>;
  /** Applies `ops` in one transaction (all or nothing), committed when it returns. */
  apply(ops: readonly StoreOp[]): void;
  close(): void;
}

/** One SQL statement and its arguments: what an operation becomes (the same on either path). */
export type Statement = readonly [sql: string, args: readonly (string | number | null)[]];

/** The `epochAttempt`-th run of a job in an epoch, as a subquery (2 args: job id, epoch, offset). */
const RUN_OF_EPOCH = `(SELECT attempt FROM runs WHERE job_id = ? AND epoch = ? ORDER BY attempt LIMIT 1 OFFSET ?)`;

/** The SQL statements of one operation, in order. Pure. */
export function compileOp(o: StoreOp): Statement[] {
  switch (o.op) {
    case 'insert-job': {
      const j = o.job;
      return [
        [
          `INSERT INTO jobs (id, seq, tenant, idem_key, fingerprint, request, state, reason, submitted_at, started_at, ended_at, attempts, node, gpus, attestation, parent_id, depth)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [j.id, j.seq, j.tenant, j.idempotencyKey, j.fingerprint, JSON.stringify(j.request), j.state, j.reason, j.submittedAt, j.startedAt, j.endedAt, j.attempts, j.node, j.gpus === null ? null : JSON.stringify(j.gpus), j.attestation === null ? null : JSON.stringify(j.attestation), j.parentId ?? null, j.depth ?? 0],
        ],
      ];
    }
    case 'set-state':
      return [[`UPDATE jobs SET state = ?, reason = COALESCE(?, reason), ended_at = CASE WHEN ? THEN ? ELSE ended_at END WHERE id = ?`, [o.state, o.reason ?? null, TERMINAL.has(o.state) ? 1 : 0, o.at, o.id]]];
    case 'start-run': {
      const gpus = JSON.stringify(o.gpus);
      return [
        [`UPDATE jobs SET state = 'running', attempts = attempts + 1, started_at = ?, node = ?, gpus = ? WHERE id = ?`, [o.at, o.node, gpus, o.jobId]],
        [`INSERT INTO runs (job_id, attempt, epoch, node, gpus, started_at) SELECT id, attempts, ?, ?, ?, ? FROM jobs WHERE id = ?`, [o.epoch, o.node, gpus, o.at, o.jobId]],
      ];
    }
    case 'end-run':
      return [[`UPDATE runs SET ended_at = ?, outcome = ?, reason = ? WHERE job_id = ? AND outcome IS NULL`, [o.at, o.outcome, o.reason ?? null, o.jobId]]];
    case 'event':
      return [[`INSERT INTO events (epoch, record) VALUES (?, ?)`, [o.epoch, o.line ?? JSON.stringify(o.record)]]];
    case 'nonce':
      return [[`INSERT INTO nonces (key_id, nonce, at) VALUES (?, ?, ?)`, [o.keyId, o.nonce, o.at]]];
    case 'attestation':
      return [[`INSERT INTO attestations (job_id, at, report) VALUES (?, ?, ?)`, [o.jobId, o.at, JSON.stringify(o.report)]]];
    case 'meta':
      return o.value === null ? [[`DELETE FROM meta WHERE k = ?`, [o.key]]] : [[`INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v`, [o.key, o.value]]];
    case 'output': {
      // A run that never started in this epoch (failed before its start was recorded) matches no row.
      const run = [o.jobId, o.epoch, o.epochAttempt - 1];
      return [
        [
          `INSERT OR REPLACE INTO outputs (job_id, attempt, exit_code, stdout, stdout_bytes, stdout_truncated, stderr, stderr_bytes, stderr_truncated)
           SELECT ?, attempt, ?, ?, ?, ?, ?, ?, ? FROM runs WHERE attempt = ${RUN_OF_EPOCH} AND job_id = ?`,
          [o.jobId, o.exitCode, o.stdout.text, o.stdout.bytes, o.stdout.truncated ? 1 : 0, o.stderr.text, o.stderr.bytes, o.stderr.truncated ? 1 : 0, ...run, o.jobId],
        ],
        [`UPDATE runs SET exit_code = ? WHERE job_id = ? AND attempt = ${RUN_OF_EPOCH}`, [o.exitCode, o.jobId, ...run]],
        [`UPDATE jobs SET exit_code = ? WHERE id = ? AND attempts = ${RUN_OF_EPOCH}`, [o.exitCode, o.jobId, ...run]],
      ];
    }
  }
}


interface JobRow {
  id: string;
  seq: number;
  tenant: string;
  idem_key: string | null;
  fingerprint: string;
  request: string;
  state: ApiState;
  reason: string | null;
  submitted_at: number;
  started_at: number | null;
  ended_at: number | null;
  attempts: number;
  node: string | null;
  gpus: string | null;
  attestation: string | null;
  exit_code: number | null;
  parent_id: string | null;
  depth: number | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY, seq INTEGER NOT NULL UNIQUE, tenant TEXT NOT NULL, idem_key TEXT, fingerprint TEXT NOT NULL,
  request TEXT NOT NULL, state TEXT NOT NULL, reason TEXT, submitted_at INTEGER NOT NULL, started_at INTEGER, ended_at INTEGER,
  attempts INTEGER NOT NULL DEFAULT 0, node TEXT, gpus TEXT, attestation TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS jobs_idem ON jobs(tenant, idem_key) WHERE idem_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state, seq);
CREATE INDEX IF NOT EXISTS jobs_tenant ON jobs(tenant, seq);
CREATE TABLE IF NOT EXISTS runs (
  job_id TEXT NOT NULL, attempt INTEGER NOT NULL, epoch INTEGER NOT NULL, node TEXT NOT NULL, gpus TEXT NOT NULL,
  started_at INTEGER NOT NULL, ended_at INTEGER, outcome TEXT, reason TEXT, PRIMARY KEY (job_id, attempt)
);
CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, epoch INTEGER NOT NULL, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS nonces (key_id TEXT NOT NULL, nonce TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (key_id, nonce));
CREATE TABLE IF NOT EXISTS attestations (id INTEGER PRIMARY KEY, job_id TEXT, at INTEGER NOT NULL, report TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outputs (
  job_id TEXT NOT NULL, attempt INTEGER NOT NULL, exit_code INTEGER, stdout TEXT NOT NULL, stdout_bytes INTEGER NOT NULL,
  stdout_truncated INTEGER NOT NULL, stderr TEXT NOT NULL, stderr_bytes INTEGER NOT NULL, stderr_truncated INTEGER NOT NULL,
  PRIMARY KEY (job_id, attempt)
);
`;

/** Columns added after the first schema: added in place to a state directory made before them. */
const ADDED_COLUMNS: readonly [table: string, column: string, decl: string][] = [
  ['jobs', 'exit_code', 'INTEGER'],
  ['runs', 'exit_code', 'INTEGER'],
  ['jobs', 'parent_id', 'TEXT'],
  ['jobs', 'depth', 'INTEGER NOT NULL DEFAULT 0'],
];

function toJob(r: JobRow): StoredJob {
  return {
    id: r.id,
    seq: r.seq,
    tenant: r.tenant,
    idempotencyKey: r.idem_key,
    fingerprint: r.fingerprint,
    request: JSON.parse(r.request) as Record<string, unknown>,
    state: r.state,
    reason: r.reason,
    submittedAt: r.submitted_at,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    attempts: r.attempts,
    node: r.node,
    gpus: r.gpus === null ? null : (JSON.parse(r.gpus) as number[]),
    attestation: r.attestation === null ? null : (JSON.parse(r.attestation) as Record<string, unknown>),
    exitCode: r.exit_code ?? null,
    parentId: r.parent_id ?? null,
    depth: r.depth ?? 0,
  };
}

/**
 * SQLite in WAL mode with `synchronous = FULL`: a transaction is on disk when `apply` returns, so
 * an answer sent after it survives kill -9 and power loss alike.
 */
export class SqliteStateStore implements StateStore {
  private readonly db: Database.Database;
  private readonly st;
  private readonly tx: (stmts: readonly Statement[]) => void;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    // Owner-only: sandboxed jobs run as another user, and sessions and the child-job socket need
    // the state directory searchable, so the store must not be world-readable. SQLite gives the
    // -wal and -shm files the database file's mode; an empty file is an empty database.
    const file = join(dir, 'state.sqlite');
    if (!existsSync(file)) writeFileSync(file, '', { mode: 0o600 });
    for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    for (const [table, column, decl] of ADDED_COLUMNS) {
      const cols = this.db.pragma(`table_info(${table})`) as { name: string }[];
      if (!cols.some((c) => c.name === column)) this.db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${decl}`);
    }
    this.db.exec(`CREATE INDEX IF NOT EXISTS jobs_parent ON jobs(parent_id, seq) WHERE parent_id IS NOT NULL`);
    const db = this.db;
    this.st = {
      metaGet: db.prepare(`SELECT v FROM meta WHERE k = ?`),
      job: db.prepare(`SELECT * FROM jobs WHERE id = ?`),
      jobByKey: db.prepare(`SELECT * FROM jobs WHERE tenant = ? AND idem_key = ?`),
      maxSeq: db.prepare(`SELECT COALESCE(MAX(seq), 0) AS m FROM jobs`),
      unfinished: db.prepare(`SELECT * FROM jobs WHERE state IN ('queued', 'running') ORDER BY seq`),
      children: db.prepare(`SELECT id FROM jobs WHERE parent_id = ? ORDER BY seq`),
      runs: db.prepare(`SELECT * FROM runs WHERE job_id = ? ORDER BY attempt`),
      nonceUsed: db.prepare(`SELECT 1 FROM nonces WHERE key_id = ? AND nonce = ?`),
      counts: db.prepare(`SELECT state, COUNT(*) AS n FROM jobs GROUP BY state`),
      lastOutput: db.prepare(`SELECT * FROM outputs WHERE job_id = ? ORDER BY attempt DESC LIMIT 1`),
      outputOf: db.prepare(`SELECT * FROM outputs WHERE job_id = ? AND attempt = ?`),
    };
    const cache = new Map<string, Database.Statement>();
    this.tx = db.transaction((stmts: readonly Statement[]) => {
      for (const [sql, args] of stmts) {
        let st = cache.get(sql);
        if (!st) cache.set(sql, (st = db.prepare(sql)));
        st.run(...args);
      }
    });
  }

  beginEpoch(): number {
    const e = Number(this.meta('epoch') ?? '0') + 1;
    this.apply([{ op: 'meta', key: 'epoch', value: String(e) }]);
    return e;
  }

  maxSeq(): number {
    return (this.st.maxSeq.get() as { m: number }).m;
  }

  job(id: string): StoredJob | undefined {
    const r = this.st.job.get(id) as JobRow | undefined;
    return r && toJob(r);
  }

  jobByKey(tenant: string, key: string): StoredJob | undefined {
    const r = this.st.jobByKey.get(tenant, key) as JobRow | undefined;
    return r && toJob(r);
  }

  list(q: ListQuery): StoredJob[] {
    const where: string[] = ['seq > ?'];
    const args: (string | number)[] = [q.after ?? 0];
    if (q.tenant !== undefined) {
      where.push('tenant = ?');
      args.push(q.tenant);
    }
    if (q.state !== undefined) {
      where.push('state = ?');
      args.push(q.state);
    }
    args.push(q.limit);
    return (this.db.prepare(`SELECT * FROM jobs WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ?`).all(...args) as JobRow[]).map(toJob);
  }

  unfinished(): StoredJob[] {
    return (this.st.unfinished.all() as JobRow[]).map(toJob);
  }

  children(id: string): string[] {
    return (this.st.children.all(id) as { id: string }[]).map((r) => r.id);
  }

  runs(jobId: string): StoredRun[] {
    type Row = { job_id: string; attempt: number; epoch: number; node: string; gpus: string; started_at: number; ended_at: number | null; outcome: string | null; reason: string | null; exit_code: number | null };
    return (this.st.runs.all(jobId) as Row[]).map((r) => ({
      jobId: r.job_id,
      attempt: r.attempt,
      epoch: r.epoch,
      node: r.node,
      gpus: JSON.parse(r.gpus) as number[],
      startedAt: r.started_at,
      endedAt: r.ended_at,
      outcome: r.outcome,
      reason: r.reason,
      exitCode: r.exit_code,
    }));
  }

  output(jobId: string, attempt?: number): StoredOutput | undefined {
    type Row = { job_id: string; attempt: number; exit_code: number | null; stdout: string; stdout_bytes: number; stdout_truncated: number; stderr: string; stderr_bytes: number; stderr_truncated: number };
    const r = (attempt === undefined ? this.st.lastOutput.get(jobId) : this.st.outputOf.get(jobId, attempt)) as Row | undefined;
    if (!r) return undefined;
    return {
      jobId: r.job_id,
      attempt: r.attempt,
      exitCode: r.exit_code,
      stdout: { text: r.stdout, bytes: r.stdout_bytes, truncated: r.stdout_truncated === 1 },
      stderr: { text: r.stderr, bytes: r.stderr_bytes, truncated: r.stderr_truncated === 1 },
    };
  }

  nonceUsed(keyId: string, nonce: string): boolean {
    return this.st.nonceUsed.get(keyId, nonce) !== undefined;
  }

  meta(key: string): string | undefined {
    return (this.st.metaGet.get(key) as { v: string } | undefined)?.v;
  }

  counts(): Record<ApiState, number> {
    const out = Object.fromEntries(API_STATES.map((s) => [s, 0])) as Record<ApiState, number>;
    for (const r of this.st.counts.all() as { state: ApiState; n: number }[]) out[r.state] = r.n;
    return out;
  }

  apply(ops: readonly StoreOp[]): void {
    if (ops.length > 0) this.tx(ops.flatMap(compileOp));
  }

  close(): void {
    this.db.close();
  }
}
