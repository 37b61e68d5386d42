import { z } from 'zod';
import { WorkSpecSchema } from '../live/work-spec.ts';
import { API_STATES } from './state-store.ts';

/**
 * The HTTP API's request and answer shapes (zod), validated at the edge; `GET /openapi.json` is
 * generated from these with zod's own `z.toJSONSchema`. Units: seconds, milli-CPU, MiB, milli-GPU.
 */
const int = z.number().int();

export const JobRequestSchema = z
  .strictObject({
    tenant: z.string().min(1).max(100),
    /** argv, no shell; run as an untrusted command in the sandbox. Give this or `work`. */
    command: z.array(z.string().min(1).max(4096)).min(1).max(256).optional(),
    /** A tensor or sleep job (src/live/work-spec.ts). */
    work: WorkSpecSchema.optional(),
    gpus: int.min(0).max(1024).default(0),
    /** milli-GPU per GPU (1000 = whole). */
    milli: int.min(1).max(1000).default(1000),
    cpuMilli: int.min(1).max(10_000_000).default(1000),
    memoryMiB: int.min(1).max(100_000_000).default(512),
    /** Wall-clock seconds before the job is stopped (`timed-out`); at most the config's `sandbox.maxTimeoutSec`. */
    timeoutSec: int.min(1).max(2_000_000).optional(),
    priority: int.min(-1_000_000).max(1_000_000).default(0),
    /** The same key (per tenant) again with the same body answers the job made the first time. */
    idempotencyKey: z.string().min(1).max(200).optional(),
    /**
     * Model files the job needs, by path inside the model store (config `models.dir`): hashed at
     * admission and checked against the manifest's `modelHashes` (src/service/model-store.ts).
     */
    models: z.array(z.string().min(1).max(500)).max(64).optional(),
    /** The signed manifest (src/service/attestation.ts); required unless attestation is off. */
    manifest: z.unknown().optional(),
  })
  .refine((r) => (r.command === undefined) !== (r.work === undefined), { message: 'give exactly one of command or work', path: ['command'] });
export type JobRequest = z.infer<typeof JobRequestSchema>;

export const JobIdParamsSchema = z.strictObject({ id: z.string().min(1).max(100).regex(/^[A-Za-z0-9._-]+$/, 'a job id') });

export const ListQuerySchema = z.strictObject({
  tenant: z.string().min(1).max(100).optional(),
  state: z.enum(API_STATES).optional(),
  /** The `next` of the previous page. */
  after: z.coerce.number().int().nonnegative().optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
});

export const OutputQuerySchema = z.strictObject({
  attempt: z.coerce.number().int().min(1).max(1_000_000).optional(),
  /** `1`: a server-sent event stream of the output as it is printed, until the job ends. */
  follow: z.enum(['0', '1']).optional(),
});

const StreamSchema = z.object({ text: z.string(), bytes: int, truncated: z.boolean() });
export const OutputViewSchema = z.object({
  id: z.string(),
  attempt: int,
  exitCode: int.nullable(),
  /** True while the run is still going: the output printed so far. */
  running: z.boolean().optional(),
  stdout: StreamSchema,
  stderr: StreamSchema,
});

export const KillAllSchema = z.strictObject({ reason: z.string().min(1).max(1000) });

export const JobViewSchema = z.object({
  id: z.string(),
  tenant: z.string(),
  state: z.enum(API_STATES),
  attempts: int,
  submittedAt: z.string(),
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  node: z.string().optional(),
  gpus: z.array(int).optional(),
  reason: z.string().optional(),
  /** The exit code of the latest finished run's process (a command job: the command's); absent when a signal ended it. */
  exitCode: int.optional(),
  attestation: z.record(z.string(), z.unknown()).optional(),
  /** A child job: the job or session that submitted it with its token, and its depth (parent's + 1). */
  parentId: z.string().optional(),
  depth: int.optional(),
  /** Jobs this job submitted with its token (in `GET /v1/jobs/:id`). */
  children: z.array(z.string()).optional(),
});
export type JobView = z.infer<typeof JobViewSchema>;

export const ErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }) });
