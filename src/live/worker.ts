/**
 * Worker entry point: one worker runs one job, in its sandbox, then exits. Started by the live
 * executor (cold, or ahead of time for the warm pool) with the IPC channel as its only link to
 * the parent. Environment: GPULAB_WORKER_KIND (tensor | plain), GPULAB_BACKENDS (comma list, best
 * first). Tensor workers initialise their backend before saying `ready`, which is what makes a
 * warm start fast. Messages are validated both ways (protocol.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { PROTOCOL_VERSION, ParentMessageSchema, type WorkerMessage } from './protocol.ts';
import { BACKENDS, type BackendName, type WorkSpec } from './work-spec.ts';
import { chooseBackend, type ChosenBackend } from './workloads/backend.ts';
import { runTensorJob } from './workloads/tensor-jobs.ts';

type Dist<T> = T extends unknown ? Omit<T, 'v'> : never;

function send(m: Dist<WorkerMessage>): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected || !process.send) return resolve();
    process.send!({ v: PROTOCOL_VERSION, ...m }, undefined, {}, () => resolve());
  });
}

async function exit(code: number): Promise<never> {
  if (process.connected) process.disconnect?.();
  process.exit(code);
}

let command: ChildProcess | undefined;
let busy = false;

function onTerm(): void {
  // The command shares this worker's process group, so the parent's SIGTERM to the group has
  // reached it too: wait for it to exit (its result is still reported); the parent escalates to
  // SIGKILL after its grace period.
  if (command?.pid !== undefined && command.exitCode === null && command.signalCode === null) return;
  void exit(143);
}

async function runCommand(jobId: string, argv: readonly string[]): Promise<void> {
  const env: Record<string, string> = {};
  for (const [k, val] of Object.entries(process.env)) if (val !== undefined && !k.startsWith('NODE_CHANNEL') && !k.startsWith('GPULAB_WORKER')) env[k] = val;
  const t0 = performance.now();
  await send({ type: 'started', jobId, backend: 'none', device: 'cpu' });
  await new Promise<void>((resolve) => {
    command = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'inherit', 'inherit'], env });
    command.on('error', async (e) => {
      await send({ type: 'result', jobId, ok: false, computeMs: performance.now() - t0, flop: 0, backend: 'none', device: 'cpu', exitCode: null, signal: null, message: `cannot start command: ${e.message}` });
      resolve();
    });
    command.on('exit', async (code, signal) => {
      const ok = code === 0;
      const message = ok ? undefined : signal ? `command killed by ${signal}` : `command exited with code ${code}`;
      await send({ type: 'result', jobId, ok, computeMs: performance.now() - t0, flop: 0, backend: 'none', device: 'cpu', exitCode: code, signal, ...(message ? { message } : {}) });
      resolve();
    });
  });
}

async function main(): Promise<void> {
  if (!process.send) {
    process.stderr.write('gpulab worker: must be started by the live executor (no IPC channel)\n');
    process.exit(2);
  }
  process.on('SIGTERM', onTerm);
  process.on('disconnect', () => {
    if (command?.pid !== undefined && command.exitCode === null) {
      try {
        process.kill(command.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    process.exit(busy ? 1 : 0);
  });
  const kind = process.env.GPULAB_WORKER_KIND === 'tensor' ? 'tensor' : 'plain';
  const order = (process.env.GPULAB_BACKENDS ?? BACKENDS.join(',')).split(',').filter((b): b is BackendName => (BACKENDS as readonly string[]).includes(b));
  const t0 = performance.now();
  let chosen: ChosenBackend | undefined;
  let initError: string | undefined;
  if (kind === 'tensor') {
    try {
      chosen = await chooseBackend(order);
    } catch (e) {
      initError = (e as Error).message;
    }
  }
  process.on('message', async (raw) => {
    const r = ParentMessageSchema.safeParse(raw);
    if (!r.success) {
      process.stderr.write(`gpulab worker: bad message: ${r.error.issues[0]?.message}\n`);
      return exit(3);
    }
    const m = r.data;
    if (m.type === 'stop') return onTerm();
    if (busy) return exit(3);
    busy = true;
    Object.assign(process.env, m.env);
    const w: WorkSpec = m.work;
    if (w.kind === 'command') {
      await runCommand(m.jobId, w.argv);
      return exit(0);
    }
    if (w.kind === 'sleep') {
      await send({ type: 'started', jobId: m.jobId, backend: 'none', device: 'none' });
      const s = performance.now();
      await new Promise((res) => setTimeout(res, w.ms));
      await send({ type: 'result', jobId: m.jobId, ok: true, computeMs: performance.now() - s, flop: 0, backend: 'none', device: 'none' });
      return exit(0);
    }
    if (!chosen) {
      await send({ type: 'result', jobId: m.jobId, ok: false, computeMs: 0, flop: 0, backend: 'none', device: 'none', message: initError ?? 'tensor job on a plain worker' });
      return exit(1);
    }
    await send({ type: 'started', jobId: m.jobId, backend: chosen.backend, device: chosen.device });
    const s = performance.now();
    try {
      const res = await runTensorJob(chosen.tf, w, (done, total, flop) => void send({ type: 'progress', jobId: m.jobId, done, total, flop }));
      await send({ type: 'result', jobId: m.jobId, ok: true, computeMs: performance.now() - s, flop: res.flop, backend: chosen.backend, device: chosen.device });
      return exit(0);
    } catch (e) {
      await send({ type: 'result', jobId: m.jobId, ok: false, computeMs: performance.now() - s, flop: 0, backend: chosen.backend, device: chosen.device, message: `tensor job failed: ${(e as Error).message}` });
      return exit(1);
    }
  });
  const beat = Number(process.env.GPULAB_HEARTBEAT_MS ?? '0');
  if (beat > 0) setInterval(() => void send({ type: 'heartbeat' }), beat).unref();
  await send({ type: 'ready', backend: chosen?.backend ?? 'none', device: chosen?.device ?? 'none', initMs: performance.now() - t0, skipped: chosen ? [...chosen.skipped] : initError ? [initError] : [] });
}

await main();
