import Database from 'better-sqlite3';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startService, tempState, testConfig, workers } from './service-helpers.ts';

const dir = tempState();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a state store that refuses a commit: every waiter is answered 503 store-unavailable, nothing uncommitted is reported', () => {
  it('a real SQLite error (a trigger that raises) during the group commit answers all waiting submissions 503, later ones too; nothing refused is stored or run; a restart recovers', async () => {
    const cfg = testConfig(dir, { admission: { maxQueue: 50 } });
    const s = await startService(cfg, true);
    let refusedIds: string[] = [];
    let running = '';
    try {
      const post = (body: object) => s.app.inject({ method: 'POST', url: '/v1/jobs', payload: body });
      running = (await post({ tenant: 'team-a', work: { kind: 'sleep', ms: 30_000 } })).json().id;
      for (let i = 0; i < 200 && (await s.app.inject(`/v1/jobs/${running}`)).json().state !== 'running'; i++) await pause(20);
      expect((await s.app.inject(`/v1/jobs/${running}`)).json().state).toBe('running');

      // Another connection makes every job insert fail inside the service's transaction.
      const other = new Database(join(dir, 'state.sqlite'));
      other.exec(`CREATE TRIGGER refuse_jobs BEFORE INSERT ON jobs BEGIN SELECT RAISE(ABORT, 'database or disk is full (test trigger)'); END;`);
      other.close();

      // Eight submissions in one turn: one group commit, refused as a whole.
      const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => post({ tenant: 'team-a', work: { kind: 'sleep', ms: 10 + i } })));
      for (const a of answers) {
        expect(a.statusCode).toBe(503);
        expect(a.json().error.code).toBe('store-unavailable');
        expect(a.headers['retry-after']).toBeDefined();
      }
      // Later requests too, without hanging; the service says why it is not ready.
      const later = await post({ tenant: 'team-a', work: { kind: 'sleep', ms: 10 } });
      expect([later.statusCode, later.json().error.code]).toEqual([503, 'store-unavailable']);
      const cancel = await s.app.inject({ method: 'POST', url: `/v1/jobs/${running}/cancel` });
      expect([cancel.statusCode, cancel.json().error.code]).toEqual([503, 'store-unavailable']);
      const ready = await s.app.inject('/readyz');
      expect([ready.statusCode, ready.json().error.code]).toEqual([503, 'store-unavailable']);
      expect(s.logs.some((l) => l.includes('store commit failed') && l.includes('test trigger'))).toBe(true);
      const metrics = (await s.app.inject('/metrics')).body;
      expect(metrics).toContain('gpulab_admissions_total{result="accepted",reason="ok"} 1');
      expect(metrics).toContain('gpulab_admissions_total{result="refused",reason="store-unavailable"} 8');

      // Nothing refused is stored, listed or in events.jsonl; the ids the core gave them (j2…j9) are unknown.
      refusedIds = Array.from({ length: 8 }, (_, i) => `j${i + 2}`);
      for (const id of refusedIds) expect((await s.app.inject(`/v1/jobs/${id}`)).statusCode).toBe(404);
      expect((await s.app.inject('/v1/jobs')).json().jobs.map((j: { id: string }) => j.id)).toEqual([running]);
      const events = readFileSync(s.svc.eventsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(events.filter((e) => refusedIds.includes(e.job))).toEqual([]);
      // The running job's process is stopped (nothing runs that the store cannot record).
      for (let i = 0; i < 200 && workers(join(dir, 'work')).length > 0; i++) await pause(20);
      expect(workers(join(dir, 'work'))).toEqual([]);
    } finally {
      await s.close();
    }

    // The disk is fine again: a restart recovers the committed state by the one rule.
    const db = new Database(join(dir, 'state.sqlite'));
    db.exec('DROP TRIGGER refuse_jobs');
    db.close();
    const s2 = await startService(cfg, true);
    try {
      expect(s2.svc.recovery).toMatchObject({ requeued: 1, failed: 0 });
      for (const id of refusedIds) expect((await s2.app.inject(`/v1/jobs/${id}`)).statusCode).toBe(404);
      const j = (await s2.app.inject(`/v1/jobs/${running}`)).json();
      expect(['queued', 'running']).toContain(j.state);
      const runs = (await s2.app.inject(`/v1/jobs/${running}/runs`)).json().runs;
      expect(runs[0]).toMatchObject({ attempt: 1, outcome: 'crashed' });
      const ok = await s2.app.inject({ method: 'POST', url: '/v1/jobs', payload: { tenant: 'team-a', work: { kind: 'sleep', ms: 10 } } });
      expect(ok.statusCode).toBe(201);
    } finally {
      await s2.close();
    }
  }, 30_000);
});
