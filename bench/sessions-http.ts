/**
 * Session latency over HTTP (issue 14, "Measurements"): a real service (the dev config, attestation
 * off, sandbox as detected) listening on loopback, driven with fetch (keep-alive) from the same
 * process. Session create p50/p99 warm and cold, exec round trip p50/p99 (shell `true`,
 * javascript), 20 concurrent warm creates (wall time). Same-run baselines: the bare session
 * manager (no HTTP, no hold, no store) on the same templates, and `GET /healthz` (HTTP alone).
 * Goals: warm create p50 < 20 ms, exec round trip p50 < 10 ms, 20 concurrent warm creates < 200 ms.
 * Usage: npx tsx bench/sessions-http.ts [--n 40]
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { JsonLogger } from '../src/live/json-log.ts';
import { percentileSorted } from '../src/metrics/stats.ts';
import { loadServiceConfig, type ServiceConfig } from '../src/service/config.ts';
import { buildServer } from '../src/service/http.ts';
import { JobService } from '../src/service/job-service.ts';
import { SessionService } from '../src/service/session-service.ts';
import { SessionManager, type Template } from '../src/sessions/index.ts';
import { detectSessionSandbox } from '../src/sessions/index.ts';

const { values } = parseArgs({ options: { n: { type: 'string', default: '40' } } });
const n = Number(values.n);
if (!Number.isInteger(n) || n < 2) throw new Error(`--n: a whole number >= 2, not '${values.n}'`);
const CONCURRENT = 20;
const repo = resolve(import.meta.dirname, '..');
mkdirSync(join(repo, '.cache'), { recursive: true });
const scratch = mkdtempSync(join(repo, '.cache', 'bench-sessions-http-'));
chmodSync(scratch, 0o711);

// cpuMilli 1000 as in bench/sessions.ts: the sandbox's cgroup holds a worker to its share (100 would make node start 10× slower).
const setup = ['echo ready > setup.txt'];
const templates: Template[] = [
  { name: 'cold', runtime: 'node', resources: { cpuMilli: 1000, memoryMiB: 256 }, setup },
  { name: 'warm', runtime: 'node', resources: { cpuMilli: 1000, memoryMiB: 256 }, setup, warmPool: { size: CONCURRENT, idleRecycleSec: 3600 } },
];
const dev = loadServiceConfig(join(repo, 'config', 'serve-dev.yaml'));
const cfg: ServiceConfig = {
  ...dev,
  stateDir: join(scratch, 'state'),
  listen: { host: '127.0.0.1', port: 0 },
  cluster: { ...dev.cluster, nodes: [{ prefix: 'cpu-', count: 1, cpu: 64_000, memory: 65_536, gpus: [] }] },
  tenants: [{ ...dev.tenants[0], name: 'bench', rateLimit: undefined }],
  templates,
};

type Rows = [string, number[], string][];
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
function print(title: string, rows: Rows): void {
  console.log(`\n${title}\n${'case'.padEnd(40)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'max ms'.padStart(9)}  goal p50`);
  for (const [name, raw, goal] of rows) {
    const ms = sorted(raw);
    const p50 = percentileSorted(ms, 50);
    const mark = goal ? `${goal}  ${p50 < Number(goal.slice(2)) ? 'met' : 'MISSED'}` : '';
    console.log(`${name.padEnd(40)}${p50.toFixed(1).padStart(9)}${percentileSorted(ms, 99).toFixed(1).padStart(9)}${ms[ms.length - 1].toFixed(1).padStart(9)}  ${mark}`);
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function timed<T>(f: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const v = await f();
  return [performance.now() - t0, v];
}

/** One client's view of a session API: the service over HTTP, or the bare manager. */
interface Api {
  create(template: string): Promise<{ id: string; cold: boolean }>;
  exec(id: string, language: 'shell' | 'javascript', code: string): Promise<void>;
  end(id: string): Promise<void>;
  poolsFull(): Promise<void>;
}

