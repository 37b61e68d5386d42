import canonicalize from 'canonicalize';
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceConfig } from '../src/service/config.ts';
import { signed, startService, tempState, testConfig, testKey } from './service-helpers.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function state(): string {
  const d = tempState();
  dirs.push(d);
  return d;
}

const sleep = (ms: number) => ({ kind: 'sleep', ms });

describe('RFC 8785 canonical JSON (the canonicalize library)', () => {
  // Vectors from RFC 8785 §3.2.2 (sorting by UTF-16 code units, number and string serialisation).
  it.each([
    [{ b: 1, a: 2 }, '{"a":2,"b":1}'],
    [[56, { d: true, '10': null, '1': [] }], '[56,{"1":[],"10":null,"d":true}]'],
    [{ numbers: [333333333.33333329, 1e30, 4.5, 2e-3, 0.000000000000000000000000001] }, '{"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27]}'],
    [{ string: '\u20ac$\u000F\u000aA\'\u0042\u0022\u005c\\"/' }, '{"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'],
    [{ '\u20ac': 'Euro Sign', '\r': 'Carriage Return', '\ufb33': 'Hebrew Letter Dalet With Dagesh', '1': 'One', '\ud83d\ude00': 'Emoji: Grinning Face', '\u0080': 'Control', '\u00f6': 'Latin Small Letter O With Diaeresis' },
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}'],
  ])('canonicalize(%j) is the RFC string', (v, want) => {
    expect(canonicalize(v)).toBe(want);
  });
});

