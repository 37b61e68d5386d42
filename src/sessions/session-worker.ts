import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { JobCgroup } from '../live/cgroups.ts';
import { childPids, MARKER_ENV, pidsWithMarker } from '../live/proc-scan.ts';
import { detectSandbox, NOBODY, privateTmpDirs, wrapCommand, type SandboxLayers } from '../live/sandbox.ts';
import { FromAgentSchema, type ToAgent } from './agent-protocol.ts';
import type { ExecRequest, ExecResult } from './api-schema.ts';
import { SESSION_PATH, type Template } from './template.ts';

/** The agent every session worker runs (plain ESM, no compile step). */
export const AGENT_SCRIPT = fileURLToPath(new URL('./agent/agent.mjs', import.meta.url));

/** The sandbox layers for session workers: `detectSandbox` with the uid drop probed on the agent. */
export function detectSessionSandbox(mode: 'auto' | 'none' = 'auto'): SandboxLayers {
  return detectSandbox(mode, { node: process.execPath, script: AGENT_SCRIPT });
}

/** What workers of one sessions root share. */
export interface WorkerOptions {
  /** Absolute directory holding the workers' working directories; nothing else lives there. */
  readonly root: string;
  readonly layers: SandboxLayers;
  /** Processes at most per worker (cgroup pids.max). */
  readonly pidsMax: number;
  /** Bound on the template's setup commands together, ms. */
  readonly setupTimeoutMs: number;
}

/** A short tag of the sessions root: it names the root's cgroups and process markers. */
export function rootTag(root: string): string {
  return createHash('sha256').update(root).digest('hex').slice(0, 10);
}
export const cgroupName = (root: string, workerId: string): string => `sess-${rootTag(root)}-${workerId}`;
/** The process marker of a root's workers (the sandbox names the hostname after what precedes a '-'). */
export const markerPrefix = (root: string): string => `sess.${rootTag(root)}.`;
export const markerOf = (root: string, workerId: string): string => `${markerPrefix(root)}${workerId}`;

export type WorkerStart = { readonly kind: 'ready'; readonly worker: SessionWorker } | { readonly kind: 'failed'; readonly message: string };
export type WorkerExec = { readonly kind: 'done'; readonly result: ExecResult } | { readonly kind: 'lost'; readonly message: string };

/** Slack over an exec's own timeout before the worker counts as lost (the agent kills on time). */
const EXEC_SLACK_MS = 5000;

/**
 * One long-lived sandboxed agent process in its own working directory and cgroup, built from a
 * template; runs execs one at a time. Single owner: a warm pool or a session.
 */
export class SessionWorker {
  readonly id = randomBytes(6).toString('hex');
  readonly workdir: string;
  readonly marker: string;
  readonly cgroup: JobCgroup | undefined;
  readonly proc: ChildProcess;
  /** Wall ms from spawn to `ready` (sandbox, agent start, setup, spare interpreter). */
  startMs = -1;
  /** Why the agent exited; undefined while it runs. */
  exitReason: string | undefined;
  /** Called once when the agent exits on its own (not by `destroy`). */
  onLost: ((why: string) => void) | undefined;
  private readonly exitedP: Promise<void>;
  private readonly pending = new Map<number, (r: WorkerExec) => void>();
  private seq = 0;
  private destroying = false;
  private stderrTail = '';
  private readonly readyP: Promise<{ ok: true } | { ok: false; message: string }>;

