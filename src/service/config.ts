import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { formatIssues } from '../scenario/load.ts';
import { NodeGroupSchema, PolicyComboSchema } from '../scenario/schema.ts';
import { BACKENDS } from '../live/work-spec.ts';
import { parseTemplates, TemplateError, TemplateSchema } from '../sessions/template.ts';

/**
 * The service's configuration (`npm run serve -- --config FILE`), validated with zod at the edge.
 * Units: seconds and MiB in the file, as in scenarios; the service converts to ms inside.
 * Every bound is a named setting with a default (STYLE.md "Every wait is bounded").
 */
const posInt = z.number().int().positive();

export const TenantKeySchema = z.strictObject({
  /** Names the key in a manifest's `keyId`; unique over all tenants. */
  id: z.string().min(1).max(200),
  /**
   * Ed25519 public key, SPKI PEM. In a config file, `publicKeyFile: PATH` (relative to the file)
   * may stand instead: the loader reads it into `publicKey`.
   */
  publicKey: z.string().min(1),
});

export const ServiceTenantSchema = z.strictObject({
  name: z.string().min(1).max(100).regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ., _ or -'),
  /** Fair-share weight. */
  weight: z.number().positive().default(1),
  /** GPU quota (Kueue semantics, as in scenarios). */
  quota: z.strictObject({ nominalGpus: z.number().nonnegative(), cohort: z.string().min(1).optional(), borrowingLimitGpus: z.number().nonnegative().optional() }).optional(),
  /** Token bucket: `perSec` accepted submissions a second on average, bursts of `burst`. */
  rateLimit: z.strictObject({ perSec: z.number().positive().max(1e6), burst: posInt.max(1e6) }).optional(),
  /** Public keys that may sign manifests for this tenant (and for no other). */
  keys: z.array(TenantKeySchema).default([]),
});

