import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { JsonLogger } from '../src/live/json-log.ts';
import { buildServer } from '../src/service/http.ts';
import { JobService } from '../src/service/job-service.ts';
import { tempState, testConfig } from './service-helpers.ts';

const dir = tempState();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('listen first, recover, then ready', () => {
  it('while recovering: healthz 200, readyz and every job route 503 recovering (Retry-After); ready after recover()', async () => {
    const cfg = testConfig(dir);
    const svc = JobService.create({ config: cfg, dev: true, logger: new JsonLogger({ write: () => {} }) });
    const app = buildServer(svc, cfg.admission);
    try {
      expect((await app.inject('/healthz')).statusCode).toBe(200);
      const r = await app.inject('/readyz');
      expect([r.statusCode, r.json().error.code]).toEqual([503, 'recovering']);
      for (const [method, url] of [['POST', '/v1/jobs'], ['GET', '/v1/jobs'], ['GET', '/v1/jobs/j1'], ['GET', '/v1/jobs/j1/output'], ['GET', '/v1/jobs/j1/runs'], ['POST', '/v1/jobs/j1/cancel'], ['POST', '/v1/kill-all'], ['POST', '/v1/resume'], ['GET', '/v1/events']] as const) {
        const a = await app.inject({ method, url, ...(method === 'POST' ? { payload: { tenant: 'team-a', work: { kind: 'sleep', ms: 1 } } } : {}) });
        expect([url, a.statusCode, a.json().error.code, a.headers['retry-after']]).toEqual([url, 503, 'recovering', '1']);
      }
      await svc.recover();
      expect((await app.inject('/readyz')).json()).toMatchObject({ ready: true, epoch: 1 });
      expect((await app.inject({ method: 'POST', url: '/v1/jobs', payload: { tenant: 'team-a', work: { kind: 'sleep', ms: 1 } } })).statusCode).toBe(201);
    } finally {
      await svc.close(0);
      await app.close();
    }
  });

  it('a stop during recovery waits for it, then closes cleanly', async () => {
    const cfg = testConfig(dir);
    const svc = JobService.create({ config: cfg, dev: true, logger: new JsonLogger({ write: () => {} }) });
    const rec = svc.recover();
    await svc.close(0);
    await rec;
    expect(svc.state).toBe('closed');
  });
});
