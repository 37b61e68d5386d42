/**
 * Session engine latency (issue 14, "Measurements"): session create p50/p99 warm (a worker from the
 * template's pool) and cold (built on demand: sandbox, agent, setup, spare interpreter); exec round
 * trip p50/p99 as the caller sees it: a trivial shell exec, a javascript exec with its spare
 * interpreter loaded (execs twice a bare node start apart), and javascript back to back (each exec
 * also waits for the next spare to load); 20 concurrent warm creates in total wall time.
 * Baselines from the same run: an unsandboxed `sh -c true` and `node -e 0`, spawned and awaited.
 * Goals: warm create p50 < 20 ms, exec round trip p50 < 10 ms, 20 concurrent warm creates < 200 ms.
 * Usage: npx tsx bench/sessions.ts [--n 40] [--sandbox auto|none]
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { layerNames } from '../src/live/sandbox.ts';
import { percentileSorted } from '../src/metrics/stats.ts';
import { detectSessionSandbox, SessionManager, type ExecRequest, type Template } from '../src/sessions/index.ts';

const { values } = parseArgs({ options: { n: { type: 'string', default: '40' }, sandbox: { type: 'string', default: 'auto' } } });
const n = Number(values.n);
if (!Number.isInteger(n) || n < 2) throw new Error(`--n: a whole number >= 2, not '${values.n}'`);
if (values.sandbox !== 'auto' && values.sandbox !== 'none') throw new Error(`--sandbox: auto or none, not '${values.sandbox}'`);
const layers = detectSessionSandbox(values.sandbox);
const CONCURRENT = 20;

const repo = resolve(import.meta.dirname, '..');
mkdirSync(join(repo, '.cache'), { recursive: true });
const scratch = mkdtempSync(join(repo, '.cache', 'bench-sessions-'));
chmodSync(scratch, 0o711);
const setup = ['echo ready > setup.txt'];
const templates: Template[] = [
  { name: 'cold', runtime: 'node', resources: { cpuMilli: 1000, memoryMiB: 256 }, setup },
  { name: 'warm', runtime: 'node', resources: { cpuMilli: 1000, memoryMiB: 256 }, setup, warmPool: { size: CONCURRENT, idleRecycleSec: 3600 } },
];
const m = new SessionManager({ root: join(scratch, 'root'), layers, templates, defaultIdleTimeoutSec: 600 });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rows: [string, number[], string][] = [];
function row(name: string, ms: number[], goal = ''): void {
  rows.push([name, [...ms].sort((a, b) => a - b), goal]);
}

async function spawnWait(file: string, args: string[]): Promise<number> {
  const t0 = performance.now();
  await new Promise((r) => spawn(file, args, { stdio: 'ignore' }).once('exit', r));
  return performance.now() - t0;
}

async function createOne(template: string): Promise<{ id: string; ms: number; cold: boolean }> {
  const t0 = performance.now();
  const r = await m.create({ tenant: 'bench', template });
  const ms = performance.now() - t0;
  if (r.kind !== 'created') throw new Error(`create ${template}: ${r.kind}: ${r.message}`);
  return { id: r.session.id, ms, cold: r.session.cold };
}

/** In-worker durations (`durationMs`: spawn to the end of the output) of the execs, per language. */
const inWorker: Record<string, number[]> = { shell: [], javascript: [] };

async function execOne(id: string, req: ExecRequest): Promise<number> {
  const t0 = performance.now();
  const r = await m.exec(id, req);
  const ms = performance.now() - t0;
  if (r.kind !== 'ok' || r.result.exitCode !== 0) throw new Error(`exec ${req.language}: ${JSON.stringify(r)}`);
  inWorker[req.language]?.push(r.result.durationMs);
  return ms;
}

