/**
 * Where a tensor job's matMul throughput goes (figures, not pass/fail): float32 square matMul of
 * side n on the first backend that works (`--backends webgpu,wasm,cpu`), timed three ways after one
 * warm-up product (shader compilation):
 *  - `job loop`: what a live matmul job does (src/live/workloads/tensor-jobs.ts): sum(matMul(a, b))
 *    and read the scalar back after every product;
 *  - `no readback`: the same products queued, one read at the end;
 *  - `matMul only`: products without the sum, one read of the last product's first element.
 * The first product of each size is timed on its own: it compiles that size's shaders (and, for the
 * first size, the backend's common ones). TFLOP/s = 2·n³·steps / seconds. On the GPU box: carried in the GPU bundle (scripts/gpu-bundle.sh)
 * as `.bundle/gpu-matmul.mjs`; here: `npx tsx bench/gpu-matmul.ts --sizes 128,256 --steps 4`.
 */
import { parseArgs } from 'node:util';
import { chooseBackend } from '../src/live/workloads/backend.ts';
import { BACKENDS, type BackendName } from '../src/live/work-spec.ts';

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '2048,4096,8192' }, steps: { type: 'string', default: '20' }, backends: { type: 'string', default: 'webgpu,wasm,cpu' } } });
const sizes = values.sizes.split(',').map(Number);
const steps = Number(values.steps);
const order = values.backends.split(',') as BackendName[];
for (const b of order) if (!(BACKENDS as readonly string[]).includes(b)) throw new Error(`--backends: unknown backend '${b}'`);
if (sizes.some((n) => !Number.isInteger(n) || n < 1) || !Number.isInteger(steps) || steps < 1) throw new Error('--sizes and --steps take positive integers');

const { tf, backend, device } = await chooseBackend(order);
console.log(`# matMul throughput: backend ${backend} @ ${device}; ${steps} products per figure after one warm-up`);
console.log('n      first product ms  job loop TFLOP/s  no readback TFLOP/s  matMul only TFLOP/s');
for (const n of sizes) {
  const a = tf.randomNormal([n, n]);
  const b = tf.randomNormal([n, n]);
  const flop = 2 * n ** 3 * steps;
  let t0 = performance.now();
  const warm = tf.tidy(() => tf.sum(tf.matMul(a, b)));
  await warm.data();
  warm.dispose();
  const firstMs = performance.now() - t0;
  t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    const r = tf.tidy(() => tf.sum(tf.matMul(a, b)));
    await r.data();
    r.dispose();
  }
  const loop = flop / ((performance.now() - t0) / 1000) / 1e12;
  t0 = performance.now();
  const sums = [];
  for (let i = 0; i < steps; i++) sums.push(tf.tidy(() => tf.sum(tf.matMul(a, b))));
  await tf.stack(sums).data();
  const batched = flop / ((performance.now() - t0) / 1000) / 1e12;
  for (const s of sums) s.dispose();
  t0 = performance.now();
  const prods = [];
  for (let i = 0; i < steps; i++) prods.push(tf.matMul(a, b));
  await tf.slice(prods[prods.length - 1], [0, 0], [1, 1]).data();
  const only = flop / ((performance.now() - t0) / 1000) / 1e12;
  for (const p of prods) p.dispose();
  a.dispose();
  b.dispose();
  console.log(`${String(n).padEnd(6)} ${firstMs.toFixed(1).padStart(16)}  ${loop.toFixed(3).padStart(16)}  ${batched.toFixed(3).padStart(19)}  ${only.toFixed(3).padStart(19)}`);
}
