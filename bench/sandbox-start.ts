/**
 * What the sandbox hardening layers cost a job's start: cold start latency (scheduler start
 * decision → the worker's `started`, a fresh sandboxed worker per job) of a trivial command job,
 * with the layers as they were before hardening, with every layer, and with no sandbox at all;
 * plus `network: loopback` (an nsenter per job) and a warm worker with every layer. The cases
 * run interleaved, one job of each per round, so machine load hits them alike. Then the wrapper
 * alone (namespaces and mounts around `/bin/true`, no Node.js worker), before vs after, likewise.
 * Usage: npx tsx bench/sandbox-start.ts [rounds, default 20]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newJob } from '../src/jobs/job.ts';
import { LiveExecutor } from '../src/live/live-executor.ts';
import { detectSandbox, layerNames, wrapCommand, type SandboxLayers } from '../src/live/sandbox.ts';
import type { WorkSpec } from '../src/live/work-spec.ts';
import { workerScript } from '../src/live/worker-entry.ts';
import { mean, percentileSorted } from '../src/metrics/stats.ts';

const rounds = Number(process.argv[2] ?? 20);
const script = await workerScript();
const full = detectSandbox('auto', { node: process.execPath, script });
const cg = full.cgroup;
/** The layers of the sandbox before hardening: no read-only root, UTS/IPC, caps drop, io limit. */
const before: SandboxLayers = {
  ...full,
  utsIpc: false,
  readOnlyRoot: false,
  workdirQuotaBytes: undefined,
  capsDropped: false,
  cgroup: cg ? { version: cg.version, root: cg.root, controllers: cg.controllers.filter((c) => c !== 'io') } : undefined,
};
console.log(`every layer: ${layerNames(full).join(', ')}`);
console.log(`before hardening: ${layerNames(before).join(', ')}`);
console.log(`off here: ${(full.unavailable ?? []).join('; ') || 'none'}; ${rounds} rounds`);

interface Case {
  readonly name: string;
  readonly x: LiveExecutor;
  readonly work: WorkSpec;
  readonly warm: boolean;
  done: () => void;
}

function executor(layers: SandboxLayers, warm: boolean, c: { done: () => void }): LiveExecutor {
  return new LiveExecutor({
    emit: () => c.done(),
    layers,
    workerScript: script,
    workFor: (j) => j.work as WorkSpec,
    defaultTimeoutMs: 60_000,
    graceMs: 500,
    outputLimitBytes: 1 << 20,
    pidsMax: 64,
    minMemoryMiB: 128,
    backends: ['cpu'],
    warmPool: warm ? { plain: 1 } : {},
  });
}

const cmd: WorkSpec = { kind: 'command', argv: ['/bin/true'] };
const specs: [string, SandboxLayers, WorkSpec, boolean][] = [
  ['no sandbox', detectSandbox('none'), cmd, false],
  ['before hardening', before, cmd, false],
  ['every layer', full, cmd, false],
  ['every layer, loopback', full, { ...cmd, network: 'loopback' }, false],
  ['every layer, warm', full, cmd, true],
];
const cases: Case[] = specs.map(([name, layers, work, warm]) => {
  const c = { name, work, warm, done: () => {} } as Case;
  (c as { x: LiveExecutor }).x = executor(layers, warm, c);
  return c;
});
for (const c of cases) await c.x.warmUp();

let seq = 0;
for (let r = 0; r < rounds; r++) {
  for (const c of cases) {
    await c.x.poolReady();
    const j = newJob({ id: `j${++seq}`, tenant: 't', submit: 0, duration: 1, priority: 0, cpu: 1000, memory: 256, gpus: 0, milli: 0, work: c.work });
    j.state = 'running';
    j.attempt = 1;
    const done = new Promise<void>((res) => (c.done = res));
    c.x.start(j, { node: 0, gpus: [] });
    await done;
  }
}

console.log('case                         pool   mean ms   p50 ms   p90 ms   failed');
for (const c of cases) {
  await c.x.shutdown();
  if (c.x.strays().length > 0) throw new Error(`stray processes: ${c.x.strays().join(' ')}`);
  const ok = c.x.measures.filter((m) => m.outcome === 'succeeded');
  const ms = ok.map((m) => m.submitToRunningMs).sort((a, b) => a - b);
  const row = [mean(ms).toFixed(1).padStart(8), percentileSorted(ms, 50).toFixed(1).padStart(9), percentileSorted(ms, 90).toFixed(1).padStart(9)].join('');
  console.log(`${c.name.padEnd(29)}${(c.warm ? 'warm' : 'cold').padEnd(7)}${row}${String(c.x.measures.length - ok.length).padStart(9)}`);
}

/** Wall ms of one wrapped `/bin/true` in a fresh workdir (cgroup join skipped: no group). */
function wrapped(layers: SandboxLayers, root: string, i: number): number {
  const w = join(root, `w${i}`);
  mkdirSync(w);
  const c = wrapCommand(layers, ['/bin/true'], { pidsMax: 64, memoryBytes: 2 ** 28 });
  const env = { PATH: '/usr/local/bin:/usr/bin:/bin', GPULAB_WORKDIR: w, GPULAB_CG_PROCS: '', GPULAB_PRIVATE_TMP: '/var/tmp /dev/shm', GPULAB_JOB_MARKER: '0123abcd-bench' };
  const t0 = performance.now();
  const r = spawnSync(c.file, c.args, { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`wrapper failed: ${r.stderr}`);
  return ms;
}
if (full.pidns) {
  const root = mkdtempSync(join(tmpdir(), 'gpulab-bench-wrap-'));
  const w: Record<string, number[]> = { 'before hardening': [], 'every layer': [] };
  for (let r = 0; r < rounds * 3; r++) {
    w['before hardening'].push(wrapped(before, root, 2 * r));
    w['every layer'].push(wrapped(full, root, 2 * r + 1));
  }
  rmSync(root, { recursive: true, force: true });
  console.log('wrapper alone (/bin/true)           mean ms   p50 ms   p90 ms');
  for (const [name, ms] of Object.entries(w)) {
    ms.sort((a, b) => a - b);
    console.log(`${name.padEnd(36)}${mean(ms).toFixed(1).padStart(8)}${percentileSorted(ms, 50).toFixed(1).padStart(9)}${percentileSorted(ms, 90).toFixed(1).padStart(9)}`);
  }
}
