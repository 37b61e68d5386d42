import { randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Placement } from '../cluster/types.ts';
import type { JobView } from '../jobs/job.ts';
import type { SchedEvent } from '../scheduler/events.ts';
import type { Executor, StopReason } from '../scheduler/executor.ts';
import type { JsonLogger } from './json-log.ts';
import { attemptOutcome, measureOf, type JobMeasure, type JobOutput } from './job-measure.ts';
import { PROTOCOL_VERSION, type WorkerMessage } from './protocol.ts';
import { pidsWithMarker } from './proc-scan.ts';
import type { SandboxLayers } from './sandbox.ts';
import { applyNetworkPolicy } from './sandbox-network.ts';
import { poolKey, pooledEnv, WarmPool, warmPins } from './warm-pool.ts';
import { Worker, type Assigned, type WorkerHost } from './worker-process.ts';
import { workerKindOf, type BackendName, type WorkerKind, type WorkSpec } from './work-spec.ts';
import { after } from './long-timer.ts';

export type { JobMeasure, JobOutput } from './job-measure.ts';

export interface LiveExecutorOptions {
  /** Where completions go (the live driver queues them for the core). */
  readonly emit: (ev: SchedEvent) => void;
  readonly layers: SandboxLayers;
  /** The worker's JavaScript file (see worker-entry.ts). */
  readonly workerScript: string;
  /** The job's work; throw to fail the job (reason = message). */
  readonly workFor: (job: JobView) => WorkSpec;
  readonly defaultTimeoutMs: number;
  readonly graceMs: number;
  readonly outputLimitBytes: number;
  /** Per stream, how much of a job's output is kept for JobMeasure (default 64 KiB: head and tail halves). */
  readonly outputCaptureBytes?: number;
  readonly pidsMax: number;
  readonly minMemoryMiB: number;
  readonly backends: readonly BackendName[];
  /**
   * Warm workers per pool (src/live/warm-pool.ts): plain ones in one pool; tensor ones per GPU
   * pinning, so that the start-up pool has `tensor` workers for each GPU index below `warmGpus`.
   * Each start refills its pool; pools of other pinnings hold `extraWarm` workers in all (refill).
   */
  readonly warmPool?: Partial<Record<WorkerKind, number>>;
  /** The most GPUs any node has (absent or 0: the start-up tensor pool is unpinned). */
  readonly warmGpus?: number;
  /** Parent of the per-job working directories (default: a fresh dir under the OS tmp dir). */
  readonly jobRoot?: string;
  /** Variables copied from the executor's environment into the scrubbed one (default PASS_ENV). */
  readonly passEnv?: readonly string[];
  /** Structured JSON log. */
  readonly logger?: JsonLogger;
  /** Called once per finished attempt. */
  readonly onMeasure?: (m: JobMeasure) => void;
  /** Keep every JobMeasure in `measures` (default true; a long-running service turns it off). */
  readonly keepMeasures?: boolean;
  /**
   * Workers send a heartbeat this often (ms) over the IPC channel; one silent for
   * `staleAfterBeats` intervals after its `ready` is stale (a start-up that hangs meets the job's
   * timeout instead): killed at once, its attempt `lost` (reason `stale worker: …`): the core
   * requeues it when `retryLost` says so, else fails it. Off when absent. A busy job's worker still beats unless its event
   * loop is blocked, so the bound must exceed the longest synchronous step of any workload.
   */
  readonly heartbeatMs?: number;
  readonly staleAfterBeats?: number;
  /** Whether a lost attempt of `job` may be retried (the attempt limit); absent: never. */
  readonly retryLost?: (job: JobView) => boolean;
  /** Called when a stale worker is reaped. */
  readonly onStale?: (jobId: string | undefined) => void;
  /** Called once per finished attempt with its captured output, before its completion is emitted. */
  readonly onOutput?: (o: JobOutput) => void;
  /** Output of a running job as it arrives (after the executor's own capture took it). */
  readonly onChunk?: (jobId: string, stream: 'stdout' | 'stderr', chunk: Buffer) => void;
  /** Progress from running jobs. */
  readonly onProgress?: (jobId: string, done: number, total: number, flop: number) => void;
}

/**
 * Runs each job as a sandboxed worker process and reports back only through scheduler events:
 * a `completion` (with the attempt it was started with) when the worker ends, unless the core
 * stopped the job itself. Timeouts become `timed-out` completions. No process of a job survives
 * its end, a stop or `shutdown()`.
 */
