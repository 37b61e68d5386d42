import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { JsonLogger } from '../src/live/json-log.ts';
import { buildServer } from '../src/service/http.ts';
import { JobService } from '../src/service/job-service.ts';
import { SessionService } from '../src/service/session-service.ts';
import type { ServiceConfig } from '../src/service/config.ts';
import { signed, tempState, testConfig, testKey } from './service-helpers.ts';

// Sessions over HTTP (fastify inject): lifecycle, one exec at a time, 404s, the hold that places
// a session and counts it against the tenant's quota, the kill switch, attestation, metrics.
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const TEMPLATES = [
  { name: 'shell', runtime: 'shell', resources: { cpuMilli: 500, memoryMiB: 128 }, warmPool: { size: 1, idleRecycleSec: 600 } },
  { name: 'node', runtime: 'node', resources: { cpuMilli: 500, memoryMiB: 256 }, setup: ['echo 41 > base.txt'] },
  { name: 'gpu', runtime: 'shell', resources: { cpuMilli: 100, memoryMiB: 64, gpuMilli: 1000 } },
  { name: 'two-gpus', runtime: 'shell', resources: { cpuMilli: 100, memoryMiB: 64, gpuMilli: 2000 } },
  { name: 'huge', runtime: 'shell', resources: { cpuMilli: 900_000, memoryMiB: 64 } },
];

async function start(over: Record<string, unknown> = {}, dev = true) {
  const dir = tempState();
  dirs.push(dir);
  const cfg: ServiceConfig = testConfig(dir, { templates: TEMPLATES, ...over });
  const logger = new JsonLogger({ write: () => undefined });
  const svc = await JobService.open({ config: cfg, dev, logger });
  const sessions = new SessionService(svc, cfg, logger);
  await sessions.start();
  const app = buildServer(svc, cfg.admission, sessions);
  const post = (url: string, body: unknown) => app.inject({ method: 'POST', url, payload: body as Record<string, unknown> });
  return { svc, sessions, app, post, close: async () => (await sessions.close(), await svc.close(0), await app.close()) };
}