describe('gpulab serve routes (attestation off)', () => {
  let s: Awaited<ReturnType<typeof startService>>;
  let dir: string;
  beforeAll(async () => {
    dir = state();
    s = await startService(testConfig(dir), true);
  });

  it('keeps the store and the event logs owner-only (sandboxed jobs run as another user)', () => {
    const mode = (p: string) => statSync(join(dir, p)).mode & 0o777;
    expect(mode('state.sqlite')).toBe(0o600);
    expect(mode('state.sqlite-wal')).toBe(0o600);
    expect(mode('runs')).toBe(0o700);
  });
  afterAll(async () => s.close());
  const post = (url: string, body: unknown) => s.app.inject({ method: 'POST', url, payload: body as object });

  it('healthz, readyz, openapi.json and metrics answer', async () => {
    expect((await s.app.inject('/healthz')).json()).toEqual({ ok: true });
    expect((await s.app.inject('/readyz')).json()).toMatchObject({ ready: true, epoch: 1 });
    const api = (await s.app.inject('/openapi.json')).json();
    expect(api.paths['/v1/jobs'].post.requestBody.content['application/json'].schema.properties.tenant).toBeDefined();
    const m = (await s.app.inject('/metrics')).body;
    for (const name of ['gpulab_queue_length{tenant="team-a"}', 'gpulab_jobs_running', 'gpulab_gpu_allocated_ratio', 'gpulab_job_wait_seconds', 'gpulab_process_resident_memory_bytes']) expect(m).toContain(name);
  });

  it('POST /v1/jobs answers 201, runs the job, and the same idempotencyKey answers 200 with that job (never a second run)', async () => {
    const body = { tenant: 'team-a', work: sleep(50), idempotencyKey: 'once' };
    const a = await post('/v1/jobs', body);
    expect(a.statusCode).toBe(201);
    const id = a.json().id;
    const b = await post('/v1/jobs', body);
    expect([b.statusCode, b.json().id]).toEqual([200, id]);
    for (let i = 0; i < 100 && (await s.app.inject(`/v1/jobs/${id}`)).json().state !== 'succeeded'; i++) await new Promise((r) => setTimeout(r, 20));
    const j = (await s.app.inject(`/v1/jobs/${id}`)).json();
    expect(j).toMatchObject({ id, tenant: 'team-a', state: 'succeeded', attempts: 1, node: 'cpu-0' });
    expect((await s.app.inject(`/v1/jobs/${id}/runs`)).json().runs).toHaveLength(1);
    const c = await post('/v1/jobs', { ...body, priority: 3 });
    expect([c.statusCode, c.json().error.code, c.json().error.field]).toEqual([409, 'idempotency-conflict', 'idempotencyKey']);
    const d = await post(`/v1/jobs/${id}/cancel`, {});
    expect([d.statusCode, d.json().error.code]).toEqual([409, 'finished']);
  });

  it.each([
    [{ tenant: 'team-a' }, 'command'],
    [{ tenant: 'team-a', command: ['true'], work: sleep(1) }, 'command'],
    [{ tenant: 'team-a', command: ['true'], gpus: -1 }, 'gpus'],
    [{ tenant: 'team-a', command: ['true'], extra: 1 }, undefined],
    [{ tenant: 'team-a', work: { kind: 'sleep', ms: 'x' } }, 'work.ms'],
    [{ tenant: 'team-a', command: ['true'], timeoutSec: 999_999 }, 'timeoutSec'],
  ])('an invalid request %j answers 400 invalid-request naming %s', async (body, field) => {
    const r = await post('/v1/jobs', body);
    expect(r.statusCode).toBe(400);
    expect(r.json().error.code).toBe('invalid-request');
    if (field) expect(r.json().error.field).toBe(field);
  });

  it('an unknown tenant, bad JSON, a huge body, an unknown job and an unknown route are 4xx with a code', async () => {
    expect((await post('/v1/jobs', { tenant: 'nobody', command: ['true'] })).json().error).toMatchObject({ code: 'unknown-tenant', field: 'tenant' });
    const bad = await s.app.inject({ method: 'POST', url: '/v1/jobs', payload: '{"tenant":', headers: { 'content-type': 'application/json' } });
    expect([bad.statusCode, bad.json().error.code]).toEqual([400, 'bad-json']);
    const huge = await s.app.inject({ method: 'POST', url: '/v1/jobs', payload: JSON.stringify({ tenant: 'x'.repeat(100_000) }), headers: { 'content-type': 'application/json' } });
    expect([huge.statusCode, huge.json().error.code]).toEqual([413, 'body-too-large']);
    const nf = await s.app.inject('/v1/jobs/j999');
    expect([nf.statusCode, nf.json().error.code]).toEqual([404, 'not-found']);
    expect((await post('/v1/jobs/j999/cancel', {})).statusCode).toBe(404);
    expect((await s.app.inject('/v1/nope')).json().error.code).toBe('not-found');
    expect((await s.app.inject('/v1/jobs/..%2F..%2Fetc')).statusCode).toBe(400);
  });

  it("a tenant's rate limit answers 429 rate-limited with Retry-After (burst 2, 1/s)", async () => {
    const codes: number[] = [];
    let retry: string | undefined;
    for (let i = 0; i < 4; i++) {
      const r = await post('/v1/jobs', { tenant: 'team-b', work: sleep(1) });
      codes.push(r.statusCode);
      if (r.statusCode === 429) {
        expect(r.json().error.code).toBe('rate-limited');
        retry = r.headers['retry-after'] as string;
      }
    }
    expect(codes).toEqual([201, 201, 429, 429]);
    expect(Number(retry)).toBeGreaterThanOrEqual(1);
  });

  it('the queue bound answers 429 queue-full with Retry-After; cancel of a queued job answers it cancelled; lists page', async () => {
    // One node of 2000 milli-CPU: a 2000-milli job fills it, the next ones queue (bound 5).
    for (let i = 0; i < 200 && (await s.app.inject('/v1/jobs?state=running')).json().jobs.length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    const hog = (await post('/v1/jobs', { tenant: 'team-a', work: sleep(5000), cpuMilli: 2000 })).json().id;
    const codes: number[] = [];
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const r = await post('/v1/jobs', { tenant: 'team-a', work: sleep(1), cpuMilli: 2000 });
      codes.push(r.statusCode);
      if (r.statusCode === 201) ids.push(r.json().id);
      else expect([r.json().error.code, r.headers['retry-after']]).toEqual(['queue-full', '1']);
    }
    expect(codes).toEqual([201, 201, 201, 201, 201, 429, 429]);
    const c = await post(`/v1/jobs/${ids[0]}/cancel`, {});
    expect([c.statusCode, c.json().state]).toEqual([200, 'cancelled']);
    const page = (await s.app.inject('/v1/jobs?tenant=team-a&state=queued&limit=2')).json();
    expect(page.jobs.map((j: { id: string }) => j.id)).toEqual(ids.slice(1, 3));
    const page2 = (await s.app.inject(`/v1/jobs?tenant=team-a&state=queued&limit=2&after=${page.next}`)).json();
    expect(page2.jobs.map((j: { id: string }) => j.id)).toEqual(ids.slice(3, 5));
    expect((await s.app.inject('/v1/jobs?state=bogus')).json().error.field).toBe('state');
    // The kill switch stops the running job with the reason, and holds admission until resume.
    const k = await post('/v1/kill-all', { reason: 'drill' });
    expect(k.json().stopped).toEqual([hog]);
    expect((await s.app.inject(`/v1/jobs/${hog}`)).json()).toMatchObject({ state: 'cancelled', reason: 'kill-all: drill' });
    const p = await post('/v1/jobs', { tenant: 'team-a', work: sleep(1) });
    expect([p.statusCode, p.json().error.code]).toEqual([503, 'paused']);
    expect((await s.app.inject(`/v1/jobs/${ids[1]}`)).json().state).toBe('queued');
    await post('/v1/resume', {});
    for (let i = 0; i < 100 && (await s.app.inject(`/v1/jobs/${ids[4]}`)).json().state !== 'succeeded'; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await s.app.inject(`/v1/jobs/${ids[4]}`)).json().state).toBe('succeeded');
  });
});