try {
  console.log(`isolation: ${layerNames(layers).join(', ')}; ${cpus().length} CPUs; ${n} samples per case`);
  m.start();
  await m.poolsFull();

  const baseSh: number[] = [];
  const baseNode: number[] = [];
  for (let i = 0; i < n; i++) baseSh.push(await spawnWait('/bin/sh', ['-c', 'true']));
  for (let i = 0; i < Math.min(n, 20); i++) baseNode.push(await spawnWait(process.execPath, ['-e', '0']));
  row('baseline: spawn sh -c true (no sandbox)', baseSh);
  row('baseline: spawn node -e 0 (no sandbox)', baseNode);

  const cold: number[] = [];
  for (let i = 0; i < Math.min(n, 15); i++) {
    const s = await createOne('cold');
    if (!s.cold) throw new Error('a create of the pool-less template came out warm');
    cold.push(s.ms);
    await m.end(s.id);
  }
  row('create, cold (sandbox+agent+setup+spare)', cold);

  const warm: number[] = [];
  for (let i = 0; i < n; i++) {
    await m.poolsFull();
    const s = await createOne('warm');
    if (s.cold) throw new Error('a create with a full pool came out cold');
    warm.push(s.ms);
    await m.end(s.id);
  }
  row('create, warm (from the pool)', warm, '< 20');

  await m.poolsFull();
  const s = await createOne('warm');
  const sh: number[] = [];
  const js: number[] = [];
  const jsBack: number[] = [];
  for (let i = 0; i < 3; i++) await execOne(s.id, { language: 'shell', code: 'true' });
  inWorker.shell.length = 0;
  for (let i = 0; i < n * 2; i++) sh.push(await execOne(s.id, { language: 'shell', code: 'true' }));
  const shInWorker = [...inWorker.shell];
  // Think time between javascript execs: twice the p50 of an unsandboxed `node -e 0` just measured,
  // so that the next spare interpreter has loaded by the time the exec comes.
  const thinkMs = Math.max(100, Math.round(2 * percentileSorted([...baseNode].sort((a, b) => a - b), 50)));
  for (let i = 0; i < n; i++) {
    await sleep(thinkMs);
    js.push(await execOne(s.id, { language: 'javascript', code: 'void 0' }));
  }
  for (let i = 0; i < Math.min(n, 20); i++) jsBack.push(await execOne(s.id, { language: 'javascript', code: 'void 0' }));
  await m.end(s.id);
  row('exec round trip, shell `true`', sh, '< 10');
  row('  of which inside the worker (durationMs)', shInWorker);
  row(`exec round trip, javascript (${thinkMs} ms apart)`, js, '< 10');
  row('exec round trip, javascript back to back', jsBack);

  // Where the cost of a warm create went: the pool's refill after it, and the first exec.
  const walls: number[] = [];
  const withExec: number[] = [];
  const refill: number[] = [];
  for (let round = 0; round < 3; round++) {
    await m.poolsFull();
    const t0 = performance.now();
    const all = await Promise.all(Array.from({ length: CONCURRENT }, () => createOne('warm')));
    walls.push(performance.now() - t0);
    if (all.some((x) => x.cold)) throw new Error('a concurrent create came out cold');
    await m.poolsFull();
    refill.push(performance.now() - t0);
    await Promise.all(all.map((x) => m.end(x.id)));
    await m.poolsFull();
    const t1 = performance.now();
    const each = await Promise.all(
      Array.from({ length: CONCURRENT }, async () => {
        const x = await createOne('warm');
        await execOne(x.id, { language: 'shell', code: 'true' });
        return x;
      }),
    );
    withExec.push(performance.now() - t1);
    await m.poolsFull();
    await Promise.all(each.map((x) => m.end(x.id)));
  }

  console.log(`${'case'.padEnd(46)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'max ms'.padStart(9)}  goal p50`);
  for (const [name, ms, goal] of rows) {
    const p50 = percentileSorted(ms, 50);
    const mark = goal ? `${goal}  ${p50 < Number(goal.slice(2)) ? 'met' : 'MISSED'}` : '';
    console.log(`${name.padEnd(46)}${p50.toFixed(1).padStart(9)}${percentileSorted(ms, 99).toFixed(1).padStart(9)}${ms[ms.length - 1].toFixed(1).padStart(9)}  ${mark}`);
  }
  const best = walls.reduce((a, b) => (b < a ? b : a));
  const list = (xs: number[]) => xs.map((w) => w.toFixed(1)).join(', ');
  console.log(`${CONCURRENT} concurrent warm creates, wall ms: ${list(walls)} (goal < 200: ${best < 200 ? 'met' : 'MISSED'} in the best round, ${walls.every((w) => w < 200) ? 'met' : 'MISSED'} in all)`);
  console.log(`  the same, each followed by a shell exec, wall ms: ${list(withExec)}`);
  console.log(`  the pool full again after the creates (${CONCURRENT} cold builds in the background), ms: ${list(refill)}`);
} finally {
  await m.close();
  rmSync(scratch, { recursive: true, force: true });
}