export const ServiceConfigSchema = z
  .strictObject({
    listen: z.strictObject({ host: z.string().min(1).default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(8080) }).default({ host: '127.0.0.1', port: 8080 }),
    /** State directory (SQLite store, events.jsonl, job working directories). */
    stateDir: z.string().min(1).default('.gpulab/state'),
    cluster: z
      .strictObject({
        nodes: z.array(NodeGroupSchema).min(1).optional(),
        /**
         * Instead of `nodes`: one node, this box (gpu-detect.ts) — its GPUs from `nvidia-smi`, else a
         * hardware WebGPU adapter, else none; CPUs and memory from the OS. `true` tries both sources.
         */
        detect: z
          .union([z.literal(true).transform(() => ({ nvidiaSmi: true, webgpu: true })), z.strictObject({ nvidiaSmi: z.boolean().default(true), webgpu: z.boolean().default(true) })])
          .optional(),
      })
      .refine((c) => (c.nodes === undefined) !== (c.detect === undefined), { message: 'give nodes, or detect (not both)', path: ['nodes'] }),
    policy: PolicyComboSchema.default({ queue: 'fifo', placement: 'first-fit', params: { queue: {}, placement: {} } }),
    tenants: z.array(ServiceTenantSchema).min(1),
    admission: z
      .strictObject({
        /** Queued jobs at most; an arrival beyond it is answered 429 (`queue-full`). */
        maxQueue: posInt.max(10_000_000).default(1000),
        /** Request body bytes at most (413 above). */
        maxBodyBytes: posInt.max(64 << 20).default(64 * 1024),
        /** Retry-After sent with a 429 for a full queue, seconds. */
        queueFullRetryAfterSec: posInt.max(3600).default(1),
        /** How long a request waits for the core's admission decision, ms. */
        decisionTimeoutMs: posInt.max(60_000).default(5000),
        /** Page size limit of `GET /v1/jobs`. */
        maxPageSize: posInt.max(10_000).default(500),
        /** SSE subscribers at most; and bytes buffered per subscriber before it is dropped. */
        maxEventStreams: posInt.max(1000).default(16),
        maxStreamBufferBytes: posInt.default(1 << 20),
      })
      .default({ maxQueue: 1000, maxBodyBytes: 65536, queueFullRetryAfterSec: 1, decisionTimeoutMs: 5000, maxPageSize: 500, maxEventStreams: 16, maxStreamBufferBytes: 1 << 20 }),
    attestation: z
      .strictObject({
        /** Off only with `--dev` (the service says so loudly). */
        required: z.boolean().default(true),
        /** A manifest's `issuedAt` may be at most this old, seconds. */
        maxAgeSec: posInt.max(86_400).default(300),
        /** …and at most this far in the future (clock skew), seconds. */
        maxSkewSec: z.number().int().nonnegative().max(3600).default(30),
      })
      .default({ required: true, maxAgeSec: 300, maxSkewSec: 30 }),
    sandbox: z
      .strictObject({
        mode: z.enum(['auto', 'none']).default('auto'),
        /** Default wall-clock timeout per job, seconds (a request's `timeoutSec` overrides it, up to `maxTimeoutSec`). */
        timeoutSec: posInt.max(2_000_000).default(300),
        maxTimeoutSec: posInt.max(2_000_000).default(3600),
        graceMs: z.number().int().nonnegative().max(600_000).default(2000),
        outputLimitBytes: posInt.default(1 << 20),
        /** Per stream, how much of a job's stdout/stderr is stored for `GET /v1/jobs/:id/output` (head and tail halves; the middle dropped and marked). */
        outputCaptureBytes: posInt.max(16 << 20).default(64 * 1024),
        pidsMax: posInt.default(128),
        /** Workers send a heartbeat over the IPC channel this often, ms… */
        heartbeatMs: posInt.max(60_000).default(1000),
        /** …and one silent for this many intervals is stale: killed, its attempt lost (`stale worker`) and the recovery rule applied. */
        staleAfterBeats: posInt.max(10_000).default(30),
        minMemoryMiB: posInt.default(384),
        backends: z.array(z.enum(BACKENDS)).min(1).default([...BACKENDS]),
        /** Size of each job's (and session's) writable working directory, a tmpfs under the read-only root, MiB. */
        workdirQuotaMiB: posInt.max(1 << 20).default(1024),
        /** cgroup v2 io.max per job and session on each disk, MiB/s (where the io controller exists). */
        ioReadMiBps: posInt.max(1 << 20).default(256),
        ioWriteMiBps: posInt.max(1 << 20).default(256),
        /**
         * Batch jobs' warm workers kept per kind (`tensor`: TensorFlow.js loaded and its backend
         * picked; `plain`: commands and sleeps), started with the service and refilled after each
         * start: a job that finds one ready starts in milliseconds, not the worker's start-up. Tensor
         * workers are kept per GPU pinning (`tensor` of them for each GPU of the node at start-up).
         */
        warmPool: z.strictObject({ tensor: z.number().int().nonnegative().max(64).default(0), plain: z.number().int().nonnegative().max(64).default(0) }).default({ tensor: 0, plain: 0 }),
      })
      .default({ mode: 'auto', timeoutSec: 300, maxTimeoutSec: 3600, graceMs: 2000, outputLimitBytes: 1 << 20, outputCaptureBytes: 64 * 1024, pidsMax: 128, heartbeatMs: 1000, staleAfterBeats: 30, minMemoryMiB: 384, backends: [...BACKENDS], workdirQuotaMiB: 1024, ioReadMiBps: 256, ioWriteMiBps: 256, warmPool: { tensor: 0, plain: 0 } }),
    /**
     * Child jobs (child-jobs.ts): every command job gets GPULAB_TOKEN and GPULAB_API (the API's unix
     * socket, reachable from inside the sandbox) and may submit children up to `maxDepth` levels
     * below a top-level job. `socket`: the socket's path (default `<stateDir>/api.sock`; outside
     * /tmp, /var/tmp and /dev/shm, which are private in the sandbox).
     */
    children: z.strictObject({ maxDepth: z.number().int().min(0).max(32).default(2), socket: z.string().min(1).max(100).optional() }).default({ maxDepth: 2 }),
    /** Session templates (src/sessions/template.ts): `POST /v1/sessions` names one. */
    templates: z.array(TemplateSchema).default([]),
    sessions: z
      .strictObject({
        /** A session's idle timeout and lifetime when the create names none, seconds. */
        defaultIdleTimeoutSec: z.number().positive().max(7 * 86400).default(300),
        defaultMaxLifetimeSec: z.number().positive().max(7 * 86400).default(3600),
        /** An exec's timeout when the request names none, and the bound on any, seconds. */
        defaultExecTimeoutSec: z.number().positive().max(86400).default(30),
        maxExecTimeoutSec: z.number().positive().max(86400).default(600),
        /** Bytes kept per stream of one exec's output. */
        outputCapBytes: posInt.max(16 << 20).default(64 * 1024),
        /** Bound on a template's setup commands together, seconds. */
        setupTimeoutSec: posInt.max(3600).default(120),
      })
      .default({ defaultIdleTimeoutSec: 300, defaultMaxLifetimeSec: 3600, defaultExecTimeoutSec: 30, maxExecTimeoutSec: 600, outputCapBytes: 64 * 1024, setupTimeoutSec: 120 }),
    recovery: z
      .strictObject({
        /**
         * The one rule for jobs found running after a crash, and for jobs of stale workers: requeued
         * as a new attempt while the job has had fewer than `maxAttempts` runs, else failed (reason
         * `crashed`, or the stale worker's).
         */
        maxAttempts: posInt.max(100).default(3),
      })
      .default({ maxAttempts: 3 }),
    /** The model store: jobs name files under `dir` in `models`; their sha256 is checked at admission. Absent: jobs may name none. */
    models: z.strictObject({ dir: z.string().min(1) }).optional(),
    /** SIGTERM/SIGINT: stop admitting, let running jobs finish for this long, then stop the rest. */
    drainGraceSec: z.number().nonnegative().max(3600).default(10),
  })
  .superRefine((c, ctx) => {
    const templates = new Set<string>();
    c.templates.forEach((t, i) => {
      if (templates.has(t.name)) ctx.addIssue({ code: 'custom', path: ['templates', i, 'name'], message: `template '${t.name}' named twice` });
      templates.add(t.name);
    });
    const tenants = new Set<string>();
    const keys = new Set<string>();
    c.tenants.forEach((t, i) => {
      if (tenants.has(t.name)) ctx.addIssue({ code: 'custom', path: ['tenants', i, 'name'], message: `tenant '${t.name}' named twice` });
      tenants.add(t.name);
      t.keys.forEach((k, j) => {
        if (keys.has(k.id)) ctx.addIssue({ code: 'custom', path: ['tenants', i, 'keys', j, 'id'], message: `key id '${k.id}' used twice` });
        keys.add(k.id);
      });
    });
  });

