// The session agent: one long-lived process per session worker, started inside the session's
// sandbox (cgroup, namespaces, uid drop) in the session's working directory. Plain ESM with Node
// built-ins only, so a worker start is a bare `node` start (no TypeScript compile).
//
// Protocol (Node IPC, JSON): parent → agent `init` once, then `exec`s one at a time;
// agent → parent `ready` | `setup-failed`, then one `result` per `exec`.
//
// Every exec is a process of its own, spawned detached (setsid: its own process group). A timeout
// SIGKILLs that group; when the exec's main process exits, whatever is left of its group is killed
// too, so an exec's background children never outlive it (a process that leaves the group with
// setsid lives until the session ends: the session's cgroup and pid namespace hold it).
// javascript and python run in a spare interpreter started ahead of time (the template's runtime),
// which reads the code from fd 3 and is single-use: the timeout kill is a real SIGKILL of a real
// process, never an in-process interrupt.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const JS_RUNNER = join(here, 'js-runner.cjs');
const PY_RUNNER = join(here, 'py-runner.py');

// What execs see: the agent's environment without the IPC channel and the sandbox plumbing.
const childEnv = { ...process.env };
for (const k of ['NODE_CHANNEL_FD', 'NODE_CHANNEL_SERIALIZATION_MODE', 'GPULAB_CG_PROCS', 'GPULAB_PRIVATE_TMP']) delete childEnv[k];

/** Spare interpreters, one per language at most; each used by exactly one exec. */
const spares = new Map();
let spareLanguage = null;
const running = new Set();

function send(m) {
  if (process.connected) process.send(m);
}

function interpreter(language) {
  if (language === 'javascript') return [process.execPath, [JS_RUNNER]];
  if (language === 'python') return ['python3', [PY_RUNNER]];
  return undefined;
}

/** Starts an interpreter that waits for its code on fd 3 (it writes one byte there when loaded). */
function startRunner(language) {
  const [file, args] = interpreter(language);
  const proc = spawn(file, args, { detached: true, stdio: ['pipe', 'pipe', 'pipe', 'pipe'], env: childEnv });
  proc.on('error', () => {});
  proc.stdin.on('error', () => {});
  proc.stdio[3].on('error', () => {});
  const loaded = new Promise((resolve) => {
    proc.stdio[3].once('data', () => resolve(true));
    proc.once('exit', () => resolve(false));
  });
  return { proc, loaded };
}

function takeRunner(language) {
  const spare = spares.get(language);
  spares.delete(language);
  if (spare && spare.proc.exitCode === null && spare.proc.signalCode === null) return spare;
  return startRunner(language);
}

function refillSpare() {
  if (spareLanguage && !spares.has(spareLanguage)) spares.set(spareLanguage, startRunner(spareLanguage));
}

function killGroup(pid) {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // the group is gone
  }
}

/** Keeps the first `cap` bytes of a stream, counts the rest. */
function capture(stream, cap) {
  const c = { chunks: [], kept: 0, dropped: 0 };
  stream.on('data', (b) => {
    const room = cap - c.kept;
    if (room >= b.length) {
      c.chunks.push(b);
      c.kept += b.length;
    } else {
      if (room > 0) c.chunks.push(b.subarray(0, room));
      c.kept += Math.max(0, room);
      c.dropped += b.length - Math.max(0, room);
    }
  });
  return c;
}

function text(c) {
  const s = Buffer.concat(c.chunks).toString('utf8');
  return c.dropped > 0 ? `${s}\n[… truncated: ${c.dropped} more bytes …]\n` : s;
}

/** Bound on waiting for an exec's pipes to close after its group was killed (a setsid'd holder). */
const DRAIN_MS = 200;

