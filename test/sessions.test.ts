import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listJobCgroups } from '../src/live/cgroups.ts';
import { markedProcesses } from '../src/live/proc-scan.ts';
import {
  detectSessionSandbox,
  parseTemplates,
  pythonAvailable,
  recoverSessions,
  SESSION_ERROR_STATUS,
  SessionManager,
  TemplateError,
  type SessionManagerOptions,
  type SessionRecord,
  type Template,
} from '../src/sessions/index.ts';
import { cgroupName, markerOf, markerPrefix, rootTag } from '../src/sessions/session-worker.ts';

// Real sandboxed workers (cgroups, namespaces and the uid drop where this machine allows them).
const repo = resolve(import.meta.dirname, '..');
mkdirSync(join(repo, '.cache'), { recursive: true });
const scratch = mkdtempSync(join(repo, '.cache', 'sessions-test-'));
// Workers run as nobody where the sandbox drops the uid: the roots below must be reachable.
chmodSync(scratch, 0o711);
const layers = detectSessionSandbox('auto');
const python = pythonAvailable();
const managers: SessionManager[] = [];
afterAll(async () => {
  await Promise.all(managers.map((m) => m.close()));
  rmSync(scratch, { recursive: true, force: true });
});

let roots = 0;
const template = (over: Partial<Template> = {}): Template => ({ name: 'box', runtime: 'node', resources: { cpuMilli: 1000, memoryMiB: 256 }, ...over });

function manager(templates: Template[], over: Partial<SessionManagerOptions> = {}): { m: SessionManager; root: string; saved: SessionRecord[] } {
  const root = join(scratch, `root-${++roots}`);
  const saved: SessionRecord[] = [];
  const m = new SessionManager({ root, layers, templates, persistence: { save: (r) => void saved.push(r) }, ...over });
  managers.push(m);
  m.start();
  return { m, root, saved };
}

async function created(m: SessionManager, req: Parameters<SessionManager['create']>[0]): Promise<SessionRecord> {
  const r = await m.create(req);
  if (r.kind !== 'created') throw new Error(`create failed: ${r.kind}: ${r.message}`);
  return r.session;
}

async function run(m: SessionManager, id: string, req: Parameters<SessionManager['exec']>[1]) {
  const r = await m.exec(id, req);
  if (r.kind !== 'ok') throw new Error(`exec failed: ${r.kind}: ${r.message}`);
  return r.result;
}

/** What a worker could have left behind: marked processes, its cgroup, its working directory. */
function leftovers(root: string, workerId: string): string[] {
  const out: string[] = [];
  const marker = markerOf(root, workerId);
  for (const p of markedProcesses()) if (p.marker === marker) out.push(`process ${p.pid}`);
  if (layers.cgroup && listJobCgroups(layers.cgroup).includes(cgroupName(root, workerId))) out.push('cgroup');
  if (existsSync(join(root, workerId))) out.push('workdir');
  return out;
}

async function until<T>(f: () => T, ok: (v: T) => boolean, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  let v = f();
  while (!ok(v) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 25));
    v = f();
  }
  return v;
}

describe('session templates', () => {
  it('name the file and the field of a bad template', () => {
    const bad = [{ name: 'a', runtime: 'node', resources: { cpuMilli: 500, memoryMiB: 8 } }, { name: 'b', runtime: 'ruby', resources: { cpuMilli: 1, memoryMiB: 128 } }];
    expect(() => parseTemplates(bad, 'service.yaml')).toThrow(TemplateError);
    try {
      parseTemplates(bad, 'service.yaml');
    } catch (e) {
      expect((e as Error).message).toContain('service.yaml');
      expect((e as TemplateError).problems.some((p) => p.startsWith('templates.0.resources.memoryMiB'))).toBe(true);
      expect((e as TemplateError).problems.some((p) => p.startsWith('templates.1.runtime'))).toBe(true);
    }
  });

  it('refuse duplicate names and accept a python runtime where python3 runs', () => {
    const t = { name: 'a', runtime: 'python', resources: { cpuMilli: 500, memoryMiB: 128 }, warmPool: { size: 2, idleRecycleSec: 60 } };
    expect(() => parseTemplates([t, t], 'c.yaml')).toThrow(/templates\.1\.name: duplicate template name 'a'/);
    expect(parseTemplates([t], 'c.yaml')[0].warmPool).toEqual({ size: 2, idleRecycleSec: 60 });
  });
});