export class LiveExecutor implements Executor, WorkerHost {
  readonly options: LiveExecutorOptions;
  readonly measures: JobMeasure[] = [];
  private readonly jobRoot: string;
  private readonly pool = new WarmPool();
  private startup: ReadonlySet<string> | undefined;
  private evicted = 0;
  private readonly active = new Map<string, Worker>();
  private readonly all = new Set<Worker>();
  private readonly markers = new Set<string>();
  private closed = false;
  private seq = 0;
  private readonly staleTimer: NodeJS.Timeout | undefined;
  private lastStaleCheck = performance.now();

  constructor(options: LiveExecutorOptions) {
    this.options = options;
    this.jobRoot = options.jobRoot ?? join(tmpdir(), `gpulab-live-${process.pid}-${randomUUID().slice(0, 8)}`);
    mkdirSync(this.jobRoot, { recursive: true });
    chmodSync(this.jobRoot, 0o711);
    if (options.heartbeatMs) {
      this.staleTimer = setInterval(() => this.reapStale(), options.heartbeatMs);
      this.staleTimer.unref();
    }
  }

  /** Kills every worker silent for `staleAfterBeats` heartbeat intervals since its last message. */
  private reapStale(): void {
    const o = this.options;
    const bound = o.heartbeatMs! * (o.staleAfterBeats ?? 10);
    const now = performance.now();
    // This process's own event loop stalled (its timer is late): messages may wait unread in the
    // pipes, so judge nobody this round.
    const late = now - this.lastStaleCheck > 2 * o.heartbeatMs!;
    this.lastStaleCheck = now;
    if (late) return;
    for (const w of this.all) {
      if (w.lastHeard < 0 || w.stale || w.killing || w.exitCode !== null || w.exitSignal !== null) continue;
      if (now - w.lastHeard <= bound) continue;
      w.stale = true;
      w.killing = true;
      const silentMs = Math.round(now - w.lastHeard);
      o.logger?.warn('stale worker', { job: w.assigned?.job.id, worker: w.marker, silentMs });
      if (w.assigned) w.assigned.staleMs = silentMs;
      o.onStale?.(w.assigned?.job.id);
      // A hung worker handles no SIGTERM: SIGKILL its whole tree now.
      w.sweep();
    }
  }

  /**
   * Pre-starts the configured warm workers and waits until they are ready: `plain` ones, and
   * `tensor` ones for each GPU index below `warmGpus` (or unpinned on nodes without GPUs).
   */
  async warmUp(): Promise<void> {
    const wp = this.options.warmPool ?? {};
    const ready: Promise<unknown>[] = [];
    for (const kind of ['tensor', 'plain'] as const) {
      for (const pin of warmPins(kind, this.options.warmGpus ?? 0)) for (let i = 0; i < (wp[kind] ?? 0); i++) ready.push(this.addWarm(kind, pin).ready);
    }
    await Promise.all(ready);
  }

  start(job: JobView, placement: Placement): void {
    const o = this.options;
    const t0 = performance.now();
    let work: WorkSpec;
    try {
      work = o.workFor(job);
    } catch (e) {
      const reason = (e as Error).message;
      queueMicrotask(() => o.emit({ kind: 'completion', jobId: job.id, attempt: job.attempt, outcome: 'failed', reason }));
      return;
    }
    const kind = workerKindOf(work);
    const gpuEnv = gpuEnvFor(placement);
    const key = poolKey(kind, gpuEnv);
    const pooled = this.pool.take(key);
    // Warm: a pooled worker that is ready. One still starting is taken all the same (it is ahead
    // of a fresh spawn) but the start is labelled cold: its job waits for the initialisation.
    const warm = pooled !== undefined && pooled.lastHeard >= 0;
    const w = pooled ?? this.spawn(kind, key, gpuEnv);
    const a: Assigned = {
      job,
      attempt: job.attempt,
      work,
      t0,
      warm,
      gpuEnv: gpuEnv.CUDA_VISIBLE_DEVICES ?? '',
      runningAt: -1,
      backend: 'none',
      device: 'none',
      timedOut: false,
    };
    w.assigned = a;
    this.active.set(job.id, w);
    const memMiB = Math.max(job.memory, o.minMemoryMiB);
    const failed = w.cgroup?.setLimits({ memoryBytes: memMiB * 2 ** 20, milliCpu: job.cpu, pidsMax: o.pidsMax }) ?? [];
    if (failed.length > 0) o.logger?.warn('cgroup limits not applied', { job: job.id, files: failed });
    const timeoutMs = work.timeoutSec !== undefined ? work.timeoutSec * 1000 : o.defaultTimeoutMs;
    a.timer = after(timeoutMs, () => {
      a.timedOut = true;
      o.logger?.info('timeout', { job: job.id, timeoutMs });
      this.kill(w, 'timeout');
    });
    o.logger?.info('start', { job: job.id, attempt: job.attempt, kind: work.kind, warm, gpu: a.gpuEnv });
    void w.ready.then(async (r) => {
      // A job asking for loopback fails rather than run without it (sandbox-network.ts).
      const refused = r && !w.killing ? await applyNetworkPolicy(o.layers, w.proc.pid, work.network ?? 'none') : undefined;
      if (refused) {
        w.protocolError = refused;
        this.kill(w, 'sandbox');
      } else if (r && !w.killing) w.send({ v: PROTOCOL_VERSION, type: 'run', jobId: job.id, attempt: job.attempt, work, env: gpuEnv });
    });
    void w.exited.then(() => this.finished(w));
    if (!this.closed && (o.warmPool?.[kind] ?? 0) > 0) this.refill(kind, gpuEnv, key);
  }

