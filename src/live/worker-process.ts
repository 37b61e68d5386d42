import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chownSync, mkdirSync } from 'node:fs';
import type { JobView } from '../jobs/job.ts';
import type { StopReason } from '../scheduler/executor.ts';
import { JobCgroup } from './cgroups.ts';
import type { LiveExecutorOptions } from './live-executor.ts';
import { WorkerMessageSchema, type ParentMessage, type WorkerMessage } from './protocol.ts';
import { childPids, MARKER_ENV, pidsWithMarker } from './proc-scan.ts';
import { NOBODY, privateTmpDirs, wrapCommand } from './sandbox.ts';
import type { WorkerKind, WorkSpec } from './work-spec.ts';
import type { LongTimer } from './long-timer.ts';

/** Host variables passed through to workers when set (GPU drivers, the WASM backend's files). */
export const PASS_ENV: readonly string[] = ['VK_DRIVER_FILES', 'VK_ICD_FILENAMES', '__EGL_VENDOR_LIBRARY_FILENAMES', 'LD_LIBRARY_PATH', 'NVIDIA_VISIBLE_DEVICES', 'NVIDIA_DRIVER_CAPABILITIES', 'GPULAB_TFJS_WASM_DIR'];

/** What a worker needs of the executor that owns it. */
export interface WorkerHost {
  readonly options: LiveExecutorOptions;
  kill(w: Worker, why: string): void;
  onMessage(w: Worker, m: WorkerMessage): void;
  /** A chunk of the worker's stdout or stderr, as it arrives. */
  onChunk?(w: Worker, stream: 'stdout' | 'stderr', chunk: Buffer): void;
}

/** The attempt a worker runs, and what the executor learns of it. */
export interface Assigned {
  readonly job: JobView;
  readonly attempt: number;
  readonly work: WorkSpec;
  readonly t0: number;
  readonly warm: boolean;
  readonly gpuEnv: string;
  runningAt: number;
  result?: Extract<WorkerMessage, { type: 'result' }>;
  backend: string;
  device: string;
  stop?: StopReason;
  timedOut: boolean;
  /** The job's timeout (src/live/long-timer.ts: a limit may exceed Node's 24.8-day timers). */
  timer?: LongTimer;
  /** Set when the worker was reaped for missing heartbeats: how long it had been silent. */
  staleMs?: number;
}

