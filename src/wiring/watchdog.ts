import { Worker } from 'node:worker_threads';
import type { CallRecorder } from '../scheduler/policy-guard.ts';

/**
 * The hard half of the policy watchdog. A policy call that never returns (an infinite loop)
 * blocks the thread that runs the simulation, so nothing on that thread can notice; a small
 * worker thread watches a shared-memory record of the call in progress (written by the
 * `PolicyGuard` through `recorder`) and, once one call has run past `budgetMs` of wall time,
 * prints which policy, method, job and simulated time it was, removes the paths registered with
 * `cleanupOnKill` (a run's unfinished output) and kills the process (SIGKILL: a blocked thread
 * runs no signal handler). For CLIs: a test runner must not host it.
 */
export interface Watchdog {
  readonly recorder: CallRecorder;
  readonly budgetMs: number;
  /** Paths to remove if the watchdog kills the process (temporary output directories). */
  cleanupOnKill(paths: readonly string[]): void;
  stop(): Promise<void>;
}

const TEXT_BYTES = 1024;

// Plain JavaScript: the worker is started from source, so it needs no TypeScript loader.
const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const { sab, budgetMs } = workerData;
const ctl = new Int32Array(sab, 0, 2);
const num = new Float64Array(sab, 8, 2);
const text = new Uint8Array(sab, 24);
let cleanup = [];
parentPort.on('message', (m) => { if (m && Array.isArray(m.cleanup)) cleanup = m.cleanup; });
setInterval(() => {
  if (Atomics.load(ctl, 0) !== 1) return;
  const elapsed = performance.timeOrigin + performance.now() - num[0];
  if (elapsed < budgetMs) return;
  const what = new TextDecoder().decode(text.slice(0, Atomics.load(ctl, 1)));
  fs.writeSync(2, 'error: ' + what + ' at t=' + (num[1] / 1000).toFixed(3) + ' s (simulated) has run for ' + (elapsed / 1000).toFixed(1) +
    ' s of wall time, past its budget of ' + (budgetMs / 1000) + ' s (--policy-timeout); the run is aborted\\n');
  for (const p of cleanup) { try { fs.rmSync(p, { recursive: true, force: true }); } catch {} }
  process.kill(process.pid, 'SIGKILL');
}, Math.max(10, Math.min(250, budgetMs / 4)));
`;

export function startWatchdog(budgetMs: number): Watchdog {
  if (!(budgetMs > 0)) throw new Error(`policy timeout must be positive, got ${budgetMs} ms`);
  const sab = new SharedArrayBuffer(24 + TEXT_BYTES);
  const ctl = new Int32Array(sab, 0, 2);
  const num = new Float64Array(sab, 8, 2);
  const text = new Uint8Array(sab, 24);
  const enc = new TextEncoder();
  const worker = new Worker(WORKER, { eval: true, workerData: { sab, budgetMs } });
  worker.unref();
  // The prefix (kind, policy, method) changes rarely: re-encoded only when it does.
  let lastKind = '';
  let lastPolicy = '';
  let lastMethod = '';
  let prefixLen = 0;
  const recorder: CallRecorder = {
    enter(kind, policy, method, job, now) {
      if (kind !== lastKind || policy !== lastPolicy || method !== lastMethod) {
        lastKind = kind;
        lastPolicy = policy;
        lastMethod = method;
        prefixLen = enc.encodeInto(`${kind} policy '${policy}' in ${method}(`, text).written;
      }
      let len = prefixLen;
      if (job !== '') len += enc.encodeInto(`job ${job}`, text.subarray(len, TEXT_BYTES - 1)).written;
      text[len++] = 0x29; // ')'
      Atomics.store(ctl, 1, len);
      num[0] = performance.timeOrigin + performance.now();
      num[1] = now;
      Atomics.store(ctl, 0, 1);
    },
    exit() {
      Atomics.store(ctl, 0, 0);
    },
  };
  return {
    recorder,
    budgetMs,
    cleanupOnKill(paths) {
      worker.postMessage({ cleanup: [...paths] });
    },
    async stop() {
      await worker.terminate();
    },
  };
}
