import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, parseServiceConfig } from '../src/service/config.ts';
import { serviceRecords, startCounts, startSessionService, until } from './helpers/session-service.ts';
import { tempState } from './service-helpers.ts';

// Warm pools in the service driven by the simulator's warm-pool policies (templates'
// `warmPool: { policy, params }`): validation, the pool after each release, start records.
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const shell = (warmPool: unknown, setup = ['echo fresh > mark.txt']) => ({ name: 'sh', runtime: 'shell', resources: { cpuMilli: 100, memoryMiB: 64 }, setup, warmPool });

async function start(warmPool: unknown, setup?: string[]) {
  const dir = tempState();
  dirs.push(dir);
  const s = await startSessionService(dir, { templates: [shell(warmPool, setup)] });
  const pool = () => s.sessions.poolStats().find((p) => p.template === 'sh')!;
  const create = async () => {
    const r = await s.post('/v1/sessions', { tenant: 'team-a', template: 'sh' });
    expect(r.statusCode).toBe(201);
    return r.json() as { id: string; cold: boolean };
  };
  return { ...s, dir, pool, create };
}

describe('warm-pool policy in the service config', () => {
  const cfg = (warmPool: string) => `stateDir: /tmp/x\ncluster: { nodes: [{ prefix: c-, count: 1, cpu: 1000, memory: 1024 }] }\ntenants: [{ name: a }]\ntemplates:\n  - { name: sh, runtime: shell, resources: { cpuMilli: 100, memoryMiB: 64 }, warmPool: ${warmPool} }\n`;
  const problem = (text: string) => {
    try {
      parseServiceConfig(text, 'gpulab.yaml');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as Error).message;
    }
    throw new Error('accepted');
  };

  it('accepts a registered policy, params defaulted', () => {
    const c = parseServiceConfig(cfg('{ policy: fixed }'), 'gpulab.yaml');
    expect(c.templates[0].warmPool).toEqual({ policy: 'fixed', params: {} });
    expect(parseServiceConfig(cfg('{ policy: idle-timeout, params: { idleSec: 30 } }'), 'gpulab.yaml').templates[0].warmPool).toEqual({ policy: 'idle-timeout', params: { idleSec: 30 } });
  });

  it('names the file and the field of an unknown policy or bad params', () => {
    expect(problem(cfg('{ policy: lru }'))).toMatch(/gpulab\.yaml[\s\S]*templates\.0\.warmPool\.policy: unknown warm-pool policy 'lru' \(known: demand-proportional, fixed, idle-timeout\)/);
    expect(problem(cfg('{ policy: fixed, params: { perContext: -1 } }'))).toMatch(/templates\.0\.warmPool\.params\.perContext: Too small/);
    expect(problem(cfg('{ policy: fixed, params: { keep: 1 } }'))).toMatch(/templates\.0\.warmPool\.params\.keep: unknown param/);
  });
});

describe('policy-driven warm pools', () => {
  it('fixed keep 1: empty at start, one fresh worker after a release, trimmed to one after two; start records say warm or cold', async () => {
    const s = await start({ policy: 'fixed', params: { perContext: 1 } });
    try {
      expect(s.pool()).toMatchObject({ size: 0, available: 0 });
      const a = await s.create();
      expect(a.cold).toBe(true);
      await s.post(`/v1/sessions/${a.id}/exec`, { language: 'shell', code: 'echo used > mark.txt' });
      expect((await s.del(a.id)).statusCode).toBe(200);
      expect(await until(() => s.pool().available === 1)).toBe(true);
      const b = await s.create();
      const c = await s.create();
      expect([b.cold, c.cold]).toEqual([false, true]);
      // A pooled worker is built afresh from the template, never the ended session's.
      const seen = await s.post(`/v1/sessions/${b.id}/exec`, { language: 'shell', code: 'cat mark.txt' });
      expect(seen.json().stdout).toBe('fresh\n');
      await s.del(b.id);
      await s.del(c.id);
      await s.sessions.poolsFull();
      expect(s.pool()).toMatchObject({ size: 1, available: 1 });
      const starts = serviceRecords(s.dir, s.svc.epoch).filter((r) => r.ev === 'start');
      expect(starts.map((r) => r.ev === 'start' && [r.context, r.warm])).toEqual([
        ['sh', false],
        ['sh', true],
        ['sh', false],
      ]);
      // Warm: overhead 0; the second cold start carries the first's measured build (ms).
      expect(starts.map((r) => r.ev === 'start' && r.overhead)).toEqual([0, 0, expect.any(Number)]);
      expect(starts[2].ev === 'start' && starts[2].overhead).toBeGreaterThan(0);
      expect(startCounts(starts)).toEqual({ cold: 2, warm: 1 });
    } finally {
      await s.close();
    }
  });

  it('idle-timeout: the worker kept after a release expires idleSec later', async () => {
    const s = await start({ policy: 'idle-timeout', params: { idleSec: 0.6 } });
    try {
      const a = await s.create();
      await s.del(a.id);
      expect(s.pool().size).toBe(1);
      await s.sessions.poolsFull();
      expect(await until(() => s.pool().size === 0, 5000)).toBe(true);
      expect(s.pool()).toMatchObject({ available: 0, recycled: 1 });
      expect((await s.create()).cold).toBe(true);
    } finally {
      await s.close();
    }
  });

  it('fixed keep 0 keeps nothing: every create is cold', async () => {
    const s = await start({ policy: 'fixed', params: { perContext: 0 } });
    try {
      for (let i = 0; i < 2; i++) {
        const a = await s.create();
        expect(a.cold).toBe(true);
        await s.del(a.id);
        expect(s.pool().size).toBe(0);
      }
    } finally {
      await s.close();
    }
  });

  it('a create whose worker fails to build leaves nothing warm (no policy asked)', async () => {
    const s = await start({ policy: 'fixed', params: { perContext: 1 } }, ['exit 3']);
    try {
      const r = await s.post('/v1/sessions', { tenant: 'team-a', template: 'sh' });
      expect(r.statusCode).toBe(503);
      expect(r.json().error.code).toBe('worker-failed');
      expect(s.pool()).toMatchObject({ size: 0, available: 0 });
    } finally {
      await s.close();
    }
  });

  it('demand-proportional sizes the pool by recent creates of the template', async () => {
    // windowSec 600, horizonSec 300: 3 creates in the window → ceil(3 × 300 / 600) = 2 kept.
    const s = await start({ policy: 'demand-proportional', params: { windowSec: 600, horizonSec: 300 } });
    try {
      const ids = [(await s.create()).id, (await s.create()).id, (await s.create()).id];
      for (const id of ids) await s.del(id);
      await s.sessions.poolsFull();
      expect(s.pool()).toMatchObject({ size: 2, available: 2 });
    } finally {
      await s.close();
    }
  });
});