/** One sandboxed worker process (single use). */
export class Worker {
  readonly marker = randomUUID();
  readonly proc: ChildProcess;
  readonly cgroup: JobCgroup | undefined;
  readonly ready: Promise<Extract<WorkerMessage, { type: 'ready' }> | undefined>;
  readonly exited: Promise<void>;
  assigned: Assigned | undefined;
  outputBytes = 0;
  outputExceeded = false;
  stderrTail = '';
  protocolError: string | undefined;
  killing = false;
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  /** When the worker was last heard from (performance.now()); -1 until its `ready`. */
  lastHeard = -1;
  /** Reaped for missing its heartbeats. */
  stale = false;
  /** The job's stdout and stderr, kept up to the executor's capture bound. */
  readonly stdout: OutputCapture;
  readonly stderr: OutputCapture;
  private killTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly kind: WorkerKind,
    readonly key: string,
    readonly workdir: string,
    x: WorkerHost,
    gpuEnv: Record<string, string>,
  ) {
    const o = x.options;
    const l = o.layers;
    mkdirSync(workdir, { recursive: true, mode: 0o700 });
    if (l.unprivilegedUid) chownSync(workdir, NOBODY, NOBODY);
    this.cgroup = l.cgroup ? new JobCgroup(l.cgroup, `w-${this.marker}`) : undefined;
    // Until a job is assigned, the worker gets the floor limits (a warm worker idles in them).
    this.cgroup?.setLimits({ memoryBytes: o.minMemoryMiB * 2 ** 20, milliCpu: 0, pidsMax: o.pidsMax });
    const tmpDirs = l.privateTmp ? privateTmpDirs([process.execPath, o.workerScript]) : [];
    const privateTmp = tmpDirs.includes('/tmp');
    const env: Record<string, string> = {
      PATH: '/usr/local/bin:/usr/bin:/bin',
      LANG: 'C.UTF-8',
      HOME: privateTmp ? '/tmp' : workdir,
      TMPDIR: privateTmp ? '/tmp' : workdir,
      GPULAB_WORKDIR: workdir,
      GPULAB_WORKER_KIND: kind,
      GPULAB_BACKENDS: o.backends.join(','),
      GPULAB_CG_PROCS: this.cgroup ? this.cgroup.procsFiles.join(' ') : '',
      GPULAB_PRIVATE_TMP: tmpDirs.join(' '),
      [MARKER_ENV]: this.marker,
      ...(o.heartbeatMs ? { GPULAB_HEARTBEAT_MS: String(o.heartbeatMs) } : {}),
      ...gpuEnv,
    };
    for (const k of o.passEnv ?? PASS_ENV) {
      const v = process.env[k];
      if (v !== undefined && !(k in env)) env[k] = v;
    }
    const cmd = wrapCommand(l, [process.execPath, o.workerScript], { pidsMax: o.pidsMax, memoryBytes: o.minMemoryMiB * 2 ** 20 * 4 });
    this.proc = spawn(cmd.file, cmd.args, {
      cwd: workdir,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    this.stdout = new OutputCapture(o.outputCaptureBytes ?? DEFAULT_CAPTURE_BYTES);
    this.stderr = new OutputCapture(o.outputCaptureBytes ?? DEFAULT_CAPTURE_BYTES);
    const onOut = (chunk: Buffer, isErr: boolean) => {
      this.outputBytes += chunk.length;
      (isErr ? this.stderr : this.stdout).add(chunk);
      if (isErr) this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-2048);
      x.onChunk?.(this, isErr ? 'stderr' : 'stdout', chunk);
      if (this.outputBytes > o.outputLimitBytes && !this.outputExceeded) {
        this.outputExceeded = true;
        x.kill(this, 'output limit');
      }
    };
    this.proc.stdout!.on('data', (c: Buffer) => onOut(c, false));
    this.proc.stderr!.on('data', (c: Buffer) => onOut(c, true));
    let readyResolve!: (m: Extract<WorkerMessage, { type: 'ready' }> | undefined) => void;
    this.ready = new Promise((r) => (readyResolve = r));
    this.proc.on('message', (raw) => {
      const r = WorkerMessageSchema.safeParse(raw);
      if (!r.success) {
        this.protocolError = `protocol error: ${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message}`;
        x.kill(this, 'protocol');
        return;
      }
      this.lastHeard = performance.now();
      if (r.data.type === 'heartbeat') return;
      if (r.data.type === 'ready') {
        if (r.data.skipped.length > 0) o.logger?.info('backends skipped', { worker: this.marker, chose: r.data.backend, skipped: r.data.skipped });
        readyResolve(r.data);
      }
      else x.onMessage(this, r.data);
    });
    this.proc.on('exit', (code, signal) => {
      this.exitCode = code;
      this.exitSignal = signal;
      readyResolve(undefined);
      this.sweep();
    });
    this.proc.on('error', (e) => {
      this.protocolError = `cannot spawn worker: ${e.message}`;
    });
    // Not at 'exit': Node may emit it before the last IPC message (a worker's `result`) and the
    // last output are delivered, which read as "worker crashed (exit code 0)".
    this.exited = drained(this.proc, CHANNEL_DRAIN_MS);
  }

  send(m: ParentMessage): void {
    if (this.proc.connected) this.proc.send(m);
  }

  /** SIGTERM to the whole tree now, SIGKILL after `graceMs`. Idempotent. */
  terminate(graceMs: number): void {
    if (this.killing || this.exitCode !== null || this.exitSignal !== null) return;
    this.killing = true;
    this.signalTree('SIGTERM');
    this.killTimer = setTimeout(() => this.sweep(), graceMs);
  }

  /** SIGKILL everything of this worker: process group, namespace init, cgroup members. */
  sweep(): void {
    if (this.killTimer) clearTimeout(this.killTimer);
    this.killTimer = undefined;
    const pid = this.proc.pid;
    if (pid !== undefined) {
      // The namespace's pid 1 is unshare's child: killing it makes the kernel kill the namespace.
      for (const c of childPids(pid)) signal(c, 'SIGKILL');
      this.signalTree('SIGKILL');
    }
    this.cgroup?.killAll();
    // Last resort where there is no cgroup or pid namespace: anything still carrying the marker.
    if (!this.cgroup) for (const p of pidsWithMarker(new Set([this.marker]))) signal(p, 'SIGKILL');
  }

  private signalTree(sig: NodeJS.Signals): void {
    const pid = this.proc.pid;
    if (pid === undefined) return;
    signal(-pid, sig);
    if (sig === 'SIGTERM') {
      // A namespace's pid 1 only gets signals it handles; the worker handles SIGTERM.
      for (const c of childPids(pid)) signal(c, sig);
    }
  }
}

