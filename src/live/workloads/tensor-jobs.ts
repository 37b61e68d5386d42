import type { TensorWork } from '../work-spec.ts';
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import type { Tf } from './backend.ts';

/** Progress callback: `done` of `total` steps, `flop` so far. */
export type OnProgress = (done: number, total: number, flop: number) => void;

export interface TensorResult {
  readonly flop: number;
  readonly steps: number;
}

/** FLOP of one step of each kind (multiply-add = 2 FLOP); the planning model uses the same numbers. */
export function stepFlop(w: TensorWork): number {
  switch (w.kind) {
    case 'matmul':
      return 2 * w.n ** 3;
    case 'conv':
      // each layer: batch·size²·channels_out outputs, each 3·3·channels_in multiply-adds
      return w.layers * 2 * w.batch * w.size * w.size * w.channels * w.channels * 9;
    case 'train':
      // forward 2·b·(f·h + h·1), backward ≈ 2× forward
      return 3 * 2 * w.batch * (w.features * w.hidden + w.hidden);
  }
}

export function totalSteps(w: TensorWork): number {
  return w.kind === 'matmul' ? Math.max(1, Math.ceil((w.gflop * 1e9) / stepFlop(w))) : w.steps;
}

/** Total FLOP of a tensor job. */
export function workFlop(w: TensorWork): number {
  return stepFlop(w) * totalSteps(w);
}

/**
 * A job's input of `shape`: values spread over [-scale, scale] with mean 0. tf.randomNormal draws
 * every value in JavaScript and uploads them all, which on a GPU cost more than the job's products
 * (two 8192² inputs: about 8 s against 2 s of products on the GPU box, docs/gpu-run.md). With
 * `onDevice` (a GPU backend) one value is drawn per row and per column and the device makes the
 * rest, x[i][j] = scale·sin(u_i·v_j) (rows: every axis but the last; variance ≈ 0.28·scale² when
 * both axes are long). Without it (CPU backends, where an elementwise sin costs more than a draw),
 * tf.randomNormal. `seed` makes the draws repeatable: a job's inputs are the same run to run (give
 * each input of a job its own).
 */
export function jobInput(tf: Tf, shape: readonly number[], onDevice: boolean, scale = 1, seed = 0): Tensor {
  return tf.tidy(() => {
    const draw = (s: number[], k: number) => tf.randomNormal(s, 0, 1, 'float32', 2 * seed + k);
    if (!onDevice) return scale === 1 ? draw([...shape], 1) : tf.mul(draw([...shape], 1), scale);
    const cols = shape[shape.length - 1];
    const rows = shape.reduce((a, b) => a * b, 1) / cols;
    const x = tf.sin(tf.mul(draw([rows, 1], 1), draw([1, cols], 2)));
    return tf.reshape(scale === 1 ? x : tf.mul(x, scale), [...shape]);
  });
}

/**
 * Runs the job's tensor work on the initialised backend, reading a result back after every step
 * (so the time measured is the time the device really took), and reports progress at most every
 * `progressMs`. Allocations are freed each step (`tidy`). Inputs are made by `jobInput`, on the
 * device when the backend is a GPU's (`onDevice`, default: the backend is webgpu).
 */
export async function runTensorJob(tf: Tf, w: TensorWork, onProgress: OnProgress, progressMs = 200, onDevice = tf.getBackend() === 'webgpu'): Promise<TensorResult> {
  const total = totalSteps(w);
  const per = stepFlop(w);
  let lastReport = -Infinity;
  const report = (done: number) => {
    const t = performance.now();
    if (done === total || t - lastReport >= progressMs) {
      lastReport = t;
      onProgress(done, total, done * per);
    }
  };
  const keep: { dispose(): void }[] = [];
  let step: () => Tensor;
  switch (w.kind) {
    case 'matmul': {
      const a = jobInput(tf, [w.n, w.n], onDevice, 1, 1);
      const b = jobInput(tf, [w.n, w.n], onDevice, 1, 2);
      keep.push(a, b);
      step = () => tf.sum(tf.matMul(a, b));
      break;
    }
    case 'conv': {
      const x = jobInput(tf, [w.batch, w.size, w.size, w.channels], onDevice, 1, 1) as Tensor4D;
      const filters = Array.from({ length: w.layers }, (_, i) => jobInput(tf, [3, 3, w.channels, w.channels], onDevice, 0.1, 2 + i) as Tensor4D);
      keep.push(x, ...filters);
      step = () => {
        let h = x;
        for (const f of filters) h = tf.relu(tf.conv2d(h, f, 1, 'same'));
        return tf.sum(h);
      };
      break;
    }
    case 'train': {
      // Hand-written backprop (no gradient registry needed, so every backend and bundle trains):
      // h = relu(x·W1), ŷ = h·W2, loss = mean((ŷ − y)²); dŷ = 2(ŷ − y)/b, dW2 = hᵀ·dŷ,
      // dh = (dŷ·W2ᵀ) ⊙ [h > 0], dW1 = xᵀ·dh; SGD step W −= lr·dW.
      const xs = jobInput(tf, [w.batch, w.features], onDevice, 1, 1);
      const trueW = jobInput(tf, [w.features, 1], onDevice, 1, 2);
      const ys = tf.matMul(xs, trueW);
      // A variable made from a tensor keeps the tensor's data: the tensor itself is freed here.
      const [w1, w2] = [jobInput(tf, [w.features, w.hidden], onDevice, 0.1, 3), jobInput(tf, [w.hidden, 1], onDevice, 0.1, 4)].map((t) => {
        const v = tf.variable(t);
        t.dispose();
        return v;
      });
      const lr = 0.01;
      keep.push(xs, trueW, ys, w1, w2);
      step = () => {
        const h = tf.relu(tf.matMul(xs, w1));
        const err = tf.sub(tf.matMul(h, w2), ys);
        const dy = tf.mul(err, 2 / w.batch);
        const dW2 = tf.matMul(h, dy, true, false);
        const dh = tf.mul(tf.matMul(dy, w2, false, true), tf.step(h));
        const dW1 = tf.matMul(xs, dh, true, false);
        w1.assign(tf.sub(w1, tf.mul(dW1, lr)));
        w2.assign(tf.sub(w2, tf.mul(dW2, lr)));
        return tf.mean(tf.square(err));
      };
      break;
    }
  }
  for (let i = 1; i <= total; i++) {
    const r = tf.tidy(step);
    await r.data();
    r.dispose();
    report(i);
  }
  for (const k of keep) k.dispose();
  return { flop: per * total, steps: total };
}