describe('session lifecycle', () => {
  it('creates a cold session, runs execs whose files persist, ends it and leaves nothing behind', async () => {
    const { m, root, saved } = manager([template({ setup: ['echo from-setup > setup.txt'] })]);
    const s = await created(m, { tenant: 'acme', template: 'box' });
    expect(s).toMatchObject({ state: 'ready', cold: true, tenant: 'acme', template: 'box', execs: 0 });
    expect(leftovers(root, s.workerId)).toEqual(expect.arrayContaining(['workdir']));

    const w = await run(m, s.id, { language: 'shell', code: 'cat setup.txt; echo written > a.txt; echo err >&2; exit 3' });
    expect(w).toMatchObject({ exitCode: 3, stdout: 'from-setup\n', stderr: 'err\n', truncated: false, timedOut: false });
    const js = await run(m, s.id, { language: 'javascript', code: "process.stdout.write(require('fs').readFileSync('a.txt', 'utf8'))" });
    expect(js).toMatchObject({ exitCode: 0, stdout: 'written\n' });
    expect(m.get(s.id)).toMatchObject({ state: 'ready', execs: 2 });
    expect(m.list({ tenant: 'acme' }).map((r) => r.id)).toEqual([s.id]);
    expect(m.list({ tenant: 'other' })).toEqual([]);

    const e = await m.end(s.id, 'deleted');
    expect(e).toMatchObject({ kind: 'ended', session: { state: 'ended', endReason: 'deleted' } });
    expect(leftovers(root, s.workerId)).toEqual([]);
    expect(await m.exec(s.id, { language: 'shell', code: 'true' })).toMatchObject({ kind: 'ended' });
    // Every state change reached the persistence hook: created, two execs (busy, ready), ended.
    expect(saved.filter((r) => r.id === s.id).map((r) => r.state)).toEqual(['ready', 'busy', 'ready', 'busy', 'ready', 'ended']);
  });

  it('refuses a second concurrent exec with busy (HTTP 409) and runs the first to its end', async () => {
    const { m } = manager([template({ runtime: 'shell' })]);
    const s = await created(m, { tenant: 't', template: 'box' });
    const first = m.exec(s.id, { language: 'shell', code: 'sleep 0.4; echo first' });
    const second = await m.exec(s.id, { language: 'shell', code: 'echo second' });
    expect(second.kind).toBe('busy');
    expect(second.kind === 'busy' && SESSION_ERROR_STATUS[second.kind]).toBe(409);
    expect(await first).toMatchObject({ kind: 'ok', result: { stdout: 'first\n' } });
    await m.end(s.id);
  });

  it('ends an idle session at its idle timeout and reclaims it', async () => {
    const { m, root } = manager([template({ runtime: 'shell' })]);
    const s = await created(m, { tenant: 't', template: 'box', idleTimeoutSec: 0.5 });
    await run(m, s.id, { language: 'shell', code: 'true' });
    const r = await until(() => m.get(s.id)!, (r) => r.state === 'ended' && leftovers(root, s.workerId).length === 0);
    expect(r).toMatchObject({ state: 'ended', endReason: 'idle-timeout' });
    expect(leftovers(root, s.workerId)).toEqual([]);
  });

  it('ends a session at its max lifetime, even during an exec', async () => {
    const { m, root } = manager([template({ runtime: 'shell' })]);
    const s = await created(m, { tenant: 't', template: 'box', idleTimeoutSec: 60, maxLifetimeSec: 0.6 });
    const r = await m.exec(s.id, { language: 'shell', code: 'sleep 5' });
    expect(r.kind).toBe('ended');
    expect(m.get(s.id)).toMatchObject({ state: 'ended', endReason: 'max-lifetime' });
    expect(await until(() => leftovers(root, s.workerId), (l) => l.length === 0)).toEqual([]);
  });

  it('reports an unknown template and a failing setup command', async () => {
    const { m } = manager([template({ name: 'broken', runtime: 'shell', setup: ['true', 'echo nope >&2; exit 7'] })]);
    expect(await m.create({ tenant: 't', template: 'missing' })).toMatchObject({ kind: 'unknown-template' });
    const r = await m.create({ tenant: 't', template: 'broken' });
    expect(r.kind).toBe('worker-failed');
    expect(r.kind === 'worker-failed' && r.message).toMatch(/setup command 1 .*exited 7: nope/);
  });
});

