import { chmodSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listJobCgroups } from '../src/live/cgroups.ts';
import { markedProcesses } from '../src/live/proc-scan.ts';
import { detectSessionSandbox } from '../src/sessions/session-worker.ts';
import { markerPrefix, rootTag } from '../src/sessions/session-worker.ts';
import { serveProcess, tempState } from './service-helpers.ts';

// A real service process with sessions open (one busy in an exec), kill -9, a restart on the same
// state: every session reads ended `service-restart`, its hold job is cancelled (not requeued),
// and no process, cgroup or working directory of the dead service's workers is left.
const dir = tempState();
// Session workers run as nobody: their working directories' ancestors must be searchable.
chmodSync(dir, 0o711);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CONFIG = `
cluster: { nodes: [{ prefix: cpu-, count: 1, cpu: 4000, memory: 8192 }] }
tenants: [{ name: team-a }]
attestation: { required: false }
sandbox: { mode: auto, timeoutSec: 30, graceMs: 200, minMemoryMiB: 64, backends: [cpu] }
templates:
  - { name: shell, runtime: shell, resources: { cpuMilli: 500, memoryMiB: 128 }, warmPool: { size: 1, idleRecycleSec: 600 } }
drainGraceSec: 0
`;


const post = async (url: string, body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('sessions survive a service crash as records', () => {
  it('kill -9 with sessions open: after the restart they read ended service-restart; nothing of their workers is left', async () => {
    writeFileSync(join(dir, 'serve.yaml'), CONFIG);
    const root = join(dir, 'sessions');
    const first = await serveProcess(dir);
    const ids: { id: string; jobId: string; workerId: string }[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await post(`${first.url}/v1/sessions`, { tenant: 'team-a', template: 'shell' });
      expect(r.status).toBe(201);
      ids.push(await r.json());
    }
    // One session busy with a long exec (its process tree must be reaped too).
    void post(`${first.url}/v1/sessions/${ids[0].id}/exec`, { language: 'shell', code: 'sleep 300 & sleep 300', timeoutSec: 600 }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
    const workerDirs = readdirSync(root);
    expect(workerDirs).toEqual(expect.arrayContaining(ids.map((s) => s.workerId)));
    const prefix = markerPrefix(root);
    const before = markedProcesses().filter((p) => p.marker.startsWith(prefix));
    expect(before.length).toBeGreaterThan(0);
    first.p.kill('SIGKILL');
    await new Promise((r) => first.p.once('exit', r));

    const second = await serveProcess(dir);
    try {
      for (const s of ids) {
        const v = await (await fetch(`${second.url}/v1/sessions/${s.id}`)).json();
        expect(v).toMatchObject({ id: s.id, state: 'ended', endReason: 'service-restart' });
        expect(v.leftovers ?? []).toEqual([]);
        expect(await (await fetch(`${second.url}/v1/jobs/${s.jobId}`)).json()).toMatchObject({ state: 'cancelled', reason: 'service-restart' });
      }
      const exec = await post(`${second.url}/v1/sessions/${ids[1].id}/exec`, { language: 'shell', code: 'true' });
      expect(exec.status).toBe(410);
      // Nothing of the dead service's workers: processes, cgroups, working directories.
      const alive = new Set(markedProcesses().map((p) => p.pid));
      expect(before.filter((p) => alive.has(p.pid))).toEqual([]);
      const layers = detectSessionSandbox('auto');
      if (layers.cgroup) {
        const left = listJobCgroups(layers.cgroup).filter((n) => n.startsWith(`sess-${rootTag(root)}-`));
        for (const w of workerDirs) expect(left.some((n) => n.endsWith(w))).toBe(false);
      }
      expect(readdirSync(root).filter((d) => workerDirs.includes(d))).toEqual([]);
      // The restarted service serves new sessions.
      expect((await post(`${second.url}/v1/sessions`, { tenant: 'team-a', template: 'shell' })).status).toBe(201);
    } finally {
      second.p.kill('SIGTERM');
      await new Promise((r) => second.p.once('exit', r));
    }
  }, 90_000);
});