  private constructor(
    readonly template: Template,
    private readonly o: WorkerOptions,
  ) {
    const l = o.layers;
    this.workdir = `${o.root}/${this.id}`;
    this.marker = markerOf(o.root, this.id);
    mkdirSync(this.workdir, { recursive: true, mode: 0o700 });
    if (l.unprivilegedUid) chownSync(this.workdir, NOBODY, NOBODY);
    const memoryBytes = template.resources.memoryMiB * 2 ** 20;
    this.cgroup = l.cgroup ? new JobCgroup(l.cgroup, cgroupName(o.root, this.id)) : undefined;
    this.cgroup?.setLimits({ memoryBytes, milliCpu: template.resources.cpuMilli, pidsMax: o.pidsMax });
    // The sessions root stays visible (a root under /tmp keeps the host's /tmp).
    const tmpDirs = l.privateTmp ? privateTmpDirs([process.execPath, AGENT_SCRIPT, o.root]) : [];
    const env: Record<string, string> = {
      PATH: SESSION_PATH,
      LANG: 'C.UTF-8',
      HOME: this.workdir,
      TMPDIR: tmpDirs.includes('/tmp') ? '/tmp' : this.workdir,
      GPULAB_WORKDIR: this.workdir,
      GPULAB_CG_PROCS: this.cgroup ? this.cgroup.procsFiles.join(' ') : '',
      GPULAB_PRIVATE_TMP: tmpDirs.join(' '),
      [MARKER_ENV]: this.marker,
    };
    // A shell as the namespace's pid 1 (not exec'd away) reaps orphans that execs leave behind.
    const argv = ['/bin/sh', '-c', '"$@"; exit $?', 'gpulab-session', process.execPath, AGENT_SCRIPT];
    const cmd = wrapCommand(l, argv, { pidsMax: o.pidsMax, memoryBytes });
    const t0 = performance.now();
    this.proc = spawn(cmd.file, cmd.args, { cwd: this.workdir, env, detached: true, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'json' });
    this.proc.stderr!.on('data', (c: Buffer) => (this.stderrTail = (this.stderrTail + c.toString('utf8')).slice(-2048)));
    let readyDone!: (r: { ok: true } | { ok: false; message: string }) => void;
    this.readyP = new Promise((r) => (readyDone = r));
    const setupTimer = setTimeout(() => readyDone({ ok: false, message: `worker not ready within ${o.setupTimeoutMs + 10_000} ms` }), o.setupTimeoutMs + 10_000);
    this.proc.on('message', (raw) => {
      const r = FromAgentSchema.safeParse(raw);
      if (!r.success) return this.kill(`protocol error: ${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message}`);
      const m = r.data;
      if (m.type === 'ready') {
        clearTimeout(setupTimer);
        this.startMs = Math.round(performance.now() - t0);
        readyDone({ ok: true });
      } else if (m.type === 'setup-failed') {
        clearTimeout(setupTimer);
        const what = m.index < 0 ? 'the spare interpreter' : `setup command ${m.index} (templates ${template.name}.setup.${m.index})`;
        readyDone({ ok: false, message: `${what} ${m.timedOut ? 'timed out' : `exited ${m.exitCode}`}: ${m.output.trim().slice(-1000)}` });
      } else {
        const done = this.pending.get(m.id);
        this.pending.delete(m.id);
        const { type: _t, id: _i, ...result } = m;
        done?.({ kind: 'done', result });
      }
    });
    this.proc.on('error', (e) => (this.exitReason ??= `cannot spawn the worker: ${e.message}`));
    this.exitedP = new Promise((resolve) =>
      this.proc.once('exit', (code, signal) => {
        clearTimeout(setupTimer);
        this.exitReason ??= `worker exited (${signal ?? `code ${code}`})${this.stderrTail ? `: ${this.stderrTail.trim().slice(-500)}` : ''}`;
        readyDone({ ok: false, message: this.exitReason });
        for (const done of this.pending.values()) done({ kind: 'lost', message: this.exitReason });
        this.pending.clear();
        if (!this.destroying) this.onLost?.(this.exitReason);
        resolve();
      }),
    );
    const spare = template.runtime === 'node' ? 'javascript' : template.runtime === 'python' ? 'python' : null;
    this.send({ type: 'init', setup: template.setup ?? [], spare, setupTimeoutMs: o.setupTimeoutMs });
  }