describe('session execs', () => {
  it.skipIf(!python.ok)(`python (runtime and exec) sees the session's files, its stdin, and returns its exit code${python.ok ? '' : ` — skipped: ${python.reason}`}`, async () => {
    const { m } = manager([template({ runtime: 'python' })]);
    const s = await created(m, { tenant: 't', template: 'box' });
    await run(m, s.id, { language: 'shell', code: 'echo written > a.txt' });
    expect(await run(m, s.id, { language: 'python', code: "print(open('a.txt').read().strip() + '-py')" })).toMatchObject({ exitCode: 0, stdout: 'written-py\n' });
    expect(await run(m, s.id, { language: 'python', code: 'import sys\nsys.stdout.write(sys.stdin.read()[::-1])\nsys.exit(4)', stdin: 'abc' })).toMatchObject({ exitCode: 4, stdout: 'cba' });
    const err = await run(m, s.id, { language: 'python', code: 'raise ValueError("bad")' });
    expect(err.exitCode).toBe(1);
    expect(err.stderr).toContain('ValueError: bad');
    await m.end(s.id);
  });

  it('javascript and shell get their stdin and return their exit codes', async () => {
    const { m } = manager([template({ runtime: 'node' })]);
    const s = await created(m, { tenant: 't', template: 'box' });
    expect(await run(m, s.id, { language: 'shell', code: 'tr a-z A-Z', stdin: 'hello' })).toMatchObject({ exitCode: 0, stdout: 'HELLO' });
    const js = "let d = ''; process.stdin.on('data', (c) => (d += c)); process.stdin.on('end', () => { console.log(d.length); process.exitCode = 5; });";
    expect(await run(m, s.id, { language: 'javascript', code: js, stdin: 'x'.repeat(100_000) })).toMatchObject({ exitCode: 5, stdout: '100000\n' });
    // Work scheduled at the drain (beforeExit) still runs before the exec counts as done.
    const late = "let once = true; process.on('beforeExit', () => { if (once) setTimeout(() => console.log('late'), 20); once = false; }); console.log('early');";
    expect(await run(m, s.id, { language: 'javascript', code: late })).toMatchObject({ exitCode: 0, stdout: 'early\nlate\n' });
    const thrown = await run(m, s.id, { language: 'javascript', code: "throw new Error('boom')" });
    expect(thrown.exitCode).toBe(1);
    expect(thrown.stderr).toContain('Error: boom');
    // require() resolves from the working directory, as under `node -e` (.cjs: the checkout's
    // package.json says "type": "module", and the working directories lie below it here).
    await run(m, s.id, { language: 'shell', code: "echo 'module.exports = 41 + 1' > m.cjs" });
    expect(await run(m, s.id, { language: 'javascript', code: "console.log(require('./m.cjs'))" })).toMatchObject({ stdout: '42\n' });
    await m.end(s.id);
  });

  it('a timeout kills the exec and its background child, and the session lives on', async () => {
    const { m, root } = manager([template()]);
    const s = await created(m, { tenant: 't', template: 'box' });
    const marker = markerOf(root, s.workerId);
    const sleepers = () => markedProcesses().filter((p) => p.marker === marker && readCmdline(p.pid).includes('313'));
    const t = await run(m, s.id, { language: 'shell', code: 'sleep 313 & echo started; sleep 313', timeoutSec: 0.5 });
    expect(t).toMatchObject({ exitCode: 124, timedOut: true, stdout: 'started\n' });
    expect(await until(sleepers, (l) => l.length === 0)).toEqual([]);
    const js = await run(m, s.id, { language: 'javascript', code: "require('child_process').spawn('sleep', ['313'], { stdio: 'ignore' }); while (true) {}", timeoutSec: 0.5 });
    expect(js).toMatchObject({ exitCode: 124, timedOut: true });
    expect(await until(sleepers, (l) => l.length === 0)).toEqual([]);
    expect(await run(m, s.id, { language: 'shell', code: 'echo alive' })).toMatchObject({ exitCode: 0, stdout: 'alive\n' });
    expect(await run(m, s.id, { language: 'javascript', code: "console.log('alive')" })).toMatchObject({ exitCode: 0, stdout: 'alive\n' });
    expect(m.get(s.id)!.state).toBe('ready');
    await m.end(s.id);
  });

  it('caps each stream and marks the truncation', async () => {
    const { m } = manager([template({ runtime: 'shell' })], { outputCapBytes: 1000 });
    const s = await created(m, { tenant: 't', template: 'box' });
    const r = await run(m, s.id, { language: 'shell', code: 'head -c 5000 /dev/zero | tr "\\0" a; head -c 1500 /dev/zero | tr "\\0" b >&2' });
    expect(r.truncated).toBe(true);
    expect(r.stdout.startsWith('a'.repeat(1000) + '\n')).toBe(true);
    expect(r.stdout).toContain('truncated: 4000 more bytes');
    expect(r.stderr).toContain('truncated: 500 more bytes');
    expect((await run(m, s.id, { language: 'shell', code: 'echo short' })).truncated).toBe(false);
    await m.end(s.id);
  });
});

