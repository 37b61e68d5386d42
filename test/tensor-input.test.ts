import { describe, expect, it } from 'vitest';
import { chooseBackend } from '../src/live/workloads/backend.ts';
import { jobInput, runTensorJob, workFlop } from '../src/live/workloads/tensor-jobs.ts';
import type { TensorWork } from '../src/live/work-spec.ts';

// The device-made inputs of a GPU job, computed here by the CPU backend (the same ops).
describe('tensor job inputs made on the device', () => {
  it('have the shape asked for, values within ±scale, mean near 0 and a real spread', async () => {
    const { tf } = await chooseBackend(['cpu']);
    // Seeded draws: the same values every run, so the figures below are fixed, not luck.
    for (const [shape, scale] of [[[256, 128], 1], [[4, 8, 8, 16], 0.1], [[300, 2], 1]] as const) {
      const x = jobInput(tf, shape, true, scale, 7);
      expect(x.shape).toEqual(shape);
      const v = await x.data();
      x.dispose();
      let sum = 0;
      let sq = 0;
      let max = 0;
      for (const a of v) {
        sum += a;
        sq += a * a;
        max = Math.max(max, Math.abs(a));
      }
      const mean = sum / v.length;
      const sd = Math.sqrt(sq / v.length - mean * mean);
      expect(max).toBeLessThanOrEqual(scale);
      // sin(u·v) of two normal draws: variance about 0.28·scale², so sd about 0.53·scale.
      const again = jobInput(tf, shape, true, scale, 7);
      expect(Array.from(await again.data())).toEqual(Array.from(v));
      again.dispose();
      expect(Math.abs(mean)).toBeLessThan(0.15 * scale);
      expect(sd).toBeGreaterThan(0.3 * scale);
    }
  });

  it('run every job kind to the end with the FLOP of its work', async () => {
    const { tf } = await chooseBackend(['cpu']);
    const works: TensorWork[] = [
      { kind: 'matmul', n: 32, gflop: 0.0002 },
      { kind: 'conv', batch: 2, size: 8, channels: 4, layers: 2, steps: 3 },
      { kind: 'train', batch: 16, features: 8, hidden: 16, steps: 4 },
    ];
    const before = tf.memory().numTensors;
    for (const w of works) {
      const r = await runTensorJob(tf, w, () => {}, 200, true);
      expect(r.flop).toBe(workFlop(w));
    }
    // Inputs and per-step tensors are all freed.
    expect(tf.memory().numTensors).toBe(before);
  });
});
