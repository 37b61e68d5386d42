// Submits a few tensor jobs to a running `gpulab serve` over HTTP (six at once, then four one at a
// time, each once the warm pool is refilled), waits for them to end and saves
// what the service says about them: each job's JSON, runs and output, /metrics and the event log.
// Plain Node.js (fetch), no dependencies, so it runs on the GPU box beside the bundle
// (scripts/gpu-run.sh). Usage: node scripts/gpu-serve-check.mjs BASE_URL OUT_DIR [--cpu]
// `--cpu` sizes the jobs for a CPU backend (a check of the script itself, not a measurement).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [base, out, mode] = process.argv.slice(2);
if (!base || !out) {
  console.error('usage: node scripts/gpu-serve-check.mjs BASE_URL OUT_DIR [--cpu]');
  process.exit(2);
}
const cpu = mode === '--cpu';
mkdirSync(out, { recursive: true });

/** Whole-GPU and fractional jobs, as in scenarios/live-gpu.yaml (smaller on a CPU check). */
const JOBS = [
  { tenant: 'vision', gpus: 1, milli: 1000, work: { kind: 'matmul', n: cpu ? 128 : 4096, gflop: cpu ? 0.5 : 20000 } },
  { tenant: 'nlp', gpus: 1, milli: 500, work: { kind: 'matmul', n: cpu ? 128 : 2048, gflop: cpu ? 0.2 : 5000 } },
  { tenant: 'vision', gpus: 1, milli: 500, work: { kind: 'matmul', n: cpu ? 128 : 2048, gflop: cpu ? 0.2 : 5000 } },
  { tenant: 'nlp', gpus: 1, milli: 250, work: { kind: 'conv', batch: cpu ? 2 : 16, size: cpu ? 16 : 64, channels: cpu ? 8 : 64, layers: cpu ? 2 : 4, steps: cpu ? 5 : 200 } },
  { tenant: 'vision', gpus: 1, milli: 250, work: { kind: 'train', batch: cpu ? 32 : 1024, features: cpu ? 16 : 512, hidden: cpu ? 32 : 2048, steps: cpu ? 10 : 300 } },
  { tenant: 'nlp', gpus: 1, milli: 1000, work: { kind: 'matmul', n: cpu ? 128 : 8192, gflop: cpu ? 0.5 : 40000 } },
];

async function call(path, init) {
  const r = await fetch(base + path, init);
  const text = await r.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: r.status, body };
}

const t0 = Date.now();
for (let i = 0; ; i++) {
  const r = await call('/readyz').catch(() => ({ status: 0 }));
  if (r.status === 200) break;
  if (i > 600) throw new Error('service not ready after 60 s');
  await new Promise((ok) => setTimeout(ok, 100));
}
const submitted = [];
for (const [i, j] of JOBS.entries()) {
  const r = await call('/v1/jobs', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...j, cpuMilli: 2000, memoryMiB: 4096, idempotencyKey: `gpu-check-${i}` }),
  });
  console.log(`submit ${i}: ${r.status} ${r.body?.id ?? JSON.stringify(r.body)}`);
  if (r.status !== 201 && r.status !== 200) throw new Error(`submission ${i} refused: ${JSON.stringify(r.body)}`);
  submitted.push({ at: Date.now() - t0, id: r.body.id, request: j });
}
const ENDED = new Set(['succeeded', 'failed', 'cancelled', 'rejected', 'timed-out']);
const jobs = new Map();
while (jobs.size < submitted.length) {
  if (Date.now() - t0 > 140_000) throw new Error(`jobs still running after 140 s: ${submitted.filter((s) => !jobs.has(s.id)).map((s) => s.id).join(', ')}`);
  for (const s of submitted) {
    if (jobs.has(s.id)) continue;
    const r = await call(`/v1/jobs/${s.id}`);
    if (ENDED.has(r.body?.state)) {
      jobs.set(s.id, r.body);
      console.log(`job ${s.id} ${r.body.state} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
  }
  await new Promise((ok) => setTimeout(ok, 250));
}
// One job at a time, each after the warm pool is full again (the /metrics gauge): the start
// latency a job sees when it finds a ready worker, pinned to the GPU it was placed on.
const gauge = async () => Number(/^gpulab_warm_workers\{state="starting"\} (\d+)$/m.exec((await call('/metrics')).body)?.[1] ?? -1);
for (let i = 0; i < 4; i++) {
  for (let k = 0; k < 600 && (await gauge()) !== 0; k++) await new Promise((ok) => setTimeout(ok, 100));
  const j = { tenant: 'vision', gpus: 1, milli: 1000, work: { kind: 'matmul', n: cpu ? 128 : 2048, gflop: cpu ? 0.2 : 500 } };
  const r = await call('/v1/jobs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...j, cpuMilli: 2000, memoryMiB: 4096, idempotencyKey: `gpu-check-serial-${i}` }) });
  if (r.status !== 201 && r.status !== 200) throw new Error(`serial submission ${i} refused: ${JSON.stringify(r.body)}`);
  submitted.push({ at: Date.now() - t0, id: r.body.id, request: j });
  for (;;) {
    if (Date.now() - t0 > 200_000) throw new Error(`serial job ${r.body.id} still running after 200 s`);
    const g = await call(`/v1/jobs/${r.body.id}`);
    if (ENDED.has(g.body?.state)) {
      jobs.set(r.body.id, g.body);
      console.log(`serial job ${r.body.id} ${g.body.state} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      break;
    }
    await new Promise((ok) => setTimeout(ok, 100));
  }
}
const report = [];
for (const s of submitted) {
  const runs = await call(`/v1/jobs/${s.id}/runs`);
  const output = await call(`/v1/jobs/${s.id}/output`);
  report.push({ ...s, job: jobs.get(s.id), runs: runs.body, output: output.body });
}
writeFileSync(join(out, 'jobs.json'), JSON.stringify(report, null, 2));
writeFileSync(join(out, 'metrics.txt'), (await call('/metrics')).body);
console.log(`all ${report.length} jobs ended in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${report.map((r) => r.job.state).join(' ')}`);
