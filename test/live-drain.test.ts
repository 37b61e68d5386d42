import { EventEmitter } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { detectSandbox } from '../src/live/sandbox.ts';
import { drained } from '../src/live/worker-process.ts';
import { harness, liveJob, NO_GPU } from './live-helpers.ts';

// Node gives no order between a child's 'exit' and its last IPC message: on a loaded box about 1
// cold worker in 30 exited (code 0) before its `result` was emitted, and the executor reported
// "worker crashed (exit code 0)". A job's end now waits for the channel and the pipes to drain.

class FakeChild extends EventEmitter {
  connected = true;
}

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('drained: a worker has ended once it exited and everything it sent arrived', () => {
  it('exit first, then the last message, disconnect and close: resolves only after all of them', async () => {
    const c = new FakeChild();
    let done = false;
    void drained(c, 10_000).then(() => (done = true));
    c.emit('exit', 0, null);
    await tick();
    expect(done).toBe(false);
    c.emit('message', { type: 'result' });
    c.connected = false;
    c.emit('disconnect');
    await tick();
    expect(done).toBe(false);
    c.emit('close', 0, null);
    await tick();
    expect(done).toBe(true);
  });

  it('channel already closed before the exit (the usual order): resolves at exit and close', async () => {
    const c = new FakeChild();
    let done = false;
    void drained(c, 10_000).then(() => (done = true));
    c.connected = false;
    c.emit('disconnect');
    c.emit('exit', 0, null);
    c.emit('close', 0, null);
    await tick();
    expect(done).toBe(true);
  });

  it('a pipe a descendant keeps open holds the end for at most the drain bound', async () => {
    const c = new FakeChild();
    const t0 = performance.now();
    const p = drained(c, 60);
    c.emit('exit', 0, null);
    await p;
    expect(performance.now() - t0).toBeGreaterThanOrEqual(50);
  });
});

describe('live executor: a result delivered after the worker exit still counts', () => {
  let h: Awaited<ReturnType<typeof harness>>;
  afterAll(async () => {
    await h.x.shutdown();
    expect(h.x.strays()).toEqual([]);
  });

  it('the flaky order replayed on a real worker: exit, then result, disconnect, close → succeeded', async () => {
    h = await harness({ layers: detectSandbox('none'), backends: ['cpu'], minMemoryMiB: 64 });
    const ids = ['late-0', 'late-1', 'late-2'];
    for (const id of ids) {
      h.x.start(liveJob(id, { kind: 'sleep', ms: 50 }), NO_GPU);
      const proc = h.x.workerOf(id)!.proc;
      // Hold the result and everything after it until 'exit' has been emitted, then replay them.
      const emit = proc.emit.bind(proc);
      const held: [string | symbol, unknown[]][] = [];
      let exited = false;
      let holding = false;
      proc.emit = ((ev: string | symbol, ...args: unknown[]) => {
        if (ev === 'message' && (args[0] as { type?: string }).type === 'result') holding = true;
        if (holding && !exited && ev !== 'exit') {
          held.push([ev, args]);
          return true;
        }
        if (ev !== 'exit') return emit(ev, ...args);
        exited = true;
        const r = emit(ev, ...args);
        setTimeout(() => {
          for (const [e, a] of held) emit(e, ...a);
        }, 30);
        return r;
      }) as typeof proc.emit;
    }
    const cs = await Promise.all(ids.map((id) => h.completion(id)));
    expect(cs.map((c) => c.outcome)).toEqual(['succeeded', 'succeeded', 'succeeded']);
  });
});