  /**
   * After a start, one worker more for the job's pool, so that a pool the start-up pool fills
   * keeps its size. Any other (a multi-GPU job's, say `0,1`, or none on a box with GPUs) is kept
   * warm too, but such pools hold at most `extraWarm` workers in all: the least recently used one's
   * worker is stopped to make room, and none is added when only this pool holds them. On an
   * 8-GPU box every distinct set of GPUs a job was given would otherwise keep an idle worker, and
   * a tensor worker holds a GPU context.
   */
  private refill(kind: WorkerKind, gpuEnv: Record<string, string>, key: string): void {
    const startup = this.startupKeys();
    if (!startup.has(key) && this.pool.sizeOutside(startup) >= this.extraWarm) {
      const old = this.pool.evict(startup, key);
      if (old === undefined) return;
      this.evicted++;
      this.options.logger?.info('warm evict', { pool: old.key, for: key });
      this.kill(old, 'evicted');
    }
    this.addWarm(kind, gpuEnv);
  }

  /** The pools the start-up pool fills (warmUp): each configured kind's pinnings. */
  private startupKeys(): ReadonlySet<string> {
    const o = this.options;
    return (this.startup ??= new Set((['tensor', 'plain'] as const).filter((k) => (o.warmPool?.[k] ?? 0) > 0).flatMap((k) => warmPins(k, o.warmGpus ?? 0).map((pin) => poolKey(k, pin)))));
  }

  /** The most workers kept warm in pools the start-up pool does not fill: as many as a node has GPUs (at least one). */
  get extraWarm(): number {
    return Math.max(1, this.options.warmGpus ?? 0);
  }

  stop(job: JobView, reason: StopReason): void {
    const w = this.active.get(job.id);
    if (!w || !w.assigned) return;
    w.assigned.stop = reason;
    this.kill(w, reason);
  }

  /** Stops everything (running jobs and warm workers) and waits until every process is gone. */
  async shutdown(): Promise<void> {
    this.closed = true;
    if (this.staleTimer) clearInterval(this.staleTimer);
    for (const w of this.all) {
      if (w.assigned && !w.assigned.stop) w.assigned.stop = 'shutdown';
      this.kill(w, 'shutdown');
    }
    await Promise.all([...this.all].map((w) => w.exited));
    for (const w of this.all) w.sweep();
    try {
      rmSync(this.jobRoot, { recursive: true, force: true });
    } catch {
      // best effort
    }
  }

  /** Host pids of any process this executor ever started that is still alive (should be none). */
  strays(): number[] {
    const s = new Set(pidsWithMarker(this.markers));
    for (const w of this.all) for (const p of w.cgroup?.pids() ?? []) s.add(p);
    return [...s].sort((a, b) => a - b);
  }

  /** Host pids of a running job's processes (its worker and whatever that started). */
  jobPids(jobId: string): number[] {
    const w = this.active.get(jobId);
    return w ? pidsWithMarker(new Set([w.marker])) : [];
  }

  /** What the running job `jobId` has printed so far (bounded as its final output is); undefined when it is not running. */
  liveOutput(jobId: string): Omit<JobOutput, 'exitCode'> | undefined {
    const w = this.active.get(jobId);
    if (!w?.assigned) return undefined;
    return { jobId, attempt: w.assigned.attempt, stdout: w.stdout.result(), stderr: w.stderr.result() };
  }

  /** @internal The worker running `jobId` now (tests reorder its process's events). */
  workerOf(jobId: string): Worker | undefined {
    return this.active.get(jobId);
  }

  /** Resolves once every worker now in the warm pool has said `ready` (or died). */
  async poolReady(): Promise<void> {
    await Promise.all(this.pool.workers().map((w) => w.ready));
  }

