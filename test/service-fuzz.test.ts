import fc from 'fast-check';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonLogger } from '../src/live/json-log.ts';
import { buildServer } from '../src/service/http.ts';
import { SessionService } from '../src/service/session-service.ts';
import { listenChildApi } from '../src/service/child-jobs.ts';
import { startService, tempState, testConfig } from './service-helpers.ts';

// Malformed and hostile requests through the whole HTTP stack (fastify inject: no socket): the
// process never crashes and every answer is a 4xx with an error code. Bounded: 10,000 requests
// (`FUZZ_RUNS` to change), paused admission so nothing runs.
const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const dir = tempState();
let s: Awaited<ReturnType<typeof startService>>;
let sessions: SessionService;
/** The unix-socket API for child jobs (token-only routes), fuzzed the same way. */
let childApi: Awaited<ReturnType<typeof listenChildApi>>;
beforeAll(async () => {
  const cfg = testConfig(dir, { tenants: [{ name: 'team-a', rateLimit: { perSec: 1, burst: 1 } }], templates: [{ name: 'shell', runtime: 'shell', resources: { cpuMilli: 100, memoryMiB: 64 } }] });
  s = await startService(cfg, true);
  // The session routes too: a session service on the same job service (admission paused, so no session opens).
  sessions = new SessionService(s.svc, cfg, new JsonLogger({ write: () => undefined }));
  await sessions.start();
  s = { ...s, app: buildServer(s.svc, cfg.admission, sessions) };
  childApi = await listenChildApi(s.svc, cfg);
  await s.svc.killAll('fuzzing');
});
afterAll(async () => {
  await sessions.close();
  await childApi.close();
  await s.close();
  rmSync(dir, { recursive: true, force: true });
});

const junk = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.integer(), fc.double(), fc.constant(null), fc.boolean(), fc.constant('../../etc/passwd'), fc.constant('\u0000'), fc.constant('x'.repeat(70_000)));
const value = fc.letrec((tie) => ({ v: fc.oneof({ depthSize: 'small' }, junk, fc.array(tie('v'), { maxLength: 4 }), fc.dictionary(fc.string({ maxLength: 8 }), tie('v'), { maxKeys: 4 })) })).v;
const jobish = fc.record(
  { tenant: fc.oneof(fc.constant('team-a'), junk), command: fc.oneof(fc.constant(['true']), value), work: value, gpus: value, milli: value, timeoutSec: value, priority: value, idempotencyKey: value, manifest: value },
  { requiredKeys: [] },
);
const sessionish = fc.record(
  { tenant: fc.oneof(fc.constant('team-a'), junk), template: fc.oneof(fc.constant('shell'), junk), idleTimeoutSec: value, maxLifetimeSec: value, language: fc.oneof(fc.constant('shell'), junk), code: value, timeoutSec: value, stdin: value, manifest: value },
  { requiredKeys: [] },
);
const body = fc.oneof(jobish.map((j) => JSON.stringify(j)), sessionish.map((j) => JSON.stringify(j)), value.map((v) => JSON.stringify(v) ?? ''), fc.string(), fc.string({ unit: 'grapheme' }), fc.constant('{"tenant":'), fc.constant('\u0000\uffff'));
const path = fc.oneof(
  fc.constant('/v1/jobs'),
  fc.string({ maxLength: 40 }).map((x) => `/v1/jobs/${encodeURIComponent(x)}`),
  fc.string({ maxLength: 40 }).map((x) => `/v1/jobs/${encodeURIComponent(x)}/cancel`),
  fc.constant('/v1/jobs/%2e%2e%2f%2e%2e'),
  fc.string({ maxLength: 40 }).map((q) => `/v1/jobs?${q}`),
  fc.constant('/v1/kill-all'),
  fc.constant('/v1/sessions'),
  fc.string({ maxLength: 40 }).map((q) => `/v1/sessions?${q}`),
  fc.string({ maxLength: 40 }).map((x) => `/v1/sessions/${encodeURIComponent(x)}`),
  fc.string({ maxLength: 40 }).map((x) => `/v1/sessions/${encodeURIComponent(x)}/exec`),
  fc.constant('/v1/sessions/%2e%2e%2f%2e%2e/exec'),
);

describe('gpulab serve under hostile requests', () => {
  it(`${RUNS} malformed requests: no crash, every answer a 4xx (or 503 paused) with an error code`, async () => {
    await fc.assert(
      fc.asyncProperty(path, fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'), body, fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded'), fc.option(fc.oneof(fc.string(), fc.string().map((t) => `Bearer ${t}`), fc.constant('Bearer gpt1.j1.team-a.AAAA'))), fc.boolean(), async (url, method, payload, type, auth, child) => {
        const headers: Record<string, string> = { 'content-type': type, ...(auth !== null ? { authorization: auth } : {}) };
        const r = await (child ? childApi : s.app).inject({ method, url, payload: method === 'GET' ? undefined : payload, headers });
        if (r.statusCode < 300) return; // e.g. a GET of a list: valid requests may succeed
        expect(r.statusCode === 503 || (r.statusCode >= 400 && r.statusCode < 500), `${method} ${url} → ${r.statusCode} ${r.body.slice(0, 200)}`).toBe(true);
        expect(typeof r.json().error.code).toBe('string');
      }),
      { numRuns: RUNS, seed: 7 },
    );
  }, 60_000);
});
