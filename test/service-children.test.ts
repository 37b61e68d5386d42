import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { JsonLogger } from '../src/live/json-log.ts';
import type { JobRequest } from '../src/service/api-schema.ts';
import { listenChildApi } from '../src/service/child-jobs.ts';
import { JobService } from '../src/service/job-service.ts';
import { SessionService } from '../src/service/session-service.ts';
import { tempState, testConfig } from './service-helpers.ts';

// Child jobs: a job's scoped token (GPULAB_TOKEN) submits children with parentId and depth; the
// depth limit, the token's tenant and its parent's life bound it; cancel and the kill switch stop
// the tree; and a real job submits a child from inside the hardened sandbox over the unix socket.
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function open(over: Record<string, unknown> = {}) {
  const dir = tempState();
  dirs.push(dir);
  const cfg = testConfig(dir, { cluster: { nodes: [{ prefix: 'cpu-', count: 1, cpu: 4000, memory: 8192 }] }, admission: { maxQueue: 50 }, children: { maxDepth: 1 }, ...over });
  return { cfg, svc: await JobService.open({ config: cfg, dev: true, logger: new JsonLogger({ write: () => undefined }) }) };
}
const sleep = (ms: number): JobRequest => ({ tenant: 'team-a', work: { kind: 'sleep', ms }, gpus: 0, milli: 1000, cpuMilli: 1000, memoryMiB: 64, priority: 0 });
async function until(f: () => boolean, ms = 5000) {
  for (let t = 0; t < ms && !f(); t += 20) await new Promise((r) => setTimeout(r, 20));
  expect(f()).toBe(true);
}

