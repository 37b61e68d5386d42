import Database from 'better-sqlite3';
import { join } from 'node:path';
import type { SessionRecord } from '../sessions/session-lifecycle.ts';

/**
 * The `sessions` table of the state store (the same `state.sqlite`, WAL, `synchronous = FULL`):
 * one row per session, its record as JSON, upserted on every change the session manager reports
 * and committed before the API answers. Start-up reads the sessions not ended, to end them with
 * reason `service-restart` (src/sessions/recover.ts). A create and an end are fsynced
 * (`synchronous = FULL`); an exec's busy/ready changes are not (`NORMAL`: in WAL mode they still
 * survive kill -9, and after a power loss every open session ends `service-restart` whichever
 * of the two it was last stored in), which takes two fsyncs off each exec's round trip.
 */
export class SessionStore {
  private readonly db: Database.Database;
  private readonly st;
  private durable = true;

  constructor(stateDir: string) {
    this.db = new Database(join(stateDir, 'state.sqlite'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`CREATE TABLE IF NOT EXISTS sessions (
      id TEXT PRIMARY KEY, tenant TEXT NOT NULL, state TEXT NOT NULL, created_at INTEGER NOT NULL, record TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS sessions_tenant ON sessions(tenant, created_at);`);
    this.st = {
      save: this.db.prepare(`INSERT INTO sessions (id, tenant, state, created_at, record) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT(id) DO UPDATE SET state = excluded.state, record = excluded.record`),
      get: this.db.prepare(`SELECT record FROM sessions WHERE id = ?`),
      open: this.db.prepare(`SELECT record FROM sessions WHERE state != 'ended' ORDER BY created_at, id`),
      list: this.db.prepare(`SELECT record FROM sessions WHERE (? IS NULL OR tenant = ?) ORDER BY created_at DESC, id DESC LIMIT ?`),
    };
  }

  /** `durable`: fsync before returning (creates and ends). */
  save(r: SessionRecord, durable = true): void {
    if (durable !== this.durable) {
      this.db.pragma(`synchronous = ${durable ? 'FULL' : 'NORMAL'}`);
      this.durable = durable;
    }
    this.st.save.run(r.id, r.tenant, r.state, r.createdAt, JSON.stringify(r));
  }

  get(id: string): SessionRecord | undefined {
    const row = this.st.get.get(id) as { record: string } | undefined;
    return row && (JSON.parse(row.record) as SessionRecord);
  }

  /** Sessions not ended (what a crash left), oldest first. */
  open(): SessionRecord[] {
    return (this.st.open.all() as { record: string }[]).map((r) => JSON.parse(r.record) as SessionRecord);
  }

  /** The newest `limit` sessions (of `tenant`), oldest first. */
  list(tenant: string | undefined, limit: number): SessionRecord[] {
    const rows = this.st.list.all(tenant ?? null, tenant ?? null, limit) as { record: string }[];
    return rows.map((r) => JSON.parse(r.record) as SessionRecord).reverse();
  }

  close(): void {
    this.db.close();
  }
}
