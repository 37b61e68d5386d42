import { parentPort, workerData } from 'node:worker_threads';
import { PolicyGuard } from '../scheduler/policy-guard.ts';
import { SweepContext, type SweepSpec, type TaskResult } from './context.ts';

/**
 * A sweep worker thread (bundled, src/sweep/worker-bundle.ts): runs the task indices it is sent,
 * one at a time, and answers each with `done` (the result) or `failed` (the error's text); notes
 * (trace loading, a long run's progress) go up as `note`. `null` means no tasks are left.
 * Policies are checked by a PolicyGuard without the CLI's watchdog thread.
 */

export type ToWorker = number | null;
export type FromWorker =
  | { kind: 'ready' }
  | { kind: 'note'; line: string }
  | { kind: 'done'; i: number; result: TaskResult }
  | { kind: 'failed'; i: number; message: string };

const port = parentPort!;
const post = (m: FromWorker) => port.postMessage(m);
const ctx = new SweepContext((workerData as { spec: SweepSpec }).spec, (line) => post({ kind: 'note', line }), new PolicyGuard());
port.on('message', (i: ToWorker) => {
  if (i === null) {
    port.close();
    return;
  }
  ctx.run(ctx.plan.tasks[i]).then(
    (result) => post({ kind: 'done', i, result }),
    (e: unknown) => post({ kind: 'failed', i, message: e instanceof Error ? e.message : String(e) }),
  );
});
post({ kind: 'ready' });