export type ServiceConfig = z.infer<typeof ServiceConfigSchema>;
export type ServiceTenant = z.infer<typeof ServiceTenantSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses a config text; throws a ConfigError naming the file and each bad field. */
export function parseServiceConfig(text: string, file: string): ServiceConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new ConfigError(`${file}: not YAML: ${(e as Error).message}`);
  }
  readKeyFiles(raw, file);
  const p = ServiceConfigSchema.safeParse(raw ?? {});
  if (!p.success) throw new ConfigError(`${file}: invalid service config\n${formatIssues(p.error.issues).map((l) => `- ${l}`).join('\n')}`);
  // The templates' own checks beyond the schema (a python runtime needs python3 on this box).
  try {
    parseTemplates(p.data.templates, file);
  } catch (e) {
    if (e instanceof TemplateError) throw new ConfigError(`${file}: invalid service config\n${e.problems.map((l) => `- ${l}`).join('\n')}`);
    throw e;
  }
  return p.data;
}

/** Replaces each `tenants[i].keys[j].publicKeyFile` of a parsed config file with the `publicKey` read from it. */
function readKeyFiles(raw: unknown, file: string): void {
  const tenants = (raw as { tenants?: unknown } | null)?.tenants;
  if (!Array.isArray(tenants)) return;
  tenants.forEach((t: unknown, i) => {
    const keys = (t as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(keys)) return;
    keys.forEach((k: unknown, j) => {
      if (typeof k !== 'object' || k === null || !('publicKeyFile' in k)) return;
      const o = k as Record<string, unknown>;
      const where = `${file}: tenants.${i}.keys.${j}.publicKeyFile`;
      if (typeof o.publicKeyFile !== 'string' || o.publicKeyFile === '') throw new ConfigError(`${where}: expected a file name`);
      if ('publicKey' in o) throw new ConfigError(`${where}: give publicKey or publicKeyFile, not both`);
      const path = resolve(dirname(file), o.publicKeyFile);
      try {
        o.publicKey = readFileSync(path, 'utf8');
      } catch (e) {
        throw new ConfigError(`${where}: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      delete o.publicKeyFile;
    });
  });
}

export function loadServiceConfig(file: string): ServiceConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseServiceConfig(text, file);
}