  /** Workers waiting in the warm pool: those that have said ready, and those still starting; and how many were evicted so far (refill). */
  get warmWorkers(): { ready: number; starting: number; evicted: number } {
    let ready = 0;
    let starting = 0;
    for (const w of this.pool.workers()) if (w.lastHeard >= 0) ready++;
    else starting++;
    return { ready, starting, evicted: this.evicted };
  }

  /** Number of workers currently waiting in the warm pool. */
  get warmCount(): number {
    return this.pool.size;
  }

  /** @internal */
  kill(w: Worker, why: string): void {
    this.options.logger?.info('kill', { job: w.assigned?.job.id, why });
    w.send({ v: PROTOCOL_VERSION, type: 'stop', reason: why });
    w.terminate(this.options.graceMs);
  }

  /** @internal */
  onChunk(w: Worker, stream: 'stdout' | 'stderr', chunk: Buffer): void {
    if (w.assigned) this.options.onChunk?.(w.assigned.job.id, stream, chunk);
  }

  /** @internal */
  onMessage(w: Worker, m: WorkerMessage): void {
    const a = w.assigned;
    if (!a) return;
    switch (m.type) {
      case 'started':
        a.runningAt = performance.now();
        a.backend = m.backend;
        a.device = m.device;
        return;
      case 'progress':
        this.options.onProgress?.(a.job.id, m.done, m.total, m.flop);
        return;
      case 'result':
        a.result = m;
        a.backend = m.backend;
        a.device = m.device;
        return;
    }
  }

  private spawn(kind: WorkerKind, key: string, gpuEnv: Record<string, string>): Worker {
    const w = new Worker(kind, key, join(this.jobRoot, `w${++this.seq}`), this, gpuEnv);
    this.all.add(w);
    this.markers.add(w.marker);
    void w.exited.then(() => {
      // A warm worker that died while idle leaves the pool.
      this.pool.remove(key, w);
      if (!w.assigned) this.cleanup(w);
    });
    return w;
  }

  private addWarm(kind: WorkerKind, gpuEnv: Record<string, string>): Worker {
    const key = poolKey(kind, gpuEnv);
    const w = this.spawn(kind, key, pooledEnv(kind, gpuEnv));
    this.pool.add(key, w);
    return w;
  }

  private cleanup(w: Worker): void {
    w.sweep();
    // The cgroup directory can only go once the kernel has reaped every member.
    const tryRemove = (n: number) => {
      if (w.cgroup && !w.cgroup.remove() && n > 0) setTimeout(() => tryRemove(n - 1), 50);
    };
    tryRemove(40);
    try {
      rmSync(w.workdir, { recursive: true, force: true });
    } catch {
      // files owned by a still-dying process: the executor's shutdown removes the root
    }
  }

  private finished(w: Worker): void {
    const a = w.assigned!;
    a.timer?.clear();
    // A stopped (preempted) attempt may still be dying when the next attempt starts: only forget our own.
    if (this.active.get(a.job.id) === w) this.active.delete(a.job.id);
    const now = performance.now();
    const { outcome, reason } = attemptOutcome(w, this.options);
    const m = measureOf(w, outcome, reason, now);
    if (this.options.keepMeasures ?? true) this.measures.push(m);
    this.options.onMeasure?.(m);
    this.options.onOutput?.({ jobId: a.job.id, attempt: a.attempt, exitCode: m.exitCode, stdout: w.stdout.result(), stderr: w.stderr.result() });
    this.options.logger?.log(outcome === 'succeeded' || outcome === 'stopped' ? 'info' : 'warn', 'finished', { job: a.job.id, outcome, reason, warm: m.warm, startMs: m.submitToRunningMs, runMs: m.runMs, backend: m.backend, flopPerSec: m.flopPerSec });
    this.cleanup(w);
    if (outcome !== 'stopped') {
      const retry = outcome === 'lost' && (this.options.retryLost?.(a.job) ?? false);
      this.options.emit({ kind: 'completion', jobId: a.job.id, attempt: a.attempt, outcome, ...(reason ? { reason } : {}), ...(retry ? { retry } : {}) });
    }
  }
}

/**
 * The environment that pins a job to its GPUs: CUDA_VISIBLE_DEVICES lists the node-local GPU
 * indices (tfjs-node-gpu reads it; the WebGPU backend on a one-GPU box has one adapter), and
 * GPULAB_GPU_MILLI the share of each (fractional jobs share a GPU concurrently).
 */
export function gpuEnvFor(p: Placement): Record<string, string> {
  if (p.gpus.length === 0) return {};
  return {
    CUDA_VISIBLE_DEVICES: p.gpus.map((g) => g.gpu).join(','),
    GPULAB_GPU_MILLI: p.gpus.map((g) => g.milli).join(','),
  };
}