describe('sessions over HTTP', () => {
  it('create, exec (files persist across execs), get, list, delete; the hold job runs while the session lives', async () => {
    const s = await start({ cluster: { nodes: [{ prefix: 'cpu-', count: 2, cpu: 2000, memory: 4096 }] } });
    try {
      await s.sessions.poolsFull();
      const c = await s.post('/v1/sessions', { tenant: 'team-a', template: 'shell' });
      expect(c.statusCode).toBe(201);
      const ses = c.json();
      expect(ses).toMatchObject({ tenant: 'team-a', template: 'shell', state: 'ready', cold: false });
      expect(['cpu-0', 'cpu-1']).toContain(ses.node);
      const hold = (await s.app.inject(`/v1/jobs/${ses.jobId}`)).json();
      expect(hold).toMatchObject({ state: 'running', node: ses.node, tenant: 'team-a' });
      const e1 = await s.post(`/v1/sessions/${ses.id}/exec`, { language: 'shell', code: 'echo hello > f.txt; echo done' });
      expect(e1.json()).toMatchObject({ exitCode: 0, stdout: 'done\n', truncated: false });
      const e2 = await s.post(`/v1/sessions/${ses.id}/exec`, { language: 'javascript', code: "process.stdout.write(require('fs').readFileSync('f.txt', 'utf8'))" });
      expect(e2.json()).toMatchObject({ exitCode: 0, stdout: 'hello\n' });
      expect(typeof e2.json().durationMs).toBe('number');
      const e3 = await s.post(`/v1/sessions/${ses.id}/exec`, { language: 'shell', code: 'cat', stdin: 'in', timeoutSec: 5 });
      expect(e3.json().stdout).toBe('in');
      expect((await s.app.inject(`/v1/sessions/${ses.id}`)).json()).toMatchObject({ id: ses.id, state: 'ready', execs: 3 });
      const cold = await s.post('/v1/sessions', { tenant: 'team-b', template: 'node', idleTimeoutSec: 60 });
      expect(cold.statusCode).toBe(201);
      expect(cold.json()).toMatchObject({ cold: true, idleTimeoutSec: 60 });
      const setup = await s.post(`/v1/sessions/${cold.json().id}/exec`, { language: 'javascript', code: "console.log(Number(require('fs').readFileSync('base.txt', 'utf8')) + 1)" });
      expect(setup.json().stdout).toBe('42\n');
      const listA = (await s.app.inject('/v1/sessions?tenant=team-a')).json().sessions;
      expect(listA.map((x: { id: string }) => x.id)).toEqual([ses.id]);
      expect((await s.app.inject('/v1/sessions')).json().sessions).toHaveLength(2);
      const d = await s.app.inject({ method: 'DELETE', url: `/v1/sessions/${ses.id}` });
      expect(d.json()).toMatchObject({ state: 'ended', endReason: 'deleted' });
      expect((await s.app.inject(`/v1/jobs/${ses.jobId}`)).json()).toMatchObject({ state: 'succeeded', reason: 'session deleted' });
      const after = await s.post(`/v1/sessions/${ses.id}/exec`, { language: 'shell', code: 'true' });
      expect(after.statusCode).toBe(410);
      expect(after.json().error.code).toBe('ended');
      const m = (await s.app.inject('/metrics')).body;
      expect(m).toMatch(/gpulab_sessions_open 1/);
      expect(m).toMatch(/gpulab_session_creates_total\{start="warm"\} 1/);
      expect(m).toMatch(/gpulab_session_creates_total\{start="cold"\} 1/);
      expect(m).toMatch(/gpulab_session_exec_seconds_count 4/);
    } finally {
      await s.close();
    }
  }, 60_000);

  it('a second exec while one runs is refused 409; 404s; bad bodies 400', async () => {
    const s = await start();
    try {
      const ses = (await s.post('/v1/sessions', { tenant: 'team-a', template: 'shell' })).json();
      const slow = s.post(`/v1/sessions/${ses.id}/exec`, { language: 'shell', code: 'sleep 1; echo slow' });
      await new Promise((r) => setTimeout(r, 200));
      const busy = await s.post(`/v1/sessions/${ses.id}/exec`, { language: 'shell', code: 'echo fast' });
      expect(busy.statusCode).toBe(409);
      expect(busy.json().error.code).toBe('busy');
      expect((await slow).json().stdout).toBe('slow\n');
      for (const r of [await s.app.inject('/v1/sessions/ses_nope'), await s.post('/v1/sessions/ses_nope/exec', { language: 'shell', code: 'true' }), await s.app.inject({ method: 'DELETE', url: '/v1/sessions/ses_nope' })]) {
        expect(r.statusCode).toBe(404);
        expect(r.json().error.code).toBe('not-found');
      }
      const unknown = await s.post('/v1/sessions', { tenant: 'team-a', template: 'nope' });
      expect([unknown.statusCode, unknown.json().error.code]).toEqual([400, 'unknown-template']);
      const tenant = await s.post('/v1/sessions', { tenant: 'team-z', template: 'shell' });
      expect([tenant.statusCode, tenant.json().error.code]).toEqual([400, 'unknown-tenant']);
      const bad = await s.post(`/v1/sessions/${ses.id}/exec`, { language: 'cobol', code: '' });
      expect([bad.statusCode, bad.json().error.field]).toEqual([400, 'language']);
    } finally {
      await s.close();
    }
  }, 60_000);

  it('placement and quota: a session holds its resources; refusals say why', async () => {
    const s = await start({
      cluster: { nodes: [{ prefix: 'gpu-', count: 1, cpu: 1000, memory: 4096, gpus: [{ count: 2, model: 'T4' }] }] },
      tenants: [{ name: 'team-a', quota: { nominalGpus: 1 } }, { name: 'team-b' }],
    });
    try {
      const g = await s.post('/v1/sessions', { tenant: 'team-a', template: 'gpu' });
      expect(g.statusCode).toBe(201);
      expect((await s.app.inject(`/v1/jobs/${g.json().jobId}`)).json().gpus).toHaveLength(1);
      const q = await s.post('/v1/sessions', { tenant: 'team-a', template: 'gpu' });
      expect([q.statusCode, q.json().error.code, q.headers['retry-after']]).toEqual([429, 'session-quota-exceeded', '5']);
      const never = await s.post('/v1/sessions', { tenant: 'team-a', template: 'two-gpus' });
      expect([never.statusCode, never.json().error.code]).toEqual([403, 'session-over-quota']);
      const fits = await s.post('/v1/sessions', { tenant: 'team-b', template: 'gpu' });
      expect(fits.statusCode).toBe(201);
      // 900,000 milli-CPU fits on no node: rejected for good.
      const full = await s.post('/v1/sessions', { tenant: 'team-b', template: 'huge' });
      expect([full.statusCode, full.json().error.code]).toEqual([403, 'session-never-fits']);
      // Ending the first frees its GPU for team-a again.
      await s.app.inject({ method: 'DELETE', url: `/v1/sessions/${g.json().id}` });
      expect((await s.post('/v1/sessions', { tenant: 'team-a', template: 'gpu' })).statusCode).toBe(201);
      // No GPU left (two held): team-b's next is refused for capacity, not quota.
      const cap = await s.post('/v1/sessions', { tenant: 'team-b', template: 'gpu' });
      expect([cap.statusCode, cap.json().error.code]).toEqual([429, 'session-no-capacity']);
      const refusedHolds = (await s.app.inject('/v1/jobs?state=cancelled')).json().jobs;
      expect(refusedHolds).toHaveLength(2);
    } finally {
      await s.close();
    }
  }, 60_000);

  it('the kill switch ends every session (reason cancelled) and frees its hold; shutdown ends the rest', async () => {
    const s = await start();
    try {
      const a = (await s.post('/v1/sessions', { tenant: 'team-a', template: 'shell' })).json();
      const k = await s.post('/v1/kill-all', { reason: 'test' });
      expect(k.json().stopped).toContain(a.jobId);
      // The core stopped the hold; the session's end follows (bounded wait).
      for (let i = 0; i < 100 && s.sessions.get(a.id)?.state !== 'ended'; i++) await new Promise((r) => setTimeout(r, 20));
      expect((await s.app.inject(`/v1/sessions/${a.id}`)).json()).toMatchObject({ state: 'ended', endReason: 'cancelled' });
      const paused = await s.post('/v1/sessions', { tenant: 'team-a', template: 'shell' });
      expect([paused.statusCode, paused.json().error.code]).toEqual([503, 'paused']);
      await s.post('/v1/resume', {});
      const b = (await s.post('/v1/sessions', { tenant: 'team-a', template: 'shell' })).json();
      await s.sessions.close();
      expect(s.sessions.get(b.id)?.endReason).toBe('shutdown');
      expect(s.svc.job(b.jobId)?.state).toBe('succeeded');
    } finally {
      await s.close();
    }
  }, 60_000);

  it('with attestation on, a session create needs a manifest signed for its body (as a job does)', async () => {
    const key = testKey('k-a');
    const s = await start({ attestation: { required: true }, tenants: [{ name: 'team-a', keys: [{ id: key.id, publicKey: key.publicKey }] }] }, false);
    try {
      const bare = await s.post('/v1/sessions', { tenant: 'team-a', template: 'shell' });
      expect([bare.statusCode, bare.json().error.code]).toEqual([400, 'bad-manifest']);
      const body = { tenant: 'team-a', template: 'shell' };
      const ok = await s.post('/v1/sessions', signed(body, key, 'team-a'));
      expect(ok.statusCode).toBe(201);
      const tampered = await s.post('/v1/sessions', { ...signed(body, key, 'team-a'), template: 'node' });
      expect([tampered.statusCode, tampered.json().error.code]).toEqual([403, 'job-tampered']);
      const paths = Object.keys((await s.app.inject('/openapi.json')).json().paths);
      expect(paths).toEqual(expect.arrayContaining(['/v1/sessions', '/v1/sessions/{id}', '/v1/sessions/{id}/exec']));
    } finally {
      await s.close();
    }
  }, 60_000);
});
