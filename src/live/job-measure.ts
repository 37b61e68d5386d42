import type { WorkSpec } from './work-spec.ts';
import type { CapturedStream, Worker } from './worker-process.ts';

/** What the executor measured for one job attempt (live.json, live-jobs.csv, the twin). */
export interface JobMeasure {
  jobId: string;
  tenant: string;
  attempt: number;
  kind: WorkSpec['kind'];
  warm: boolean;
  /** Wall ms from `start` (the scheduler's decision) to the worker's `started`. */
  submitToRunningMs: number;
  /** Wall ms from `start` to the worker's exit. */
  runMs: number;
  computeMs: number;
  flop: number;
  flopPerSec: number;
  backend: string;
  device: string;
  /** `lost`: its worker was lost (reaped as stale); the core requeues or fails it. */
  outcome: 'succeeded' | 'failed' | 'timed-out' | 'lost' | 'stopped';
  reason: string;
  gpuEnv: string;
  outputBytes: number;
  /** The exit code of the job's process (a command job: the command's), null when a signal ended it. */
  exitCode: number | null;
}

/** What a finished attempt wrote: stdout and stderr as captured (bounded, marked where cut). */
export interface JobOutput {
  readonly jobId: string;
  readonly attempt: number;
  readonly exitCode: number | null;
  readonly stdout: CapturedStream;
  readonly stderr: CapturedStream;
}

/** The executor settings an attempt's outcome is judged by. */
export interface OutcomeBounds {
  readonly defaultTimeoutMs: number;
  readonly outputLimitBytes: number;
  readonly minMemoryMiB: number;
}

/**
 * How an exited worker's attempt ended, and why: the first that holds of a stop by the core, a
 * stale worker, a timeout, too much output, a protocol error, a successful result, an OOM kill,
 * a failed result, else a crash (with the last line of its stderr). Reads the worker's cgroup.
 */
export function attemptOutcome(w: Worker, o: OutcomeBounds): { outcome: JobMeasure['outcome']; reason: string } {
  const a = w.assigned!;
  const oom = w.cgroup?.oomKilled() ?? false;
  if (a.stop) return { outcome: 'stopped', reason: a.stop };
  if (w.stale) return { outcome: 'lost', reason: `stale worker: no heartbeat for ${a.staleMs ?? 0} ms` };
  if (a.timedOut) return { outcome: 'timed-out', reason: `timeout after ${((a.work.timeoutSec ?? o.defaultTimeoutMs / 1000)).toString()} s` };
  if (w.outputExceeded) return { outcome: 'failed', reason: `output limit exceeded (${o.outputLimitBytes} bytes)` };
  if (w.protocolError) return { outcome: 'failed', reason: w.protocolError };
  if (a.result?.ok) return { outcome: 'succeeded', reason: '' };
  if (oom) return { outcome: 'failed', reason: `out of memory (cgroup limit ${Math.max(a.job.memory, o.minMemoryMiB)} MiB)` };
  if (a.result) return { outcome: 'failed', reason: a.result.message ?? 'failed' };
  const how = w.exitSignal ? `signal ${w.exitSignal}` : `exit code ${w.exitCode}`;
  const tail = w.stderrTail.trim().split('\n').slice(-1)[0] ?? '';
  return { outcome: 'failed', reason: `worker crashed (${how})${tail ? `: ${tail.slice(0, 160)}` : ''}` };
}

/** The measure of an exited worker's attempt; `now` is performance.now() at its exit. Pure. */
export function measureOf(w: Worker, outcome: JobMeasure['outcome'], reason: string, now: number): JobMeasure {
  const a = w.assigned!;
  const r = a.result;
  return {
    jobId: a.job.id,
    tenant: a.job.tenant,
    attempt: a.attempt,
    kind: a.work.kind,
    warm: a.warm,
    submitToRunningMs: a.runningAt >= 0 ? round1(a.runningAt - a.t0) : -1,
    runMs: round1(now - a.t0),
    computeMs: round1(r?.computeMs ?? 0),
    flop: r?.flop ?? 0,
    flopPerSec: r && r.computeMs > 0 ? Math.round(r.flop / (r.computeMs / 1000)) : 0,
    backend: a.backend,
    device: a.device,
    outcome,
    reason,
    gpuEnv: a.gpuEnv,
    outputBytes: w.outputBytes,
    exitCode: r?.exitCode !== undefined ? r.exitCode : r?.signal ? null : w.exitCode,
  };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
