import { z } from 'zod';

/**
 * What a live job actually runs (`JobSpec.work`, from `work:` on a scenario demand). Validated at
 * the scenario edge; the executor and the worker trust it. Sizes are in elements; `gflop` is
 * 10^9 floating-point operations. `timeoutSec` is wall-clock seconds (real, not scenario time).
 */
const posInt = z.number().int().positive();
/**
 * Wall-clock waits become Node timers, whose delay is at most 2^31 − 1 ms (about 24.8 days): a
 * longer one fires after 1 ms instead, so a huge timeout would kill every job at once.
 */
const MAX_TIMER_MS = 2 ** 31 - 1;
const timerSec = z.number().positive().max(Math.floor(MAX_TIMER_MS / 1000));
/** A job's network: `none` (default, no interface up) or `loopback` (its own 127.0.0.1 only). */
export const NetworkSchema = z.enum(['none', 'loopback']);
const common = { timeoutSec: timerSec.optional(), network: NetworkSchema.optional() };

export const WorkSpecSchema = z.discriminatedUnion('kind', [
  /** Square float32 matMul of side `n`, repeated until `gflop` GFLOP are done (2·n³ per product). */
  z.strictObject({ kind: z.literal('matmul'), n: posInt.max(16384).default(256), gflop: z.number().positive(), ...common }),
  /** A stack of `layers` 3×3 same-padded conv2d layers over a batch×size×size×channels input, `steps` times. */
  z.strictObject({
    kind: z.literal('conv'),
    batch: posInt.default(4),
    size: posInt.max(1024).default(32),
    channels: posInt.max(1024).default(16),
    layers: posInt.max(64).default(3),
    steps: posInt,
    ...common,
  }),
  /** A two-layer MLP trained with SGD for `steps` steps on generated data. */
  z.strictObject({
    kind: z.literal('train'),
    batch: posInt.default(64),
    features: posInt.default(64),
    hidden: posInt.default(128),
    steps: posInt,
    ...common,
  }),
  /** An arbitrary, untrusted command (argv, no shell) run under the same isolation. */
  z.strictObject({ kind: z.literal('command'), argv: z.array(z.string().min(1)).min(1), ...common }),
  /** Sleeps `ms` wall-clock ms (deterministic tests and scheduler-only scenarios). */
  z.strictObject({ kind: z.literal('sleep'), ms: z.number().int().nonnegative().max(MAX_TIMER_MS), ...common }),
]);

export type WorkSpec = z.infer<typeof WorkSpecSchema>;
export type TensorWork = Extract<WorkSpec, { kind: 'matmul' | 'conv' | 'train' }>;

/** Worker kinds the warm pool keeps: tensor workers pre-load TensorFlow.js, plain ones do not. */
export type WorkerKind = 'tensor' | 'plain';

export function workerKindOf(w: WorkSpec): WorkerKind {
  return w.kind === 'matmul' || w.kind === 'conv' || w.kind === 'train' ? 'tensor' : 'plain';
}

export const BACKENDS = ['tfjs-node-gpu', 'tfjs-node', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** The `live:` section of a scenario. Wall-clock units (real seconds / ms) unless stated. */
export const LiveSectionSchema = z.strictObject({
  /** Scenario time runs this many times faster than wall time (arrivals, logged times). */
  timeScale: z.number().min(1e-3).max(1e6).default(1),
  /** Which policy combination (label or `<queue>+<placement>`) to run; default the first. */
  policy: z.string().min(1).optional(),
  /** Default wall-clock timeout per job, seconds (a job's `work.timeoutSec` overrides it). */
  timeoutSec: timerSec.default(300),
  /** SIGTERM → SIGKILL grace period, ms. */
  graceMs: z.number().int().nonnegative().max(600_000).default(2000),
  /** Pre-started workers kept per kind: tensor ones per GPU pinning, plain ones in one pool (src/live/warm-pool.ts). */
  warmPool: z.strictObject({ tensor: z.number().int().nonnegative().max(64).default(0), plain: z.number().int().nonnegative().max(64).default(0) }).default({ tensor: 0, plain: 0 }),
  /** Tensor backends to try, best first. */
  backends: z.array(z.enum(BACKENDS)).min(1).default([...BACKENDS]),
  /** A job writing more than this to stdout+stderr is killed (failed, `output limit`). */
  outputLimitBytes: posInt.default(1 << 20),
  /** Process limit per job (cgroup pids.max, or RLIMIT_NPROC in the fallback). */
  pidsMax: posInt.default(128),
  /** Memory floor per job, MiB: a worker needs room for Node.js and TensorFlow.js. */
  minMemoryMiB: posInt.default(384),
  /** `auto`: every isolation layer the machine allows; `none`: plain child processes. */
  sandbox: z.enum(['auto', 'none']).default('auto'),
});

export type LiveSection = z.infer<typeof LiveSectionSchema>;