describe('gpulab serve attestation', () => {
  const a = testKey('a-1');
  const b = testKey('b-1');
  let s: Awaited<ReturnType<typeof startService>>;
  let cfg: ServiceConfig;
  beforeAll(async () => {
    cfg = testConfig(state(), {
      tenants: [
        { name: 'team-a', keys: [{ id: a.id, publicKey: a.publicKey }] },
        { name: 'team-b', keys: [{ id: b.id, publicKey: b.publicKey }] },
      ],
      attestation: { required: true, maxAgeSec: 60 },
    });
    s = await startService(cfg);
  });
  afterAll(async () => s.close());
  const job = (n = 1) => ({ tenant: 'team-a', work: sleep(n) });
  const post = (body: unknown) => s.app.inject({ method: 'POST', url: '/v1/jobs', payload: body as object });

  it('a job signed by its tenant\'s key is admitted with a verified attestation report', async () => {
    const r = await post(signed(job(), a, 'team-a'));
    expect(r.statusCode).toBe(201);
    expect(r.json().attestation).toMatchObject({ verdict: 'verified', keyId: 'a-1', tenant: 'team-a' });
  });

  it.each([
    ['no manifest', () => job(), 400, 'bad-manifest'],
    ['an unknown key', () => signed(job(), testKey('x'), 'team-a'), 401, 'unknown-key'],
    ["team-b's key signing for team-a", () => signed(job(), b, 'team-a'), 403, 'wrong-tenant'],
    ['a manifest for team-b on a team-a job', () => signed(job(), b, 'team-b'), 403, 'wrong-tenant'],
    ['a bad signature', () => {
      const m = signed(job(), a, 'team-a');
      return { ...m, manifest: { ...m.manifest, payload: { ...m.manifest.payload, nonce: 'another-nonce-0123456789' } } };
    }, 401, 'bad-signature'],
    ['a tampered job', () => ({ ...signed(job(), a, 'team-a'), work: sleep(99) }), 403, 'job-tampered'],
    ['an expired manifest', () => signed(job(), a, 'team-a', { issuedAt: new Date(Date.now() - 120_000).toISOString() }), 401, 'expired'],
    ['a manifest from the future', () => signed(job(), a, 'team-a', { issuedAt: new Date(Date.now() + 120_000).toISOString() }), 401, 'not-yet-valid'],
  ])('%s is refused with %i %s', async (_what, body, status, code) => {
    const r = await post(body());
    expect([r.statusCode, r.json().error.code]).toEqual([status, code]);
  });

  it('a replayed nonce is refused (the same manifest under a new request cannot run twice)', async () => {
    const m = signed(job(2), a, 'team-a');
    expect((await post(m)).statusCode).toBe(201);
    const again = await post(m);
    expect([again.statusCode, again.json().error.code]).toEqual([403, 'replayed-nonce']);
  });
});