describe('persistence failures', () => {
  it('a create whose record cannot be stored leaves no session; an exec not stored is not run', async () => {
    let failOn: string | undefined = 'ready';
    const { m, root } = manager([template({ runtime: 'shell' })], {
      persistence: {
        save: (r) => {
          if (r.state === failOn) throw new Error(`store down (${r.state})`);
        },
      },
    });
    await expect(m.create({ tenant: 't', template: 'box' })).rejects.toThrow('store down (ready)');
    expect(m.list()).toEqual([]);
    expect(readdirSync(root)).toEqual([]);
    failOn = 'busy';
    const s = await created(m, { tenant: 't', template: 'box' });
    await expect(m.exec(s.id, { language: 'shell', code: 'touch ran' })).rejects.toThrow('store down (busy)');
    expect(m.get(s.id)!.state).toBe('ready');
    failOn = undefined;
    expect(await run(m, s.id, { language: 'shell', code: 'ls' })).toMatchObject({ stdout: '' });
    await m.end(s.id);
  });
});

describe('worker loss', () => {
  it('ends the session with worker-lost when its agent dies, and reclaims it', async () => {
    const { m, root } = manager([template({ runtime: 'shell' })]);
    const s = await created(m, { tenant: 't', template: 'box' });
    // The exec's parent is the session's agent.
    const r = await m.exec(s.id, { language: 'shell', code: 'kill -9 $PPID; sleep 5' });
    expect(r.kind).toBe('worker-lost');
    expect(m.get(s.id)).toMatchObject({ state: 'ended', endReason: 'worker-lost' });
    expect(leftovers(root, s.workerId)).toEqual([]);
  });
});

describe('warm pools', () => {
  it('hand out a warm worker, refill in the background and recycle idle ones', async () => {
    const { m, root } = manager([template({ runtime: 'shell', setup: ['touch ready-made'], warmPool: { size: 1, idleRecycleSec: 0.8 } })]);
    await m.poolsFull();
    const s = await created(m, { tenant: 't', template: 'box' });
    expect(s.cold).toBe(false);
    expect(await run(m, s.id, { language: 'shell', code: 'ls' })).toMatchObject({ stdout: 'ready-made\n' });
    expect(await until(() => m.poolStats()[0].available, (n) => n === 1)).toBe(1);
    // The refilled worker idles past idleRecycleSec: it is destroyed and replaced.
    expect(await until(() => m.poolStats()[0].recycled, (n) => n >= 1)).toBeGreaterThanOrEqual(1);
    expect(m.counts).toEqual({ warm: 1, cold: 0 });
    await m.end(s.id);
    expect(leftovers(root, s.workerId)).toEqual([]);
  });

  it('replace a pooled worker that dies, and leave nothing behind when closed', async () => {
    const { m, root } = manager([template({ runtime: 'shell', warmPool: { size: 1, idleRecycleSec: 600 } })]);
    await m.poolsFull();
    const prefix = markerPrefix(root);
    const pooled = () => new Set(markedProcesses().filter((p) => p.marker.startsWith(prefix)).map((p) => p.marker));
    const [first] = [...pooled()];
    const agent = markedProcesses().find((p) => p.marker === first && readCmdline(p.pid).includes('agent.mjs'))!;
    process.kill(agent.pid, 'SIGKILL');
    const after = await until(pooled, (ms) => ms.size === 1 && !ms.has(first) && m.poolStats()[0].available === 1, 10_000);
    expect(after.has(first)).toBe(false);
    expect(m.poolStats()[0]).toMatchObject({ available: 1, lastError: expect.stringContaining('pooled worker lost') });
    expect((await m.create({ tenant: 't', template: 'box' })).kind).toBe('created');
    await m.close();
    expect(pooled().size).toBe(0);
    expect(readdirSync(root)).toEqual([]);
    if (layers.cgroup) expect(listJobCgroups(layers.cgroup).filter((n) => n.startsWith(`sess-${rootTag(root)}-`))).toEqual([]);
    expect(await m.create({ tenant: 't', template: 'box' })).toMatchObject({ kind: 'closed' });
  });
});

