import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonLogger } from '../live/json-log.ts';
import { ServiceConfigSchema } from './config.ts';
import { buildServer } from './http.ts';
import { JobService } from './job-service.ts';

/**
 * Load measurement (`npx tsx src/service/bench-load.ts [seconds] [concurrency] [queue bound]`): a service on
 * 127.0.0.1 with a cluster too small to drain the queue (jobs sleep 60 s), a queue bound of
 * 2,000 (or the third argument) and no rate limit, and `concurrency` clients posting jobs for `seconds` (default 10 s,
 * 32 clients): submissions past capacity, so 429s hold the queue at its bound. Prints accepted/s,
 * the 429 share, p50/p99 latency and peak RSS. Every 201 was committed (SQLite WAL, synchronous
 * FULL) before it was sent. Bounded in time; loopback only.
 */
const seconds = Number(process.argv[2] ?? 10);
const concurrency = Number(process.argv[3] ?? 32);
const maxQueue = Number(process.argv[4] ?? 2000);
const dir = mkdtempSync(join(tmpdir(), 'gpulab-serve-bench-'));
const cfg = ServiceConfigSchema.parse({
  stateDir: dir,
  listen: { host: '127.0.0.1', port: 0 },
  cluster: { nodes: [{ prefix: 'cpu-', count: 1, cpu: 2000, memory: 4096 }] },
  tenants: [{ name: 'team-a' }, { name: 'team-b' }],
  admission: { maxQueue },
  attestation: { required: false },
  sandbox: { mode: 'none', minMemoryMiB: 64, backends: ['cpu'] },
  drainGraceSec: 0,
});
const svc = await JobService.open({ config: cfg, dev: true, logger: new JsonLogger({ write: () => {}, level: 'error' }) });
const app = buildServer(svc, cfg.admission);
const addr = new URL(await app.listen({ host: '127.0.0.1', port: 0 }));
const port = Number(addr.port);
let peakRss = 0;
const rssAt: number[] = [];
// Event-loop utilisation of the service's thread, sampled: busy share while it accepted (CPU
// contention on a shared box shows as idle time, so accepted per busy second is the steadier figure).
const t0 = performance.now();
const elu: { t: number; u: ReturnType<typeof performance.eventLoopUtilization> }[] = [{ t: 0, u: performance.eventLoopUtilization() }];
let samples = 0;
const sampler = setInterval(() => {
  if (samples++ % 5 === 0) {
    const r = process.memoryUsage().rss;
    peakRss = Math.max(peakRss, r);
    rssAt.push(r);
  }
  elu.push({ t: (performance.now() - t0) / 1000, u: performance.eventLoopUtilization() });
}, 50);
// The clients run on a thread of their own (as a separate load generator would), so the service's
// event loop is measured, not the clients'.
const CLIENTS = `
const { parentPort, workerData: { port, seconds, concurrency } } = require('node:worker_threads');
const { Agent, request } = require('node:http');
const keepAlive = new Agent({ keepAlive: true, maxSockets: concurrency });
const body = (i) => JSON.stringify({ tenant: i % 2 ? 'team-a' : 'team-b', work: { kind: 'sleep', ms: 60000 }, cpuMilli: 2000 });
const post = (i) => new Promise((resolve, reject) => {
  const b = body(i);
  const req = request({ host: '127.0.0.1', port, path: '/v1/jobs', method: 'POST', agent: keepAlive, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(b) } }, (res) => {
    res.resume();
    res.on('end', () => resolve(res.statusCode || 0));
  });
  req.on('error', reject);
  req.end(b);
});
(async () => {
  const lat = [];
  const codes = {};
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let lastAccept = t0;
  let n = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      const t = performance.now();
      const c = await post(n++);
      lat.push(performance.now() - t);
      codes[c] = (codes[c] || 0) + 1;
      if (c === 201) lastAccept = performance.now();
    }
  }));
  keepAlive.destroy();
  parentPort.postMessage({ lat, codes, acceptSec: (lastAccept - t0) / 1000 });
})();
`;
const res = await new Promise<{ lat: number[]; codes: Record<string, number>; acceptSec: number }>((resolve, reject) => {
  const w = new Worker(CLIENTS, { eval: true, workerData: { port, seconds, concurrency } });
  w.once('message', resolve);
  w.once('error', reject);
});
const atFull = elu.find((e) => e.t >= res.acceptSec) ?? elu[elu.length - 1];
const busy = performance.eventLoopUtilization(atFull.u, elu[0].u).utilization;
const lat = res.lat;
const codes = new Map(Object.entries(res.codes).map(([c, k]) => [Number(c), k]));
clearInterval(sampler);
lat.sort((a, b) => a - b);
const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))];
const accepted = codes.get(201) ?? 0;
const total = lat.length;
const mb = (b: number) => Math.round(b / 2 ** 20);
const half = rssAt.slice(Math.floor(rssAt.length / 2));
process.stdout.write(
  [
    `gpulab serve load: ${seconds} s, ${concurrency} clients, queue bound ${cfg.admission.maxQueue}, node ${process.version}`,
    `requests ${total} (${Math.round(total / seconds)}/s); answers ${[...codes].map(([c, k]) => `${c}×${k}`).join(' ')}`,
    `accepted ${accepted}: ${Math.round(accepted / res.acceptSec)}/s until the queue was full (${res.acceptSec.toFixed(2)} s), ${Math.round(accepted / seconds)}/s over the run; 429 share ${((100 * (codes.get(429) ?? 0)) / total).toFixed(1)} %`,
    `service event loop busy ${(100 * busy).toFixed(0)} % while accepting: ${Math.round(accepted / res.acceptSec / busy)} accepted per busy second`,
    `latency p50 ${q(50).toFixed(2)} ms, p99 ${q(99).toFixed(2)} ms, max ${lat[lat.length - 1].toFixed(1)} ms`,
    `RSS peak ${mb(peakRss)} MiB; second half of the run ${mb(half.reduce((a, x) => Math.min(a, x), Infinity))}–${mb(half.reduce((a, x) => Math.max(a, x), 0))} MiB`,
  ].join('\n') + '\n',
);
await svc.close(0);
await app.close();
rmSync(dir, { recursive: true, force: true });
process.exit(0);