/** Per stream, what a job's captured output keeps by default (LiveExecutorOptions.outputCaptureBytes). */
export const DEFAULT_CAPTURE_BYTES = 64 * 1024;

/** One stream of a job's output as kept: its whole length, and the text (marked where cut). */
export interface CapturedStream {
  readonly text: string;
  /** Bytes the job wrote to the stream. */
  readonly bytes: number;
  /** Whether bytes in the middle were dropped (the text then holds a `[… N bytes dropped …]` line). */
  readonly truncated: boolean;
}

/**
 * A bounded capture of one output stream: the first half of `limit` bytes and the last half, the
 * rest dropped and counted. Memory stays O(limit) whatever the job writes.
 */
export class OutputCapture {
  private head = Buffer.alloc(0);
  private tail = Buffer.alloc(0);
  private total = 0;

  constructor(readonly limit: number) {}

  add(chunk: Buffer): void {
    this.total += chunk.length;
    const half = Math.floor(this.limit / 2);
    const room = this.limit - half - this.head.length;
    if (room > 0) {
      this.head = Buffer.concat([this.head, chunk.subarray(0, room)]);
      chunk = chunk.subarray(room);
    }
    if (chunk.length === 0 || half === 0) return;
    this.tail = chunk.length >= half ? Buffer.from(chunk.subarray(chunk.length - half)) : Buffer.concat([this.tail, chunk]).subarray(-half);
  }

  result(): CapturedStream {
    const dropped = this.total - this.head.length - this.tail.length;
    const text = dropped > 0 ? `${this.head.toString('utf8')}\n[… ${dropped} bytes dropped …]\n${this.tail.toString('utf8')}` : Buffer.concat([this.head, this.tail]).toString('utf8');
    return { text, bytes: this.total, truncated: dropped > 0 };
  }
}

/** How long after a worker's exit its IPC channel and output pipes may take to deliver what is left. */
export const CHANNEL_DRAIN_MS = 2000;

/** The parts of a child process `drained` watches (a ChildProcess; a plain emitter in tests). */
export interface ChildLike {
  readonly connected: boolean;
  once(event: 'exit' | 'close' | 'disconnect', f: (...args: unknown[]) => void): unknown;
}

/**
 * Resolves once `proc` has exited and everything it sent has arrived: its IPC channel has
 * disconnected (every message before it emitted) and its stdio has closed ('close'). Node gives
 * no order between 'exit' and the channel's last message, so the exit alone is not the end. A
 * descendant that keeps a pipe open cannot hold this up for more than `drainMs` after the exit.
 */
export function drained(proc: ChildLike, drainMs: number): Promise<void> {
  return new Promise((resolve) => {
    let exited = false;
    let closed = false;
    let disconnected = !proc.connected;
    let timer: NodeJS.Timeout | undefined;
    const check = () => {
      if (!exited || !closed || !disconnected) return;
      if (timer) clearTimeout(timer);
      resolve();
    };
    proc.once('disconnect', () => {
      disconnected = true;
      check();
    });
    proc.once('close', () => {
      closed = true;
      check();
    });
    proc.once('exit', () => {
      exited = true;
      if (!closed || !disconnected) {
        timer = setTimeout(() => {
          closed = disconnected = true;
          check();
        }, drainMs);
      }
      check();
    });
  });
}

export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}
