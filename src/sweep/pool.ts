import { Worker } from 'node:worker_threads';
import type { SweepSpec, TaskResult } from './context.ts';
import type { FromWorker } from './worker-main.ts';

/**
 * Hands a sweep's tasks to `jobs` worker threads running the bundled worker: one queue, in the
 * given order; each worker takes the next task when it has answered the last, so a slow run never
 * holds back the others. A task that throws is reported through `onFailed` and the worker goes
 * on; a worker that dies (an uncaught error, out of memory) fails only the task it was running and
 * is replaced while tasks are left. A worker that dies before taking any task (a broken bundle)
 * fails the pool. Resolves when every task is answered. A callback that throws (the caller's
 * progress printer, say) stops every worker and rejects with its error.
 */
export function runPool(o: {
  bundle: string;
  spec: SweepSpec;
  order: readonly number[];
  jobs: number;
  onDone: (i: number, r: TaskResult) => void;
  onFailed: (i: number, message: string) => void;
  onNote: (line: string) => void;
}): Promise<void> {
  const queue = [...o.order];
  let open = 0;
  let settled = false;
  const workers = new Set<Worker>();
  return new Promise<void>((resolveAll, rejectAll) => {
    const finish = (e?: Error) => {
      if (settled) return;
      if (e) {
        settled = true;
        for (const w of workers) void w.terminate();
        rejectAll(e);
      } else if (open === 0 && queue.length === 0) {
        settled = true;
        resolveAll();
      }
    };
    const start = () => {
      open++;
      let current: number | undefined;
      let ready = false;
      const w = new Worker(o.bundle, { workerData: { spec: o.spec } });
      workers.add(w);
      w.on('message', (m: FromWorker) => {
        if (settled) return;
        try {
          if (m.kind === 'note') return o.onNote(m.line);
          if (m.kind === 'ready') ready = true;
          else if (m.kind === 'done') o.onDone(m.i, m.result);
          else o.onFailed(m.i, m.message);
        } catch (e) {
          return finish(e instanceof Error ? e : new Error(String(e)));
        }
        current = queue.shift();
        w.postMessage(current ?? null);
      });
      let dead: Error | undefined;
      w.on('error', (e: unknown) => (dead = e instanceof Error ? e : new Error(String(e))));
      w.on('exit', (code) => {
        open--;
        workers.delete(w);
        if (settled) return;
        const why = dead?.message ?? `exited with code ${code}`;
        if (!ready) return finish(new Error(`sweep worker failed before its first task: ${why}`));
        if (current !== undefined) {
          o.onFailed(current, `worker died: ${why}`);
          current = undefined;
          if (queue.length > 0) start();
        }
        finish();
      });
    };
    const n = Math.min(o.jobs, queue.length);
    if (n === 0) return finish();
    for (let k = 0; k < n; k++) start();
  });
}