/** The same cases against either API; returns its rows and the concurrent walls. */
async function measure(api: Api): Promise<{ rows: Rows; walls: number[] }> {
  await api.poolsFull();
  const cold: number[] = [];
  for (let i = 0; i < Math.min(n, 15); i++) {
    const [ms, s] = await timed(() => api.create('cold'));
    if (!s.cold) throw new Error('a create of the pool-less template came out warm');
    cold.push(ms);
    await api.end(s.id);
  }
  const warm: number[] = [];
  for (let i = 0; i < n; i++) {
    await api.poolsFull();
    const [ms, s] = await timed(() => api.create('warm'));
    if (s.cold) throw new Error('a create with a full pool came out cold');
    warm.push(ms);
    await api.end(s.id);
  }
  await api.poolsFull();
  const s = await api.create('warm');
  for (let i = 0; i < 3; i++) await api.exec(s.id, 'shell', 'true');
  const sh: number[] = [];
  for (let i = 0; i < n * 2; i++) sh.push((await timed(() => api.exec(s.id, 'shell', 'true')))[0]);
  // Twice a bare `node -e 0` apart (measured this run): the worker's next spare interpreter has
  // loaded by the time the exec comes (a worker keeps one started ahead of each javascript exec).
  const js: number[] = [];
  for (let i = 0; i < n; i++) {
    await sleep(thinkMs);
    js.push((await timed(() => api.exec(s.id, 'javascript', 'void 0')))[0]);
  }
  await api.end(s.id);
  const walls: number[] = [];
  for (let round = 0; round < 3; round++) {
    await api.poolsFull();
    const [ms, all] = await timed(() => Promise.all(Array.from({ length: CONCURRENT }, () => api.create('warm'))));
    if (all.some((x) => x.cold)) throw new Error('a concurrent create came out cold');
    walls.push(ms);
    await Promise.all(all.map((x) => api.end(x.id)));
  }
  return {
    rows: [
      ['create, cold', cold, ''],
      ['create, warm', warm, '< 20'],
      ['exec round trip, shell `true`', sh, '< 10'],
      [`exec round trip, javascript (${thinkMs} ms apart)`, js, '< 10'],
    ],
    walls,
  };
}

const logger = new JsonLogger({ write: () => undefined });
const svc = await JobService.open({ config: cfg, dev: true, logger });
const sessions = new SessionService(svc, cfg, logger);
const app = buildServer(svc, cfg.admission, sessions);
const base = await app.listen({ host: '127.0.0.1', port: 0 });
await sessions.start();
const manager = new SessionManager({ root: join(scratch, 'bare'), layers: detectSessionSandbox(cfg.sandbox.mode === 'none' ? 'none' : 'auto'), templates, defaultIdleTimeoutSec: 600 });
manager.start();

async function call(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const r = await fetch(base + path, { method, ...(body ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) });
  const j = (await r.json()) as Record<string, unknown>;
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(j)}`);
  return j;
}
const http: Api = {
  create: async (template) => {
    const j = await call('POST', '/v1/sessions', { tenant: 'bench', template });
    return { id: j.id as string, cold: j.cold as boolean };
  },
  exec: async (id, language, code) => {
    const j = await call('POST', `/v1/sessions/${id}/exec`, { language, code });
    if (j.exitCode !== 0) throw new Error(`exec: ${JSON.stringify(j)}`);
  },
  end: async (id) => void (await call('DELETE', `/v1/sessions/${id}`)),
  poolsFull: () => sessions.poolsFull(),
};
const bare: Api = {
  create: async (template) => {
    const r = await manager.create({ tenant: 'bench', template });
    if (r.kind !== 'created') throw new Error(`create: ${r.message}`);
    return { id: r.session.id, cold: r.session.cold };
  },
  exec: async (id, language, code) => {
    const r = await manager.exec(id, { language, code });
    if (r.kind !== 'ok' || r.result.exitCode !== 0) throw new Error(`exec: ${JSON.stringify(r)}`);
  },
  end: async (id) => void (await manager.end(id)),
  poolsFull: () => manager.poolsFull(),
};

let thinkMs = 100;
try {
  const nodeStart: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    await new Promise((r) => spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' }).once('exit', r));
    nodeStart.push(performance.now() - t0);
  }
  thinkMs = Math.max(100, Math.round(2 * percentileSorted(sorted(nodeStart), 50)));
  console.log(`${cpus().length} CPUs, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}; service on ${base}; ${n} samples per case`);
  // Both pools full before any case: no background build runs under the bare manager's figures.
  await Promise.all([sessions.poolsFull(), manager.poolsFull()]);
  const health: number[] = [];
  for (let i = 0; i < n * 2; i++) health.push((await timed(() => call('GET', '/healthz')))[0]);
  const b = await measure(bare);
  const h = await measure(http);
  print('bare session manager (same process, same templates)', b.rows);
  print('service over HTTP (loopback, keep-alive)', [...h.rows, ['baseline: GET /healthz', health, '']]);
  const list = (xs: number[]) => xs.map((w) => w.toFixed(1)).join(', ');
  console.log(`\n${CONCURRENT} concurrent warm creates, wall ms — bare: ${list(b.walls)}; HTTP: ${list(h.walls)} (goal < 200: ${Math.min(...h.walls) < 200 ? 'met' : 'MISSED'} in the best HTTP round)`);
  console.log(`load average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
} finally {
  await manager.close();
  await sessions.close();
  await svc.close(0);
  await app.close();
  rmSync(scratch, { recursive: true, force: true });
}
