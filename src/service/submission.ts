import { createHash } from 'node:crypto';
import type { JobSpec } from '../jobs/job.ts';
import type { WorkSpec } from '../live/work-spec.ts';
import type { JobRequest } from './api-schema.ts';
import { canonicalJson, type AttestationReport } from './attestation.ts';
import type { SubmitResult } from './service-results.ts';
import type { StoredJob } from './state-store.ts';

/**
 * The pure steps of a submission: the request's fingerprint (what an idempotency key is checked
 * against), the timeout bound, the job the core runs, and the record the store keeps once the
 * core admits it.
 */

/** A submission the core has not yet admitted or rejected; settled after the commit that records it. */
export interface Pending {
  readonly job: StoredJob;
  readonly nonce?: { keyId: string; nonce: string };
  readonly resolve: (r: SubmitResult) => void;
}

/** sha256 (hex) of the request's canonical JSON without its manifest. Pure. */
export function requestFingerprint(req: JobRequest): string {
  const { manifest: _m, ...body } = req;
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

/** The refusal of a request whose timeout exceeds `maxTimeoutSec`; undefined when within it. Pure. */
export function timeoutRefusal(req: JobRequest, maxTimeoutSec: number): SubmitResult | undefined {
  const t = req.timeoutSec ?? req.work?.timeoutSec;
  if (t !== undefined && t > maxTimeoutSec) return { kind: 'invalid', field: req.timeoutSec !== undefined ? 'timeoutSec' : 'work.timeoutSec', message: `at most ${maxTimeoutSec} s (sandbox.maxTimeoutSec)` };
  return undefined;
}

/** The job the core runs for a request (`work` wins; a command runs as the `command` kind; a child names its `parent`, which its arrival record carries). Pure. */
export function jobSpecOf(id: string, r: JobRequest, defaultTimeoutSec: number, env: Readonly<Record<string, string>> = {}, parent?: { readonly id: string; readonly depth: number }): Omit<JobSpec, 'submit'> {
  // A command gets `env` (the child-job token and API address) through env(1): the sandbox scrubs the rest.
  const vars = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  const argv = vars.length > 0 && r.command ? ['/usr/bin/env', ...vars, ...r.command] : r.command;
  const base: WorkSpec = r.work ?? { kind: 'command', argv: argv! };
  const timeoutSec = r.timeoutSec ?? base.timeoutSec ?? defaultTimeoutSec;
  const work: WorkSpec = { ...base, timeoutSec };
  // Nominal run time (what estimate-based policies see): a sleep's length, else the timeout.
  const duration = work.kind === 'sleep' ? Math.max(1, work.ms) : timeoutSec * 1000;
  return { id, tenant: r.tenant, cpu: r.cpuMilli, memory: r.memoryMiB, gpus: r.gpus, milli: r.gpus === 0 ? 0 : r.milli, duration, priority: r.priority, work, ...(parent ? { parent: { id: parent.id, depth: parent.depth } } : {}) };
}

/** The stored record of a new, queued job (`at`: ms since the epoch). Pure. */
export function newStoredJob(id: string, seq: number, req: JobRequest, fingerprint: string, at: number, report: AttestationReport, parent?: { readonly id: string; readonly depth: number }): StoredJob {
  return {
    id,
    seq,
    tenant: req.tenant,
    idempotencyKey: req.idempotencyKey ?? null,
    fingerprint,
    request: { ...req, manifest: undefined },
    state: 'queued',
    reason: null,
    submittedAt: at,
    startedAt: null,
    endedAt: null,
    attempts: 0,
    node: null,
    gpus: null,
    attestation: { ...report },
    ...(parent ? { parentId: parent.id, depth: parent.depth } : {}),
  };
}