describe('child jobs', () => {
  it('parentId and depth; the depth limit; the token is the tenant and dies with its job', async () => {
    const { svc } = await open();
    try {
      const p = await svc.submit(sleep(60_000));
      if (p.kind !== 'created') throw new Error(p.kind);
      await until(() => svc.job(p.job.id)?.state === 'running');
      const token = svc.tokens.issue({ parentId: p.job.id, tenant: 'team-a' });
      const c = await svc.submitChild(sleep(60_000), {}, token);
      expect(c).toMatchObject({ kind: 'created', job: { parentId: p.job.id, depth: 1 } });
      const childId = (c as { job: { id: string } }).job.id;
      expect(svc.job(p.job.id)?.children).toEqual([childId]);
      await until(() => svc.job(childId)?.state === 'running');
      // maxDepth 1: the child's own child would be at depth 2.
      const deep = await svc.submitChild(sleep(10), {}, svc.tokens.issue({ parentId: childId, tenant: 'team-a' }));
      expect(deep).toMatchObject({ kind: 'child-refused', status: 403, code: 'max-depth' });
      expect(await svc.submitChild({ ...sleep(10), tenant: 'team-b' }, {}, token)).toMatchObject({ kind: 'child-refused', status: 403, code: 'wrong-tenant' });
      expect(await svc.submitChild(sleep(10), {}, token.slice(0, -2) + 'xx')).toMatchObject({ kind: 'child-refused', status: 401, code: 'bad-token' });
      expect(await svc.submitChild(sleep(10), {}, undefined)).toMatchObject({ kind: 'child-refused', status: 401, code: 'bad-token' });
      // Cancelling the parent stops its tree; the parent's token is refused from then on.
      expect((await svc.cancel(p.job.id)).kind).toBe('ok');
      expect(svc.job(childId)?.state).toBe('cancelled');
      expect(await svc.submitChild(sleep(10), {}, token)).toMatchObject({ kind: 'child-refused', status: 403, code: 'parent-ended' });
    } finally {
      await svc.close(0);
    }
  }, 30_000);

  it('the kill switch stops the whole tree, queued children included', async () => {
    const { svc } = await open({ cluster: { nodes: [{ prefix: 'cpu-', count: 1, cpu: 2000, memory: 8192 }] }, children: { maxDepth: 3 } });
    try {
      const p = (await svc.submit(sleep(60_000))) as { job: { id: string } };
      await until(() => svc.job(p.job.id)?.state === 'running');
      const c1 = (await svc.submitChild(sleep(60_000), {}, svc.tokens.issue({ parentId: p.job.id, tenant: 'team-a' }))) as { job: { id: string } };
      await until(() => svc.job(c1.job.id)?.state === 'running');
      // The node is full (2 × 1000 m): the grandchild queues.
      const g = (await svc.submitChild(sleep(60_000), {}, svc.tokens.issue({ parentId: c1.job.id, tenant: 'team-a' }))) as { job: { id: string; depth: number } };
      expect(g.job.depth).toBe(2);
      expect(svc.job(g.job.id)?.state).toBe('queued');
      const k = await svc.killAll('drill');
      expect(k.kind).toBe('ok');
      for (const id of [p.job.id, c1.job.id, g.job.id]) expect(svc.job(id)?.state).toBe('cancelled');
    } finally {
      await svc.close(0);
    }
  }, 30_000);

  it('a real job submits a child from inside the hardened sandbox (network none) over the unix socket', async () => {
    const sockDir = mkdtempSync('/run/gpulab-test-');
    dirs.push(sockDir);
    chmodSync(sockDir, 0o711);
    const { cfg, svc } = await open({ sandbox: { mode: 'auto', timeoutSec: 20, graceMs: 200, minMemoryMiB: 64, backends: ['cpu'] }, children: { maxDepth: 1, socket: `${sockDir}/api.sock` } });
    chmodSync(cfg.stateDir, 0o711);
    const api = await listenChildApi(svc, cfg);
    try {
      const script = `
        const http = require('node:http');
        const [, path] = process.env.GPULAB_API.split(/^unix:/);
        const body = JSON.stringify({ tenant: 'team-a', command: ['sh', '-c', 'echo from-child'] });
        const req = http.request({ socketPath: path, path: '/v1/jobs', method: 'POST', headers: { authorization: 'Bearer ' + process.env.GPULAB_TOKEN, 'content-type': 'application/json' } }, (res) => {
          let t = ''; res.on('data', (d) => (t += d)); res.on('end', () => { console.log(res.statusCode, t); console.error('interfaces', JSON.stringify(Object.keys(require('node:os').networkInterfaces()))); });
        });
        req.on('error', (e) => { console.log('error', e.message); process.exitCode = 1; });
        req.end(body);`;
      const p = await svc.submit({ ...sleep(0), work: undefined, command: [process.execPath, '-e', script], cpuMilli: 500, memoryMiB: 256 });
      if (p.kind !== 'created') throw new Error(p.kind);
      await until(() => ['succeeded', 'failed'].includes(svc.job(p.job.id)?.state ?? ''), 15_000);
      const out = svc.output(p.job.id)!;
      expect(out.stdout.text, out.stderr.text).toMatch(/^201 /);
      const child = JSON.parse(out.stdout.text.slice(4)) as { id: string; parentId: string; depth: number };
      expect(child).toMatchObject({ parentId: p.job.id, depth: 1 });
      expect(svc.job(p.job.id)?.children).toEqual([child.id]);
      await until(() => svc.job(child.id)?.state === 'succeeded', 15_000);
      expect(svc.output(child.id)?.stdout.text).toBe('from-child\n');
      // The job had no network interface up (its own network namespace): the socket was its only way to the API.
      expect(out.stderr.text).toContain('interfaces []');
    } finally {
      await svc.close(0);
      await api.close();
    }
  }, 40_000);

  it('a session exec submits a child over the socket; ending the session cancels the child and voids the token', async () => {
    const sockDir = mkdtempSync('/run/gpulab-test-');
    dirs.push(sockDir);
    chmodSync(sockDir, 0o711);
    const { cfg, svc } = await open({
      sandbox: { mode: 'auto', timeoutSec: 20, graceMs: 200, minMemoryMiB: 64, backends: ['cpu'] },
      children: { maxDepth: 1, socket: `${sockDir}/api.sock` },
      templates: [{ name: 'node', runtime: 'node', resources: { cpuMilli: 500, memoryMiB: 256 } }],
    });
    chmodSync(cfg.stateDir, 0o711);
    const sessions = new SessionService(svc, cfg, new JsonLogger({ write: () => undefined }));
    await sessions.start();
    const api = await listenChildApi(svc, cfg);
    try {
      const c = await sessions.create({ tenant: 'team-a', template: 'node' }, {});
      if (c.kind !== 'created') throw new Error(JSON.stringify(c));
      const code = `
        const http = require('node:http');
        const body = JSON.stringify({ tenant: 'team-a', work: { kind: 'sleep', ms: 60000 } });
        const req = http.request({ socketPath: process.env.GPULAB_API.slice(5), path: '/v1/jobs', method: 'POST', headers: { authorization: 'Bearer ' + process.env.GPULAB_TOKEN, 'content-type': 'application/json' } }, (res) => {
          let t = ''; res.on('data', (d) => (t += d)); res.on('end', () => console.log(res.statusCode, t));
        });
        req.end(body);`;
      const e = await sessions.exec(c.session.id, { language: 'javascript', code });
      if (e.kind !== 'ok') throw new Error(JSON.stringify(e));
      expect(e.result.stdout, e.result.stderr).toMatch(/^201 /);
      const child = JSON.parse(e.result.stdout.slice(4)) as { id: string };
      expect(svc.job(child.id)).toMatchObject({ parentId: c.session.id, depth: 1 });
      await until(() => svc.job(child.id)?.state === 'running');
      const token = svc.tokens.issue({ parentId: c.session.id, tenant: 'team-a' });
      await sessions.end(c.session.id);
      expect(svc.job(child.id)?.state).toBe('cancelled');
      expect(await svc.submitChild(sleep(10), {}, token)).toMatchObject({ kind: 'child-refused', code: 'parent-ended' });
    } finally {
      await sessions.close();
      await svc.close(0);
      await api.close();
    }
  }, 40_000);
});