describe('crash recovery', () => {
  it('after kill -9 of the manager, recover reaps its workers and ends its sessions with service-restart', async () => {
    const root = join(scratch, 'crashed-root');
    const store = join(scratch, 'crashed-store.jsonl');
    const script = join(scratch, 'crash-child.mts');
    const index = join(repo, 'src', 'sessions', 'index.ts');
    writeFileSync(
      script,
      `import { appendFileSync } from 'node:fs';
import { SessionManager, detectSessionSandbox } from ${JSON.stringify(index)};
const [root, store] = process.argv.slice(2);
const m = new SessionManager({ root, layers: detectSessionSandbox('auto'),
  templates: [{ name: 'box', runtime: 'node', resources: { cpuMilli: 500, memoryMiB: 256 }, warmPool: { size: 1, idleRecycleSec: 600 } }],
  persistence: { save: (r) => appendFileSync(store, JSON.stringify(r) + '\\n') } });
m.start();
await m.poolsFull();
const a = await m.create({ tenant: 'a', template: 'box' });
const b = await m.create({ tenant: 'b', template: 'box' });
if (a.kind !== 'created' || b.kind !== 'created') throw new Error('create failed');
await m.exec(a.session.id, { language: 'shell', code: 'echo kept > f' });
await m.end(b.session.id);
await m.poolsFull();
console.log('READY');
setInterval(() => {}, 1000);
`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script, root, store], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((ok, fail) => {
      child.stdout!.on('data', (c: Buffer) => c.toString().includes('READY') && ok());
      child.once('exit', (code) => fail(new Error(`crash child exited ${code} before READY`)));
    });
    const prefix = markerPrefix(root);
    const before = markedProcesses().filter((p) => p.marker.startsWith(prefix));
    // Two live workers (session a, the refilled pool worker); stopped, they cannot notice the crash.
    expect(new Set(before.map((p) => p.marker)).size).toBe(2);
    for (const p of before) process.kill(p.pid, 'SIGSTOP');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    const latest = new Map<string, SessionRecord>();
    for (const line of readFileSync(store, 'utf8').trim().split('\n')) {
      const r = JSON.parse(line) as SessionRecord;
      latest.set(r.id, r);
    }
    expect(readdirSync(root).length).toBe(2);
    const report = await recoverSessions({ root, layers, stored: [...latest.values()], now: Date.now() });
    expect(report.ended.map((r) => [r.tenant, r.state, r.endReason])).toEqual([['a', 'ended', 'service-restart']]);
    expect([...report.killed].sort()).toEqual(before.map((p) => p.pid).sort());
    expect(report.problems).toEqual([]);
    expect(markedProcesses().filter((p) => p.marker.startsWith(prefix))).toEqual([]);
    if (layers.cgroup) {
      expect(report.cgroups.length).toBe(2);
      expect(listJobCgroups(layers.cgroup).filter((n) => n.startsWith(`sess-${rootTag(root)}-`))).toEqual([]);
    }
    expect(readdirSync(root)).toEqual([]);
  });
});

function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}
