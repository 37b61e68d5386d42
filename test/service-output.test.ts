import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { OutputCapture } from '../src/live/worker-process.ts';
import { startService, tempState, testConfig } from './service-helpers.ts';

const dir = tempState();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('OutputCapture: bounded, head and tail kept, the cut marked', () => {
  it('keeps everything under the bound', () => {
    const c = new OutputCapture(16);
    c.add(Buffer.from('hello '));
    c.add(Buffer.from('world'));
    expect(c.result()).toEqual({ text: 'hello world', bytes: 11, truncated: false });
  });
  it('over the bound: the first and last halves, the dropped count in between', () => {
    const c = new OutputCapture(8);
    for (const s of ['abcdef', 'ghijkl', 'mnopqr', 'stuvwxyz']) c.add(Buffer.from(s));
    expect(c.result()).toEqual({ text: 'abcd\n[… 18 bytes dropped …]\nwxyz', bytes: 26, truncated: true });
  });
});

describe('GET /v1/jobs/:id/output and exitCode', () => {
  const cfg = testConfig(dir, { sandbox: { mode: 'none', timeoutSec: 20, graceMs: 200, minMemoryMiB: 64, backends: ['cpu'], outputCaptureBytes: 4096 } });
  const waitEnd = async (s: Awaited<ReturnType<typeof startService>>, id: string) => {
    for (let i = 0; i < 250; i++) {
      const j = (await s.app.inject(`/v1/jobs/${id}`)).json();
      if (!['queued', 'running'].includes(j.state)) return j;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`job ${id} did not end`);
  };

  it('stdout and stderr of a command, its exit code on the job and the run, kept across a restart; long output cut and marked', async () => {
    let s = await startService(cfg, true);
    const post = (body: object) => s.app.inject({ method: 'POST', url: '/v1/jobs', payload: body });
    const ok = (await post({ tenant: 'team-a', command: ['/bin/sh', '-c', 'echo out; echo err >&2'] })).json().id;
    const bad = (await post({ tenant: 'team-a', command: ['/bin/sh', '-c', 'echo failing >&2; exit 3'] })).json().id;
    const long = (await post({ tenant: 'team-a', command: ['/bin/sh', '-c', 'printf start; i=0; while [ $i -lt 2000 ]; do printf 0123456789; i=$((i+1)); done; printf end'] })).json().id;
    const queued = (await post({ tenant: 'team-a', work: { kind: 'sleep', ms: 3000 }, cpuMilli: 2000 })).json().id;

    expect(await waitEnd(s, ok)).toMatchObject({ state: 'succeeded', exitCode: 0 });
    expect(await waitEnd(s, bad)).toMatchObject({ state: 'failed', exitCode: 3, reason: 'command exited with code 3' });
    expect(await waitEnd(s, long)).toMatchObject({ state: 'succeeded', exitCode: 0 });
    const o = (await s.app.inject(`/v1/jobs/${ok}/output`)).json();
    expect(o).toEqual({ id: ok, attempt: 1, exitCode: 0, stdout: { text: 'out\n', bytes: 4, truncated: false }, stderr: { text: 'err\n', bytes: 4, truncated: false } });
    expect((await s.app.inject(`/v1/jobs/${bad}/runs`)).json().runs[0]).toMatchObject({ outcome: 'failed', exitCode: 3 });
    const l = (await s.app.inject(`/v1/jobs/${long}/output`)).json();
    expect(l.stdout.bytes).toBe(20_008);
    expect(l.stdout.truncated).toBe(true);
    expect(l.stdout.text.startsWith('start0123')).toBe(true);
    expect(l.stdout.text.endsWith('6789end')).toBe(true);
    expect(l.stdout.text).toContain(`[… ${20_008 - 4096} bytes dropped …]`);

    // Still running (the 3 s sleep started once the others ended): what it printed so far, marked running.
    expect((await s.app.inject(`/v1/jobs/${queued}`)).json().state).toBe('running');
    expect((await s.app.inject(`/v1/jobs/${queued}/output`)).json()).toEqual({ id: queued, attempt: 1, exitCode: null, running: true, stdout: { text: '', bytes: 0, truncated: false }, stderr: { text: '', bytes: 0, truncated: false } });
    // Not started, unknown, bad query.
    const behind = (await post({ tenant: 'team-a', work: { kind: 'sleep', ms: 10 }, cpuMilli: 2000 })).json().id;
    expect((await s.app.inject(`/v1/jobs/${behind}`)).json().state).toBe('queued');
    expect((await s.app.inject(`/v1/jobs/${behind}/output`)).json().error.code).toBe('no-output');
    expect((await s.app.inject('/v1/jobs/nope/output')).statusCode).toBe(404);
    expect((await s.app.inject(`/v1/jobs/${ok}/output?attempt=0`)).json().error).toMatchObject({ code: 'invalid-request', field: 'attempt' });
    expect((await s.app.inject(`/v1/jobs/${ok}/output?attempt=2`)).json().error.code).toBe('no-output');

    await s.close();
    s = await startService(cfg, true);
    try {
      expect((await s.app.inject(`/v1/jobs/${ok}/output?attempt=1`)).json()).toEqual(o);
      expect((await s.app.inject(`/v1/jobs/${bad}`)).json()).toMatchObject({ state: 'failed', exitCode: 3 });
    } finally {
      await s.close();
    }
  }, 20_000);
});
