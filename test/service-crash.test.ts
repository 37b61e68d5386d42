import { readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MARKER_ENV } from '../src/live/proc-scan.ts';
import { serveProcess, tempState } from './service-helpers.ts';

// A real service process, 50 jobs, kill -9 mid-run, a restart on the same state: every job ends
// in exactly one terminal state, finished ones keep their single run, and nothing is left behind.
const dir = tempState();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CONFIG = `
cluster: { nodes: [{ prefix: cpu-, count: 2, cpu: 4000, memory: 8192 }] }
tenants: [{ name: team-a }, { name: team-b }]
admission: { maxQueue: 100 }
attestation: { required: false }
sandbox: { mode: none, timeoutSec: 30, graceMs: 200, minMemoryMiB: 64, backends: [cpu] }
recovery: { maxAttempts: 3 }
drainGraceSec: 0
`;


type Job = { id: string; state: string; attempts: number };
async function jobs(url: string): Promise<Job[]> {
  return ((await (await fetch(`${url}/v1/jobs?limit=1000`)).json()) as { jobs: Job[] }).jobs;
}

/** Worker processes (marker variable) whose working directory is under the state's work root. */
function leftovers(workRoot: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      if (!readFileSync(`/proc/${e}/environ`, 'latin1').includes(`${MARKER_ENV}=`)) continue;
      if (readlinkSync(`/proc/${e}/cwd`).startsWith(workRoot)) out.push(Number(e));
    } catch {
      // gone
    }
  }
  return out;
}

describe('gpulab serve survives kill -9', () => {
  it('50 jobs: each ends in exactly one terminal state, finished ones never rerun, no process or workdir left', async () => {
    writeFileSync(join(dir, 'serve.yaml'), CONFIG);
    const first = await serveProcess(dir);
    // 8 slots (2 nodes × 4000 milli-CPU / 1000): sleeps of 150–600 ms, so some finish, some run, most queue.
    const sent: string[] = [];
    for (let i = 0; i < 50; i++) {
      const r = await fetch(`${first.url}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tenant: i % 2 ? 'team-a' : 'team-b', work: { kind: 'sleep', ms: 150 + (i % 4) * 150 }, idempotencyKey: `k${i}` }) });
      expect(r.status).toBe(201);
      sent.push(((await r.json()) as Job).id);
    }
    let before: Job[] = [];
    for (let i = 0; i < 200; i++) {
      before = await jobs(first.url);
      if (before.filter((j) => j.state === 'succeeded').length >= 10 && before.some((j) => j.state === 'running')) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    first.p.kill('SIGKILL');
    await new Promise((r) => first.p.once('exit', r));
    const doneBefore = before.filter((j) => j.state === 'succeeded').map((j) => j.id);
    expect(doneBefore.length).toBeGreaterThanOrEqual(10);
    expect(before.map((j) => j.state)).toContain('running');

    const second = await serveProcess(dir);
    try {
      expect(((await (await fetch(`${second.url}/readyz`)).json()) as { epoch: number }).epoch).toBe(2);
      let after: Job[] = [];
      for (let i = 0; i < 400; i++) {
        after = await jobs(second.url);
        if (after.length === 50 && after.every((j) => ['succeeded', 'failed', 'timed-out', 'cancelled', 'rejected'].includes(j.state))) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(after.map((j) => j.id).sort()).toEqual([...sent].sort());
      // Every job succeeds: a cold worker whose exit Node emits before its last message still counts
      // its result (test/live-drain.test.ts replays that order).
      expect(after.filter((j) => j.state !== 'succeeded').map((j) => [j.id, j.state])).toEqual([]);
      // Finished before the crash: still one run. Running at the crash: a second run (attempt 2).
      for (const id of doneBefore) expect(after.find((j) => j.id === id)!.attempts).toBe(1);
      const wasRunning = before.filter((j) => j.state === 'running').map((j) => j.id);
      for (const id of wasRunning) {
        const runs = ((await (await fetch(`${second.url}/v1/jobs/${id}/runs`)).json()) as { runs: { outcome: string; epoch: number }[] }).runs;
        expect(runs.map((r) => [r.epoch, r.outcome])).toEqual([[1, 'crashed'], [2, 'succeeded']]);
      }
      // The same idempotency key after the restart answers the same job, with no new run.
      const again = await fetch(`${second.url}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tenant: 'team-b', work: { kind: 'sleep', ms: 150 }, idempotencyKey: 'k0' }) });
      expect([again.status, ((await again.json()) as Job).id]).toEqual([200, sent[0]]);
      expect(readdirSync(join(dir, 'work'))).toEqual(['epoch-2']);
      expect(leftovers(join(dir, 'work'))).toEqual([]);
      const events = readFileSync(join(dir, 'runs', 'epoch-1', 'events.jsonl'), 'utf8');
      expect(events.split('\n').filter((l) => l.includes('"ev":"finish"')).length).toBeGreaterThanOrEqual(doneBefore.length);
    } finally {
      second.p.kill('SIGTERM');
      await new Promise((r) => second.p.once('exit', r));
    }
  }, 40_000);
});
