import { Worker } from 'node:worker_threads';
import type { CallRecorder } from '../scheduler/policy-guard.ts';

/**
 * The hard half of the policy watchdog. A policy call that never returns (an infinite loop)
 * blocks the thread that runs the simulation, so nothing on that thread can notice; a small
 * worker thread watches a shared-memory record of the call in progress (written by the
 * `PolicyGuard` through `recorder`), warns once per policy and call when one runs over a second,
 * and, once one call has run past `budgetMs` of wall time, prints which policy, method, job and
 * simulated time it was, removes the paths registered with
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
/** A call running longer than this gets a warning (once per policy and method; with a budget of at least twice it); the run goes on. */
const SLOW_MS = 1000;

// Shared memory: Int32 [0] in a call (0/1), [1] length of the call's description, [2] calls
// entered so far; Float64 [0] the call's simulated time; then the description (UTF-8). The main
// thread only writes (no clock reads on its hot path); the worker notices a call by its sequence
// number and times it itself, so the time it reports is a lower bound (by at most one tick).
// Plain JavaScript: the worker is started from source, so it needs no TypeScript loader.
const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const { sab, budgetMs, slowMs, tickMs } = workerData;
const ctl = new Int32Array(sab, 0, 4);
const num = new Float64Array(sab, 16, 1);
const text = new Uint8Array(sab, 24);
let cleanup = [];
let seen = -1, since = 0, warned = false;
const slowDone = new Set();
parentPort.on('message', (m) => { if (m && Array.isArray(m.cleanup)) cleanup = m.cleanup; });
setInterval(() => {
  if (Atomics.load(ctl, 0) !== 1) return;
  const seq = Atomics.load(ctl, 2);
  const now = performance.now();
  if (seq !== seen) { seen = seq; since = now; warned = false; return; }
  const elapsed = now - since + tickMs;
  const what = () => new TextDecoder().decode(text.slice(0, Atomics.load(ctl, 1)));
  const at = () => ' at t=' + (num[0] / 1000).toFixed(3) + ' s (simulated)';
  if (elapsed >= budgetMs) {
    fs.writeSync(2, 'error: ' + what() + at() + ' has run for ' + (elapsed / 1000).toFixed(1) +
      ' s of wall time, past its budget of ' + (budgetMs / 1000) + ' s (--policy-timeout); the run is aborted\\n');
    for (const p of cleanup) { try { fs.rmSync(p, { recursive: true, force: true }); } catch {} }
    process.kill(process.pid, 'SIGKILL');
  } else if (elapsed >= slowMs && !warned) {
    warned = true;
    const w = what();
    const key = w.slice(0, w.indexOf('('));
    if (!slowDone.has(key)) {
      slowDone.add(key);
      fs.writeSync(2, 'warning: ' + w + at() + ' has run for over ' + (elapsed / 1000).toFixed(1) + ' s of wall time (budget ' + (budgetMs / 1000) + ' s; reported once per policy and call)\\n');
    }
  }
}, tickMs);
`;

export function startWatchdog(budgetMs: number): Watchdog {
  if (!(budgetMs > 0)) throw new Error(`policy timeout must be positive, got ${budgetMs} ms`);
  const sab = new SharedArrayBuffer(24 + TEXT_BYTES);
  const ctl = new Int32Array(sab, 0, 4);
  const num = new Float64Array(sab, 16, 1);
  const text = new Uint8Array(sab, 24);
  const enc = new TextEncoder();
  const tickMs = Math.max(10, Math.min(250, budgetMs / 4));
  const worker = new Worker(WORKER, { eval: true, workerData: { sab, budgetMs, slowMs: budgetMs >= 2 * SLOW_MS ? SLOW_MS : Infinity, tickMs } });
  worker.unref();
  // A run calls a handful of (kind, policy, method) in turn (an admission gate's onArrival, the
  // placement's place …): their prefixes are encoded once, kept (the latest few), and copied.
  const prefixes: { kind: string; policy: string; method: string; bytes: Uint8Array }[] = [];
  const recorder: CallRecorder = {
    enter(kind, policy, method, job, now) {
      let p: (typeof prefixes)[number] | undefined;
      for (const q of prefixes) {
        if (q.kind === kind && q.policy === policy && q.method === method) {
          p = q;
          break;
        }
      }
      if (p === undefined) {
        // Whole characters only, room left for the ')' (as encodeInto into the buffer wrote it).
        const room = new Uint8Array(TEXT_BYTES - 1);
        const bytes = room.slice(0, enc.encodeInto(`${kind} policy '${policy}' in ${method}(`, room).written);
        p = { kind, policy, method, bytes };
        if (prefixes.unshift(p) > 8) prefixes.pop();
      }
      const b = p.bytes;
      for (let i = 0; i < b.length; i++) text[i] = b[i];
      const prefixLen = b.length;
      const len = writeCallEnd(text, prefixLen, job, enc);
      Atomics.store(ctl, 1, len);
      num[0] = now;
      Atomics.add(ctl, 2, 1);
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

const JOB = [0x6a, 0x6f, 0x62, 0x20]; // 'job '

/**
 * Writes the end of a call's description after its prefix (at `from`): `job <id>)`, or `)` for a
 * call about no job, and returns its length. Every policy call writes one, so an ASCII id is
 * copied by hand (no string built, no view made, no encoder call); any other, or one that would
 * not fit, goes through the encoder (cut to the buffer, as before). Exported for tests.
 */
export function writeCallEnd(text: Uint8Array, from: number, job: string, enc: TextEncoder): number {
  let len = from;
  if (job !== '') {
    const room = text.length - 1; // the ')'
    let ascii = from + JOB.length + job.length <= room;
    if (ascii) {
      for (let k = 0; k < JOB.length; k++) text[len++] = JOB[k];
      for (let i = 0; i < job.length; i++) {
        const c = job.charCodeAt(i);
        if (c >= 0x80) {
          ascii = false;
          break;
        }
        text[len++] = c;
      }
    }
    if (!ascii) len = from + enc.encodeInto(`job ${job}`, text.subarray(from, room)).written;
  }
  text[len++] = 0x29; // ')'
  return len;
}
