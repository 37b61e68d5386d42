import { request } from 'node:http';
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { startService, tempState, testConfig } from './service-helpers.ts';

const dir = tempState();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Sse {
  readonly event: string;
  readonly data: Record<string, unknown>;
  /** performance.now() when it arrived. */
  readonly at: number;
}

/** Reads a server-sent event stream to its end. */
function readSse(url: string): Promise<{ status: number; type: string; events: Sse[] }> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      const events: Sse[] = [];
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (data !== undefined) events.push({ event, data: JSON.parse(data), at: performance.now() });
        }
      });
      res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type']), events }));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

describe('live output of a running job: GET /v1/jobs/:id/output while it runs, and ?follow=1 as a stream', () => {
  it('a job that prints, sleeps, prints: the output so far while it runs, then the rest streamed as printed until it ends', async () => {
    const cfg = testConfig(dir, { sandbox: { mode: 'none', timeoutSec: 20, graceMs: 200, minMemoryMiB: 64, backends: ['cpu'], outputCaptureBytes: 4096 } });
    const s = await startService(cfg, true);
    try {
      const base = await s.app.listen({ host: '127.0.0.1', port: 0 });
      const post = (body: object) => s.app.inject({ method: 'POST', url: '/v1/jobs', payload: body });
      const id = (await post({ tenant: 'team-a', command: ['/bin/sh', '-c', 'echo first; sleep 1.2; echo second >&2; sleep 0.6; echo third'] })).json().id;

      // While it runs: what it printed so far, marked running.
      let o = (await s.app.inject(`/v1/jobs/${id}/output`)).json();
      for (let i = 0; i < 200 && !(o.running && o.stdout.text === 'first\n'); i++) {
        await pause(10);
        o = (await s.app.inject(`/v1/jobs/${id}/output`)).json();
      }
      expect(o).toEqual({ id, attempt: 1, exitCode: null, running: true, stdout: { text: 'first\n', bytes: 6, truncated: false }, stderr: { text: '', bytes: 0, truncated: false } });

      // Follow: the snapshot, then each line as it is printed, then the end.
      const t0 = performance.now();
      const f = await readSse(`${base}/v1/jobs/${id}/output?follow=1`);
      expect(f.status).toBe(200);
      expect(f.type).toContain('text/event-stream');
      expect(f.events.map((e) => e.event)).toEqual(['snapshot', 'output', 'output', 'end']);
      expect(f.events[0].data).toMatchObject({ attempt: 1, stdout: { text: 'first\n' } });
      expect(f.events[1].data).toEqual({ stream: 'stderr', text: 'second\n' });
      expect(f.events[2].data).toEqual({ stream: 'stdout', text: 'third\n' });
      expect(f.events[3].data).toMatchObject({ id, state: 'succeeded', exitCode: 0 });
      // Streamed as printed, not at the end: 'second' came ~0.6 s before 'third' and the end.
      expect(f.events[2].at - f.events[1].at).toBeGreaterThan(300);
      expect(f.events[1].at - t0).toBeGreaterThan(100);

      // Once finished: the stored output and the end at once; the plain GET has no `running`.
      const done = await readSse(`${base}/v1/jobs/${id}/output?follow=1`);
      expect(done.events.map((e) => e.event)).toEqual(['snapshot', 'end']);
      expect(done.events[0].data).toMatchObject({ attempt: 1, stdout: { text: 'first\nthird\n' }, stderr: { text: 'second\n' } });
      const final = (await s.app.inject(`/v1/jobs/${id}/output`)).json();
      expect(final.running).toBeUndefined();
      expect(final.exitCode).toBe(0);

      // A queued job's stream starts empty and follows it once it runs.
      const blocker = (await post({ tenant: 'team-a', work: { kind: 'sleep', ms: 700 }, cpuMilli: 2000 })).json().id;
      const later = (await post({ tenant: 'team-a', command: ['/bin/sh', '-c', 'echo later'], cpuMilli: 2000 })).json().id;
      expect((await s.app.inject(`/v1/jobs/${later}`)).json().state).toBe('queued');
      const q = await readSse(`${base}/v1/jobs/${later}/output?follow=1`);
      expect(q.events.map((e) => e.event)).toEqual(['snapshot', 'output', 'end']);
      expect(q.events[0].data).toMatchObject({ stdout: { text: '' } });
      expect(q.events[1].data).toEqual({ stream: 'stdout', text: 'later\n' });
      expect((await s.app.inject(`/v1/jobs/${blocker}`)).json().state).toBe('succeeded');

      // follow with attempt: 400 naming the field; unknown job: 404.
      expect((await s.app.inject(`/v1/jobs/${id}/output?follow=1&attempt=1`)).json().error).toMatchObject({ code: 'invalid-request', field: 'follow' });
      expect((await s.app.inject(`/v1/jobs/${id}/output?follow=2`)).json().error).toMatchObject({ code: 'invalid-request', field: 'follow' });
      expect((await s.app.inject('/v1/jobs/nope/output?follow=1')).statusCode).toBe(404);
    } finally {
      await s.close();
    }
  }, 30_000);
});