  /** Builds a worker and waits for its agent's `ready` (setup done); on failure nothing is left. */
  static async start(template: Template, o: WorkerOptions): Promise<WorkerStart> {
    let w: SessionWorker;
    try {
      w = new SessionWorker(template, o);
    } catch (e) {
      return { kind: 'failed', message: `cannot create the worker: ${(e as Error).message}` };
    }
    const r = await w.readyP;
    if (r.ok) return { kind: 'ready', worker: w };
    const left = await w.destroy();
    return { kind: 'failed', message: left.length > 0 ? `${r.message} (and: ${left.join('; ')})` : r.message };
  }

  get alive(): boolean {
    return this.exitReason === undefined && !this.destroying;
  }

  /** Variables every later exec of this worker sees (sent over IPC, so in order before any later exec). */
  setEnv(vars: Readonly<Record<string, string>>): void {
    this.send({ type: 'env', vars });
  }

  private send(m: ToAgent): void {
    if (this.proc.connected) this.proc.send(m);
  }

  /** Runs one exec in the worker; the caller ensures one at a time. */
  exec(req: ExecRequest, timeoutMs: number, capBytes: number): Promise<WorkerExec> {
    if (!this.alive) return Promise.resolve({ kind: 'lost', message: this.exitReason ?? 'worker is being destroyed' });
    const id = ++this.seq;
    return new Promise((resolve) => {
      const guard = setTimeout(() => {
        this.pending.delete(id);
        resolve({ kind: 'lost', message: `worker did not answer within ${timeoutMs + EXEC_SLACK_MS} ms` });
        this.kill('exec unanswered');
      }, timeoutMs + EXEC_SLACK_MS);
      this.pending.set(id, (r) => {
        clearTimeout(guard);
        resolve(r);
      });
      this.send({ type: 'exec', id, language: req.language, code: req.code, ...(req.stdin !== undefined ? { stdin: req.stdin } : {}), timeoutMs, capBytes });
    });
  }

  /** SIGKILLs everything of the worker: the namespace's init, the process group, the cgroup. */
  private kill(why: string): void {
    this.exitReason ??= why;
    const pid = this.proc.pid;
    if (pid !== undefined && this.proc.exitCode === null && this.proc.signalCode === null) {
      // The namespace's pid 1 is unshare's child: killing it makes the kernel kill the namespace.
      for (const c of childPids(pid)) signal(c, 'SIGKILL');
      signal(-pid, 'SIGKILL');
    }
    this.cgroup?.killAll();
    if (!this.cgroup) for (const p of pidsWithMarker(new Set([this.marker]))) signal(p, 'SIGKILL');
  }

  /**
   * Reclaims the worker: kills its process tree, removes its cgroup and its working directory.
   * Idempotent. Resolves with what could not be reclaimed (empty when all is gone).
   */
  async destroy(): Promise<string[]> {
    this.destroying = true;
    this.kill('destroyed');
    const exited = await Promise.race([this.exitedP.then(() => true), sleep(3000).then(() => false)]);
    const problems: string[] = exited ? [] : [`worker ${this.id} did not exit`];
    if (this.cgroup) {
      let removed = false;
      for (let i = 0; i < 60 && !removed; i++) {
        this.cgroup.killAll();
        removed = this.cgroup.remove();
        if (!removed) await sleep(50);
      }
      if (!removed) problems.push(`cgroup ${this.cgroup.name} still busy`);
    } else {
      for (let i = 0; i < 60 && pidsWithMarker(new Set([this.marker])).length > 0; i++) {
        for (const p of pidsWithMarker(new Set([this.marker]))) signal(p, 'SIGKILL');
        await sleep(50);
      }
    }
    try {
      rmSync(this.workdir, { recursive: true, force: true });
    } catch (e) {
      problems.push(`workdir: ${(e as Error).message}`);
    }
    return problems;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