/** Runs one exec; resolves with its result. Never rejects. */
function run({ language, code, stdin, timeoutMs, capBytes }) {
  const t0 = performance.now();
  let proc;
  let finish;
  if (language === 'shell') {
    proc = spawn('/bin/sh', ['-c', code], { detached: true, stdio: ['pipe', 'pipe', 'pipe'], env: childEnv });
    proc.on('error', () => {});
    proc.stdin.on('error', () => {});
  } else {
    proc = takeRunner(language).proc;
    proc.stdio[3].end(code);
    // `d<code>\n` on fd 3: the runner is done and has closed its stdout and stderr; it is killed
    // rather than waited for (a process's teardown takes milliseconds).
    let said = '';
    proc.stdio[3].on('data', (b) => {
      said += b.toString('latin1');
      const m = /d(\d+)\n/.exec(said);
      if (m) finish(Number(m[1]), null);
    });
  }
  running.add(proc);
  proc.once('exit', () => running.delete(proc));
  const out = capture(proc.stdout, capBytes);
  const err = capture(proc.stderr, capBytes);
  proc.stdin.end(stdin ?? '');
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    if (proc.pid) killGroup(proc.pid);
  }, timeoutMs);
  // All of a stream's output is in at its 'end' (its 'close' can wait for the process's teardown).
  const closed = (s) =>
    new Promise((r) => {
      if (s.readableEnded || s.destroyed) return r();
      s.once('end', r);
      s.once('close', r);
    });
  return new Promise((resolve) => {
    let finished = false;
    finish = (code, signal, spawnError) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      // Whatever is left of the exec's process group goes with it.
      if (proc.pid) killGroup(proc.pid);
      const drain = setTimeout(() => {
        proc.stdout.destroy();
        proc.stderr.destroy();
      }, DRAIN_MS);
      Promise.all([closed(proc.stdout), closed(proc.stderr)]).then(() => {
        clearTimeout(drain);
        const exitCode = timedOut ? 124 : spawnError ? 127 : code !== null ? code : 128 + (constants.signals[signal] ?? 0);
        resolve({
          exitCode,
          stdout: text(out),
          stderr: spawnError ? `${text(err)}${spawnError}\n` : text(err),
          durationMs: Math.round((performance.now() - t0) * 1000) / 1000,
          truncated: out.dropped > 0 || err.dropped > 0,
          timedOut,
        });
      });
    };
    proc.once('exit', (code, signal) => finish(code, signal));
    proc.once('error', (e) => {
      if (!proc.pid) finish(null, null, `cannot start ${language}: ${e.message}`);
    });
  });
}

async function init(m) {
  const t0 = performance.now();
  for (let i = 0; i < m.setup.length; i++) {
    const left = m.setupTimeoutMs - (performance.now() - t0);
    const r = await run({ language: 'shell', code: m.setup[i], timeoutMs: Math.max(1, left), capBytes: 4096 });
    if (r.exitCode !== 0) {
      send({ type: 'setup-failed', index: i, exitCode: r.exitCode, output: `${r.stdout}${r.stderr}`.slice(-4096), timedOut: r.timedOut });
      return;
    }
  }
  spareLanguage = m.spare;
  refillSpare();
  const spare = spareLanguage ? spares.get(spareLanguage) : undefined;
  if (spare && !(await spare.loaded)) {
    send({ type: 'setup-failed', index: -1, exitCode: spare.proc.exitCode ?? 1, output: `the ${spareLanguage} interpreter exited at start`, timedOut: false });
    return;
  }
  send({ type: 'ready', setupMs: Math.round(performance.now() - t0) });
}

process.on('message', (m) => {
  if (m.type === 'init') void init(m);
  else if (m.type === 'env') {
    Object.assign(childEnv, m.vars);
    // A spare started before has the old environment: replace it.
    for (const s of spares.values()) if (s.proc.pid) killGroup(s.proc.pid);
    spares.clear();
    refillSpare();
  } else if (m.type === 'exec') {
    void run(m).then((r) => {
      send({ type: 'result', id: m.id, ...r });
      // After the answer, so that the next interpreter's start does not compete with this exec.
      refillSpare();
    });
  }
});

// The manager is gone (it ended, or crashed): nothing of this session may outlive it.
process.on('disconnect', () => {
  for (const p of running) if (p.pid) killGroup(p.pid);
  for (const s of spares.values()) if (s.proc.pid) killGroup(s.proc.pid);
  process.exit(0);
});
