import { z } from 'zod';
import { BACKENDS, WorkSpecSchema } from './work-spec.ts';

/**
 * The parent ↔ worker message protocol (Node IPC channel, JSON serialization). Every message
 * carries `v`; both sides validate what they receive with these schemas and treat anything else
 * as a protocol error (the parent kills the worker and fails the job with that reason).
 */
export const PROTOCOL_VERSION = 1;
const v = z.literal(PROTOCOL_VERSION);

export const ParentMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({
    v,
    type: z.literal('run'),
    jobId: z.string().min(1),
    attempt: z.number().int().positive(),
    work: WorkSpecSchema,
    /** Extra environment for the job (GPU pinning); applied before any backend is initialised. */
    env: z.record(z.string(), z.string()),
  }),
  z.strictObject({ v, type: z.literal('stop'), reason: z.string() }),
]);

const backend = z.enum([...BACKENDS, 'none']);

export const WorkerMessageSchema = z.discriminatedUnion('type', [
  /** Sent once the worker is up (tensor workers: after the backend is initialised). */
  z.strictObject({
    v,
    type: z.literal('ready'),
    backend,
    device: z.string(),
    initMs: z.number().nonnegative(),
    /** Why each better backend was passed over. */
    skipped: z.array(z.string()).default([]),
  }),
  /** Sent every GPULAB_HEARTBEAT_MS while the worker lives (when the executor asks for heartbeats). */
  z.strictObject({ v, type: z.literal('heartbeat') }),
  /** The job's work has begun. */
  z.strictObject({ v, type: z.literal('started'), jobId: z.string(), backend, device: z.string() }),
  /** `done` of `total` steps; `flop` done so far. */
  z.strictObject({ v, type: z.literal('progress'), jobId: z.string(), done: z.number().int().nonnegative(), total: z.number().int().positive(), flop: z.number().nonnegative() }),
  z.strictObject({
    v,
    type: z.literal('result'),
    jobId: z.string(),
    ok: z.boolean(),
    /** Time spent in the work itself, ms (excludes start-up). */
    computeMs: z.number().nonnegative(),
    flop: z.number().nonnegative(),
    backend,
    device: z.string(),
    /** Command jobs: exit code or signal of the command. */
    exitCode: z.number().int().nullable().optional(),
    signal: z.string().nullable().optional(),
    message: z.string().optional(),
  }),
]);

export type ParentMessage = z.infer<typeof ParentMessageSchema>;
export type WorkerMessage = z.infer<typeof WorkerMessageSchema>;
